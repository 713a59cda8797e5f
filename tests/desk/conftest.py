from __future__ import annotations

from typing import Any

import pytest

from tests.factories import CustomerFactory


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    # The personas are created with passwords; real key stretching only slows the suite.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def customer_of_sales1(sales1: Any) -> Any:
    return CustomerFactory(owner=sales1, display_name="Sales1 customer")


@pytest.fixture
def customer_of_sales2(sales2: Any) -> Any:
    return CustomerFactory(owner=sales2, display_name="Sales2 customer")
