"""Peyvand benchmarks: one table of figures, each beside a reference measured in the same run.

    python bench/run.py [--size small|full] [--only seed|import|api|search] [--reuse]

Workloads (see bench/README.md): seeding (vs raw COPY of the same rows), customer import
(bench/import_customers.py, vs raw COPY and bulk_create), the customer 360 API (vs a bare
Django view, one client and 16 clients) and customer search (vs a primary-key lookup).
PostgreSQL at BENCH_PG (default postgres://postgres@127.0.0.1:5432); the scratch databases
pv_bench, pv_bench_ref and pv_bench_import are dropped and recreated. Prints the table and
writes bench/results/latest.md.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import http.client
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
# BENCH_DB names the scratch databases, so that two runs on one server keep apart.
DB = os.environ.get("BENCH_DB", "pv_bench")
REF_DB = f"{DB}_ref"
IMPORT_DB = f"{DB}_import"
PORT = int(os.environ.get("BENCH_PORT", "8109"))
SEED = 1
# A fixed end of history: the same rows on any day.
UNTIL = "2026-01-01"

SIZES: dict[str, dict[str, int]] = {
    "small": {
        "customers": 20_000,
        "orders": 200_000,
        "interactions": 400_000,
        "import_rows": 100_000,
        "import_repeat": 1,
        "requests": 300,
        "seconds": 8,
        "queries": 60,
    },
    # For profiling the seed between the two (`--size medium --only seed`).
    "medium": {
        "customers": 100_000,
        "orders": 1_000_000,
        "interactions": 2_000_000,
        "import_rows": 100_000,
        "import_repeat": 1,
        "requests": 300,
        "seconds": 8,
        "queries": 60,
    },
    "full": {
        "customers": 1_000_000,
        "orders": 10_000_000,
        "interactions": 20_000_000,
        "import_rows": 1_000_000,
        "import_repeat": 3,
        "requests": 1500,
        "seconds": 20,
        "queries": 200,
    },
}
WORKLOADS = ["seed", "import", "api", "search", "sales"]


@dataclass
class Row:
    workload: str
    size: str
    figure: str
    reference: str
    ratio: str


def say(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def human(n: int) -> str:
    for unit, div in (("M", 1_000_000), ("k", 1_000)):
        if n >= div and n % (div // 10) == 0:
            return f"{n / div:g}{unit}"
    return f"{n:,}"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


# --- databases and processes ----------------------------------------------------------------


def url(db: str) -> str:
    return f"{PG}/{db}"


def admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(url("postgres"), autocommit=True) as conn:
        conn.execute(sql)


def recreate(db: str, template: str | None = None) -> None:
    admin(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
    admin(f'CREATE DATABASE "{db}"' + (f' TEMPLATE "{template}"' if template else ""))


def env_for(db_url: str, data_dir: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": db_url,
        "PEYVAND_DATA_DIR": data_dir,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
        "PEYVAND_LOG_LEVEL": "ERROR",
        **extra,
    }


def run(cmd: list[str], env: dict[str, str], log: Path | None = None) -> str:
    with open(log, "a", encoding="utf-8") if log else contextlib.nullcontext() as err:
        result = subprocess.run(
            cmd,
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=err if err else subprocess.PIPE,
            text=True,
            check=False,
        )
    if result.returncode:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{result.stderr or ''}{result.stdout}")
    return result.stdout


def task(verb: str, env: dict[str, str], *args: str) -> Any:
    out = run([sys.executable, "-m", "bench.tasks", verb, *args], env)
    return json.loads(out.strip().splitlines()[-1])


def fresh_database(db: str, data_dir: str) -> dict[str, str]:
    recreate(db)
    env = env_for(url(db), data_dir)
    run([sys.executable, "-m", "peyvand.cli", "migrate", "-v", "0"], env)
    task("setup", env)
    return env


# --- a) seed -----------------------------------------------------------------------------------


def bench_seed(size: dict[str, int], label: str, work: Path) -> list[Row]:
    env = fresh_database(DB, str(work))
    # The reference database is the same empty, migrated database, cloned before seeding.
    recreate(REF_DB, template=DB)
    counts = [str(size[k]) for k in ("customers", "orders", "interactions")]
    say(f"seeding {label} into {DB} (progress in {work / 'seed.log'})")
    started = time.perf_counter()
    run(
        [sys.executable, "-m", "peyvand.cli", "seed", "--customers", counts[0], "--orders",
         counts[1], "--interactions", counts[2], "--seed", str(SEED), "--until", UNTIL],
        env,
        log=work / "seed.log",
    )  # fmt: skip
    seeded = time.perf_counter() - started
    say(f"seeded in {seeded:.0f} s; writing the same rows to COPY files")
    files = task(
        "dump",
        env_for(url(REF_DB), str(work)),
        "--customers", counts[0], "--orders", counts[1], "--interactions", counts[2],
        "--seed", str(SEED), "--until", UNTIL, "--directory", str(work),
    )  # fmt: skip
    say("loading them with raw COPY into the reference database")
    copied = raw_copy(url(REF_DB), files)
    for spec in files.values():
        Path(spec["path"]).unlink()
    admin(f'DROP DATABASE IF EXISTS "{REF_DB}" WITH (FORCE)')
    rows = sum(size[k] for k in ("customers", "orders", "interactions"))
    return [
        Row(
            f"seed {human(size['customers'])} customers + {human(size['orders'])} orders + "
            f"{human(size['interactions'])} interactions (PostgreSQL)",
            label,
            f"{seeded:.0f} s ({rows / seeded:,.0f} rows/s)",
            f"raw COPY of the same rows {copied:.0f} s",
            f"{seeded / copied:.2f}",
        )
    ]


def raw_copy(db_url: str, files: dict[str, Any]) -> float:
    """The database's side of a seed alone: the same files, the same session settings and
    the same index treatment (secondary indexes of the empty tables dropped, rebuilt after
    the load), psycopg COPY without Django or generation."""
    import psycopg

    from peyvand.core.seed import bulk_settings, defer_indexes, restore_indexes

    started = time.perf_counter()
    with psycopg.connect(db_url) as conn, conn.cursor() as cur:
        bulk_settings(cur, superuser=True)
        deferred = defer_indexes(cur, list(files), foreign_keys=False)
        for table, spec in files.items():
            cols = ", ".join(f'"{c}"' for c in spec["columns"])
            with (
                cur.copy(f'COPY "{table}" ({cols}) FROM STDIN') as copy,
                open(spec["path"], "rb") as source,
            ):
                while chunk := source.read(1 << 22):
                    copy.write(chunk)
        say(f"reference: rows loaded ({time.perf_counter() - started:.0f} s), rebuilding indexes")
        restore_indexes(cur, deferred, say=lambda _msg: None)
        conn.commit()
        for table in files:
            cur.execute(f'ANALYZE "{table}"')
        conn.commit()
    return time.perf_counter() - started


# --- b) import ----------------------------------------------------------------------------------


def bench_import(size: dict[str, int], label: str, work: Path) -> list[Row]:
    script = ROOT / "bench" / "import_customers.py"
    if not script.exists():
        say("bench/import_customers.py is not there yet: import skipped")
        return []
    rows: list[Row] = []
    recreate(IMPORT_DB)
    for engine, extra in (
        ("PostgreSQL", ["--database-url", url(IMPORT_DB)]),
        ("SQLite", []),
    ):
        say(f"import {human(size['import_rows'])} rows on {engine}")
        out = run(
            [sys.executable, str(script), "--rows", str(size["import_rows"]), "--repeat",
             str(size["import_repeat"]), *extra],
            env_for("", str(work)),
        )  # fmt: skip
        lines = out.splitlines()
        start = next(i for i, line in enumerate(lines) if line.startswith("workload |"))
        for line in lines[start + 1 :]:
            cells = [c.strip() for c in line.split("|")]
            if len(cells) == 5:
                rows.append(Row(f"{cells[0]} ({engine})", label, *cells[2:]))
    admin(f'DROP DATABASE IF EXISTS "{IMPORT_DB}" WITH (FORCE)')
    return rows


# --- c) and d): the seeded database over HTTP and in process ---------------------------------


def ensure_seeded(size: dict[str, int], work: Path) -> dict[str, str]:
    env = env_for(url(DB), str(work))
    try:
        have = task("counts", env)
    except SystemExit:
        have = {}
    if size.get("reuse"):
        if not have.get("customers"):
            raise SystemExit(f"--reuse: {DB} holds no seeded customers")
        # The table names the data actually there.
        size["customers"] = have["customers"]
    elif have.get("customers", 0) < size["customers"]:
        say("the benchmark database is not seeded at this size: seeding it first")
        bench_seed(size, "setup", work)
    analyze(DB)
    return env


def analyze(db: str) -> None:
    """Fresh planner statistics: right after a bulk load they still describe empty tables,
    and the plans of the API and search workloads would be the planner's guesses."""
    import psycopg

    say(f"ANALYZE {db}")
    with psycopg.connect(url(db), autocommit=True) as conn:
        conn.execute("ANALYZE")


