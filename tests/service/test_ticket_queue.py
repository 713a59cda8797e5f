"""The ticket queue at size: it counts at most 1,000 tickets (and says "more than"),
keeps its filter across pages, and its query count does not grow with the queue."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from peyvand.access.models import Department
from peyvand.core.pagination import CappedPaginator
from peyvand.service.models import Ticket
from tests.conftest import speak_persian
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def _tickets(n: int, queue_code: str = "service", **fields: Any) -> None:
    customer = CustomerFactory()
    queue = Department.objects.get(code=queue_code)
    now = timezone.now()
    Ticket.objects.bulk_create(
        Ticket(
            customer=customer,
            queue=queue,
            subject=f"Ticket {i}",
            status="open",
            resolution_due=now + dt.timedelta(minutes=i),
            **fields,
        )
        for i in range(n)
    )


def test_capped_paginator_counts_up_to_the_cap(service1: Any) -> None:
    _tickets(12)
    tickets = Ticket.objects.order_by("pk")
    capped = CappedPaginator(tickets, 5, cap=10)
    assert (capped.count, capped.is_capped, capped.num_pages) == (10, True, 2)
    assert [t.subject for t in capped.get_page(2)] == [f"Ticket {i}" for i in range(5, 10)]
    exact = CappedPaginator(tickets, 5, cap=12)
    assert (exact.count, exact.is_capped, exact.num_pages) == (12, False, 3)


def test_long_queue_says_more_than_a_thousand_and_keeps_its_filter(
    client_for: Any, service1: Any, django_assert_num_queries: Any
) -> None:
    _tickets(1001)
    _tickets(3, queue_code="sales")
    queue = Department.objects.get(code="service").pk
    client = client_for(service1)
    client.get("/")
    # Session, user, roles, the chosen queue, the user's departments, the capped count,
    # the page (customer, assignee and queue joined), the queue choices of the filter.
    with django_assert_num_queries(8):
        response = client.get("/service/tickets/", {"queue": queue, "page": 2})
    html = response.content.decode()
    assert "More than 1000 tickets" in html
    assert f'href="?queue={queue}&amp;page=3"' in html
    assert f'href="?queue={queue}&amp;page=1"' in html
    assert "Ticket 25<" in html and "Ticket 24<" not in html
    speak_persian(service1)
    persian = client_for(service1).get("/service/tickets/", {"queue": queue}).content.decode()
    assert "۱۰۰۰" in persian


def test_short_queue_counts_exactly(client_for: Any, service1: Any) -> None:
    _tickets(3)
    html = client_for(service1).get("/service/tickets/").content.decode()
    assert "3 tickets" in html and "More than" not in html
