"""Routing rules, customer matching and auto-reply safety, through the ingest function."""

from __future__ import annotations

from typing import Any

import pytest

from peyvand.access.models import Department
from peyvand.channels.choices import Direction
from peyvand.channels.email.inbound import routing
from peyvand.channels.email.inbound.ingest import ingest_email
from peyvand.channels.email.inbound.models import Mailbox, MailboxRule, RawInboundEmail
from peyvand.channels.inbox.models import Message
from peyvand.sales.models import Lead
from tests.channels.email.inbound.conftest import make_email
from tests.factories import ContactPointFactory, CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def box(personas: Any) -> Mailbox:
    return Mailbox.objects.create(
        name="Info", address="info@example.com", department=Department.objects.get(code="service")
    )


def _rule(box: Mailbox, **fields: Any) -> MailboxRule:
    return MailboxRule.objects.create(mailbox=box, **{"field": "subject", **fields})


def _ingest(box: Mailbox, **email: Any) -> Message:
    result = ingest_email(box, make_email(**email).as_bytes())
    assert result.message is not None, result
    return result.message


def test_known_sender_is_matched_by_normalised_address(box: Mailbox) -> None:
    customer = CustomerFactory()
    ContactPointFactory(customer=customer, value="Sara@Example.ORG")
    message = _ingest(box, sender="SARA@example.org", message_id="m1@x")
    assert message.conversation.customer_id == customer.pk
    assert message.interaction.customer_id == customer.pk


def test_mailbox_department_and_department_rule(box: Mailbox) -> None:
    sales = Department.objects.get(code="sales")
    _rule(box, contains="price", action="department", department=sales)
    plain = _ingest(box, subject="Where is my order", message_id="m2@x")
    quote = _ingest(box, subject="PRICE list please", message_id="m3@x")
    assert plain.conversation.department.code == "service"
    assert quote.conversation.department_id == sales.pk


def test_rules_run_only_for_new_conversations_and_stop(box: Mailbox) -> None:
    sales = Department.objects.get(code="sales")
    _rule(box, position=1, contains="", action="department", department=sales, stop=True)
    _rule(box, position=2, contains="", action="lead")
    message = _ingest(box, sender="new@prospect.example", message_id="m4@x")
    assert message.conversation.department_id == sales.pk
    assert not Lead.objects.exists()


def test_lead_rule_creates_one_lead_for_an_unknown_sender(box: Mailbox) -> None:
    _rule(
        box,
        field="to",
        contains="info@",
        action="lead",
        department=Department.objects.get(code="sales"),
    )
    first = _ingest(
        box, sender="Nima <nima@prospect.example>", to="info@example.com", message_id="m5@x"
    )
    _ingest(box, sender="nima@prospect.example", to="info@example.com", message_id="m6@x")
    lead = Lead.objects.get()
    assert (lead.email, lead.name, lead.channel) == ("nima@prospect.example", "Nima", "email")
    assert first.meta["lead"] == lead.pk
    known = CustomerFactory()
    ContactPointFactory(customer=known, value="known@example.com")
    _ingest(box, sender="known@example.com", to="info@example.com", message_id="m7@x")
    assert Lead.objects.count() == 1


def test_ticket_rule_calls_every_registered_handler(box: Mailbox) -> None:
    _rule(box, contains="broken", action="ticket")
    opened: list[str] = []

    def handler(message: Message, mailbox: Mailbox, rule: MailboxRule) -> None:
        opened.append(message.message_id)

    routing.register_ticket_handler(handler)
    try:
        _ingest(box, subject="Still broken", message_id="t2@x")
    finally:
        routing.unregister_ticket_handler(handler)
    assert opened == ["t2@x"]


def _auto_replies() -> Any:
    return Message.objects.filter(direction=Direction.OUTBOUND, meta__auto_reply=True)


def test_auto_reply_is_queued_threaded_and_rate_limited(box: Mailbox) -> None:
    _rule(box, contains="", action="auto_reply", reply_body="We got your message.")
    incoming = _ingest(box, subject="Help", message_id="a1@customer.example")
    reply = _auto_replies().get()
    assert reply.recipient == "ali@customer.example"
    assert reply.conversation_id == incoming.conversation_id
    assert reply.in_reply_to == "a1@customer.example"
    assert reply.subject == "Re: Help"
    assert reply.message_id.endswith("@example.com")
    assert reply.meta["headers"]["Auto-Submitted"] == "auto-replied"
    # The same sender writing again the same day gets no second auto-reply.
    _ingest(box, subject="Help again", message_id="a2@customer.example")
    assert _auto_replies().count() == 1


@pytest.mark.parametrize(
    "headers",
    [
        {"Auto_Submitted": "auto-replied"},
        {"Precedence": "bulk"},
        {"List_Id": "<news.example.org>"},
        {"X_Auto_Response_Suppress": "OOF, AutoReply"},
    ],
)
def test_no_auto_reply_to_automatic_mail(box: Mailbox, headers: dict[str, str]) -> None:
    _rule(box, contains="", action="auto_reply", reply_body="We got your message.")
    _ingest(box, subject="Out of office", message_id="auto@x", **headers)
    assert not _auto_replies().exists()


def test_no_auto_reply_to_mailer_daemon(box: Mailbox) -> None:
    _rule(box, contains="", action="auto_reply", reply_body="We got your message.")
    _ingest(box, sender="MAILER-DAEMON@mx.example", subject="Undelivered", message_id="b@x")
    assert not _auto_replies().exists()


def test_attachments_of_an_unknown_sender_keep_the_original(box: Mailbox) -> None:
    email = make_email(sender="who@nowhere.example", message_id="u1@x")
    email.add_attachment(b"%PDF-1.4 data", maintype="application", subtype="pdf", filename="cv.pdf")
    result = ingest_email(box, email.as_bytes())
    assert result.message is not None and result.message.interaction is None
    held = RawInboundEmail.objects.get(message=result.message)
    assert bytes(held.raw) == email.as_bytes()
    assert result.message.meta["original_kept"] is True
