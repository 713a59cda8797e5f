"""Benchmark: click-stream ingest into PostgreSQL through the product's code.

    python bench/tracking.py [--events 200000] [--batch 500] [--clients 8] [--rounds 3]
                             [--database-url postgres://postgres@127.0.0.1:5432/pv_track_bench]

The database must be a scratch one: it is dropped and recreated. Two figures, each beside
a reference measured in the same run (interleaved rounds, medians):

- service: `ingest_batch` called in-process on validated batches (visitor lookup, the
  30-minute session cut, one COPY of the batch's events, per-batch transaction), plus the
  pydantic validation of the JSON body the endpoint does;
- HTTP: the public collect endpoint served by two daphne processes (as `peyvand serve`
  runs), `--clients` threads posting the same JSON batches over keep-alive connections;
- reference: one raw psycopg COPY of the same events' rows into the same table.

Each batch is one browser's: its own anonymous id, page views, product views and cart adds
over a few minutes. Prints the table rows: workload | size | figure | reference | ratio.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PORT = int(os.environ.get("BENCH_PORT", "8117"))
AGENT = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36"


def _recreate(database_url: str) -> None:
    import psycopg

    base, _sep, name = database_url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def _setup_django(database_url: str, data_dir: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ["PEYVAND_DATA_DIR"] = data_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peyvand.config.settings")
    os.environ.setdefault("PEYVAND_LOG_LEVEL", "ERROR")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def batches(count: int, size: int, seed: int) -> list[bytes]:
    """`count` JSON bodies as the snippet sends them, `size` events each."""
    rng = random.Random(seed)
    start = dt.datetime(2026, 11, 30, 9, tzinfo=dt.UTC)
    out = []
    for _ in range(count):
        at = start + dt.timedelta(seconds=rng.randrange(86_400))
        events: list[dict[str, Any]] = []
        campaign = rng.choice(["", "?utm_source=news&utm_campaign=yalda", "?utm_source=google"])
        for i in range(size):
            at += dt.timedelta(seconds=rng.randrange(2, 90))
            kind = rng.choices(
                ["page_view", "product_view", "add_to_cart", "custom"], [60, 25, 5, 10]
            )[0]
            sku = f"SKU-{rng.randrange(5000)}"
            event: dict[str, Any] = {
                "type": kind,
                "url": f"https://shop.example/p/{rng.randrange(10_000)}{campaign if i == 0 else ''}",
                "occurred_at": at.isoformat(),
            }
            if kind == "page_view":
                event["referrer"] = "https://www.google.com/"
            elif kind == "custom":
                event["name"] = "search"
                event["properties"] = {"q": rng.choice(["چای", "tea", "قهوه", "saffron"])}
            else:
                event["properties"] = {"sku": sku, "price": rng.randrange(10, 500)}
            events.append(event)
        body = {"anonymous_id": uuid.UUID(int=rng.getrandbits(128)).hex, "events": events}
        body["sent_at"] = at.isoformat()
        out.append(json.dumps(body, ensure_ascii=False).encode())
    return out


def _wipe() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE tracking_event, tracking_websession, tracking_visitor, tracking_identitylink"
        )


def measure_service(site: Any, bodies: list[bytes]) -> float:
    from peyvand.tracking.schemas import BatchIn
    from peyvand.tracking.services import ingest_batch

    _wipe()
    started = time.perf_counter()
    events = 0
    for body in bodies:
        events += ingest_batch(site, BatchIn.model_validate_json(body), user_agent=AGENT).accepted
    return events / (time.perf_counter() - started)


def copy_rows(site: Any, bodies: list[bytes]) -> str:
    """The same events as COPY text rows of tracking_event, built before the clock starts."""
    from peyvand.audit.services import copy_text

    now = dt.datetime.now(dt.UTC).isoformat()
    lines = []
    for body in bodies:
        batch = json.loads(body)
        anon = batch["anonymous_id"]
        for e in batch["events"]:
            props = json.dumps(e.get("properties", {}), ensure_ascii=False)
            lines.append(
                f"{site.pk}\t{anon}\t\\N\t\\N\t{e['type']}\t{copy_text(e.get('name', ''))}\t"
                f"{copy_text(e['url'])}\t{copy_text(e.get('referrer', ''))}\t{copy_text(props)}\t"
                f"{e['occurred_at']}\t{now}\tf\n"
            )
    return "".join(lines)


def measure_copy(text: str, events: int) -> float:
    from django.db import connection

    _wipe()
    sql = (
        "COPY tracking_event (site_id, anonymous_id, session_id, customer_id, type, name, url, "
        "referrer, properties, occurred_at, received_at, is_bot) FROM STDIN"
    )
    started = time.perf_counter()
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        copy.write(text.encode())
    return events / (time.perf_counter() - started)


@contextmanager
def servers(database_url: str, data_dir: str, workers: int = 2) -> Iterator[None]:
    """`workers` daphne processes sharing one listening socket, as `peyvand serve` runs."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", PORT))
    sock.listen(1024)
    sock.set_inheritable(True)
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "PEYVAND_DATA_DIR": data_dir,
        "DJANGO_SETTINGS_MODULE": "bench.settings_bench",
        "PEYVAND_SECURE": "0",
        "PEYVAND_LOG_LEVEL": "ERROR",
        # The benchmark's clients all come from one address: no per-client limit here.
        "PEYVAND_TRACKING_RATE": "100000000/60",
        "PYTHONPATH": f"{ROOT / 'src'}:{ROOT}",
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
            env=env,
            cwd=ROOT,
            pass_fds=[sock.fileno()],
        )
        for _ in range(workers)
    ]
    try:
        deadline = time.time() + 60
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=5)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
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


