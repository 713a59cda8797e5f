"""The desk's card of tickets about to miss, or past, their SLA: on the assignee's desk,
on the queue's department desk, every ticket on a manager's; missed ones in red, the time
left on the others; nothing for staff without ticket rights; subjects escaped."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from peyvand.access.models import Department
from peyvand.service.models import Ticket
from tests.conftest import speak_persian
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def at_risk(service1: Any, manager: Any) -> dict[str, Ticket]:
    customer = CustomerFactory(display_name="Dana <b>")
    service = Department.objects.get(code="service")
    now = timezone.now()

    def make(subject: str, **fields: Any) -> Ticket:
        return Ticket.objects.create(customer=customer, subject=subject, queue=service, **fields)

    return {
        "warning": make(
            "<script>x</script> printer",
            assignee=service1,
            status="open",
            warned_at=now,
            resolution_due=now + dt.timedelta(minutes=90),
        ),
        "missed": make(
            "Modem down",
            assignee=service1,
            status="new",
            resolution_breached=True,
            resolution_due=now - dt.timedelta(hours=3),
        ),
        "unassigned": make(
            "Nobody's", status="open", warned_at=now, resolution_due=now + dt.timedelta(hours=1)
        ),
        "others": make(
            "Manager's own",
            assignee=manager,
            status="open",
            response_breached=True,
            first_response_due=now - dt.timedelta(hours=1),
            resolution_due=now + dt.timedelta(hours=5),
        ),
        "fine": make("On time", assignee=service1, status="open"),
        "paused": make("Waiting", assignee=service1, status="pending", warned_at=now),
    }


def test_assignee_sees_their_tickets_at_risk(
    client_for: Any, service1: Any, at_risk: dict[str, Ticket], django_assert_max_num_queries: Any
) -> None:
    client = client_for(service1)
    client.get("/")
    with django_assert_max_num_queries(16):
        html = client.get(reverse("desk:my_desk")).content.decode()
    assert "Tickets at risk of missing their SLA" in html
    assert "1 missed" in html and "1 about to miss" in html
    missed = html.index("Modem down")
    warning = html.index("&lt;script&gt;x&lt;/script&gt; printer")
    assert missed < warning  # the missed one first
    assert 'class="sla-breached"' in html and "Missed 3" in html and "hours ago" in html
    assert "left" in html and "Dana &lt;b&gt;" in html and "<script>x" not in html
    for key in ("unassigned", "others", "fine", "paused"):
        assert at_risk[key].subject not in html


def test_department_desk_shows_the_queue(
    client_for: Any, service1: Any, at_risk: dict[str, Ticket]
) -> None:
    html = client_for(service1).get(reverse("desk:department_desk", args=["service"]))
    text = html.content.decode()
    assert "Nobody&#x27;s" in text or "Nobody's" in text
    assert "2 missed" in text and "2 about to miss" in text


def test_manager_sees_every_ticket_at_risk(
    client_for: Any, manager: Any, service1: Any, at_risk: dict[str, Ticket]
) -> None:
    html = client_for(manager).get(reverse("desk:my_desk")).content.decode()
    assert "Manager&#x27;s own" in html and "Modem down" in html and "2 missed" in html
    person = client_for(manager).get(reverse("desk:user_desk", args=[service1.pk]))
    assert "Modem down" in person.content.decode()
    assert "Manager&#x27;s own" not in person.content.decode()


def test_no_card_without_ticket_rights(
    client_for: Any, sales1: Any, at_risk: dict[str, Ticket]
) -> None:
    html = client_for(sales1).get(reverse("desk:my_desk")).content.decode()
    assert "Tickets at risk" not in html and "Modem down" not in html


def test_card_in_persian(client_for: Any, service1: Any, at_risk: dict[str, Ticket]) -> None:
    speak_persian(service1)
    html = client_for(service1).get(reverse("desk:my_desk")).content.decode()
    assert 'dir="rtl"' in html and "Modem down" in html
    assert "۱" in html
