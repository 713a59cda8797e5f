"""Macros: written by agents in one language with placeholders, checked for unknown names;
applying one on a ticket fills the reply with the ticket's values (escaped on the page),
and makes its status, priority and queue changes, audited. Refused to staff without ticket
rights (404); only the author or a manager changes a macro."""

from __future__ import annotations

from typing import Any

import pytest

from peyvand.access.models import Department
from peyvand.audit.models import ChangeLog
from peyvand.service.models import Macro, Ticket
from peyvand.service.tickets.macros import render_macro, save_macro
from peyvand.service.tickets.services import open_ticket
from tests.conftest import speak_persian
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

HOSTILE_NAME = "<img src=x onerror=alert(1)>علی"


@pytest.fixture
def ticket(personas: Any) -> Ticket:
    customer = CustomerFactory(display_name=HOSTILE_NAME, first_name="علی", preferred_language="fa")
    return open_ticket(
        actor=personas["service1"],
        customer=customer,
        subject="مودم",
        queue=Department.objects.get(code="service"),
        channel="phone",
    )


def _macro(author: Any, **fields: Any) -> Macro:
    values: dict[str, Any] = {
        "title": "در انتظار مشتری",
        "language": "fa",
        "body": "سلام {{ customer.first_name | دوست عزیز }}، تیکت {{ ticket.number }} ({{ ticket.status }}) را بررسی کردیم.\n{{ agent.name }}",
        "set_status": "pending",
        "set_priority": 3,
    }
    values.update(fields)
    return save_macro(Macro(), actor=author, **values)


def test_agent_writes_a_macro_and_unknown_placeholders_are_refused(
    client_for: Any, service1: Any
) -> None:
    client = client_for(service1)
    bad = client.post(
        "/service/macros/",
        {"title": "Oops", "language": "en", "body": "Dear {{ customer.nmae }}"},
    )
    assert bad.status_code == 400 and b"Unknown personalisation token: customer.nmae" in bad.content
    assert not Macro.objects.exists()
    empty = client.post("/service/macros/", {"title": "Nothing", "language": "en", "body": ""})
    assert empty.status_code == 400 and not Macro.objects.exists()
    good = client.post(
        "/service/macros/",
        {
            "title": "Thanks",
            "language": "en",
            "body": "Hello {{ customer.name }}",
            "set_priority": 1,
        },
    )
    assert good.status_code == 302
    macro = Macro.objects.get()
    assert macro.created_by == service1 and macro.set_priority == 1
    assert ChangeLog.objects.filter(object_id=str(macro.pk), action="create").exists()
    listing = client.get("/service/macros/")
    assert b"Thanks" in listing.content


def test_applying_a_macro_fills_the_reply_and_moves_the_ticket(
    client_for: Any, service1: Any, ticket: Ticket
) -> None:
    macro = _macro(service1)
    _macro(
        service1, title="English one", language="en", body="Hi", set_status="", set_priority=None
    )
    client = client_for(service1)
    page = client.get(f"/service/tickets/{ticket.pk}/")
    # Only the macros in the customer's language are offered.
    assert "در انتظار مشتری".encode() in page.content and b"English one" not in page.content
    response = client.post(f"/service/tickets/{ticket.pk}/macro/", {"macro": macro.pk})
    assert response.status_code == 200
    ticket.refresh_from_db()
    assert ticket.status == "pending" and ticket.priority == 3
    body = response.content.decode()
    # Filled into the reply box in Persian, the status named in the macro's language.
    assert f"سلام علی، تیکت {ticket.pk} (در انتظار مشتری)" in body
    assert "Reza Hosseini" in body
    assert "<img src=x" not in body
    changes = ChangeLog.objects.filter(object_id=str(ticket.pk), content_type__model="ticket")
    assert changes.count() >= 3  # opened, re-prioritised, paused


def test_placeholder_values_are_not_read_as_placeholders(service1: Any, ticket: Ticket) -> None:
    ticket.customer.first_name = "{{ agent.name }}"
    macro = _macro(service1, body="Hi {{ customer.first_name }}")
    assert render_macro(macro, ticket, actor=service1) == "Hi {{ agent.name }}"


def test_another_queues_macro_cannot_be_applied(
    client_for: Any, service1: Any, manager: Any, ticket: Ticket
) -> None:
    sales_only = _macro(manager, department=Department.objects.get(code="sales"))
    client = client_for(service1)
    response = client.post(
        f"/service/tickets/{ticket.pk}/macro/", {"macro": sales_only.pk}, follow=True
    )
    assert b"Choose a macro." in response.content
    ticket.refresh_from_db()
    assert ticket.status == "new" and ticket.priority == 2


def test_a_macro_that_moves_the_ticket_away_sends_the_agent_to_the_queue(
    client_for: Any, service1: Any, ticket: Ticket
) -> None:
    macro = _macro(service1, set_status="", set_queue=Department.objects.get(code="sales"))
    response = client_for(service1).post(
        f"/service/tickets/{ticket.pk}/macro/", {"macro": macro.pk}
    )
    assert response.status_code == 302 and response["Location"] == "/service/tickets/"
    ticket.refresh_from_db()
    assert ticket.queue.code == "sales"


def test_staff_without_ticket_rights_get_404(
    client_for: Any, service1: Any, sales2: Any, marketing1: Any, ticket: Ticket
) -> None:
    macro = _macro(service1)
    for user in (sales2, marketing1):
        client = client_for(user)
        assert client.get("/service/macros/").status_code == 404
        assert client.post(f"/service/macros/{macro.pk}/delete/").status_code == 404
        assert (
            client.post(f"/service/tickets/{ticket.pk}/macro/", {"macro": macro.pk}).status_code
            == 404
        )
    assert Macro.objects.filter(pk=macro.pk).exists()
    ticket.refresh_from_db()
    assert ticket.status == "new"


def test_only_the_author_or_a_manager_changes_a_macro(
    client_for: Any, service1: Any, manager: Any
) -> None:
    managers = _macro(manager, title="Manager's")
    client = client_for(service1)
    assert client.get(f"/service/macros/{managers.pk}/").status_code == 404
    assert client.post(f"/service/macros/{managers.pk}/delete/").status_code == 404
    own = _macro(service1, title="Mine")
    edited = client.post(
        f"/service/macros/{own.pk}/",
        {"title": "Mine, edited", "language": "fa", "body": "سلام {{ customer.name }}"},
    )
    assert edited.status_code == 302
    own.refresh_from_db()
    assert own.title == "Mine, edited" and own.set_status == "" and own.set_priority is None
    assert client_for(manager).post(f"/service/macros/{own.pk}/delete/").status_code == 302
    assert not Macro.objects.filter(pk=own.pk).exists()


def test_macro_pages_in_persian(client_for: Any, service1: Any, ticket: Ticket) -> None:
    _macro(service1)
    speak_persian(service1)
    page = client_for(service1).get("/service/macros/")
    assert page.status_code == 200 and 'dir="rtl"' in page.content.decode()
    assert "ماکروها".encode() in page.content
