from __future__ import annotations

from typing import Any

import pytest

from tests.factories import CustomerFactory

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
HOSTILE_HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"


@pytest.fixture
def customer_of_sales1(sales1: Any) -> Any:
    return CustomerFactory(owner=sales1, display_name="Sales1 customer")


@pytest.fixture
def customer_of_sales2(sales2: Any) -> Any:
    return CustomerFactory(owner=sales2, display_name="Sales2 customer")
