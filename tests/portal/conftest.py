"""Community fixtures: products to talk about, customers, and a portal session for one.

Portal sign-in is its own feature; these tests sign a customer in the way it does, by
putting the customer's id under the portal's session key."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from djmoney.money import Money

from peyvand.catalog.models import Product
from peyvand.customers.models import Customer
from peyvand.portal.community import services
from peyvand.portal.models import ForumPost, ForumThread
from peyvand.portal.models.community import PostStatus
from peyvand.portal.session import SESSION_KEY
from tests.api.conftest import api_client  # noqa: F401  (the bearer-token client fixture)
from tests.factories import CustomerFactory


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> Any:
    # The posting limit counts in the cache by customer id; ids come back after a rollback.
    cache.clear()
    yield
    cache.clear()


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
def portal_client(db: Any) -> Callable[[Customer], Client]:
    """`portal_client(customer)`: a client whose portal session is that customer's."""

    def make(customer: Customer) -> Client:
        client = Client()
        session = client.session
        session[SESSION_KEY] = customer.pk
        session.save()
        return client

    return make


@pytest.fixture
def question(alice: Customer, product: Product, trusted: Any) -> ForumThread:
    """A published question by Alice."""
    trusted(alice)
    return services.start_thread(
        customer=alice, product=product, title="Router drops Wi-Fi", body="Every night at 2."
    )
