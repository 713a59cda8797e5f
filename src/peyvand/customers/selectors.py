"""Read side of customers: what the 360 page and the API show, in a fixed number of queries."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, Sum

from peyvand.access.scopes import can
from peyvand.customers.models import (
    Consent,
    ContactPoint,
    Customer,
    CustomFieldDefinition,
    Relationship,
)

LATEST_INTERACTIONS = 10


def custom_field_pairs(
    customer: Customer, definitions: list[CustomFieldDefinition]
) -> list[dict[str, Any]]:
    custom = customer.custom or {}
    return [{"definition": d, "value": custom.get(d.key)} for d in definitions]


def customer_360(customer: Customer, *, user: Any) -> dict[str, Any]:
    """Everything about one customer the user may see. The caller has already authorised
    the customer itself (`get_for`); the parts below are limited by the user's own rights."""
    from peyvand.channels.models import Interaction
    from peyvand.desk.choices import OPEN_STATUSES
    from peyvand.desk.models import Task
    from peyvand.sales.choices import OrderStatus
    from peyvand.sales.models import Order

    profile = (
        Customer.objects.select_related("owner", "department", "merged_into")
        .prefetch_related("tags")
        .get(pk=customer.pk)
    )
    visible_customers = Customer.objects.visible_to(user).alive().values("pk")
    relationships = list(
        Relationship.objects.filter(
            Q(from_customer=profile, to_customer__in=visible_customers)
            | Q(to_customer=profile, from_customer__in=visible_customers)
        ).select_related("from_customer", "to_customer")
    )
    interactions = list(
        Interaction.objects.visible_to(user)
        .filter(customer=profile, deleted_at__isnull=True)
        .select_related("agent")
        .order_by("-occurred_at", "-pk")[:LATEST_INTERACTIONS]
    )
    order_totals = [
        {"currency": row["total_currency"], "count": row["count"], "total": row["total"]}
        for row in Order.objects.visible_to(user)
        .filter(customer=profile, deleted_at__isnull=True)
        .exclude(status=OrderStatus.CANCELLED)
        .order_by()
        .values("total_currency")
        .annotate(count=Count("pk"), total=Sum("total"))
        .order_by("total_currency")
    ]
    # Open work about a customer the user may see belongs on the page, whoever holds it.
    open_tasks = (
        list(
            Task.objects.filter(customer=profile, status__in=OPEN_STATUSES)
            .select_related("assignee", "department")
            .order_by("due_at", "-priority", "pk")
        )
        if can(user, "task", "view")
        else []
    )
    definitions = list(CustomFieldDefinition.objects.filter(is_active=True))
    return {
        "profile": profile,
        "tags": [t.name for t in profile.tags.all()],
        "contact_points": list(ContactPoint.objects.filter(customer=profile)),
        "consents": list(Consent.objects.filter(customer=profile)),
        "relationships": relationships,
        "latest_interactions": interactions,
        "order_totals": order_totals,
        "open_tasks": open_tasks,
        "custom_fields": custom_field_pairs(profile, definitions),
    }
