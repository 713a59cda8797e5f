"""Customers built through the services, so search text, name keys and audit rows are real."""

from __future__ import annotations

from typing import Any

import pytest

from peyvand.customers.services import create_customer


@pytest.fixture
def make_customer(personas: dict[str, Any]) -> Any:
    """`make_customer(owner=sales1, display_name=..., **fields)` via `create_customer`."""

    def make(owner: Any = None, **fields: Any) -> Any:
        fields.setdefault("display_name", "Test customer")
        if owner is not None:
            fields.setdefault("department", owner.departments.first())
        return create_customer(actor=personas["manager"], owner=owner, **fields)

    return make
