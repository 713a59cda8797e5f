"""Merge and split: a duplicate's messages and notes move to the ticket it is merged into,
the duplicate is closed with a link, every change audited; tickets of two customers are
never merged; a message split off becomes a child ticket shown on the parent's page."""

from __future__ import annotations

from typing import Any

import pytest

from peyvand.access.models import Department
from peyvand.audit.models import ChangeLog
from peyvand.channels.inbox.models import Message
from peyvand.channels.inbox.services import open_conversation, receive_message
from peyvand.service.models import Ticket
from peyvand.service.tickets.services import add_internal_note, open_ticket
from tests.conftest import speak_persian
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

HOSTILE = "<script>alert(1)</script>"


def _email_ticket(customer: Any, actor: Any, subject: str, message_id: str) -> Ticket:
    conversation = open_conversation(channel="email", customer=customer, subject=subject)
    receive_message(
        conversation,
        message_id=message_id,
        body=f"{subject} body",
        sender="c@example.com",
        subject=subject,
    )
    return open_ticket(
        actor=actor,
        customer=customer,
        subject=subject,
        queue=Department.objects.get(code="service"),
        channel="email",
        conversation=conversation,
    )


@pytest.fixture
def customer(personas: Any) -> Any:
    return CustomerFactory()


def test_merge_moves_messages_and_notes_and_closes_the_duplicate(
    client_for: Any, service1: Any, customer: Any
) -> None:
    keep = _email_ticket(customer, service1, "Printer broken", "a@x")
    dup = _email_ticket(customer, service1, f"Printer still broken {HOSTILE}", "b@x")
    add_internal_note(dup, actor=service1, body="Same as the other one")
    client = client_for(service1)
    response = client.post(f"/service/tickets/{dup.pk}/merge/", {"into": keep.pk})
    assert response.status_code == 302 and response["Location"] == f"/service/tickets/{keep.pk}/"
    dup.refresh_from_db()
    keep.refresh_from_db()
    assert dup.status == "closed" and dup.merged_into == keep
    bodies = list(
        Message.objects.filter(conversation=keep.conversation).values_list("body", flat=True)
    )
    assert "Printer still broken <script>alert(1)</script> body" in bodies
    assert "Same as the other one" in bodies
    assert not Message.objects.filter(conversation=dup.conversation).exists()
    moved = Message.objects.get(message_id="b@x")
    assert ChangeLog.objects.filter(object_id=str(moved.pk), content_type__model="message").exists()
    assert ChangeLog.objects.filter(object_id=str(dup.pk), after__merged_into_id=keep.pk).exists()
    page = client.get(f"/service/tickets/{keep.pk}/").content.decode()
    assert f"/service/tickets/{dup.pk}/" in page and "<script>alert(1)" not in page
    assert "&lt;script&gt;" in page
    dup_page = client.get(f"/service/tickets/{dup.pk}/").content.decode()
    assert "Merged into" in dup_page and f"/service/tickets/{keep.pk}/" in dup_page


def test_cross_customer_merge_is_refused_and_nothing_moves(
    client_for: Any, service1: Any, customer: Any
) -> None:
    mine = _email_ticket(customer, service1, "Mine", "m@x")
    theirs = _email_ticket(CustomerFactory(), service1, "Theirs", "t@x")
    speak_persian(service1)
    response = client_for(service1).post(f"/service/tickets/{mine.pk}/merge/", {"into": theirs.pk})
    assert response.status_code == 400
    assert "فقط تیکت‌های یک مشتری".encode() in response.content
    mine.refresh_from_db()
    assert mine.status == "new" and mine.merged_into is None
    assert Message.objects.get(message_id="m@x").conversation_id == mine.conversation_id


def test_merge_into_a_ticket_the_agent_may_not_see_is_refused(
    client_for: Any, service1: Any, manager: Any, customer: Any
) -> None:
    mine = _email_ticket(customer, service1, "Mine", "m2@x")
    sales_ticket = open_ticket(
        actor=manager,
        customer=customer,
        subject="Quote",
        queue=Department.objects.get(code="sales"),
    )
    response = client_for(service1).post(
        f"/service/tickets/{mine.pk}/merge/", {"into": sales_ticket.pk}
    )
    assert response.status_code == 400 and b"no ticket with this number" in response.content
    for bad in ({"into": mine.pk}, {"into": "abc"}):
        assert (
            client_for(service1).post(f"/service/tickets/{mine.pk}/merge/", bad).status_code == 400
        )
    mine.refresh_from_db()
    assert mine.status == "new"


def test_split_a_message_into_a_child_ticket(client_for: Any, service1: Any, customer: Any) -> None:
    parent = _email_ticket(customer, service1, "Two problems", "p1@x")
    second = receive_message(
        parent.conversation,
        message_id="p2@x",
        body="Also my invoice is wrong",
        sender="c@example.com",
        subject="Re: Two problems",
    )[0]
    client = client_for(service1)
    response = client.post(
        f"/service/tickets/{parent.pk}/split/", {"message": second.pk, "subject": "Invoice wrong"}
    )
    child = Ticket.objects.get(parent=parent)
    assert response.status_code == 302 and response["Location"] == f"/service/tickets/{child.pk}/"
    assert child.customer == customer and child.subject == "Invoice wrong"
    assert child.description == "Also my invoice is wrong" and child.queue == parent.queue
    second.refresh_from_db()
    assert second.conversation_id == child.conversation_id != parent.conversation_id
    assert ChangeLog.objects.filter(object_id=str(child.pk), after__parent_id=parent.pk).exists()
    parent_page = client.get(f"/service/tickets/{parent.pk}/").content.decode()
    assert "Child tickets" in parent_page and "Invoice wrong" in parent_page
    child_page = client.get(f"/service/tickets/{child.pk}/").content.decode()
    assert "Parent ticket" in child_page and f"/service/tickets/{parent.pk}/" in child_page
    note = add_internal_note(parent, actor=service1, body="note")
    refused = client.post(f"/service/tickets/{parent.pk}/split/", {"message": note.pk})
    assert refused.status_code == 400 and Ticket.objects.count() == 2


def test_sales2_cannot_merge_or_split(
    client_for: Any, service1: Any, sales2: Any, customer: Any
) -> None:
    one = _email_ticket(customer, service1, "One", "o1@x")
    two = _email_ticket(customer, service1, "Two", "o2@x")
    client = client_for(sales2)
    assert client.post(f"/service/tickets/{one.pk}/merge/", {"into": two.pk}).status_code == 404
    message = Message.objects.get(message_id="o1@x")
    assert (
        client.post(f"/service/tickets/{one.pk}/split/", {"message": message.pk}).status_code == 404
    )
    one.refresh_from_db()
    assert one.status == "new" and Ticket.objects.count() == 2
