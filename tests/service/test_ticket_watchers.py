"""Watchers: a colleague who watches a ticket finds each public reply and status change on
their desk (in their language), never their own; staff who may not see the ticket cannot
watch it (404)."""

from __future__ import annotations

from typing import Any

import pytest

from peyvand.access.models import Department
from peyvand.desk.models import Task
from peyvand.service.models import Ticket, TicketWatcher
from peyvand.service.tickets.services import (
    open_ticket,
    reply_to_customer,
    set_status,
    watch_ticket,
)
from tests.channels.email.conftest import customer_with_email
from tests.conftest import speak_persian

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket(personas: Any, identity: Any) -> Ticket:
    return open_ticket(
        actor=personas["service1"],
        customer=customer_with_email("watch@example.com"),
        subject="<i>Router</i>",
        queue=Department.objects.get(code="service"),
        channel="phone",
    )


def test_watchers_get_desk_follow_ups_for_replies_and_status_changes(
    client_for: Any, service1: Any, manager: Any, ticket: Ticket
) -> None:
    speak_persian(manager)
    assert (
        client_for(manager)
        .post(f"/service/tickets/{ticket.pk}/watch/", {"action": "watch"})
        .status_code
        == 302
    )
    watch_ticket(ticket, user=service1)
    reply_to_customer(ticket, actor=service1, body="Restart it please.")
    set_status(ticket, actor=service1, status="pending")
    tasks = list(Task.objects.filter(assignee=manager).order_by("pk"))
    assert [t.title for t in tasks] == [
        f"تیکت #{ticket.pk}: پاسخی برای مشتری فرستاده شد — <i>Router</i>",
        f"تیکت #{ticket.pk} اکنون: در انتظار مشتری — <i>Router</i>",
    ]
    assert tasks[0].description == f"/service/tickets/{ticket.pk}/" and tasks[0].kind == "follow_up"
    # The agent who made the changes is not told about them.
    assert not Task.objects.filter(assignee=service1).exists()
    desk = client_for(manager).get("/").content.decode()
    assert "&lt;i&gt;Router&lt;/i&gt;" in desk and "<i>Router</i>" not in desk
    client_for(manager).post(f"/service/tickets/{ticket.pk}/watch/", {"action": "unwatch"})
    set_status(ticket, actor=service1, status="open")
    assert Task.objects.filter(assignee=manager).count() == 2


def test_staff_who_may_not_see_the_ticket_cannot_watch(
    client_for: Any, sales2: Any, ticket: Ticket
) -> None:
    assert client_for(sales2).post(f"/service/tickets/{ticket.pk}/watch/").status_code == 404
    assert not TicketWatcher.objects.exists()
