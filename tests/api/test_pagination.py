"""Cursor pagination: every row exactly once, whatever the page size and ties in the sort key."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from peyvand.customers.models import Customer
from tests.api.conftest import fields_of, problem_of
from tests.factories import CustomerFactory, InteractionFactory

pytestmark = pytest.mark.django_db


def walk(client: Client, url: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    for _ in range(100):
        sep = "&" if "?" in url else "?"
        page = client.get(url + (f"{sep}cursor={cursor}" if cursor else "")).json()
        items.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return items
    raise AssertionError("pagination did not end")


@pytest.mark.parametrize("sort", ["display_name", "id", "updated_at", "-updated_at"])
def test_pages_cover_every_customer_once(api_client, sales1, sort: str) -> None:
    # Duplicated names and timestamps: ties that only the id can break.
    now = timezone.now()
    for i in range(23):
        CustomerFactory(owner=sales1, display_name=f"Name {i % 4}")
    Customer.objects.update(updated_at=now)
    client = api_client(sales1)
    items = walk(client, f"/api/v1/customers?limit=5&sort={sort}")
    ids = [item["id"] for item in items]
    assert len(ids) == len(set(ids)) == 23
    assert set(ids) == set(Customer.objects.values_list("pk", flat=True))


def test_rows_added_while_paging_do_not_shift_pages(api_client, sales1) -> None:
    for i in range(6):
        CustomerFactory(owner=sales1, display_name=f"B{i}")
    client = api_client(sales1)
    first = client.get("/api/v1/customers?limit=3").json()
    CustomerFactory(owner=sales1, display_name="A-new")  # sorts before the cursor
    rest = client.get(f"/api/v1/customers?limit=10&cursor={first['next_cursor']}").json()
    names = [c["display_name"] for c in first["items"] + rest["items"]]
    assert names == [f"B{i}" for i in range(6)]


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(limit=st.integers(min_value=1, max_value=12))
def test_interaction_pages_in_time_order(api_client, sales1, limit: int) -> None:
    customer = CustomerFactory(owner=sales1)
    start = timezone.now()
    if not customer.interactions.exists():
        for i in range(11):
            InteractionFactory(customer=customer, occurred_at=start - dt.timedelta(hours=i // 2))
    items = walk(api_client(sales1), f"/api/v1/interactions?customer={customer.pk}&limit={limit}")
    assert len({i["id"] for i in items}) == len(items) == 11
    times = [i["occurred_at"] for i in items]
    assert times == sorted(times, reverse=True)


@pytest.mark.parametrize("cursor", ["garbage", "W10", "WyJpZCIsMSwxXQ"])
def test_foreign_or_broken_cursor_is_422(api_client, sales1, cursor: str) -> None:
    # "WyJpZCIsMSwxXQ" is a valid cursor for sort=id, not for the default sort.
    response = api_client(sales1).get(f"/api/v1/customers?cursor={cursor}")
    assert fields_of(problem_of(response, 422)) == {"cursor"}


def test_list_query_count_does_not_grow_with_the_page(
    api_client, sales1, django_assert_max_num_queries
) -> None:
    for _ in range(30):
        CustomerFactory(owner=sales1)
    client = api_client(sales1)
    client.get("/api/v1/me")
    with django_assert_max_num_queries(8):
        assert len(client.get("/api/v1/customers?limit=30").json()["items"]) == 30
