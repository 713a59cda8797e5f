"""Community fixtures: products to talk about and customers without contact points (the
portal's `portal_client` signs one in)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from djmoney.money import Money

from peyvand.catalog.models import Product
from peyvand.customers.models import Customer
from peyvand.portal.community import services
from peyvand.portal.models import ForumPost, ForumThread
from peyvand.portal.models.community import PostStatus
from tests.api.conftest import api_client  # noqa: F401  (the bearer-token client fixture)
from tests.factories import CustomerFactory


@pytest.fixture
def product(db: Any) -> Product:
    return Product.objects.create(
        sku="KEY-ROUTER", name="Keyhan router", name_fa="روتر کیهان", unit_price=Money(10, "IRR")
    )


@pytest.fixture
def other_product(db: Any) -> Product:
    return Product.objects.create(sku="KEY-CAM", name="Keyhan camera", unit_price=Money(5, "IRR"))


@pytest.fixture
def alice(db: Any) -> Customer:
    return CustomerFactory(display_name="Alice Asker", preferred_language="en")


@pytest.fixture
def bob(db: Any) -> Customer:
    return CustomerFactory(display_name="Bob Answerer", preferred_language="en")


@pytest.fixture
def carol(db: Any) -> Customer:
    return CustomerFactory(display_name="Carol Voter", preferred_language="en")


def trust(customer: Customer, product: Product) -> None:
    """Give the customer one published post, so their next posts skip the new-author check."""
    thread = ForumThread.objects.create(
        product=product, title=f"Hello from {customer.pk}", customer=customer,
        last_post_at="2026-01-01T00:00:00Z",
    )  # fmt: skip
    ForumPost.objects.create(
        thread=thread, is_opening=True, body="Hi", customer=customer, status=PostStatus.PUBLISHED
    )


@pytest.fixture
def trusted(product: Product) -> Callable[..., None]:
    def make(*customers: Customer) -> None:
        for customer in customers:
            trust(customer, product)

    return make


@pytest.fixture
def question(alice: Customer, product: Product, trusted: Any) -> ForumThread:
    """A published question by Alice."""
    trusted(alice)
    return services.start_thread(
        customer=alice, product=product, title="Router drops Wi-Fi", body="Every night at 2."
    )
