from __future__ import annotations

from typing import Any

import pytest

from peyvand.access.models import Department
from peyvand.catalog.services import ensure_currencies
from peyvand.customers.models import Customer
from tests.api.conftest import api_client  # noqa: F401 (the sales API tests use it)
from tests.factories import CustomerFactory


@pytest.fixture
def currencies(db: None) -> None:
    ensure_currencies()


@pytest.fixture
def customer1(personas: dict[str, Any], currencies: None) -> Customer:
    """A customer owned by sales1."""
    return CustomerFactory(
        display_name="Ali Rezaei",
        owner=personas["sales1"],
        department=Department.objects.get(code="sales"),
        external_ref="C-1",
    )


@pytest.fixture
def customer2(personas: dict[str, Any], currencies: None) -> Customer:
    """A customer owned by sales2."""
    return CustomerFactory(
        display_name="John Doe",
        owner=personas["sales2"],
        department=Department.objects.get(code="sales"),
        external_ref="C-2",
    )


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    # Personas get real passwords; PBKDF2's deliberate slowness would dominate the suite.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
