"""Portal fixtures: two customers with an email and a mobile on file, a test client signed
in to the portal as either, and the real SMTP server and SMS gateway of the channel tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import Client

from peyvand.channels.sms.models import SmsGateway
from peyvand.customers.models import Customer
from peyvand.customers.services import add_contact_point
from peyvand.portal.session import SESSION_KEY
from tests.channels.email.conftest import identity, sink  # noqa: F401 (fixtures)
from tests.channels.gateway_receiver import GatewayReceiver, running_receiver
from tests.factories import CustomerFactory


def make_customer(name: str, email: str, phone: str, **fields: Any) -> Customer:
    customer = CustomerFactory(display_name=name, **fields)
    add_contact_point(customer, actor=None, kind="email", value=email, is_primary=True)
    add_contact_point(customer, actor=None, kind="phone", value=phone, is_primary=True)
    return customer


@pytest.fixture
def alice(personas: dict[str, Any]) -> Customer:
    return make_customer(
        "Alice Ahmadi",
        "alice@example.com",
        "09121111111",
        preferred_language="en",
        owner=personas["sales1"],
    )


@pytest.fixture
def bob(personas: dict[str, Any]) -> Customer:
    return make_customer("Bob Bahrami", "bob@example.com", "09122222222", preferred_language="fa")


@pytest.fixture
def portal_client(db: Any) -> Callable[[Customer], Client]:
    """`portal_client(customer)`: a client whose portal session is that customer's."""

    def make(customer: Customer) -> Client:
        client = Client()
        session = client.session
        session[SESSION_KEY] = customer.pk
        session.save()
        return client

    return make


@pytest.fixture
def receiver(settings: Any) -> Iterator[GatewayReceiver]:
    settings.PEYVAND_ALLOWED_PRIVATE_NETWORKS = ["127.0.0.1/32"]
    with running_receiver() as server:
        yield server


@pytest.fixture
def gateway(receiver: GatewayReceiver) -> SmsGateway:
    return SmsGateway.objects.create(
        name="Loopback", url=receiver.url, sender_id="3000123", is_default=True
    )


def make_ticket(customer: Customer, subject: str, *, staff: Any) -> Any:
    """A portal ticket with a public answer from staff, an internal note, and a reply from
    the customer carrying an attachment."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from peyvand.channels.inbox.models import Message
    from peyvand.channels.inbox.services import add_note, queue_message
    from peyvand.channels.services import add_attachments
    from peyvand.portal.services import open_portal_ticket, reply_to_ticket

    ticket = open_portal_ticket(customer, subject=subject, description=f"Details of {subject}")
    queue_message(
        ticket.conversation,
        actor=staff,
        body=f"Public answer to {subject}",
        recipient="customer@example.com",
        channel="email",
    )
    add_note(ticket.conversation, actor=staff, body=f"INTERNAL NOTE about {subject}")
    reply_to_ticket(customer, ticket, body=f"Customer follow-up on {subject}")
    message = Message.objects.filter(conversation=ticket.conversation, direction="inbound").last()
    assert message is not None and message.interaction is not None
    add_attachments(
        message.interaction,
        actor=None,
        attachments=[SimpleUploadedFile(f"{subject}.txt", b"log file", "text/plain")],
    )
    ticket.refresh_from_db()
    return ticket
