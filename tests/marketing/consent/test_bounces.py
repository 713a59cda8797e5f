"""Delivery reports arriving in a real IMAP mailbox (dovecot): a DSN hard bounce suppresses
the address, soft bounces are counted and suppress after the limit unless a delivery in
between resets the run, an ARF complaint suppresses and withdraws marketing consent. None
of them becomes a conversation; an ordinary email still does."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from peyvand.channels.email.inbound.imap import sync_mailbox
from peyvand.channels.inbox.models import Message
from peyvand.customers.models import Consent
from peyvand.customers.services import set_consent
from peyvand.marketing.consent.reports import COMPLAINT, HARD, SOFT, parse_report
from peyvand.marketing.models import BounceRecord, Suppression
from tests.channels.email.inbound.conftest import make_email
from tests.factories import ContactPointFactory, CustomerFactory

pytestmark = pytest.mark.django_db


def dsn(recipient: str, *, status: str, action: str) -> bytes:
    """A delivery status notification as Postfix sends it (RFC 3464)."""
    boundary = uuid.uuid4().hex
    return (
        "From: MAILER-DAEMON@mx.shop.example (Mail Delivery System)\r\n"
        "To: support@example.com\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        f"Message-ID: <{uuid.uuid4().hex}@mx.shop.example>\r\n"
        "MIME-Version: 1.0\r\n"
        f'Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"\r\n'
        "\r\n"
        f"--{boundary}\r\n"
        "Content-Description: Notification\r\n"
        "Content-Type: text/plain; charset=us-ascii\r\n\r\n"
        "I'm sorry to have to inform you that your message could not\r\n"
        "be delivered to one or more recipients.\r\n\r\n"
        f"--{boundary}\r\n"
        "Content-Description: Delivery report\r\n"
        "Content-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.shop.example\r\n"
        "Arrival-Date: Wed,  2 Dec 2026 01:00:00 +0000 (UTC)\r\n\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\n"
        f"Original-Recipient: rfc822;{recipient}\r\n"
        f"Action: {action}\r\n"
        f"Status: {status}\r\n"
        "Remote-MTA: dns; mx.customer.example\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 <someone>: Recipient address rejected\r\n\r\n"
        f"--{boundary}\r\n"
        "Content-Description: Undelivered Message Headers\r\n"
        "Content-Type: text/rfc822-headers\r\n\r\n"
        f"From: Shop <news@shop.example>\r\nTo: {recipient}\r\nSubject: Our offers\r\n\r\n"
        f"--{boundary}--\r\n"
    ).encode()


def arf(recipient: str) -> bytes:
    """An abuse report in the Abuse Reporting Format (RFC 5965), as a mailbox provider's
    feedback loop sends it; the recipient only in the returned message."""
    boundary = uuid.uuid4().hex
    return (
        "From: feedback@fbl.mailbox.example\r\n"
        "To: support@example.com\r\n"
        "Subject: FW: Our offers\r\n"
        f"Message-ID: <{uuid.uuid4().hex}@fbl.mailbox.example>\r\n"
        "MIME-Version: 1.0\r\n"
        f'Content-Type: multipart/report; report-type=feedback-report; boundary="{boundary}"\r\n'
        "\r\n"
        f"--{boundary}\r\n"
        'Content-Type: text/plain; charset="US-ASCII"\r\n\r\n'
        "This is an email abuse report for an email message received from IP\r\n"
        "192.0.2.1 on Wed, 2 Dec 2026 01:00:00 +0000.\r\n\r\n"
        f"--{boundary}\r\n"
        "Content-Type: message/feedback-report\r\n\r\n"
        "Feedback-Type: abuse\r\n"
        "User-Agent: SomeGenerator/1.0\r\n"
        "Version: 1\r\n"
        "Source-IP: 192.0.2.1\r\n\r\n"
        f"--{boundary}\r\n"
        "Content-Type: message/rfc822\r\n"
        "Content-Disposition: inline\r\n\r\n"
        f"From: Shop <news@shop.example>\r\nTo: <{recipient}>\r\nSubject: Our offers\r\n"
        "Message-ID: <offer-1@shop.example>\r\n\r\nBuy now!\r\n\r\n"
        f"--{boundary}--\r\n"
    ).encode()


def test_reports_are_parsed_and_ordinary_mail_is_not_a_report() -> None:
    assert parse_report(dsn("A@X.io", status="5.1.1", action="failed"))[0].kind == HARD  # type: ignore[index]
    soft = parse_report(dsn("a@x.io", status="4.2.2", action="delayed"))
    assert soft is not None and (soft[0].kind, soft[0].address, soft[0].status) == (
        SOFT,
        "a@x.io",
        "4.2.2",
    )
    complaint = parse_report(arf("Buyer@Mailbox.example"))
    assert complaint is not None and (complaint[0].kind, complaint[0].address) == (
        COMPLAINT,
        "buyer@mailbox.example",
    )
    assert parse_report(make_email().as_bytes()) is None


def test_a_hard_bounce_in_the_mailbox_suppresses_the_address(
    mailbox: Any, imap_account: Any
) -> None:
    imap_account.append(dsn("gone@customer.example", status="5.1.1", action="failed"))
    imap_account.append(make_email(subject="A real question", message_id="q-1@customer.example"))
    result = sync_mailbox(mailbox.pk)
    assert (result.reports, result.imported, result.error) == (1, 1, "")
    row = Suppression.objects.get()
    assert (row.channel, row.address, row.reason) == (
        "email",
        "gone@customer.example",
        "hard_bounce",
    )
    assert "5.1.1" in row.source
    # The report is not a conversation; the question is.
    assert list(Message.objects.values_list("subject", flat=True)) == ["A real question"]


def test_soft_bounces_suppress_after_the_limit_and_a_delivery_resets_the_run(
    mailbox: Any, imap_account: Any, settings: Any
) -> None:
    settings.PEYVAND_SOFT_BOUNCE_LIMIT = 3
    for _ in range(2):
        imap_account.append(dsn("full@customer.example", status="4.2.2", action="delayed"))
    imap_account.append(dsn("full@customer.example", status="2.0.0", action="delivered"))
    imap_account.append(dsn("full@customer.example", status="4.2.2", action="failed"))
    sync_mailbox(mailbox.pk)
    record = BounceRecord.objects.get()
    assert record.soft_bounces == 1 and not Suppression.objects.exists()
    for _ in range(2):
        imap_account.append(dsn("full@customer.example", status="4.4.1", action="delayed"))
    assert sync_mailbox(mailbox.pk).reports == 2
    row = Suppression.objects.get()
    assert (row.address, row.reason) == ("full@customer.example", "hard_bounce")
    assert not Message.objects.exists()


def test_a_complaint_suppresses_and_withdraws_marketing_consent(
    mailbox: Any, imap_account: Any
) -> None:
    customer = CustomerFactory()
    ContactPointFactory(customer=customer, value="Buyer@Mailbox.example")
    for purpose in ("marketing", "service"):
        set_consent(
            customer, actor=None, channel="email", purpose=purpose, status="granted", source="form"
        )
    imap_account.append(arf("buyer@mailbox.example"))
    assert sync_mailbox(mailbox.pk).reports == 1
    assert Suppression.objects.get().reason == "complaint"
    consents = {c.purpose: (c.status, c.source) for c in Consent.objects.filter(customer=customer)}
    assert consents == {
        "marketing": ("withdrawn", "spam complaint"),
        "service": ("granted", "form"),
    }
    assert not Message.objects.exists()


POSTMARK = "/marketing/email-events/postmark/tracking/"


def _post(client: Any, payload: dict[str, Any]) -> Any:
    import base64
    import json

    auth = base64.b64encode(b"hook:s3cret").decode()
    return client.post(
        POSTMARK,
        json.dumps(payload),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Basic {auth}",
    )


def test_a_providers_webhook_events_suppress_count_and_withdraw(settings: Any) -> None:
    from django.test import Client

    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": "hook:s3cret"}
    settings.PEYVAND_SOFT_BOUNCE_LIMIT = 2
    customer = CustomerFactory()
    ContactPointFactory(customer=customer, value="moaned@customer.example")
    set_consent(
        customer, actor=None, channel="email", purpose="marketing", status="granted", source="form"
    )
    client = Client()
    base = {"MessageID": str(uuid.uuid4()), "BouncedAt": "2026-12-02T01:00:00Z", "Description": "x"}
    hard = {
        **base,
        "RecordType": "Bounce",
        "Type": "HardBounce",
        "TypeCode": 1,
        "Email": "Gone@Customer.example",
    }
    assert _post(client, hard).status_code == 200
    transient = {
        **base,
        "RecordType": "Bounce",
        "Type": "Transient",
        "TypeCode": 2,
        "Email": "slow@customer.example",
    }
    assert _post(client, transient).status_code == 200
    assert BounceRecord.objects.get(address="slow@customer.example").soft_bounces == 1
    complaint = {
        **base,
        "RecordType": "SpamComplaint",
        "Type": "SpamComplaint",
        "TypeCode": 512,
        "Email": "moaned@customer.example",
    }
    assert _post(client, complaint).status_code == 200
    reasons = dict(Suppression.objects.values_list("address", "reason"))
    assert reasons == {
        "gone@customer.example": "hard_bounce",
        "moaned@customer.example": "complaint",
    }
    assert Consent.objects.get(customer=customer).status == "withdrawn"
    # Without the shared secret the provider's post is refused and changes nothing.
    refused = Client().post(POSTMARK, "{}", content_type="application/json")
    assert refused.status_code in (400, 401, 403)
