"""Benchmark: a segment of five mixed conditions (profile, RFM, orders, click-stream) over
the seeded customers — the live count and the full materialisation.

    python bench/segments.py --database-url postgres://…/pv_segments

The database must be a scratch one that `peyvand seed` filled (customers, orders,
interactions); it is migrated, and this script adds what the seed does not write, in SQL:
one RFM run scoring every customer (segments spread over the eleven RFM segments) and a
click-stream of product views and cart adds for a third of the customers over the last
60 days. Those are only added when missing, so a second run reuses them.

Figures, each beside a reference measured in the same run:
- count: `count_matching(rules)` as the manager (the builder's live count), median of 5; reference: a
  plain `SELECT count(*)` of the alive customers (one look at every customer);
- full materialisation from empty: `rebuild_segment()` after the segment's memberships
  are deleted (every member is inserted), median of 3; reference: the same count query
  plus `INSERT … SELECT` of every alive customer's id into a temporary table;
- rebuild with nothing changed (the steady state: the difference only), median of 3.
Prints the table rows: workload | size | figure | reference | ratio.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

RULES: dict[str, Any] = {
    "match": "all",
    "children": [
        {"field": "profile.preferred_language", "operator": "eq", "value": "fa"},
        {"field": "profile.kind", "operator": "eq", "value": "person"},
        {
            "field": "rfm.segment",
            "operator": "in",
            "value": ["champions", "loyal", "potential_loyalist", "need_attention", "at_risk"],
        },
        {"field": "orders.count", "operator": "gte", "value": 2, "days": 730},
        {
            "match": "any",
            "children": [
                {
                    "field": "events.count",
                    "operator": "gte",
                    "value": 1,
                    "event_type": "product_view",
                    "days": 30,
                },
                {
                    "field": "orders.total",
                    "operator": "gte",
                    "value": "50000000",
                    "currency": "IRR",
                    "days": 365,
                },
            ],
        },
    ],
}


def _setup(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ["PEYVAND_DATA_DIR"] = tempfile.mkdtemp(prefix="pv-segments-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peyvand.config.settings")
    os.environ.setdefault("PEYVAND_LOG_LEVEL", "ERROR")
    os.environ.setdefault("PEYVAND_TASK_BACKEND", "django_tasks.backends.dummy.DummyBackend")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _generate() -> None:
    """RFM scores and click-stream, in SQL, when the seed left them out."""
    from django.db import connection

    from peyvand.analytics.models import RfmRun, RfmScore
    from peyvand.tracking.models import Event, TrackedSite

    segments = [
        "champions",
        "loyal",
        "potential_loyalist",
        "new",
        "promising",
        "need_attention",
        "about_to_sleep",
        "at_risk",
        "cant_lose",
        "hibernating",
        "lost",
    ]
    with connection.cursor() as cursor:
        if not RfmScore.objects.exists():
            run = RfmRun.objects.create(as_of="2026-01-01", currency="IRR")
            cursor.execute(
                f"""
                INSERT INTO analytics_rfmscore (run_id, customer_id, recency_days, frequency,
                    monetary, r, f, m, segment)
                SELECT {run.pk}, id, id %% 700, 1 + id %% 9, (id %% 1000) * 10000,
                    1 + id %% 5, 1 + (id / 5) %% 5, 1 + (id / 25) %% 5,
                    (ARRAY{segments})[1 + (id * 7) %% {len(segments)}]
                FROM customers_customer
                """,
                [],
            )
        if not Event.objects.exists():
            site = TrackedSite.objects.create(name="Bench shop")
            cursor.execute(
                f"""
                INSERT INTO tracking_event (site_id, anonymous_id, customer_id, type, name, url,
                    referrer, properties, occurred_at, received_at, is_bot)
                SELECT {site.pk}, 'a' || c.id, c.id,
                    (ARRAY['product_view','add_to_cart','page_view'])[1 + k %% 3], '', '', '',
                    '{{}}', now() - ((c.id * 13 + k * 7) %% 60) * interval '1 day', now(), false
                FROM customers_customer c CROSS JOIN generate_series(1, 4) k
                WHERE c.id %% 3 = 0
                """,
                [],
            )
        cursor.execute("ANALYZE")


def _median(
    fn: Callable[[], Any], rounds: int, before: Callable[[], Any] | None = None
) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(rounds):
        if before is not None:
            before()
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    args = parser.parse_args()
    _setup(args.database_url)
    _generate()

    from django.db import connection

    from peyvand.access.defaults import ensure_departments_and_roles, ensure_persona
    from peyvand.customers.models import Customer
    from peyvand.marketing.models import Segment, SegmentMember
    from peyvand.marketing.rules import sources_of, validate_rules
    from peyvand.marketing.services import count_matching, rebuild_segment

    ensure_departments_and_roles()
    manager = ensure_persona("manager", "bench-only-password")
    tree = validate_rules(RULES)
    customers = Customer.objects.alive().count()
    segment, _ = Segment.objects.update_or_create(
        name="Bench: five mixed conditions", defaults={"rules": tree, "sources": sources_of(tree)}
    )

    count_s, matched = _median(lambda: count_matching(tree, user=manager), 5)

    def reference_count() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM customers_customer WHERE deleted_at IS NULL")
            return int(cursor.fetchone()[0])

    ref_count_s, _ = _median(reference_count, 5)

    def empty() -> None:
        SegmentMember.objects.filter(segment=segment).delete()

    build_s, built = _median(lambda: rebuild_segment(segment.pk), 3, before=empty)

    def reference_insert() -> None:
        with connection.cursor() as cursor:
            cursor.execute("CREATE TEMP TABLE IF NOT EXISTS bench_ids (id bigint)")
            cursor.execute("TRUNCATE bench_ids")
            cursor.execute("SELECT count(*) FROM customers_customer WHERE deleted_at IS NULL")
            cursor.execute(
                "INSERT INTO bench_ids SELECT id FROM customers_customer WHERE deleted_at IS NULL"
            )

    ref_build_s, _ = _median(reference_insert, 3)
    steady_s, steady = _median(lambda: rebuild_segment(segment.pk), 3)
    assert built.members == matched, (built, matched)
    assert steady.entered == 0 and steady.left == 0

    size = f"{customers:,} customers, {matched:,} members"
    rows = [
        ("segment count (5 conditions)", size, count_s, "SELECT count(*) customers", ref_count_s),
        (
            "full materialisation from empty",
            size,
            build_s,
            "count + INSERT…SELECT all ids",
            ref_build_s,
        ),
        ("rebuild, nothing changed", size, steady_s, "SELECT count(*) customers", ref_count_s),
    ]
    print("| workload | size | figure | reference | ratio |")
    print("|---|---|---|---|---|")
    for workload, rows_size, figure, ref_name, ref in rows:
        print(
            f"| {workload} | {rows_size} | {figure:.3f} s | {ref_name}: {ref:.3f} s | {figure / ref:.1f} |"
        )


if __name__ == "__main__":
    main()
