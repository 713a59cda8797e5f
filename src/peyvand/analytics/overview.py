"""Read side of the management dashboard (the overview): every figure over the customers
a reader may see, optionally one department's, each in a few grouped queries."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import models

from peyvand.analytics.churn.selectors import BAND_EDGES
from peyvand.analytics.costs.selectors import CostSummary, cost_summary, visible_costs
from peyvand.analytics.models import ChurnScore, CustomerValue, RfmScore, Segment
from peyvand.analytics.revenue import RevenueSplit, revenue_split
from peyvand.analytics.selectors import latest_run
from peyvand.customers.models import Customer
from peyvand.sales.models import Order

CLV_BINS = 8


@dataclass
class ManagementFigures:
    customers: int
    segments: list[tuple[str, int]]
    clv_edges: list[Decimal]
    clv_counts: list[int]
    churn_bands: dict[str, int]
    revenue: RevenueSplit
    costs: CostSummary


def _customers(user: Any, department: Any) -> models.QuerySet[Customer]:
    customers = Customer.objects.visible_to(user).alive()
    return customers.filter(department=department) if department is not None else customers


def _segments(customers: models.QuerySet[Customer]) -> list[tuple[str, int]]:
    run = latest_run()
    if run is None:
        return []
    counts = dict(
        RfmScore.objects.filter(run=run, customer__in=customers.values("pk"))
        .values_list("segment")
        .annotate(n=models.Count("pk"))
        .values_list("segment", "n")
    )
    return [(str(segment.label), counts.get(segment.value, 0)) for segment in Segment]


def _clv_histogram(customers: models.QuerySet[Customer]) -> tuple[list[Decimal], list[int]]:
    """Equal-width bins up to the 99th percentile (the last bin takes the few above), so
    one huge account does not squash everyone else into the first bar."""
    values = CustomerValue.objects.filter(customer__in=customers.values("pk"))
    total = values.count()
    if not total:
        return [], []
    ceiling = values.order_by("clv").values_list("clv", flat=True)[
        min(total - 1, total * 99 // 100)
    ]
    width = max(Decimal(ceiling) / CLV_BINS, Decimal("0.01"))
    edges = [width * i for i in range(CLV_BINS)]
    bins = models.Case(
        *(models.When(clv__lt=edges[i + 1], then=models.Value(i)) for i in range(CLV_BINS - 1)),
        default=models.Value(CLV_BINS - 1),
        output_field=models.IntegerField(),
    )
    counts = dict(
        values.annotate(bin=bins)
        .values_list("bin")
        .annotate(n=models.Count("pk"))
        .values_list("bin", "n")
    )
    return edges, [counts.get(i, 0) for i in range(CLV_BINS)]


def _churn_bands(customers: models.QuerySet[Customer]) -> dict[str, int]:
    band = models.Case(
        *(models.When(probability__gte=edge, then=models.Value(name)) for edge, name in BAND_EDGES),
        output_field=models.CharField(),
    )
    counts = dict(
        ChurnScore.objects.filter(customer__in=customers.values("pk"))
        .annotate(band=band)
        .values_list("band")
        .annotate(n=models.Count("pk"))
        .values_list("band", "n")
    )
    return {name: counts.get(name, 0) for _edge, name in reversed(BAND_EDGES)}


def management_figures(
    user: Any, *, department: Any = None, since: dt.date | None = None, until: dt.date | None = None
) -> ManagementFigures:
    customers = _customers(user, department)
    edges, counts = _clv_histogram(customers)
    return ManagementFigures(
        customers=customers.count(),
        segments=_segments(customers),
        clv_edges=edges,
        clv_counts=counts,
        churn_bands=_churn_bands(customers),
        revenue=revenue_split(
            Order.objects.visible_to(user),
            since=since,
            until=until,
            department_id=department.pk if department is not None else None,
        ),
        costs=cost_summary(visible_costs(user, department=department)),
    )
