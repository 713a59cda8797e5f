"""Read side of cost to serve: the report rows a user may see and the totals behind the chart."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import models

from peyvand.access.models import Department
from peyvand.analytics.models import CustomerCost, DepartmentRate
from peyvand.customers.models import Customer

KINDS = ("service", "marketing", "discounts", "retention")
ORDERINGS = {"total": "-total", "service": "-service", "minutes": "-agent_minutes"}


@dataclass
class DepartmentCosts:
    name: str
    name_fa: str
    costs: dict[str, Decimal]


@dataclass
class CostSummary:
    by_department: list[DepartmentCosts]
    totals: dict[str, Decimal]
    customers: int
    computed_at: Any


def visible_costs(
    user: Any, *, department: Department | None = None, order: str = "total"
) -> models.QuerySet[CustomerCost]:
    customers = Customer.objects.visible_to(user)
    if department is not None:
        customers = customers.filter(department=department)
    return (
        CustomerCost.objects.filter(customer__in=customers.values("pk"))
        .select_related("customer")
        .order_by(ORDERINGS.get(order, "-total"), "customer_id")
    )


def cost_summary(costs: models.QuerySet[CustomerCost]) -> CostSummary:
    """Totals per kind over `costs`, overall and per owning department (one query each)."""
    sums = {kind: models.Sum(kind) for kind in KINDS}
    grouped: Any = (
        costs.order_by()
        .values("customer__department__name", "customer__department__name_fa")
        .annotate(**sums)
    )
    by_department = [
        DepartmentCosts(
            name=row["customer__department__name"] or "",
            name_fa=row["customer__department__name_fa"] or "",
            costs={kind: row[kind] or Decimal(0) for kind in KINDS},
        )
        for row in grouped
    ]
    overall = costs.order_by().aggregate(
        **sums, customers=models.Count("pk"), computed_at=models.Max("computed_at")
    )
    return CostSummary(
        by_department=by_department,
        totals={kind: overall[kind] or Decimal(0) for kind in KINDS},
        customers=overall["customers"],
        computed_at=overall["computed_at"],
    )


def department_rates() -> list[tuple[Department, Decimal | None]]:
    rates = dict(DepartmentRate.objects.values_list("department_id", "hourly_rate"))
    return [
        (d, rates.get(d.pk)) for d in Department.objects.filter(is_active=True).order_by("name")
    ]
