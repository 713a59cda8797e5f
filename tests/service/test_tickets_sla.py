"""Tickets held to service levels: business time on the Iranian week and holidays, the
agreement that covers a ticket, the clock pausing while waiting on the customer, and the
breach scan warning first and escalating to the management desk — with time moved by the
test, never slept."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import jdatetime
import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from peyvand.access.models import Department
from peyvand.desk.models import Task
from peyvand.service.choices import TicketPriority, TicketStatus
from peyvand.service.models import BusinessCalendar, ServiceAgreement, SlaPolicy, Ticket
from peyvand.service.sla import BusinessClock, load_iranian_holidays
from peyvand.service.tickets.services import (
    open_ticket,
    record_first_response,
    scan_breaches,
    set_status,
)
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

TEHRAN = ZoneInfo("Asia/Tehran")


def tehran(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=TEHRAN)


@pytest.fixture
def calendar() -> BusinessCalendar:
    return BusinessCalendar.objects.create(name="Tehran office")


@pytest.fixture
def policy(calendar: BusinessCalendar) -> SlaPolicy:
    # 1 business hour to answer, 8 to resolve.
    return SlaPolicy.objects.create(
        name="Standard", first_response_minutes=60, resolution_minutes=480, calendar=calendar
    )


def test_business_time_skips_friday_and_thursday_afternoon(calendar: BusinessCalendar) -> None:
    clock = BusinessClock(calendar)
    # 2026-12-03 is a Thursday: 08:00–12:00 only; Friday off; Saturday 08:00–16:00.
    thursday_11 = tehran(2026, 12, 3, 11, 0)
    assert clock.add(thursday_11, 2 * 3600) == tehran(2026, 12, 5, 9, 0)
    assert clock.between(thursday_11, tehran(2026, 12, 5, 9, 0)) == 2 * 3600
    # Outside hours the clock starts at the next opening.
    assert clock.add(tehran(2026, 12, 4, 20, 0), 60) == tehran(2026, 12, 5, 8, 1)


def test_nowruz_is_not_working_time(calendar: BusinessCalendar) -> None:
    assert load_iranian_holidays(calendar, 1405) == 10
    assert load_iranian_holidays(calendar, 1405) == 0  # idempotent
    load_iranian_holidays(calendar, 1406)
    clock = BusinessClock(calendar)
    eve = jdatetime.datetime(1405, 12, 28, 15, 0).togregorian().replace(tzinfo=TEHRAN)
    due = clock.add(eve, 2 * 3600)
    # One hour on 28 Esfand, then 29 Esfand and 1–4 Farvardin are holidays (and Fridays).
    assert jdatetime.date.fromgregorian(date=due.date()) > jdatetime.date(1406, 1, 4)


def test_ticket_uses_the_covering_agreement_and_its_incidents(
    service1: Any, calendar: BusinessCalendar, policy: SlaPolicy
) -> None:
    customer = CustomerFactory()
    gold = SlaPolicy.objects.create(
        name="Gold", first_response_minutes=15, resolution_minutes=120, calendar=calendar
    )
    agreement = ServiceAgreement.objects.create(
        customer=customer,
        name="Gold support",
        starts_on=dt.date(2026, 1, 1),
        ends_on=dt.date(2027, 1, 1),
        incidents_allowed=1,
        sla_policy=gold,
    )
    queue = Department.objects.get(code="service")
    now = tehran(2026, 12, 5, 9, 0)
    first = open_ticket(actor=service1, customer=customer, subject="Down", queue=queue, now=now)
    assert first.agreement == agreement and first.sla_policy == gold
    assert first.first_response_due == tehran(2026, 12, 5, 9, 15)
    second = open_ticket(actor=service1, customer=customer, subject="Again", queue=queue, now=now)
    # The one included incident is used up: the standard policy applies.
    assert second.agreement is None and second.sla_policy == policy
    with pytest.raises(ValidationError):
        open_ticket(actor=service1, customer=customer, subject="  ", queue=queue, now=now)


def test_waiting_on_the_customer_stops_the_clock(
    service1: Any, manager: Any, policy: SlaPolicy
) -> None:
    queue = Department.objects.get(code="service")
    start = tehran(2026, 12, 5, 8, 0)  # Saturday
    ticket = open_ticket(
        actor=service1, customer=CustomerFactory(), subject="Slow", queue=queue, now=start
    )
    assert ticket.resolution_due == tehran(2026, 12, 5, 16, 0)
    record_first_response(ticket, actor=service1, now=tehran(2026, 12, 5, 8, 30))
    set_status(ticket, actor=service1, status=TicketStatus.PENDING, now=tehran(2026, 12, 5, 10, 0))
    # Two days pass while the customer does not answer: nothing breaches.
    assert scan_breaches(now=tehran(2026, 12, 7, 12, 0))["resolution"] == 0
    ticket = set_status(
        ticket, actor=service1, status=TicketStatus.OPEN, now=tehran(2026, 12, 7, 12, 0)
    )
    # Six business hours were left when it paused: Monday 12:00 + 4 h → 16:00, + 2 h Tuesday.
    assert ticket.resolution_due == tehran(2026, 12, 8, 10, 0)
    assert ticket.paused_at is None


def test_breach_scan_warns_then_escalates_once(
    service1: Any, manager: Any, policy: SlaPolicy
) -> None:
    queue = Department.objects.get(code="service")
    start = tehran(2026, 12, 5, 8, 0)
    ticket = open_ticket(
        actor=service1,
        customer=CustomerFactory(),
        subject="<script>x</script> broken",
        queue=queue,
        priority=TicketPriority.HIGH,
        now=start,
    )
    assert scan_breaches(now=tehran(2026, 12, 5, 8, 59)) == {
        "response": 0,
        "resolution": 0,
        "warned": 0,
    }
    result = scan_breaches(now=tehran(2026, 12, 5, 15, 40))
    assert result == {"response": 1, "resolution": 0, "warned": 1}
    result = scan_breaches(now=tehran(2026, 12, 5, 16, 1))
    assert result == {"response": 0, "resolution": 1, "warned": 0}
    assert scan_breaches(now=tehran(2026, 12, 5, 17, 0))["resolution"] == 0
    ticket.refresh_from_db()
    assert ticket.response_breached and ticket.resolution_breached
    escalations = Task.objects.filter(department__code="management", customer=ticket.customer)
    assert escalations.count() == 2
    # A solved ticket is not scanned.
    set_status(ticket, actor=service1, status=TicketStatus.SOLVED, now=tehran(2026, 12, 5, 17))
    assert Ticket.objects.get(pk=ticket.pk).resolved_at == tehran(2026, 12, 5, 17)


def test_escalation_tasks_carry_the_translated_title_of_each_ticket(
    service1: Any, manager: Any, policy: SlaPolicy
) -> None:
    queue = Department.objects.get(code="service")
    start = tehran(2026, 12, 5, 8, 0)
    customer = CustomerFactory()
    subject = "<b>Printer</b> " + "x" * 235
    ticket = open_ticket(actor=service1, customer=customer, subject=subject, queue=queue, now=start)
    other = open_ticket(actor=service1, customer=customer, subject="Modem", queue=queue, now=start)
    record_first_response(other, actor=service1, now=tehran(2026, 12, 5, 8, 10))
    when = tehran(2026, 12, 5, 9, 30)
    with translation.override("fa"):
        assert scan_breaches(now=when)["response"] == 1
    task = Task.objects.get(department__code="management")
    with translation.override("fa"):
        expected = translation.gettext("SLA missed (%(target)s): #%(id)s %(subject)s") % {
            "target": translation.gettext("first response"),
            "id": ticket.pk,
            "subject": subject,
        }
    assert task.title == expected[:255] and len(task.title) == 255
    assert "پاسخ" in task.title  # written in the worker's language, not as the msgid
    assert (task.kind, task.status, task.priority) == ("approval", "open", 4)
    assert task.customer == customer and task.due_at == when and task.created_at == when
    # The answered ticket was not escalated, and nothing is escalated twice.
    assert scan_breaches(now=when) == {"response": 0, "resolution": 0, "warned": 0}
    assert Task.objects.count() == 1


def test_no_management_department_flags_without_escalating(
    service1: Any, policy: SlaPolicy
) -> None:
    Department.objects.filter(code="management").update(code="board")
    queue = Department.objects.get(code="service")
    ticket = open_ticket(
        actor=service1,
        customer=CustomerFactory(),
        subject="Late",
        queue=queue,
        now=tehran(2026, 12, 5, 8, 0),
    )
    assert scan_breaches(now=tehran(2026, 12, 5, 17, 0))["resolution"] == 1
    ticket.refresh_from_db()
    assert ticket.resolution_breached and not Task.objects.exists()


def test_policy_can_warn_at_a_share_of_the_target(service1: Any, policy: SlaPolicy) -> None:
    policy.warn_at_percent = 80  # of 8 business hours: warn from 14:24 on a full day
    policy.save()
    queue = Department.objects.get(code="service")
    ticket = open_ticket(
        actor=service1,
        customer=CustomerFactory(),
        subject="Slow",
        queue=queue,
        now=tehran(2026, 12, 5, 8, 0),
    )
    assert scan_breaches(now=tehran(2026, 12, 5, 14, 20))["warned"] == 0
    assert scan_breaches(now=tehran(2026, 12, 5, 14, 30))["warned"] == 1
    ticket.refresh_from_db()
    assert ticket.warned_at == tehran(2026, 12, 5, 14, 30)
    policy.warn_at_percent = 100
    with pytest.raises(ValidationError):
        policy.full_clean()
