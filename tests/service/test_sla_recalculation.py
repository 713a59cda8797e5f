"""Another priority or queue brings another SLA policy: the due times are recalculated from
the ticket's start in business time, paused time not counted, a target already passed lands
in the past (and the scan flags it), a breach already recorded stays; audited and shown."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.contrib.contenttypes.models import ContentType

from peyvand.access.models import Department
from peyvand.audit.models import ChangeLog
from peyvand.service.choices import TicketPriority, TicketStatus
from peyvand.service.models import BusinessCalendar, SlaPolicy, Ticket
from peyvand.service.sla import BusinessClock
from peyvand.service.tickets.services import (
    change_ticket,
    open_ticket,
    record_first_response,
    scan_breaches,
    set_status,
)
from tests.conftest import speak_persian
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

TEHRAN = ZoneInfo("Asia/Tehran")
SATURDAY = dt.datetime(2026, 12, 5, 8, 0, tzinfo=TEHRAN)


def tehran(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 12, day, hour, minute, tzinfo=TEHRAN)


@pytest.fixture
def calendar() -> BusinessCalendar:
    return BusinessCalendar.objects.create(name="Tehran office")


@pytest.fixture
def standard(calendar: BusinessCalendar) -> SlaPolicy:
    return SlaPolicy.objects.create(
        name="Standard", first_response_minutes=60, resolution_minutes=480, calendar=calendar
    )


@pytest.fixture
def urgent(calendar: BusinessCalendar) -> SlaPolicy:
    return SlaPolicy.objects.create(
        name="Urgent",
        priority=TicketPriority.URGENT,
        first_response_minutes=30,
        resolution_minutes=120,
        calendar=calendar,
    )


def _open(actor: Any, **kwargs: Any) -> Ticket:
    return open_ticket(
        actor=actor,
        customer=CustomerFactory(department=Department.objects.get(code="service")),
        subject="Printer",
        queue=Department.objects.get(code="service"),
        now=SATURDAY,
        **kwargs,
    )


def test_urgent_priority_takes_the_urgent_targets_from_the_start(
    service1: Any, standard: SlaPolicy, urgent: SlaPolicy
) -> None:
    ticket = _open(service1)
    assert ticket.sla_policy == standard and ticket.resolution_due == tehran(5, 16)
    ticket = change_ticket(ticket, actor=service1, priority=TicketPriority.URGENT, now=tehran(5, 9))
    # One business hour has run: an hour is left of the two to resolve, and the half-hour
    # response target ran out at 08:30.
    assert ticket.sla_policy == urgent
    assert ticket.resolution_due == tehran(5, 10)
    assert ticket.first_response_due == tehran(5, 8, 30)
    assert scan_breaches(now=tehran(5, 9))["response"] == 1
    entry = ChangeLog.objects.filter(
        content_type=ContentType.objects.get_for_model(Ticket), object_id=str(ticket.pk)
    ).latest("seq")
    assert entry.actor == service1
    assert entry.before["sla_policy_id"] == standard.pk
    assert entry.after["sla_policy_id"] == urgent.pk
    assert entry.after["resolution_due"] != entry.before["resolution_due"]


def test_a_recorded_breach_stays_when_the_targets_loosen(
    service1: Any, standard: SlaPolicy, urgent: SlaPolicy
) -> None:
    ticket = _open(service1, priority=TicketPriority.URGENT)
    record_first_response(ticket, actor=service1, now=tehran(5, 8, 10))
    assert scan_breaches(now=tehran(5, 10, 30))["resolution"] == 1
    ticket = change_ticket(ticket, actor=service1, priority=TicketPriority.LOW, now=tehran(5, 11))
    assert ticket.sla_policy == standard
    assert ticket.resolution_due == tehran(5, 16)
    assert ticket.resolution_breached is True
    # The response was given before the change: its due time is left as it was measured.
    assert ticket.first_response_due == tehran(5, 8, 30)


def test_while_paused_the_business_time_left_follows_the_new_policy(
    service1: Any, standard: SlaPolicy, calendar: BusinessCalendar
) -> None:
    SlaPolicy.objects.create(
        name="Low",
        priority=TicketPriority.LOW,
        first_response_minutes=120,
        resolution_minutes=960,
        calendar=calendar,
    )
    ticket = _open(service1)
    record_first_response(ticket, actor=service1, now=tehran(5, 8, 30))
    set_status(ticket, actor=service1, status=TicketStatus.PENDING, now=tehran(5, 10))
    # Monday noon, still waiting on the customer: the paused days do not count.
    ticket = change_ticket(ticket, actor=service1, priority=TicketPriority.LOW, now=tehran(7, 12))
    assert ticket.paused_at is not None and ticket.resolution_left_seconds == 14 * 3600
    ticket = set_status(ticket, actor=service1, status=TicketStatus.OPEN, now=tehran(7, 12))
    # 14 business hours from Monday 12:00: 4 on Monday, 8 on Tuesday, 2 on Wednesday.
    assert ticket.resolution_due == tehran(9, 10)


def test_a_policy_of_the_new_queue_applies_when_it_is_handed_over(
    service1: Any, standard: SlaPolicy, calendar: BusinessCalendar
) -> None:
    sales = Department.objects.get(code="sales")
    fast = SlaPolicy.objects.create(
        name="Sales desk",
        queue=sales,
        first_response_minutes=15,
        resolution_minutes=60,
        calendar=calendar,
    )
    ticket = _open(service1)
    ticket = change_ticket(ticket, actor=service1, queue=sales, now=tehran(5, 8, 30))
    assert ticket.sla_policy == fast
    assert (ticket.first_response_due, ticket.resolution_due) == (tehran(5, 8, 15), tehran(5, 9))
    # The same priority again on the same queue changes nothing.
    again = change_ticket(ticket, actor=service1, priority=ticket.priority, now=tehran(5, 9))
    assert again.resolution_due == tehran(5, 9)


def test_subtract_walks_back_over_the_weekend(calendar: BusinessCalendar) -> None:
    clock = BusinessClock(calendar)
    # Saturday 09:00 less two business hours: an hour on Saturday, the last of Thursday.
    assert clock.subtract(tehran(5, 9), 2 * 3600) == tehran(3, 11)
    assert clock.add(clock.subtract(tehran(8, 10), 5 * 3600), 5 * 3600) == tehran(8, 10)


def test_ticket_page_changes_priority_and_shows_the_new_due_times(
    client_for: Any, service1: Any, sales1: Any, standard: SlaPolicy, urgent: SlaPolicy
) -> None:
    ticket = open_ticket(
        actor=service1,
        customer=CustomerFactory(),
        subject="<b>Broken</b>",
        queue=Department.objects.get(code="service"),
    )
    url = f"/service/tickets/{ticket.pk}/change/"
    queue = ticket.queue_id
    assert client_for(sales1).post(url, {"priority": 4, "queue": queue}).status_code == 404
    client = client_for(service1)
    bad = client.post(url, {"priority": 9, "queue": queue})
    assert bad.status_code == 400 and "Select a valid choice" in bad.content.decode()
    ticket.refresh_from_db()
    assert ticket.priority == TicketPriority.NORMAL and ticket.sla_policy == standard
    response = client.post(url, {"priority": 4, "queue": queue}, follow=True)
    page = response.content.decode()
    assert "The due times now follow the service level that applies." in page
    assert "<bdi>Urgent</bdi>" in page and "<b>Broken</b>" not in page
    before = ticket.resolution_due
    ticket.refresh_from_db()
    assert ticket.sla_policy == urgent and ticket.resolution_due < before
    speak_persian(service1)
    page = client_for(service1).get(f"/service/tickets/{ticket.pk}/").content.decode()
    assert "تغییر اولویت یا صف" in page


def test_the_api_changes_priority_and_queue_with_the_sla(
    api_client: Any, service1: Any, sales1: Any, standard: SlaPolicy, urgent: SlaPolicy
) -> None:
    ticket = open_ticket(
        actor=service1,
        customer=CustomerFactory(),
        subject="Modem",
        queue=Department.objects.get(code="service"),
    )
    url = f"/api/v1/tickets/{ticket.pk}"
    agent = api_client(service1)
    missing = agent.patch(url, {"queue": 999999}, content_type="application/json")
    assert missing.status_code == 404
    assert (
        api_client(sales1).patch(url, {"priority": 4}, content_type="application/json").status_code
        == 404
    )
    ticket.refresh_from_db()
    assert ticket.sla_policy == standard
    changed = agent.patch(url, {"priority": 4}, content_type="application/json")
    assert changed.status_code == 200 and changed.json()["sla_policy_id"] == urgent.pk
    # Handed to a queue the agent does not work: answered with what became of it.
    sales = Department.objects.get(code="sales")
    moved = agent.patch(url, {"queue": sales.pk}, content_type="application/json").json()
    assert moved["queue"]["id"] == sales.pk
