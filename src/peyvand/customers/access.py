"""Fetch-and-authorise helpers for customers: 404 for missing and for not-yours alike."""

from __future__ import annotations

from typing import Any

from django.http import Http404

from peyvand.access.choices import ObjectType
from peyvand.access.scopes import can, get_for, is_manager
from peyvand.customers.models import Customer


def get_customer_for(user: Any, pk: Any, action: str = "view") -> Customer:
    """An alive customer the user may act on, or 404."""
    return get_for(user, Customer.objects.alive(), pk, action)


def require_action(user: Any, action: str) -> None:
    """404 when the user may not do `action` on any customer: the page does not exist for them."""
    if not can(user, ObjectType.CUSTOMER, action):
        raise Http404


def require_manager(user: Any) -> None:
    if not is_manager(user):
        raise Http404
