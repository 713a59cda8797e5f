"""Benchmark: customer service at scale — the SLA breach scan over 1M tickets and the
ticket queue page.

    python bench/service.py --database-url postgres://…/pv_bench_service [--tickets 1000000]
        [--reuse]

The database must be a scratch one: it is migrated and its tickets are replaced. Tickets
are generated in SQL (generate_series): 70% open (new, open or waiting on the customer),
spread over the four department queues, with resolution due times from a week ago to a
month ahead, so about 2% are newly past due at each scan.

Figures, each beside a reference measured in the same run:
- `scan_breaches()` (flag, warn and escalate every running ticket past or near a target),
  median of 3 rounds, the flags reset between rounds; reference: a plain
  `SELECT count(*)` of the open tickets (the work of looking at every open ticket once);
- the queue page GET /service/tickets/?queue=<service> as a service agent (whole Django
  stack through the test client), p95; reference: GET /api/v1/me on the same stack.
Prints the table rows: workload | size | figure | reference | ratio.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))


def _setup(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ["PEYVAND_DATA_DIR"] = tempfile.mkdtemp(prefix="pv-service-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peyvand.config.settings")
    os.environ.setdefault("PEYVAND_LOG_LEVEL", "ERROR")
    os.environ.setdefault("PEYVAND_TASK_BACKEND", "django_tasks.backends.dummy.DummyBackend")
    # The pages are rendered without `collectstatic`: static URLs come from the app folders.
    os.environ.setdefault("PEYVAND_DEBUG", "true")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _generate(tickets: int) -> None:
    from django.db import connection

    from peyvand.access.models import Department
    from peyvand.customers.models import Customer
    from peyvand.service.models import BusinessCalendar, SlaPolicy

    calendar, _ = BusinessCalendar.objects.get_or_create(name="Bench office")
    policy, _ = SlaPolicy.objects.get_or_create(
        name="Bench",
        defaults={"first_response_minutes": 60, "resolution_minutes": 480, "calendar": calendar},
    )
    if Customer.objects.count() < 1000:
        Customer.objects.bulk_create(
            [Customer(display_name=f"Bench customer {i}") for i in range(1000)]
        )
    low, high = Customer.objects.order_by("pk").values_list("pk", flat=True)[:1000][::999]
    queues = list(Department.objects.order_by("pk").values_list("pk", flat=True))
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE service_ticket CASCADE")
        cursor.execute(
            f"""
            INSERT INTO service_ticket (created_at, updated_at, customer_id, subject,
                description, channel, queue_id, category, priority, status, sla_policy_id,
                first_response_due, resolution_due, first_responded_at,
                response_breached, resolution_breached)
            SELECT now(), now(), {low} + (g %% ({high - low + 1})), 'Ticket ' || g, '',
                'email', (ARRAY{queues})[1 + g %% {len(queues)}], '', 1 + g %% 4,
                (ARRAY['new','open','pending','solved','closed','open','new','open','closed',
                       'solved'])[1 + g %% 10],
                {policy.pk},
                now() - interval '7 days' + (g %% 37) * interval '1 day' / 1.0,
                now() - interval '7 days' + ((g::bigint * 7919) %% 3700000) * interval '1 second',
                CASE WHEN g %% 3 = 0 THEN now() ELSE NULL END,
                (g::bigint * 7919) %% 3700000 < 540000, (g::bigint * 7919) %% 3700000 < 540000
            FROM generate_series(1, %s) g""",
            [tickets],
        )
        cursor.execute("ANALYZE service_ticket")


def _reset_recent(window_hours: int = 24) -> None:
    """Un-flag the tickets that fell due in the last day, as if the scan had not yet run."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """UPDATE service_ticket SET resolution_breached = false, response_breached = false,
               warned_at = NULL
               WHERE resolution_due BETWEEN now() - %s * interval '1 hour' AND now()""",
            [window_hours],
        )
        cursor.execute("DELETE FROM desk_task WHERE kind = 'approval'")


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep the tickets of an earlier run when there are exactly --tickets of them",
    )
    args = parser.parse_args()
    if not args.database_url or not args.database_url.startswith("postgres"):
        sys.exit("bench/service.py needs --database-url postgres://… (a scratch database)")
    _setup(args.database_url)
    from django.db import connection
    from django.test import Client

    from peyvand.access.defaults import ensure_departments_and_roles, ensure_persona
    from peyvand.access.models import Department
    from peyvand.service.models import Ticket
    from peyvand.service.tickets.services import scan_breaches

    ensure_departments_and_roles()
    ensure_persona("manager", "bench-password-123")
    agent = ensure_persona("service1", "bench-password-123")
    if not (args.reuse and Ticket.objects.count() == args.tickets):
        started = time.perf_counter()
        _generate(args.tickets)
        print(
            f"generated {args.tickets:,} tickets in {time.perf_counter() - started:.1f} s",
            file=sys.stderr,
        )
    scans, refs, found = [], [], []
    for _round in range(3):
        _reset_recent()
        start = time.perf_counter()
        found.append(scan_breaches())
        scans.append(time.perf_counter() - start)
        start = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM service_ticket WHERE status IN ('new','open','pending')"
            )
            cursor.fetchone()
        refs.append(time.perf_counter() - start)
    print(f"scan results: {found}", file=sys.stderr)
    size = f"{args.tickets:,} tickets ({connection.vendor})"
    scan, ref = statistics.median(scans), statistics.median(refs)
    print(
        f"| SLA breach scan (flag + warn + escalate) | {size}, ~{found[-1]['resolution']:,} "
        f"resolution and ~{found[-1]['response']:,} response breaches per scan | median "
        f"{scan:.2f} s | count(*) of open tickets {ref:.2f} s | {scan / ref:.1f} |",
        flush=True,
    )
    client = Client()
    client.force_login(agent, backend="django.contrib.auth.backends.ModelBackend")
    queue = Department.objects.get(code="service").pk
    page_times, me_times = [], []
    for i in range(args.requests):
        start = time.perf_counter()
        response = client.get("/service/tickets/", {"queue": queue, "page": 1 + i % 5})
        page_times.append(time.perf_counter() - start)
        assert response.status_code == 200, response.status_code
        start = time.perf_counter()
        client.get("/api/v1/me")
        me_times.append(time.perf_counter() - start)
    page, me = _p95(page_times) * 1000, _p95(me_times) * 1000
    print(
        f"| ticket queue page GET /service/tickets/?queue=service | {size} | p95 {page:.1f} ms "
        f"(median {statistics.median(page_times) * 1000:.1f}) | GET /api/v1/me p95 {me:.1f} ms "
        f"| {page / me:.1f} |"
    )


if __name__ == "__main__":
    main()
