"""Staff replies on tickets the customer opened on the portal: delivered on the portal's
ticket page, and announced by email (real SMTP server) in the customer's language when the
customer has an address and has not withdrawn service email."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from peyvand.channels.inbox.choices import MessageStatus
from peyvand.channels.inbox.models import Message
from peyvand.customers.services import set_consent
from peyvand.portal.services import open_portal_ticket
from peyvand.service.tickets.services import reply_to_customer
from tests.channels.email.sink import SinkHandler
from tests.factories import CustomerFactory
from tests.portal.test_sign_in import _text

pytestmark = pytest.mark.django_db(transaction=True)

REPLY = "Restart it <script>alert(1)</script> & tell us"


def _staff_reply(client: Any, ticket: Any) -> Any:
    return client.post(
        reverse("service:ticket_reply", args=[ticket.pk]), {"body": REPLY, "status": ""}
    )


def test_a_reply_shows_on_the_portal_and_the_customer_is_told_by_email(
    sink: SinkHandler,
    identity: Any,
    alice: Any,
    personas: dict[str, Any],
    client_for: Any,
    portal_client: Any,
) -> None:
    ticket = open_portal_ticket(alice, subject="Printer jams", description="It jams.")
    response = _staff_reply(client_for(personas["service1"]), ticket)
    assert response.status_code == 302
    reply = Message.objects.get(conversation=ticket.conversation, body=REPLY)
    assert reply.channel == "portal" and reply.status == MessageStatus.DELIVERED
    assert reply.interaction is not None  # on the customer's timeline
    page = portal_client(alice).get(f"/portal/tickets/{ticket.pk}/").content.decode()
    # Once (the email notice is not a second copy of it), and escaped.
    assert page.count("Restart it &lt;script&gt;alert(1)&lt;/script&gt; &amp; tell us") == 1
    assert "<script>alert(1)" not in page
    assert sink.count == 1
    email = sink.messages()[0]
    assert email["To"].addresses[0].addr_spec == "alice@example.com"
    assert str(email["Subject"]) == f"[Ticket #{ticket.pk}] Printer jams"
    text = _text(email)
    assert f"We answered your ticket #{ticket.pk}" in text and REPLY in text
    assert f"http://localhost:8000/portal/tickets/{ticket.pk}/" in text
    ticket.refresh_from_db()
    assert ticket.first_responded_at is not None


def test_someone_who_may_not_change_the_ticket_cannot_reply(
    sink: SinkHandler, identity: Any, alice: Any, personas: dict[str, Any], client_for: Any
) -> None:
    ticket = open_portal_ticket(alice, subject="Printer jams", description="It jams.")
    response = _staff_reply(client_for(personas["marketing1"]), ticket)
    assert response.status_code in (403, 404)
    assert not Message.objects.filter(body=REPLY).exists() and sink.count == 0


def test_a_persian_customer_is_told_in_persian(
    sink: SinkHandler, identity: Any, bob: Any, service1: Any
) -> None:
    ticket = open_portal_ticket(bob, subject="چاپگر", description="گیر می‌کند")
    reply_to_customer(ticket, actor=service1, body="دوباره روشن کنید")
    text = _text(sink.messages()[0])
    assert f"به تیکت #{ticket.pk} شما پاسخ دادیم" in text
    assert "دوباره روشن کنید" in text


def test_without_an_address_or_consent_the_reply_stays_on_the_portal_only(
    sink: SinkHandler, identity: Any, alice: Any, service1: Any, portal_client: Any
) -> None:
    nobody = CustomerFactory(display_name="No Mail", preferred_language="en")
    quiet = open_portal_ticket(nobody, subject="No mail", description="x")
    assert reply_to_customer(quiet, actor=service1, body="On the portal").status == "delivered"
    set_consent(
        alice,
        actor=None,
        channel="email",
        purpose="service",
        status="withdrawn",
        source="test",
    )
    ticket = open_portal_ticket(alice, subject="Printer jams", description="It jams.")
    reply_to_customer(ticket, actor=service1, body="Only here")
    assert sink.count == 0
    notice = Message.objects.get(conversation=ticket.conversation, channel="email")
    assert notice.status == MessageStatus.SUPPRESSED
    page = portal_client(alice).get(f"/portal/tickets/{ticket.pk}/").content.decode()
    assert page.count("Only here") == 1
