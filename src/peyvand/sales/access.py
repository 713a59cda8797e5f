"""Fetch-and-authorise helpers of sales: out-of-scope answers exactly like missing."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from peyvand.access.choices import ObjectType, Scope
from peyvand.access.scopes import department_ids, get_for, scope_for
from peyvand.customers.models import Customer
from peyvand.sales.models import Contract, Lead, Opportunity, Order, Quote


def live_orders() -> QuerySet[Order]:
    return Order.objects.filter(deleted_at__isnull=True, customer__deleted_at__isnull=True)


def customers_for(user: Any, object_type: str, action: str = "add") -> QuerySet[Customer]:
    """Customers the user may see AND may `action` records of `object_type` for (e.g. place
    an order, draft a quote)."""
    customers = Customer.objects.visible_to(user).filter(deleted_at__isnull=True)
    scope = scope_for(user, object_type, action)
    if scope == Scope.ALL:
        return customers
    if scope == Scope.NONE:
        return customers.none()
    condition = Q(owner=user)
    if scope == Scope.DEPARTMENT:
        condition |= Q(department__in=department_ids(user))
    return customers.filter(condition)


def order_customers(user: Any, action: str = "add") -> QuerySet[Customer]:
    return customers_for(user, ObjectType.ORDER, action)


def get_order_for(user: Any, pk: Any, action: str = "view") -> Order:
    return get_for(user, live_orders().select_related("customer"), pk, action)


def get_order_customer_for(user: Any, pk: Any, action: str = "add") -> Customer:
    return get_for(user, order_customers(user, action), pk, "view")


def live_leads() -> QuerySet[Lead]:
    return Lead.objects.filter(deleted_at__isnull=True)


def live_opportunities() -> QuerySet[Opportunity]:
    return Opportunity.objects.filter(deleted_at__isnull=True, customer__deleted_at__isnull=True)


def get_lead_for(user: Any, pk: Any, action: str = "view") -> Lead:
    return get_for(user, live_leads().select_related("source", "owner"), pk, action)


def get_opportunity_for(user: Any, pk: Any, action: str = "view") -> Opportunity:
    return get_for(
        user,
        live_opportunities().select_related("customer", "pipeline", "stage", "owner"),
        pk,
        action,
    )


def live_quotes() -> QuerySet[Quote]:
    return Quote.objects.filter(deleted_at__isnull=True, customer__deleted_at__isnull=True)


def get_quote_for(user: Any, pk: Any, action: str = "view") -> Quote:
    return get_for(
        user,
        live_quotes().select_related("customer", "price_list", "opportunity", "order"),
        pk,
        action,
    )


def live_contracts() -> QuerySet[Contract]:
    return Contract.objects.filter(deleted_at__isnull=True, customer__deleted_at__isnull=True)


def get_contract_for(user: Any, pk: Any, action: str = "view") -> Contract:
    return get_for(
        user,
        live_contracts().select_related("customer", "order", "quote", "previous"),
        pk,
        action,
    )
