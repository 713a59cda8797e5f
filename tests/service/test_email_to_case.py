"""Email to case: a support mailbox's "open a ticket" rule turns an inbound email into a
ticket under the sender's agreement, with its SLA clock running; an unknown sender becomes
a customer. Ingested through the same function the IMAP poll and the webhook call."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from peyvand.access.models import Department
from peyvand.channels.email.inbound.ingest import ingest_email
from peyvand.channels.email.inbound.models import Mailbox, MailboxRule
from peyvand.service.models import BusinessCalendar, ServiceAgreement, SlaPolicy, Ticket
from tests.channels.email.inbound.conftest import make_email
from tests.factories import ContactPointFactory, CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def support(personas: Any) -> Mailbox:
    box = Mailbox.objects.create(
        name="Support",
        address="support@example.com",
        department=Department.objects.get(code="service"),
    )
    MailboxRule.objects.create(mailbox=box, field="subject", contains="", action="ticket")
    return box


def test_email_opens_a_ticket_under_the_agreement(support: Mailbox) -> None:
    calendar = BusinessCalendar.objects.create(name="Office")
    gold = SlaPolicy.objects.create(
        name="Gold", first_response_minutes=30, resolution_minutes=240, calendar=calendar
    )
    customer = CustomerFactory()
    ContactPointFactory(customer=customer, kind="email", value="Nazanin@Example.com")
    ServiceAgreement.objects.create(
        customer=customer,
        name="Gold care",
        starts_on=dt.date(2020, 1, 1),
        ends_on=dt.date(2099, 1, 1),
        sla_policy=gold,
    )
    ingest_email(
        support,
        make_email(
            subject="چاپگر کار نمی‌کند", sender="nazanin@example.com", message_id="case-1@x"
        ).as_bytes(),
    )
    ticket = Ticket.objects.get()
    assert ticket.customer == customer and ticket.agreement is not None
    assert ticket.sla_policy == gold and ticket.resolution_due is not None
    assert ticket.channel == "email" and ticket.conversation is not None
    assert ticket.queue.code == "service"
    # The same email delivered again opens nothing more.
    ingest_email(
        support,
        make_email(
            subject="چاپگر کار نمی‌کند", sender="nazanin@example.com", message_id="case-1@x"
        ).as_bytes(),
    )
    assert Ticket.objects.count() == 1


def test_unknown_sender_becomes_a_customer_with_a_ticket(support: Mailbox) -> None:
    ingest_email(
        support,
        make_email(subject="Help", sender="stranger@example.org", message_id="case-2@x").as_bytes(),
    )
    ticket = Ticket.objects.get()
    assert ticket.customer.contact_points.get().normalized == "stranger@example.org"
    assert ticket.conversation.customer_id == ticket.customer_id


def test_replies_to_a_merged_ticket_s_thread_land_on_the_ticket_that_stayed(
    support: Mailbox, service1: Any
) -> None:
    from peyvand.channels.inbox.models import Message
    from peyvand.service.tickets.services import merge_tickets, set_status

    customer = CustomerFactory()
    ContactPointFactory(customer=customer, kind="email", value="sara@example.com")
    for n in (1, 2):
        ingest_email(
            support,
            make_email(subject=f"Router {n}", sender="sara@example.com", message_id=f"r{n}@x")
            .as_bytes(),
        )  # fmt: skip
    keep, duplicate = Ticket.objects.order_by("pk")
    old_thread = duplicate.conversation
    merge_tickets(duplicate, into=keep, actor=service1)
    set_status(keep, actor=service1, status="pending")
    # One reply quotes the duplicate's first email, another only reaches the old thread's
    # reply address: both belong to the ticket that stayed.
    ingest_email(
        support,
        make_email(
            subject="Re: Router 2", sender="sara@example.com", message_id="r3@x",
            In_Reply_To="<r2@x>",
        ).as_bytes(),
    )  # fmt: skip
    ingest_email(
        support,
        make_email(
            subject="Re: Router 2",
            sender="sara@example.com",
            to=f"support+{old_thread.reply_token}@example.com",
            message_id="r4@x",
        ).as_bytes(),
    )
    for message_id in ("r3@x", "r4@x"):
        assert Message.objects.get(message_id=message_id).conversation_id == keep.conversation_id
    assert not Message.objects.filter(conversation=old_thread).exists()
    assert Ticket.objects.count() == 2
    keep.refresh_from_db()
    # The customer answered: the ticket that waited on them is open again.
    assert keep.status == "open"