@contextlib.contextmanager
def servers(env: dict[str, str], workers: int = 2) -> Iterator[None]:
    """`workers` daphne processes, as `peyvand serve` runs them, sharing one listening socket."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", PORT))
    sock.listen(1024)
    sock.set_inheritable(True)
    server_env = {
        **env,
        "DJANGO_SETTINGS_MODULE": "bench.settings_bench",
        "PEYVAND_SECURE": "0",
        "PEYVAND_TASK_BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
    }
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "daphne",
                "--fd",
                str(sock.fileno()),
                "-v",
                "0",
                "peyvand.config.asgi:application",
            ],
            env=server_env,
            cwd=ROOT,
            pass_fds=[sock.fileno()],
        )
        for _ in range(workers)
    ]
    try:
        # Django's start-up alone took ~12 s of wall time at load 6; on a loaded machine
        # two processes starting at once need minutes.
        deadline = time.time() + 240
        while True:
            try:
                status, _ = get(
                    http.client.HTTPConnection("127.0.0.1", PORT, timeout=5), "/healthz", {}
                )
                if status == 200:
                    break
            except OSError:
                pass
            if time.time() > deadline:
                raise SystemExit("the benchmark servers did not start")
            time.sleep(0.5)
        yield
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=30)
        sock.close()


def get(conn: http.client.HTTPConnection, path: str, headers: dict[str, str]) -> tuple[int, bytes]:
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    return response.status, response.read()


def latencies(paths: list[str], headers: dict[str, str]) -> list[float]:
    """One client, one keep-alive connection, one request after another."""
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
    out = []
    for path in paths:
        started = time.perf_counter()
        status, _ = get(conn, path, headers)
        if status != 200:
            # The shared database server may briefly refuse connections; one retry, timed.
            time.sleep(0.5)
            started = time.perf_counter()
            status, _ = get(conn, path, headers)
        out.append(time.perf_counter() - started)
        if status != 200:
            raise SystemExit(f"GET {path} answered {status}")
    conn.close()
    return out


def throughput(paths: list[str], headers: dict[str, str], clients: int, seconds: float) -> float:
    """Requests per second that `clients` concurrent keep-alive clients get through."""
    done = [0] * clients
    errors: list[str] = []
    stop = time.perf_counter() + seconds

    def client(n: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
        i = n
        while time.perf_counter() < stop:
            status, _ = get(conn, paths[i % len(paths)], headers)
            i += clients
            if status != 200:
                errors.append(f"{paths[i % len(paths)]}: {status}")
                continue
            done[n] += 1
        conn.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # A few refusals from the shared database server are noise; more is a broken run.
    if len(errors) > max(5, sum(done) // 100):
        raise SystemExit(f"{len(errors)} requests failed: {errors[:3]}")
    return sum(done) / (time.perf_counter() - started)


def interleaved(
    rounds: int, measure: Callable[[str], Any], names: list[str]
) -> dict[str, list[Any]]:
    """Alternate the measured and the reference so both see the same machine."""
    results: dict[str, list[Any]] = {name: [] for name in names}
    for _ in range(rounds):
        for name in names:
            results[name].append(measure(name))
    return results


def bench_api(size: dict[str, int], label: str, work: Path) -> list[Row]:
    env = ensure_seeded(size, work)
    plan = task("sample", env, "--ids", str(size["requests"]), "--queries", str(size["queries"]))
    (work / "plan.json").write_text(json.dumps(plan, ensure_ascii=False))
    auth = {"Authorization": f"Bearer {task('token', env)['token']}"}
    ids = plan["ids"]
    paths = {
        "api": [f"/api/v1/customers/{i}" for i in ids],
        "bare": [f"/bench/customers/{i}" for i in ids],
    }
    data = f"{human(size['customers'])} customers"
    rows = []
    with servers(env):
        say("warming up")
        for name in ("api", "bare"):
            latencies(paths[name][:100], auth)
        say("customer 360: one client")
        third = len(ids) // 3
        lat = interleaved(
            3,
            lambda name: latencies(paths[name][: third or 1], auth),
            ["api", "bare"],
        )
        api_lat = [x for chunk in lat["api"] for x in chunk]
        bare_lat = [x for chunk in lat["bare"] for x in chunk]
        rows.append(
            Row(
                "customer 360 API GET /api/v1/customers/{id}, 1 client",
                f"{label}, {data}",
                f"p95 {pct(api_lat, 95) * 1000:.1f} ms (p50 {pct(api_lat, 50) * 1000:.1f})",
                f"bare view p95 {pct(bare_lat, 95) * 1000:.1f} ms (p50 {pct(bare_lat, 50) * 1000:.1f})",
                f"{pct(api_lat, 95) / pct(bare_lat, 95):.2f}",
            )
        )
        say("customer 360: 16 clients")
        rates = interleaved(
            3,
            lambda name: throughput(paths[name], auth, 16, size["seconds"] / 2),
            ["api", "bare"],
        )
        api_rate, bare_rate = statistics.median(rates["api"]), statistics.median(rates["bare"])
        rows.append(
            Row(
                "customer 360 API, 16 concurrent clients (2 server processes)",
                f"{label}, {data}",
                f"{api_rate:,.0f} req/s",
                f"bare view {bare_rate:,.0f} req/s",
                f"{api_rate / bare_rate:.2f}",
            )
        )
        say("search through the API")
        for kind, queries in plan["queries"].items():
            search_paths = [f"/api/v1/customers/search?q={quote(q)}" for q in queries]
            latencies(search_paths[:5], auth)
            times = latencies(search_paths, auth)
            reference = latencies(paths["bare"][: len(queries)], auth)
            rows.append(
                Row(
                    f"search API GET /api/v1/customers/search, {kind}",
                    f"{label}, {data}",
                    f"p95 {pct(times, 95) * 1000:.1f} ms",
                    f"bare pk view p95 {pct(reference, 95) * 1000:.1f} ms",
                    f"{pct(times, 95) / pct(reference, 95):.2f}",
                )
            )
    return rows


def bench_search(size: dict[str, int], label: str, work: Path) -> list[Row]:
    env = ensure_seeded(size, work)
    plan_path = work / "plan.json"
    if not plan_path.exists():
        plan = task(
            "sample", env, "--ids", str(size["requests"]), "--queries", str(size["queries"])
        )
        plan_path.write_text(json.dumps(plan, ensure_ascii=False))
    say("search in process")
    measured = task("search", env, "--plan", str(plan_path))["seconds"]
    pk95 = pct(measured["pk"], 95)
    data = f"{human(size['customers'])} customers"
    return [
        Row(
            f"Customer.objects.search(q), {kind}",
            f"{label}, {data}",
            f"p95 {pct(times, 95) * 1000:.1f} ms (p50 {pct(times, 50) * 1000:.1f})",
            f"pk lookup p95 {pk95 * 1000:.2f} ms",
            f"{pct(times, 95) / pk95:.1f}",
        )
        for kind, times in measured.items()
        if kind != "pk"
    ]


def bench_sales(size: dict[str, int], label: str, work: Path) -> list[Row]:
    # Imported here: bench/sales.py imports this module's helpers.
    from bench.sales import SIZES as SALES_SIZES
    from bench.sales import bench_sales as run_sales

    return run_sales(SALES_SIZES[label], label, work)


BENCHES = {"seed": bench_seed, "import": bench_import, "api": bench_api, "search": bench_search}
BENCHES["sales"] = bench_sales


# --- the table -----------------------------------------------------------------------------------


def table(rows: list[Row]) -> str:
    head = Row("workload", "size", "figure", "reference (same run)", "ratio")
    cells = [head, *rows]
    widths = [max(len(getattr(r, f)) for r in cells) for f in Row.__dataclass_fields__]
    lines = []
    for i, r in enumerate(cells):
        values = [
            getattr(r, f).ljust(w) for f, w in zip(Row.__dataclass_fields__, widths, strict=True)
        ]
        lines.append("| " + " | ".join(values) + " |")
        if i == 0:
            lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def write_results(text: str, label: str, seconds: float) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    rev = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    header = (
        f"# Peyvand benchmark results\n\n"
        f"- size: {label}; run {dt.datetime.now().strftime('%Y-%m-%d %H:%M')} "
        f"({seconds / 60:.0f} min), commit {rev or 'unknown'}\n"
        f"- machine: {os.cpu_count()} cores, {platform.python_implementation()} "
        f"{platform.python_version()}, PostgreSQL at {PG.rsplit('@', 1)[-1]}\n"
        f"- ratio = figure / reference. Times are medians of interleaved rounds where a "
        f"workload repeats; the machine is shared, so compare ratios, not absolute times.\n\n"
    )
    path = RESULTS / "latest.md"
    path.write_text(header + text + "\n", encoding="utf-8")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--size", choices=sorted(SIZES), default="small")
    parser.add_argument("--only", choices=WORKLOADS, action="append")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help=f"measure api/search on whatever {DB} holds now (seeded once beforehand, e.g. "
        "with fewer orders), never seeding it",
    )
    args = parser.parse_args()
    size = {**SIZES[args.size], "reuse": int(args.reuse)}
    started = time.perf_counter()
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="pv-bench-") as scratch:
        work = Path(scratch)
        for name in args.only or WORKLOADS:
            try:
                rows += BENCHES[name](size, args.size, work)
            except (SystemExit, Exception) as exc:
                # One broken workload must not throw away the figures of the others.
                say(f"{name} failed: {exc}")
                rows.append(Row(name, args.size, "failed", str(exc).splitlines()[0][:80], "-"))
    text = table(rows)
    print(text)
    path = write_results(text, args.size, time.perf_counter() - started)
    say(f"written to {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