def measure_http(site: Any, bodies: list[bytes], clients: int) -> float:
    _wipe()
    path = f"/api/v1/public/tracking/collect/{site.key}"
    errors: list[str] = []
    accepted = [0] * clients

    def client(n: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
        for body in bodies[n::clients]:
            conn.request(
                "POST",
                path,
                body=body,
                headers={"Content-Type": "text/plain", "User-Agent": AGENT},
            )
            response = conn.getresponse()
            payload = response.read()
            if response.status != 202:
                errors.append(f"{response.status}: {payload[:200]!r}")
                continue
            accepted[n] += json.loads(payload)["accepted"]
        conn.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise SystemExit(f"{len(errors)} batches refused: {errors[:3]}")
    return sum(accepted) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/pv_track_bench"
        ),
    )
    args = parser.parse_args()
    _recreate(args.database_url)
    data_dir = tempfile.mkdtemp(prefix="pv-track-bench-")
    _setup_django(args.database_url, data_dir)
    from peyvand.tracking.models import TrackedSite

    site = TrackedSite.objects.create(name="Bench shop", allowed_origins=["https://shop.example"])
    bodies = batches(args.events // args.batch, args.batch, seed=1)
    total = len(bodies) * args.batch
    text = copy_rows(site, bodies)
    print(f"{total} events in {len(bodies)} batches of {args.batch}", file=sys.stderr)

    service, http_rates, copies_s, copies_h = [], [], [], []
    for round_ in range(args.rounds):
        service.append(measure_service(site, bodies))
        copies_s.append(measure_copy(text, total))
        print(
            f"round {round_ + 1}: service {service[-1]:,.0f}/s, COPY {copies_s[-1]:,.0f}/s",
            file=sys.stderr,
        )
    from django.db import connections

    connections.close_all()
    with servers(args.database_url, data_dir):
        for round_ in range(args.rounds):
            http_rates.append(measure_http(site, bodies, args.clients))
            copies_h.append(measure_copy(text, total))
            print(
                f"round {round_ + 1}: HTTP {http_rates[-1]:,.0f}/s, COPY {copies_h[-1]:,.0f}/s",
                file=sys.stderr,
            )
    _wipe()
    connections.close_all()

    rows = [
        ("click-stream ingest, service (validate + ingest_batch)", service, copies_s),
        (
            f"click-stream ingest, HTTP collect ({args.clients} clients, 2 servers)",
            http_rates,
            copies_h,
        ),
    ]
    print(
        "| workload | size | figure (median events/s) | reference: raw COPY (median events/s) | ratio |"
    )
    print("|---|---|---|---|---|")
    for name, figures, refs in rows:
        figure, ref = statistics.median(figures), statistics.median(refs)
        print(
            f"| {name} | {total:,} events, batches of {args.batch} | {figure:,.0f} | {ref:,.0f} | {figure / ref:.2f} |"
        )


if __name__ == "__main__":
    main()
