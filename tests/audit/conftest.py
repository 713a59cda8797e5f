"""Helpers for the audit tests: customers created the way services create them (audited)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from peyvand.audit.services import record
from peyvand.customers.models import Customer


@pytest.fixture
def make_customer(db: Any) -> Callable[..., Customer]:
    """`make_customer(owner, name=...)`: an audited create, like the customers service."""

    def make(owner: Any, name: str = "Customer", **fields: Any) -> Customer:
        customer = Customer(display_name=name, owner=owner, **fields)
        with record(customer, actor=owner):
            customer.save()
        return customer

    return make
