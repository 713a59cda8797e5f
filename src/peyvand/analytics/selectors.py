"""The read side of the analytics: purchase occasions from the CRM's orders, aggregated in
SQL and converted to the reporting currency per (currency, day), as numpy arrays."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
from django.db.models import Count, Sum
from django.db.models.functions import TruncDate
from numpy.typing import NDArray

from peyvand.analytics.clv.summary import day_number
from peyvand.catalog.money import RateBook
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
