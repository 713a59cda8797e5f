"""Revenue by sales channel and by the campaign that brought the customer, in the
reporting currency: orders the reader may see, grouped in SQL by (key, currency, month)
and converted at each month's rate, so the work grows with the groups, not the orders."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models.functions import Coalesce, NullIf, TruncMonth

from peyvand.catalog.money import RateBook
from peyvand.core.dates import day_of
from peyvand.sales.choices import OrderStatus
from peyvand.sales.models import Lead, Order

DIRECT = "direct"


@dataclass
class RevenueSplit:
    currency: str
    by_channel: dict[str, Decimal] = field(default_factory=dict)
    by_source: dict[str, Decimal] = field(default_factory=dict)
    missing_rates: set[str] = field(default_factory=set)


def _campaign_source() -> Any:
    """The UTM source (else the lead source) of the lead the order's deal came from."""
    lead = Lead.objects.filter(converted_opportunity=models.OuterRef("quote__opportunity"))
    return Coalesce(
        models.Subquery(lead.values(text=NullIf("utm_source", models.Value("")))[:1]),
        models.Subquery(lead.values("source__name")[:1]),
        models.Value(DIRECT),
    )


def revenue_split(
    orders: models.QuerySet[Order],
    *,
    since: dt.date | None = None,
    until: dt.date | None = None,
    department_id: int | None = None,
) -> RevenueSplit:
    """Confirmed and fulfilled revenue of `orders` (already restricted to the reader)."""
    qs = orders.filter(
        deleted_at__isnull=True, status__in=[OrderStatus.CONFIRMED, OrderStatus.FULFILLED]
    )
    if since:
        qs = qs.filter(ordered_at__date__gte=since)
    if until:
        qs = qs.filter(ordered_at__date__lte=until)
    if department_id:
        qs = qs.filter(customer__department_id=department_id)
    result = RevenueSplit(currency=settings.REPORTING_CURRENCY)
    book = RateBook(result.currency)
    by_month = qs.annotate(month=TruncMonth("ordered_at"))
    # The campaign source is two subqueries per order: only the pass that groups by it pays.
    passes = (
        ("channel", by_month, result.by_channel),
        ("source", by_month.annotate(source=_campaign_source()), result.by_source),
    )
    for key, annotated, target in passes:
        grouped = (
            annotated.values(key, "total_currency", "month")
            .annotate(amount=models.Sum("total"))
            .values_list(key, "total_currency", "month", "amount")
            .order_by()
        )
        sums: dict[str, Decimal] = defaultdict(Decimal)
        for name, currency, month, amount in grouped:
            sums[name] += book.convert(Decimal(amount), currency, day_of(month)) or Decimal(0)
        target.update(sorted(sums.items(), key=lambda item: -item[1]))
    result.missing_rates = set(book.missing)
    return result
