"""Fetch-and-authorise helpers for interactions: 404 for missing *and* not yours."""

from __future__ import annotations

from typing import Any

from django.http import Http404

from peyvand.access.choices import ObjectType, Scope
from peyvand.access.scopes import department_ids, get_for, scope_for
from peyvand.channels.models import Interaction, InteractionAttachment
from peyvand.customers.models import Customer


def may_touch_interactions_of(user: Any, customer: Customer, action: str) -> bool:
    """Whether the user's interaction grant for `action` reaches this customer's records.

    Interactions belong to their customer (owner / department), so the scope of the
    interaction grant is measured against the customer, as `restrict()` does for rows.
    """
    scope = scope_for(user, ObjectType.INTERACTION, action)
    if scope == Scope.ALL:
        return True
    if scope == Scope.NONE:
        return False
    if customer.owner_id is not None and customer.owner_id == user.pk:
        return True
    return scope == Scope.DEPARTMENT and customer.department_id in department_ids(user)


def get_customer_for_interaction(user: Any, pk: Any, action: str = "add") -> Customer:
    customer = get_for(user, Customer.objects.alive(), pk, "view")
    if not may_touch_interactions_of(user, customer, action):
        raise Http404
    return customer


def get_interaction_for(user: Any, pk: Any, action: str = "view") -> Interaction:
    qs = Interaction.objects.filter(deleted_at__isnull=True).select_related("customer", "agent")
    return get_for(user, qs, pk, action)


def get_attachment_for(user: Any, pk: Any) -> InteractionAttachment:
    qs = InteractionAttachment.objects.filter(
        interaction__deleted_at__isnull=True, interaction__customer__deleted_at__isnull=True
    )
    return get_for(user, qs, pk, "view")
