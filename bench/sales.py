"""Sales benchmark: the Kanban board and the sales dashboard (weighted pipeline, forecast,
analytics) with 100k open opportunities plus closed history, each beside a bare view that
lists 50 opportunities by primary key, measured interleaved in the same process.

    python bench/sales.py [--open 100000] [--closed 20000] [--requests 200]

Also registered in bench/run.py as the `sales` workload. PostgreSQL at BENCH_PG; the
scratch database `$BENCH_DB_sales` (default pv_bench_sales) is dropped and recreated.
Prints the table (and, alone, writes nothing else). The pages cache their aggregates
(`peyvand.sales.report_cache`) in Django's cache: Redis when REDIS_URL is set, as in
production, else local memory; the "computed" rows empty it before every request, so they
are what the first reader after a change waits for.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.run import DB, Row, env_for, human, pct, recreate, run, say, table, url  # noqa: E402

SALES_DB = f"{DB}_sales"
OWNERS = 4
CUSTOMERS = 500
SIZES = {"small": {"open": 100_000, "closed": 20_000, "requests": 200}}
SIZES["full"] = {"open": 100_000, "closed": 100_000, "requests": 400}


def _generate(args: argparse.Namespace) -> dict[str, Any]:
    """In the child process: personas, customers, closed history, open deals, the model."""
    import datetime as dt

    from django.utils import timezone

    from peyvand.access.defaults import PERSONAS, ensure_departments_and_roles, ensure_persona
    from peyvand.access.models import Department, User
    from peyvand.catalog.services import ensure_currencies
    from peyvand.customers.models import Customer
    from peyvand.sales.forecast import refresh_forecast_model
    from peyvand.sales.forecast_data import generate_history, generate_open_deals
    from peyvand.sales.opportunities import ensure_default_pipeline

    ensure_departments_and_roles()
    for username in PERSONAS:
        ensure_persona(username, "bench-password-not-for-use")
    ensure_currencies()
    sales = Department.objects.get(code="sales")
    owners = [User.objects.get(username=name) for name in ("sales1", "sales2")]
    owners += [
        User.objects.get_or_create(username=f"rep{i}", defaults={"first_name": f"Rep {i}"})[0]
        for i in range(OWNERS - len(owners))
    ]
    customers = Customer.objects.bulk_create(
        Customer(
            display_name=f"Bench customer {i}", owner=owners[i % len(owners)], department=sales
        )
        for i in range(CUSTOMERS)
    )
    pipeline = ensure_default_pipeline()
    now = timezone.now()
    started = time.perf_counter()
    generate_history(
        pipeline=pipeline, customers=customers, owners=owners, deals=args.closed,
        advance=[0.7, 0.6, 0.8, 0.9], until=now - dt.timedelta(days=1),
    )  # fmt: skip
    from peyvand.sales.models import Opportunity

    Opportunity.objects.filter(status="open").delete()  # the walk's leftovers: counted below
    generate_open_deals(
        pipeline=pipeline, customers=customers, owners=owners, deals=args.open, now=now
    )
    from django.db import connection

    with connection.cursor() as cursor:
        # Fresh bulk-loaded tables have no statistics: without them PostgreSQL plans the
        # board's aggregates as if the tables were empty (seconds instead of milliseconds).
        cursor.execute("ANALYZE")
    generated = time.perf_counter() - started
    started = time.perf_counter()
    refresh_forecast_model(pipeline)
    learned = time.perf_counter() - started
    return {"generated": generated, "learned": learned}


def _measure(args: argparse.Namespace) -> dict[str, Any]:
    """In the child process: p95 of each page over the test client, interleaved rounds."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from peyvand.access.models import User
    from peyvand.sales.models import Opportunity
    from peyvand.sales.opportunities import ensure_default_pipeline, open_stages
    from peyvand.sales.report_cache import invalidate

    client = Client()
    client.force_login(User.objects.get(username="manager"))
    pipeline = ensure_default_pipeline()
    column = f"/sales/pipeline/{pipeline.pk}/stages/{open_stages(pipeline)[0].pk}/cards/?offset=25"
    # name: (path, HTMX request, figures computed afresh: the cache emptied before each)
    pages = {
        "board": ("/sales/pipeline/", False, False),
        "board_cold": ("/sales/pipeline/", False, True),
        "column": (column, True, False),
        "dashboard": ("/sales/dashboard/", False, False),
        "dashboard_cold": ("/sales/dashboard/", False, True),
        "bare": ("/bench/opportunities", False, False),
    }

    def get(path: str, htmx: bool) -> Any:
        return client.get(path, HTTP_HX_REQUEST="true") if htmx else client.get(path)

    for path, htmx, _cold in pages.values():
        for _ in range(5):
            assert get(path, htmx).status_code == 200, path
    seconds: dict[str, list[float]] = {name: [] for name in pages}
    rounds = 4
    for _ in range(rounds):
        for name, (path, htmx, cold) in pages.items():
            if not cold:
                get(path, htmx)  # the cold pages before emptied the cache: refill it untimed
            for _ in range(args.requests // rounds):
                if cold:
                    invalidate()
                started = time.perf_counter()
                get(path, htmx)
                seconds[name].append(time.perf_counter() - started)
    queries = {}
    for name, (path, htmx, cold) in pages.items():
        if cold:
            invalidate()
        else:
            get(path, htmx)
        with CaptureQueriesContext(connection) as captured:
            get(path, htmx)
        queries[name] = len(captured.captured_queries)
    return {
        "seconds": seconds,
        "queries": queries,
        "open": Opportunity.objects.filter(status="open").count(),
        "closed": Opportunity.objects.exclude(status="open").count(),
    }


def bench_sales(size: dict[str, int], label: str, work: Path) -> list[Row]:
    """bench/run.py's entry: generate, then measure, each in a child process."""
    recreate(SALES_DB)
    env = env_for(url(SALES_DB), str(work), DJANGO_SETTINGS_MODULE="bench.settings_bench",
                  PEYVAND_SECURE="0")  # fmt: skip
    run([sys.executable, "-m", "peyvand.cli", "migrate", "-v", "0"], env)
    # The pages are served as in production: hashed static files need their manifest.
    run(
        [sys.executable, "-m", "peyvand.cli", "manage", "collectstatic", "--noinput", "-v", "0"],
        env,
    )
    common = ["--open", str(size["open"]), "--closed", str(size["closed"]),
              "--requests", str(size["requests"])]  # fmt: skip
    say(f"generating {human(size['open'])} open + {human(size['closed'])} closed opportunities")
    made = json.loads(
        run([sys.executable, str(Path(__file__)), "generate", *common], env).splitlines()[-1]
    )
    say(
        f"generated in {made['generated']:.0f} s, forecast learned in {made['learned']:.1f} s; measuring"
    )
    got = json.loads(
        run([sys.executable, str(Path(__file__)), "measure", *common], env).splitlines()[-1]
    )
    data = f"{label}, {human(got['open'])} open + {human(got['closed'])} closed opportunities"
    bare = got["seconds"]["bare"]
    ref = f"bare 50-by-pk view p95 {pct(bare, 95) * 1000:.1f} ms ({got['queries']['bare']} queries)"
    rows = []
    for name, title in (
        ("board", "Kanban board GET /sales/pipeline/ (4 x 25 cards), cached figures"),
        ("board_cold", "Kanban board, figures computed (cache emptied before each request)"),
        ("column", 'board column "show more" (HTMX, next 25 cards)'),
        ("dashboard", "sales dashboard GET /sales/dashboard/ (pipeline report), cached"),
        ("dashboard_cold", "sales dashboard, figures computed (cache emptied before each)"),
    ):
        times = got["seconds"][name]
        rows.append(
            Row(
                f"{title}, PostgreSQL, {got['queries'][name]} queries",
                data,
                f"p95 {pct(times, 95) * 1000:.1f} ms (p50 {pct(times, 50) * 1000:.1f})",
                ref,
                f"{pct(times, 95) / pct(bare, 95):.2f}",
            )
        )
    rows.append(
        Row("forecast model: learn rates + 12-cut-off back-test (background job)", data,
            f"{made['learned']:.1f} s", f"generating the rows {made['generated']:.0f} s",
            f"{made['learned'] / made['generated']:.2f}")
    )  # fmt: skip
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("verb", nargs="?", choices=["generate", "measure"])
    parser.add_argument("--size", choices=sorted(SIZES), default="small")
    parser.add_argument("--open", type=int)
    parser.add_argument("--closed", type=int)
    parser.add_argument("--requests", type=int)
    args = parser.parse_args()
    size = {k: getattr(args, k) or v for k, v in SIZES[args.size].items()}
    if args.verb:
        for key, value in size.items():
            setattr(args, key, value)
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings_bench")
        import django

        django.setup()
        result = _generate(args) if args.verb == "generate" else _measure(args)
        print(json.dumps(result))
        return
    import tempfile

    with tempfile.TemporaryDirectory(prefix="pv-bench-sales-") as scratch:
        print(table(bench_sales(size, args.size, Path(scratch))))


if __name__ == "__main__":
    main()
