"""Benchmark: importing a generated customer CSV, against a raw COPY, a COPY of the rows the
import stored (into the same indexed tables) and plain bulk_create.

    python bench/import_customers.py [--rows 1000000] [--repeat 3] [--database-url URL]
                                     [--no-bulk-create]

The database must be a scratch one: every run empties the customer and change-log tables.
Without --database-url (or BENCH_DATABASE_URL) a fresh SQLite file in a temporary directory
is used. Each measured run is its own process, so its peak memory (max RSS, plus that of the
importer's row-parsing child) is its own.
Prints one table row per comparison: workload, size, figure, reference, ratio (medians).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

FIRST_FA = ["علی", "محمد", "زهرا", "فاطمه", "رضا", "مریم", "حسین", "سارا", "مهدی", "نگار"]
LAST_FA = ["رضایی", "احمدی", "کریمی", "حسینی", "محمدی", "موسوی", "جعفری", "کاظمی"]
FIRST_EN = ["John", "Sara", "David", "Emma", "Omid", "Lily", "Arash", "Nina"]
LAST_EN = ["Smith", "Brown", "Karimi", "Taylor", "Wilson", "Moradi", "Clark"]
CITIES = ["تهران", "اصفهان", "شیراز", "Tabriz", "Mashhad", "Karaj"]
TAGS = ["vip", "طلایی", "wholesale", "retail", "newsletter", "قدیمی"]
HEADER = ["name", "email", "mobile", "tags", "language", "external id", "notes", "address"]


def generate(path: Path, rows: int, seed: int = 7) -> None:
    """A realistic file: Persian and English names, unique emails, phones and references."""
    rng = random.Random(seed)
    prefixes = ["0912", "0935", "0919", "0901", "0990", "+98912", "0098935"]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for i in range(rows):
            persian = rng.random() < 0.6
            first = rng.choice(FIRST_FA if persian else FIRST_EN)
            last = rng.choice(LAST_FA if persian else LAST_EN)
            writer.writerow(
                [
                    f"{first} {last}",
                    f"customer{i}@example.com",
                    f"{rng.choice(prefixes)}{i % 10_000_000:07d}",
                    ";".join(rng.sample(TAGS, rng.randint(0, 2))),
                    "fa" if persian else "en",
                    f"B-{i}",
                    "" if rng.random() < 0.7 else f"note {i}",
                    rng.choice(CITIES) if rng.random() < 0.2 else "",
                ]
            )


def _setup_django(database_url: str, data_dir: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ["PEYVAND_DATA_DIR"] = data_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peyvand.config.settings")
    os.environ.setdefault("PEYVAND_LOG_LEVEL", "ERROR")
    import django

    django.setup()


def _wipe() -> None:
    from django.db import connection

    from peyvand.audit.models import ChainHead, ChangeLog
    from peyvand.customers.models import ContactPoint, Customer

    tables = [
        Customer.tags.through._meta.db_table,
        ContactPoint._meta.db_table,
        Customer._meta.db_table,
        ChangeLog._meta.db_table,
        ChainHead._meta.db_table,
    ]
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_raw")
        if connection.vendor == "postgresql":
            cursor.execute("TRUNCATE {} CASCADE".format(", ".join(tables)))
        else:
            for table in tables:
                cursor.execute(f'DELETE FROM "{table}"')
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")


def _bench_user() -> Any:
    from peyvand.access.defaults import ensure_departments_and_roles, ensure_persona

    ensure_departments_and_roles()
    return ensure_persona("manager", "bench-password-not-used")


def _stored_tables() -> list[str]:
    """The tables an import writes rows into, parents first."""
    from peyvand.audit.models import ChangeLog
    from peyvand.customers.models import ContactPoint, Customer

    return [
        Customer._meta.db_table,
        ContactPoint._meta.db_table,
        Customer.tags.through._meta.db_table,
        ChangeLog._meta.db_table,
    ]


def run_import(path: Path) -> float:
    from peyvand.imports.services import import_file

    user = _bench_user()
    started = time.perf_counter()
    job = import_file(path, actor=user)
    elapsed = time.perf_counter() - started
    if job.status != "done" or job.error_count:
        raise SystemExit(f"import failed: {job.failure or job.errors[:3]}")
    _keep_stored_rows(path.parent / "stored")
    return elapsed


def _keep_stored_rows(directory: Path) -> None:
    """Not timed: what the import stored, for the `stored_copy` reference."""
    from django.db import connection

    directory.mkdir(exist_ok=True)
    if connection.vendor == "postgresql":
        for table in _stored_tables():
            with (
                (directory / f"{table}.copy").open("wb") as handle,
                connection.cursor() as cursor,
                cursor.cursor.copy(f'COPY "{table}" TO STDOUT') as copy,
            ):
                for block in copy:
                    handle.write(block)
    else:
        target = directory / "stored.sqlite3"
        target.unlink(missing_ok=True)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM INTO %s", [str(target)])


def run_stored_copy(path: Path) -> float:
    """The floor under the importer: the very rows it stored (customers, contact points,
    tags, change log) written into the same tables, with their indexes, constraints and
    search mirror, by the database's own bulk path (PostgreSQL `COPY` under the importer's
    session settings; SQLite `INSERT … SELECT` from an attached copy), one transaction."""
    from django.db import connection, transaction

    directory = path.parent / "stored"
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
            cursor.execute("SELECT current_setting('is_superuser') = 'on'")
            if cursor.fetchone()[0]:
                cursor.execute("SET LOCAL session_replication_role = replica")
            for table in _stored_tables():
                with (
                    (directory / f"{table}.copy").open("rb") as handle,
                    cursor.cursor.copy(f'COPY "{table}" FROM STDIN') as copy,
                ):
                    while block := handle.read(1 << 20):
                        copy.write(block)
        else:
            cursor.execute("ATTACH DATABASE %s AS stored", [str(directory / "stored.sqlite3")])
            for table in _stored_tables():
                cursor.execute(f'INSERT INTO main."{table}" SELECT * FROM stored."{table}"')
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("DETACH DATABASE stored")
    return time.perf_counter() - started


def run_copy(path: Path) -> float:
    """The reference: the same rows into a plain table, no validation, no indexes."""
    from django.db import connection

    columns = ", ".join(f"c{i} text" for i in range(len(HEADER)))
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE bench_raw ({columns})")
    started = time.perf_counter()
    if connection.vendor == "postgresql":
        sql = "COPY bench_raw FROM STDIN WITH (FORMAT csv, HEADER)"
        with (
            path.open("rb") as handle,
            connection.cursor() as cursor,
            cursor.cursor.copy(sql) as copy,
        ):
            while block := handle.read(1 << 20):
                copy.write(block)
    else:
        marks = ", ".join(["%s"] * len(HEADER))
        with path.open(encoding="utf-8", newline="") as handle, connection.cursor() as cursor:
            reader = csv.reader(handle)
            next(reader)
            cursor.execute("BEGIN")
            cursor.executemany(f"INSERT INTO bench_raw VALUES ({marks})", reader)
            cursor.execute("COMMIT")
    return time.perf_counter() - started


def run_bulk_create(path: Path) -> float:
    """The other reference: Django models from the rows, bulk_create, no validation."""
    from django.db import transaction

    from peyvand.customers.models import ContactPoint, Customer

    user = _bench_user()
    started = time.perf_counter()
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        batch: list[tuple[Customer, list[str]]] = []

        def flush() -> None:
            with transaction.atomic():
                created = Customer.objects.bulk_create([c for c, _r in batch], batch_size=5000)
                ContactPoint.objects.bulk_create(
                    [
                        ContactPoint(customer=c, kind=kind, value=value, normalized=value)
                        for c, (_n, email, phone, *_rest) in zip(
                            created, (r for _c, r in batch), strict=True
                        )
                        for kind, value in (("email", email), ("phone", phone))
                    ],
                    batch_size=5000,
                )
            batch.clear()

        for row in reader:
            batch.append((Customer(display_name=row[0], external_ref=row[5], owner=user), row))
            if len(batch) >= 5000:
                flush()
        if batch:
            flush()
    return time.perf_counter() - started


WORKLOADS = {
    "import": run_import,
    "copy": run_copy,
    "stored_copy": run_stored_copy,
    "bulk_create": run_bulk_create,
}


def _one(args: argparse.Namespace) -> None:
    _setup_django(args.database_url, args.data_dir)
    _wipe()
    seconds = WORKLOADS[args.one](Path(args.file))
    # The importer parses in a forked child; its peak counts too. The sum overstates the
    # real peak (pages the two share after the fork are counted twice): an upper bound.
    peak_mb = (
        sum(
            resource.getrusage(who).ru_maxrss
            for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
        )
        / 1024
    )
    print(json.dumps({"seconds": seconds, "peak_mb": peak_mb}))


def _measure(args: argparse.Namespace, workload: str, path: Path) -> tuple[float, float]:
    """Median seconds and the largest peak memory over the repeats."""
    times, peaks = [], []
    for _ in range(args.repeat):
        result = subprocess.run(
            [
                sys.executable,
                __file__,
                "--one",
                workload,
                "--file",
                str(path),
                "--database-url",
                args.database_url,
                "--data-dir",
                args.data_dir,
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode:
            raise SystemExit(result.stderr or result.stdout)
        figures = json.loads(result.stdout.strip().splitlines()[-1])
        times.append(figures["seconds"])
        peaks.append(figures["peak_mb"])
    return statistics.median(times), max(peaks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", ""))
    parser.add_argument("--data-dir", default="")
    parser.add_argument("--one", choices=sorted(WORKLOADS), help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    parser.add_argument(
        "--no-bulk-create",
        action="store_true",
        help="skip the bulk_create reference (on SQLite it runs at ~1k rows/s: 1M rows ≈ 20 min)",
    )
    args = parser.parse_args()
    if args.one:
        _one(args)
        return
    with tempfile.TemporaryDirectory(prefix="pv-bench-import-") as scratch:
        args.data_dir = args.data_dir or scratch
        args.database_url = args.database_url or f"sqlite:///{scratch}/bench.sqlite3"
        subprocess.run(
            [sys.executable, "-m", "peyvand.cli", "migrate", "-v", "0"],
            env={
                **os.environ,
                "DATABASE_URL": args.database_url,
                "PEYVAND_DATA_DIR": args.data_dir,
            },
            check=True,
        )
        path = Path(scratch) / "customers.csv"
        generate(path, args.rows)
        size = f"{args.rows:,} rows"
        imported, peak = _measure(args, "import", path)
        copied, _ = _measure(args, "copy", path)
        stored, _ = _measure(args, "stored_copy", path)
        bulk = None if args.no_bulk_create else _measure(args, "bulk_create", path)[0]
        rate = args.rows / imported
        print("workload | size | figure | reference | ratio")
        print(
            f"import customers CSV vs raw COPY | {size} | {rate:,.0f} rows/s "
            f"(peak {peak:,.0f} MB) | {args.rows / copied:,.0f} rows/s | {copied / imported:.2f}"
        )
        print(
            f"import customers CSV vs storing its rows by COPY | {size} | {rate:,.0f} rows/s | "
            f"{args.rows / stored:,.0f} rows/s | {stored / imported:.2f}"
        )
        if bulk is not None:
            print(
                f"import customers CSV vs Django bulk_create | {size} | {rate:,.0f} rows/s | "
                f"{args.rows / bulk:,.0f} rows/s | {bulk / imported:.2f}"
            )


if __name__ == "__main__":
    main()
