"""RFM: quintile scores, the segment grid, snapshots from the CRM's orders."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import numpy as np
import pytest
from django.db.models import Count

from peyvand.analytics.models import RfmRun, RfmScore, Segment
from peyvand.analytics.rfm.scoring import GRID, quintiles, score
from peyvand.analytics.rfm.services import KEEP_RUNS, compute_rfm
from peyvand.sales.choices import OrderStatus
from peyvand.sales.models import Order


def test_quintiles_are_equal_fifths_and_ties_share_a_score() -> None:
    assert list(quintiles(np.arange(10))) == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    tied = quintiles([1, 1, 1, 1, 1, 1, 2, 3, 4, 5])
    assert len(set(tied[:6])) == 1
    assert list(quintiles([])) == []


def test_grid_names_every_cell_once_and_only_known_segments() -> None:
    cells = [(r, f) for _name, rs, fs in GRID for r in rs for f in fs]
    assert sorted(cells) == [(r, f) for r in range(1, 6) for f in range(1, 6)]
    assert {name for name, _rs, _fs in GRID} <= set(Segment.values)


def test_recent_frequent_customer_is_a_champion_and_long_gone_one_is_lost() -> None:
    recency = [1, 2, 3, 200, 300, 350, 10, 20, 30, 400]
    frequency = [9, 8, 7, 3, 4, 5, 6, 2, 2, 1]
    r, f, m, segment = score(recency, frequency, [100] * 10)
    assert r[0] == 5 and f[0] == 5 and segment[0] == "champions"
    assert r[9] == 1 and segment[9] == "lost"
    assert set(m) == {3}


def test_compute_rfm_from_orders(shop: dict[str, Any]) -> None:
    run = compute_rfm(as_of=shop["end"])
    scores = {s.customer_id: s for s in RfmScore.objects.filter(run=run)}
    assert run.customers == len(scores) == 60
    assert run.currency == "IRR" and run.missing_rates == []
    for customer in shop["customers"][:12]:
        orders = Order.objects.filter(
            customer=customer, status__in=[OrderStatus.CONFIRMED, OrderStatus.FULFILLED]
        )
        orders = orders.filter(ordered_at__date__lte=shop["end"])
        row = scores[customer.pk]
        assert row.frequency == orders.count()
        last = max(o.ordered_at for o in orders).date()
        assert row.recency_days == (shop["end"] - last).days
        # USD orders count at the recorded rate (600,000 IRR per USD).
        expected = sum(
            o.total.amount * (600_000 if str(o.total.currency) == "USD" else 1) for o in orders
        )
        assert row.monetary == Decimal(expected).quantize(Decimal("0.01"))
    # Every quintile is used and the segments are the grid's.
    assert {s.r for s in scores.values()} == {1, 2, 3, 4, 5}
    assert {s.segment for s in scores.values()} <= set(Segment.values)


def test_cancelled_and_later_orders_do_not_count(shop: dict[str, Any]) -> None:
    run = compute_rfm(as_of=shop["end"])
    first = RfmScore.objects.get(run=run, customer=shop["customers"][0])
    assert (
        first.frequency
        == Order.objects.filter(
            customer=shop["customers"][0],
            status=OrderStatus.CONFIRMED,
            ordered_at__date__lte=shop["end"],
        ).count()
    )
    earlier = compute_rfm(as_of=dt.date(2025, 3, 1))
    assert earlier.customers < run.customers


def test_orders_without_a_rate_are_left_out_and_reported(shop: dict[str, Any]) -> None:
    run = compute_rfm(as_of=shop["end"], currency="EUR")
    assert run.missing_rates == ["IRR", "USD"]
    assert run.customers == 0


@pytest.mark.parametrize("extra", [2])
def test_runs_are_snapshots_and_old_ones_are_pruned(shop: dict[str, Any], extra: int) -> None:
    for _ in range(KEEP_RUNS + extra):
        compute_rfm(as_of=shop["end"])
    assert RfmRun.objects.count() == KEEP_RUNS
    per_run = RfmScore.objects.values("run").annotate(n=Count("pk"))
    assert {row["n"] for row in per_run} == {60}
