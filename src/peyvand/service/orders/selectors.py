"""Read side of service orders: the office list, a technician's own orders, what the phone
caches, and the service part of a customer's cost to serve."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import Count, Prefetch, QuerySet, Sum

from peyvand.access.scopes import restrict
from peyvand.customers.models import Customer
from peyvand.service.choices import ServiceOrderStatus
from peyvand.service.models import ServiceOrder, ServiceOrderLine, ServiceTimeEntry

# The statuses whose cost counts as spent on the customer: the work was done.
COSTED_STATUSES = [ServiceOrderStatus.DONE.value, ServiceOrderStatus.SIGNED_OFF.value]
MOBILE_LIMIT = 200


def orders_visible_to(user: Any, action: str = "view") -> QuerySet[ServiceOrder]:
    return restrict(ServiceOrder.objects.all(), user, action)


def order_list(
    user: Any,
    *,
    status: str = "",
    technician_id: int | None = None,
    customer_id: int | None = None,
    mine: bool = False,
    since: dt.date | None = None,
) -> QuerySet[ServiceOrder]:
    """Orders the user may see, earliest visit first."""
    qs = orders_visible_to(user).select_related("customer", "technician", "department")
    if status:
        qs = qs.filter(status=status)
    if technician_id:
        qs = qs.filter(technician_id=technician_id)
    if customer_id:
        qs = qs.filter(customer_id=customer_id)
    if mine:
        qs = qs.filter(technician=user)
    if since:
        qs = qs.filter(window_start__date__gte=since)
    return qs.defer("signature", "description", "work_notes").order_by("window_start", "pk")


def order_detail(user: Any, action: str = "view") -> QuerySet[ServiceOrder]:
    return orders_visible_to(user, action).select_related(
        "customer", "technician", "department", "ticket", "agreement"
    )


def mobile_orders(user: Any) -> list[ServiceOrder]:
    """The technician's orders the phone keeps offline: every one not signed off or
    cancelled (a finished one still needs the customer's signature), soonest first."""
    return list(
        ServiceOrder.objects.filter(technician=user)
        .exclude(status__in=[ServiceOrderStatus.SIGNED_OFF, ServiceOrderStatus.CANCELLED])
        .select_related("customer")
        .prefetch_related(
            Prefetch("lines", queryset=ServiceOrderLine.objects.order_by("pk")),
            Prefetch("time_entries", queryset=ServiceTimeEntry.objects.order_by("pk")),
        )
        .order_by("window_start", "pk")[:MOBILE_LIMIT]
    )


def order_state(order: ServiceOrder) -> dict[str, Any]:
    """One order as the phone stores it (lines and time entries prefetched or read)."""
    return {
        "id": order.pk,
        "version": order.version,
        "title": order.title,
        "customer": str(order.customer),
        "description": order.description,
        "work_notes": order.work_notes,
        "status": order.status,
        "status_label": str(order.get_status_display()),
        "window_start": order.window_start.isoformat(),
        "window_end": order.window_end.isoformat(),
        "currency": order.currency,
        "total_cost": str(order.total_cost.amount),
        "lines": [
            {
                "description": line.description,
                "quantity": str(line.quantity.normalize()),
                "unit_cost": str(line.unit_cost.amount),
                "currency": str(line.unit_cost.currency),
            }
            for line in order.lines.all()
        ],
        "time": [
            {"minutes": entry.minutes, "note": entry.note} for entry in order.time_entries.all()
        ],
    }


def customer_service_costs(customer: Customer, *, user: Any) -> dict[str, Any]:
    """The customer's service orders the user may see: open count, and the cost of the
    finished ones per currency (what service orders add to the customer's cost to serve)."""
    qs = orders_visible_to(user).filter(customer=customer)
    totals = list(
        qs.filter(status__in=COSTED_STATUSES)
        .values("currency")
        .annotate(count=Count("pk"), total=Sum("total_cost"))
        .order_by("currency")
    )
    return {
        "totals": [
            {
                "currency": row["currency"],
                "count": row["count"],
                "total": row["total"] or Decimal(0),
            }
            for row in totals
        ],
        "open": qs.filter(
            status__in=[ServiceOrderStatus.SCHEDULED, ServiceOrderStatus.IN_PROGRESS]
        ).count(),
        "latest": list(qs.select_related("technician").order_by("-window_start", "-pk")[:5]),
    }
