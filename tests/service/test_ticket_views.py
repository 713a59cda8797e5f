"""Ticket screens: the queue and the ticket page for the service agent, refused to staff
without ticket rights and for tickets of other queues; subjects escaped; Persian UI."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from peyvand.access.models import Department
from peyvand.service.models import BusinessCalendar, ServiceAgreement, SlaPolicy, Ticket
from tests.conftest import speak_persian
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def policy() -> SlaPolicy:
    calendar = BusinessCalendar.objects.create(name="Office")
    return SlaPolicy.objects.create(
        name="Standard", first_response_minutes=60, resolution_minutes=480, calendar=calendar
    )


def test_agent_opens_a_ticket_and_sees_agreement_and_queue(
    client_for: Any, service1: Any, policy: SlaPolicy
) -> None:
    customer = CustomerFactory(department=Department.objects.get(code="service"))
    ServiceAgreement.objects.create(
        customer=customer,
        name="Care plan",
        starts_on=dt.date(2020, 1, 1),
        ends_on=dt.date(2099, 1, 1),
        incidents_allowed=5,
        sla_policy=policy,
    )
    client = client_for(service1)
    queue = Department.objects.get(code="service")
    response = client.post(
        f"/service/customers/{customer.pk}/tickets/new/",
        {
            "subject": "<img src=x onerror=alert(1)> چاپگر",
            "priority": 3,
            "queue": queue.pk,
            "channel": "phone",
        },
    )
    ticket = Ticket.objects.get()
    assert response.status_code == 302 and ticket.agreement is not None
    page = client.get(f"/service/tickets/{ticket.pk}/")
    assert b"Care plan" in page.content and b"4 incidents left" in page.content
    assert b"<img src=x" not in page.content
    listing = client.get("/service/tickets/")
    assert b"&lt;img src=x" in listing.content
    bad = client.post(
        f"/service/customers/{customer.pk}/tickets/new/",
        {"subject": "", "priority": 9, "queue": queue.pk, "channel": "phone"},
    )
    assert bad.status_code == 200 and Ticket.objects.count() == 1
    client.post(f"/service/tickets/{ticket.pk}/status/", {"status": "pending"})
    ticket.refresh_from_db()
    assert ticket.status == "pending" and ticket.paused_at is not None
    speak_persian(service1)
    persian = client_for(service1).get("/service/tickets/")
    assert 'dir="rtl"' in persian.content.decode()


def test_tickets_are_refused_to_whom_they_do_not_belong(
    client_for: Any, service1: Any, sales1: Any, policy: SlaPolicy
) -> None:
    from peyvand.service.tickets.services import open_ticket

    ticket = open_ticket(
        actor=service1,
        customer=CustomerFactory(),
        subject="Sales queue ticket",
        queue=Department.objects.get(code="sales"),
    )
    # service1 works the service queue only (department scope).
    assert client_for(service1).get(f"/service/tickets/{ticket.pk}/").status_code == 404
    assert b"Sales queue ticket" not in client_for(service1).get("/service/tickets/").content
    assert client_for(sales1).get("/service/tickets/").status_code == 404
    assert (
        client_for(service1)
        .post(f"/service/tickets/{ticket.pk}/status/", {"status": "solved"})
        .status_code
        == 404
    )
