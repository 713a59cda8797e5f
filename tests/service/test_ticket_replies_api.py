"""Replies and notes over the API: a reply is queued for the customer and answers the
first-response target, a note is never queued; bad input and closed tickets get
problem+json; a ticket the caller may not see is 404."""

from __future__ import annotations

from typing import Any

import pytest

from peyvand.access.models import Department
from peyvand.channels.inbox.models import Message
from peyvand.service.models import Ticket
from peyvand.service.tickets.services import open_ticket, set_status
from tests.api.conftest import fields_of, problem_of
from tests.channels.email.conftest import customer_with_email

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket(personas: Any, identity: Any) -> Ticket:
    return open_ticket(
        actor=personas["service1"],
        customer=customer_with_email("mina@example.com", preferred_language="en"),
        subject="<b>Invoice</b> wrong",
        queue=Department.objects.get(code="service"),
        channel="phone",
    )


def test_reply_note_and_thread(api_client: Any, service1: Any, ticket: Ticket) -> None:
    agent = api_client(service1)
    reply = agent.post(
        f"/api/v1/tickets/{ticket.pk}/replies",
        {"body": "We fixed the <b>invoice</b>.", "status": "pending"},
        content_type="application/json",
    )
    assert reply.status_code == 201, reply.content
    assert reply.json()["kind"] == "reply" and reply.json()["status"] == "queued"
    note = agent.post(
        f"/api/v1/tickets/{ticket.pk}/notes",
        {"body": "Refund approved by finance."},
        content_type="application/json",
    )
    assert note.status_code == 201 and note.json()["kind"] == "note"
    thread = agent.get(f"/api/v1/tickets/{ticket.pk}/messages").json()
    assert [m["kind"] for m in thread] == ["reply", "note"]
    assert thread[0]["body"].startswith("We fixed the <b>invoice</b>.")
    ticket.refresh_from_db()
    assert ticket.status == "pending" and ticket.first_responded_at is not None
    outbound = Message.objects.get(direction="outbound")
    assert outbound.recipient == "mina@example.com"
    assert outbound.subject == f"[Ticket #{ticket.pk}] <b>Invoice</b> wrong"
    assert Message.objects.filter(direction="internal", status="note").count() == 1


def test_bad_input_and_closed_tickets_are_problems(
    api_client: Any, service1: Any, ticket: Ticket
) -> None:
    agent = api_client(service1)
    empty = agent.post(
        f"/api/v1/tickets/{ticket.pk}/replies", {"body": ""}, content_type="application/json"
    )
    assert "body" in fields_of(problem_of(empty, 422))
    wrong_status = agent.post(
        f"/api/v1/tickets/{ticket.pk}/replies",
        {"body": "x", "status": "later"},
        content_type="application/json",
    )
    assert "status" in fields_of(problem_of(wrong_status, 422))
    set_status(ticket, actor=service1, status="closed")
    closed = agent.post(
        f"/api/v1/tickets/{ticket.pk}/replies", {"body": "x"}, content_type="application/json"
    )
    assert problem_of(closed, 422)["errors"]
    # Only the satisfaction survey that closing sent; no reply.
    assert list(Message.objects.values_list("meta__email__language", "subject")) == [
        ("en", f"How did we do? Ticket #{ticket.pk}")
    ]


def test_other_staff_get_404(api_client: Any, sales2: Any, marketing1: Any, ticket: Ticket) -> None:
    for user in (sales2, marketing1):
        client = api_client(user)
        problem_of(client.get(f"/api/v1/tickets/{ticket.pk}/messages"), 404)
        for path in ("replies", "notes"):
            problem_of(
                client.post(
                    f"/api/v1/tickets/{ticket.pk}/{path}",
                    {"body": "x"},
                    content_type="application/json",
                ),
                404,
            )
    assert not Message.objects.exists()
