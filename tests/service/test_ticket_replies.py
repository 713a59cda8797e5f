"""Public replies and internal notes on a ticket: the reply reaches the customer over real
SMTP in their language and counts as the first response; the note never leaves the
building; the customer's answer reopens a ticket that waited on them and restarts its SLA
clock where it stopped. Refused to staff who may not see the ticket (404)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from peyvand.access.models import Department
from peyvand.channels.email.inbound.ingest import ingest_email
from peyvand.channels.email.inbound.models import Mailbox, MailboxRule
from peyvand.channels.inbox.choices import MessageStatus
from peyvand.channels.inbox.models import Message
from peyvand.channels.models import Interaction
from peyvand.customers.choices import ConsentStatus
from peyvand.customers.services import set_consent
from peyvand.service.models import BusinessCalendar, SlaPolicy, Ticket
from peyvand.service.tickets.services import open_ticket, set_status
from tests.channels.email.conftest import customer_with_email
from tests.channels.email.inbound.conftest import make_email
from tests.channels.email.sink import SinkHandler
from tests.conftest import speak_persian

pytestmark = pytest.mark.django_db(transaction=True)

HOSTILE = "<script>alert('x')</script>"


@pytest.fixture
def policy(db: Any) -> SlaPolicy:
    # Every hour of every day is working time, so business minutes are plain minutes.
    calendar = BusinessCalendar.objects.create(
        name="Always", time_zone="UTC", weekly_hours={str(d): [["00:00", "23:59"]] for d in range(1, 8)}
    )  # fmt: skip
    return SlaPolicy.objects.create(
        name="Standard", first_response_minutes=60, resolution_minutes=600, calendar=calendar
    )


@pytest.fixture
def support(personas: Any) -> Mailbox:
    box = Mailbox.objects.create(
        name="Support",
        address="help@shop.example",
        department=Department.objects.get(code="service"),
    )
    MailboxRule.objects.create(mailbox=box, field="subject", contains="", action="ticket")
    return box


def _email_ticket(support: Mailbox, *, language: str = "fa") -> Ticket:
    customer_with_email("nazanin@example.com", preferred_language=language)
    ingest_email(
        support,
        make_email(
            subject=f"چاپگر کار نمی‌کند {HOSTILE}",
            sender="nazanin@example.com",
            to="help@shop.example",
            message_id="case-1@customer.example",
        ).as_bytes(),
    )
    return Ticket.objects.select_related("customer").get()


def test_public_reply_is_delivered_and_the_note_is_not(
    sink: SinkHandler,
    identity: Any,
    support: Mailbox,
    policy: SlaPolicy,
    client_for: Any,
    service1: Any,
) -> None:
    ticket = _email_ticket(support)
    client = client_for(service1)
    note = client.post(
        f"/service/tickets/{ticket.pk}/note/", {"body": f"Customer is angry {HOSTILE}"}
    )
    assert note.status_code == 302
    reply = client.post(
        f"/service/tickets/{ticket.pk}/reply/",
        {"body": f"سلام، لطفاً چاپگر را خاموش و روشن کنید {HOSTILE}", "status": "pending"},
    )
    assert reply.status_code == 302
    assert sink.count == 1
    received = sink.messages()[0]
    assert received["To"] == "nazanin@example.com"
    assert str(received["Subject"]).startswith(f"[تیکت #{ticket.pk}]")
    text = str(received.get_body(preferencelist=("plain",)).get_content())
    html = str(received.get_body(preferencelist=("html",)).get_content())
    assert "چاپگر را خاموش" in text and "Customer is angry" not in text
    assert 'dir="rtl"' in html and "<script>" not in html and "&lt;script&gt;" in html
    # Threaded on the customer's email, so their mail client and our inbound side agree.
    assert received["In-Reply-To"] == "<case-1@customer.example>"
    token = ticket.conversation.reply_token
    assert received["Reply-To"] == f"support+{token}@shop.example"

    ticket.refresh_from_db()
    assert ticket.first_responded_at is not None and ticket.status == "pending"
    assert ticket.paused_at is not None
    sent = Message.objects.get(direction="outbound")
    assert sent.status == MessageStatus.SENT
    note_row = Message.objects.get(status=MessageStatus.NOTE)
    assert note_row.interaction is None and note_row.sent_at is None
    timeline = list(
        Interaction.objects.filter(customer=ticket.customer).values_list("body", flat=True)
    )
    assert any("چاپگر را خاموش" in body for body in timeline)
    assert not any("Customer is angry" in body for body in timeline)

    page = client.get(f"/service/tickets/{ticket.pk}/")
    assert page.status_code == 200
    assert b"Customer is angry" in page.content and b"<script>alert" not in page.content
    assert "چاپگر را خاموش".encode() in page.content


def test_reply_in_english_for_an_english_speaking_customer(
    sink: SinkHandler,
    identity: Any,
    support: Mailbox,
    policy: SlaPolicy,
    client_for: Any,
    service1: Any,
) -> None:
    ticket = _email_ticket(support, language="en")
    client_for(service1).post(f"/service/tickets/{ticket.pk}/reply/", {"body": "Try again now."})
    received = sink.messages()[0]
    assert str(received["Subject"]).startswith(f"[Ticket #{ticket.pk}]")
    assert "The support team" in str(received.get_body(preferencelist=("plain",)).get_content())


def test_customers_answer_reopens_the_ticket_and_resumes_the_clock(
    sink: SinkHandler, identity: Any, support: Mailbox, policy: SlaPolicy, service1: Any
) -> None:
    ticket = _email_ticket(support)
    due = ticket.resolution_due
    assert due is not None
    # Paused two hours ago; the customer answers the ticket's thread (found by its reply
    # token) now.
    paused_at = timezone.now() - dt.timedelta(hours=2)
    set_status(ticket, actor=service1, status="pending", now=paused_at)
    ticket.refresh_from_db()
    left = ticket.resolution_left_seconds
    assert left is not None
    ingest_email(
        support,
        make_email(
            subject="Re: printer",
            sender="nazanin@example.com",
            to=f"support+{ticket.conversation.reply_token}@shop.example",
            message_id="answer-1@customer.example",
            body="خاموش و روشن کردم، باز کار نمی‌کند.",
        ).as_bytes(),
    )
    answered = timezone.now()
    ticket.refresh_from_db()
    assert Ticket.objects.count() == 1
    assert ticket.status == "open" and ticket.paused_at is None
    # The time left when the clock stopped runs again from the answer.
    expected = answered + dt.timedelta(seconds=left)
    assert abs((ticket.resolution_due - expected).total_seconds()) < 61
    assert ticket.resolution_due > due


def test_no_consent_no_email_and_the_first_response_stays_open(
    sink: SinkHandler,
    identity: Any,
    support: Mailbox,
    policy: SlaPolicy,
    client_for: Any,
    service1: Any,
    manager: Any,
) -> None:
    ticket = _email_ticket(support)
    set_consent(
        ticket.customer,
        actor=manager,
        channel="email",
        purpose="service",
        status=ConsentStatus.WITHDRAWN,
        source="test",
    )
    response = client_for(service1).post(
        f"/service/tickets/{ticket.pk}/reply/", {"body": "Hello"}, follow=True
    )
    assert b"kept on the ticket but not sent" in response.content
    assert sink.count == 0
    ticket.refresh_from_db()
    assert ticket.first_responded_at is None
    assert Message.objects.get(direction="outbound").status == MessageStatus.SUPPRESSED


def test_empty_reply_is_refused_in_persian_and_nothing_changes(
    sink: SinkHandler,
    identity: Any,
    support: Mailbox,
    policy: SlaPolicy,
    client_for: Any,
    service1: Any,
) -> None:
    ticket = _email_ticket(support)
    speak_persian(service1)
    response = client_for(service1).post(f"/service/tickets/{ticket.pk}/reply/", {"body": "  "})
    assert response.status_code == 400
    assert "پر کردن این فیلد الزامی است".encode() in response.content
    assert sink.count == 0 and not Message.objects.filter(direction="outbound").exists()


def test_staff_who_may_not_see_the_ticket_get_404(
    sink: SinkHandler,
    identity: Any,
    support: Mailbox,
    policy: SlaPolicy,
    client_for: Any,
    sales2: Any,
    marketing1: Any,
) -> None:
    ticket = _email_ticket(support)
    for user in (sales2, marketing1):
        client = client_for(user)
        assert client.get(f"/service/tickets/{ticket.pk}/").status_code == 404
        assert client.post(f"/service/tickets/{ticket.pk}/reply/", {"body": "x"}).status_code == 404
        assert client.post(f"/service/tickets/{ticket.pk}/note/", {"body": "x"}).status_code == 404
    assert (
        sink.count == 0
        and Message.objects.filter(direction__in=["outbound", "internal"]).count() == 0
    )


def test_phone_ticket_gets_its_reply_by_email(
    sink: SinkHandler, identity: Any, policy: SlaPolicy, client_for: Any, service1: Any
) -> None:
    customer = customer_with_email("pari@example.com", preferred_language="fa")
    ticket = open_ticket(
        actor=service1,
        customer=customer,
        subject="Phone call",
        queue=Department.objects.get(code="service"),
        channel="phone",
    )
    client_for(service1).post(f"/service/tickets/{ticket.pk}/reply/", {"body": "پاسخ"})
    assert [m["To"] for m in sink.messages()] == ["pari@example.com"]
    ticket.refresh_from_db()
    assert ticket.conversation is not None and ticket.conversation.channel == "email"
