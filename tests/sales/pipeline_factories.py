"""Leads and opportunities for tests, built through the real services."""

from __future__ import annotations

from typing import Any

from peyvand.access.models import Department
from peyvand.customers.models import Customer
from peyvand.sales.capture import capture_lead
from peyvand.sales.models import Lead, Opportunity
from peyvand.sales.opportunities import create_opportunity


def make_lead(owner: Any, **kwargs: Any) -> Lead:
    kwargs.setdefault("name", "Lead Person")
    if "email" not in kwargs and "phone" not in kwargs:
        kwargs["email"] = f"lead{Lead.objects.count()}@example.com"
    lead, _duplicates = capture_lead(
        actor=owner,
        owner=owner,
        department=Department.objects.get(code="sales"),
        **kwargs,
    )
    return lead


def make_opportunity(customer: Customer, owner: Any, **kwargs: Any) -> Opportunity:
    kwargs.setdefault("title", "Deal")
    kwargs.setdefault("amount", "1000")
    return create_opportunity(actor=owner, customer=customer, owner=owner, **kwargs)
