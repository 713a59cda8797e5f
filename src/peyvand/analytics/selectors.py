"""The read side of the analytics: purchase occasions from the CRM's orders, aggregated in
SQL and converted to the reporting currency per (currency, day), as numpy arrays."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
from django.db.models import Avg, Count, Sum
from django.db.models.functions import TruncDate
from django.utils.translation import gettext as _
from numpy.typing import NDArray

from peyvand.analytics.clv.summary import day_number
from peyvand.analytics.models import ClvFit, CustomerValue, RfmRun, RfmScore, Segment
from peyvand.catalog.money import RateBook
from peyvand.customers.models import Customer
from peyvand.sales.access import live_orders
from peyvand.sales.choices import OrderStatus

# Drafts are not purchases yet and cancelled orders never were.
PURCHASE_STATUSES = (OrderStatus.CONFIRMED, OrderStatus.FULFILLED)


@dataclass(frozen=True)
class Occasions:
    """One row per customer and day with orders: customer id, day number, orders, amount in
    `currency`. Rows whose currency has no rate to `currency` are left out (`missing`)."""

    customer: NDArray[np.int64]
    day: NDArray[np.int64]
    orders: NDArray[np.int64]
    amount: NDArray[np.float64]
    currency: str
    missing: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.day)


def purchase_occasions(currency: str, *, until: dt.date | None = None) -> Occasions:
    orders = live_orders().filter(status__in=PURCHASE_STATUSES)
    rows = list(
        orders.annotate(day=TruncDate("ordered_at"))
        .values_list("customer_id", "day", "total_currency")
        .annotate(n=Count("id"), amount=Sum("total"))
        .order_by()
    )
    if until is not None:
        rows = [row for row in rows if row[1] <= until]
    book = RateBook(currency)
    rates: dict[tuple[str, dt.date], float | None] = {}
    for _customer, day, source, _n, _amount in rows:
        if (source, day) not in rates:
            value = book.rate(source, day)
            rates[(source, day)] = None if value is None else float(value)
            if value is None:
                book.missing.add(source)
    kept = [row for row in rows if rates[(row[2], row[1])] is not None]
    # Orders of one customer on one day in two currencies are two rows here; summarise()
    # adds them into one occasion.
    return Occasions(
        customer=np.array([row[0] for row in kept], dtype=np.int64),
        day=np.array([day_number(row[1]) for row in kept], dtype=np.int64),
        orders=np.array([row[3] for row in kept], dtype=np.int64),
        amount=np.array(
            [float(row[4]) * (rates[(row[2], row[1])] or 0.0) for row in kept], dtype=np.float64
        ),
        currency=currency,
        missing=sorted(book.missing),
    )


def latest_run() -> RfmRun | None:
    return RfmRun.objects.order_by("-computed_at", "-pk").first()


def latest_fit() -> ClvFit | None:
    return ClvFit.objects.order_by("-fitted_at", "-pk").first()


def customer_value(customer: Customer) -> dict[str, Any]:
    """The customer's RFM scores in the latest run and latest CLV scores (None when not
    scored yet); the caller has already checked the customer is visible."""
    run = latest_run()
    rfm = RfmScore.objects.filter(run=run, customer=customer).first() if run is not None else None
    value = CustomerValue.objects.select_related("fit").filter(customer=customer).first()
    return {"customer": customer, "run": run, "rfm": rfm, "value": value}


def segment_summary(user: Any) -> list[dict[str, Any]]:
    """Customers per segment in the latest run, with their total and mean CLV; only the
    customers `user` may see, in the grid's order."""
    run = latest_run()
    if run is None:
        return []
    visible = Customer.objects.visible_to(user).alive().values("pk")
    rows = (
        RfmScore.objects.filter(run=run, customer__in=visible)
        .values("segment")
        .annotate(
            customers=Count("pk"),
            clv_total=Sum("customer__lifetime_value__clv"),
            clv_mean=Avg("customer__lifetime_value__clv"),
        )
        .order_by()
    )
    by_segment: dict[str, dict[str, Any]] = {row["segment"]: dict(row) for row in rows}
    none: dict[str, Any] = {}
    return [
        {
            "segment": segment.value,
            "label": str(segment.label),
            "customers": by_segment.get(segment.value, none).get("customers", 0),
            "clv_total": by_segment.get(segment.value, none).get("clv_total") or Decimal(0),
            "clv_mean": by_segment.get(segment.value, none).get("clv_mean") or Decimal(0),
        }
        for segment in Segment
    ]


def segment_history(user: Any, runs: int = 12) -> dict[str, Any]:
    """Segment sizes in the last `runs` snapshots, oldest first (visible customers only)."""
    recent = list(RfmRun.objects.order_by("-computed_at", "-pk")[:runs])[::-1]
    visible = Customer.objects.visible_to(user).alive().values("pk")
    counts = (
        RfmScore.objects.filter(run__in=recent, customer__in=visible)
        .values_list("run_id", "segment")
        .annotate(n=Count("pk"))
        .order_by()
    )
    sizes = {(run_id, segment): n for run_id, segment, n in counts}
    return {
        "runs": recent,
        "series": {
            segment.value: [sizes.get((run.pk, segment.value), 0) for run in recent]
            for segment in Segment
        },
    }


def segment_movement(user: Any) -> dict[str, Any]:
    """How many (visible) customers went from each segment in the previous run to each in
    the latest: {"from": run, "to": run, "moves": [(from label, to label, n), ...]}."""
    runs = list(RfmRun.objects.order_by("-computed_at", "-pk")[:2])
    if len(runs) < 2:
        return {"from": None, "to": runs[0] if runs else None, "moves": []}
    latest, previous = runs
    visible = Customer.objects.visible_to(user).alive().values("pk")
    before = dict(
        RfmScore.objects.filter(run=previous, customer__in=visible).values_list(
            "customer_id", "segment"
        )
    )
    after = RfmScore.objects.filter(run=latest, customer__in=visible).values_list(
        "customer_id", "segment"
    )
    moves: dict[tuple[str, str], int] = {}
    for customer_id, segment in after:
        key = (before.get(customer_id, ""), segment)
        moves[key] = moves.get(key, 0) + 1
    labels = dict(Segment.choices)
    return {
        "from": previous,
        "to": latest,
        "moves": sorted(
            (
                (str(labels.get(src, _("(new)"))), str(labels[dst]), n)
                for (src, dst), n in moves.items()
                if src != dst
            ),
            key=lambda move: -move[2],
        ),
        "stayed": sum(n for (src, dst), n in moves.items() if src == dst),
    }
