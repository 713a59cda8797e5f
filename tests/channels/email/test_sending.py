"""Outbound email against a real SMTP server (aiosmtpd): headers and encodings as they
arrive, the customer's language, escaping, attachments, refusals and retries, batches."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from peyvand.channels.email.models import EmailTemplate
from peyvand.channels.email.services import save_identity, save_template, send_email
from peyvand.channels.inbox.choices import MessagePurpose, MessageStatus
from peyvand.channels.inbox.models import Message
from peyvand.channels.tasks import send_email_batch, sweep_messages
from peyvand.customers.choices import ConsentStatus
from peyvand.customers.services import set_consent
from tests.channels.conftest import PNG
from tests.channels.email.conftest import customer_with_email
from tests.channels.email.sink import SinkHandler

pytestmark = pytest.mark.django_db(transaction=True)


def _template(**fields: Any) -> EmailTemplate:
    defaults = {
        "name": "Welcome",
        "subject_en": "Welcome, {{ first_name | friend }}",
        "body_en": "Hello {{ first_name | friend }},\n\nThank you.",
        "subject_fa": "خوش آمدید {{ first_name | دوست عزیز }}",
        "body_fa": "سلام {{ first_name | دوست عزیز }}،\n\nسپاس از شما.",
    }
    defaults.update(fields)
    return EmailTemplate.objects.create(**defaults)


def _html(message: Any) -> str:
    part = message.get_body(preferencelist=("html",))
    return str(part.get_content())


def _text(message: Any) -> str:
    return str(message.get_body(preferencelist=("plain",)).get_content())


def test_persian_subject_travels_rfc2047_encoded_and_decodes_back(
    sink: SinkHandler, identity: Any, manager: Any
) -> None:
    customer = customer_with_email("reza@example.com", first_name="رضا", preferred_language="fa")
    sent = send_email(customer, actor=manager, template=_template(), identity=identity)
    sent.refresh_from_db()
    assert sent.status == MessageStatus.SENT and sent.sent_at is not None
    assert len(sink.raw) == 1
    raw = sink.raw[0]
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert b"Subject: =?utf-8?" in head
    assert "خوش آمدید".encode() not in head
    received = sink.messages()[0]
    assert received["Subject"] == "خوش آمدید رضا"
    assert received["From"].addresses[0].display_name == "پشتیبانی پیوند"
    assert received["From"].addresses[0].addr_spec == "support@shop.example"
    assert received["Message-ID"] == f"<{sent.message_id}>"
    assert sent.message_id.endswith("@shop.example") and len(sent.message_id.split("@")[0]) == 32
    token = sent.conversation.reply_token
    assert received["Reply-To"] == f"support+{token}@shop.example"
    assert "سلام رضا" in _text(received) and "تیم پشتیبانی" in _text(received)
    assert 'dir="rtl"' in _html(received)


def test_the_customers_language_is_chosen_and_the_other_one_is_the_fallback(
    sink: SinkHandler, identity: Any, manager: Any
) -> None:
    english = customer_with_email(first_name="Anna", preferred_language="en")
    persian_only = _template(name="FA only", subject_en="", body_en="")
    both = _template(name="Both")
    send_email(english, actor=manager, template=both, identity=identity)
    send_email(english, actor=manager, template=persian_only, identity=identity)
    nameless = customer_with_email(preferred_language="en")
    send_email(nameless, actor=manager, template=both, identity=identity)
    subjects = sorted(str(m["Subject"]) for m in sink.messages())
    assert subjects == ["Welcome, Anna", "Welcome, friend", "خوش آمدید Anna"]
    by_subject = {str(m["Subject"]): m for m in sink.messages()}
    assert "The support team" in _text(by_subject["Welcome, Anna"])
    assert "تیم پشتیبانی" in _text(by_subject["خوش آمدید Anna"])
    assert 'dir="ltr"' in _html(by_subject["Welcome, Anna"])


def test_customer_data_is_escaped_in_the_html_part(
    sink: SinkHandler, identity: Any, manager: Any
) -> None:
    hostile = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    customer = customer_with_email(first_name=hostile, preferred_language="en")
    template = _template(body_en="Dear {{ first_name }},\n<b>bold</b> stays text & so on.")
    message = send_email(customer, actor=manager, template=template, identity=identity)
    # The open pixel is the one image of the message, and it is ours.
    html = re.sub(r'<img src="http://[^"]+/t/o/[^"]+\.gif"[^>]*>', "", _html(sink.messages()[0]))
    assert "<script>" not in html and "<img" not in html and "<b>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert "&lt;b&gt;bold&lt;/b&gt; stays text &amp; so on." in html
    assert hostile in _text(sink.messages()[0])
    message.refresh_from_db()
    assert "<script>" not in message.body_html


def test_attachments_arrive_with_their_names_and_bytes(
    sink: SinkHandler, identity: Any, manager: Any
) -> None:
    customer = customer_with_email()
    report = "گزارش ماه.txt"
    message = send_email(
        customer,
        actor=manager,
        subject="Files",
        body="See attached.",
        identity=identity,
        attachments=[ContentFile(PNG, name="chart.png"), ContentFile("سلام".encode(), name=report)],
    )
    assert message.email_attachments.count() == 2
    received = sink.messages()[0]
    files = {part.get_filename(): part for part in received.iter_attachments()}
    assert set(files) == {"chart.png", report}
    assert files["chart.png"].get_content() == PNG
    assert files["chart.png"].get_content_type() == "image/png"
    assert _html(received) and _text(received).startswith("See attached.")


def test_attachments_over_the_limit_are_refused_and_nothing_is_queued(
    sink: SinkHandler, identity: Any, manager: Any, settings: Any
) -> None:
    settings.PEYVAND_EMAIL_MAX_ATTACHMENTS_BYTES = 1000
    customer = customer_with_email()
    files = [ContentFile(b"a" * 600, name="a.txt"), ContentFile(b"b" * 600, name="b.txt")]
    with pytest.raises(ValidationError) as exc:
        send_email(
            customer, actor=manager, subject="x", body="y", identity=identity, attachments=files
        )
    assert "attachments" in exc.value.message_dict
    assert Message.objects.count() == 0 and sink.count == 0


def test_a_5xx_refusal_is_permanent_and_goes_to_the_dead_letters(
    sink: SinkHandler, identity: Any, manager: Any
) -> None:
    sink.rcpt_replies["nobody@example.com"] = "550 5.1.1 No such user"
    customer = customer_with_email("nobody@example.com")
    message = send_email(customer, actor=manager, subject="Hi", body="Hi", identity=identity)
    message.refresh_from_db()
    assert message.status == MessageStatus.DEAD
    assert "550" in message.last_error and message.next_attempt_at is None


def test_a_5xx_at_the_end_of_data_is_dead_even_after_the_handover(
    sink: SinkHandler, identity: Any, manager: Any
) -> None:
    sink.data_replies["spam@example.com"] = "554 5.7.1 Rejected as spam"
    customer = customer_with_email("spam@example.com")
    message = send_email(customer, actor=manager, subject="Hi", body="Hi", identity=identity)
    message.refresh_from_db()
    assert message.status == MessageStatus.DEAD and "554" in message.last_error
    assert message.sent_at is None and sink.count == 0


def test_a_4xx_is_retried_with_backoff_until_the_server_takes_it(
    sink: SinkHandler, identity: Any, manager: Any
) -> None:
    sink.rcpt_replies["busy@example.com"] = "451 4.3.0 Try again later"
    customer = customer_with_email("busy@example.com")
    message = send_email(customer, actor=manager, subject="Hi", body="Hi", identity=identity)
    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED and message.attempts == 1
    assert message.next_attempt_at is not None and message.next_attempt_at > timezone.now()
    assert "451" in message.last_error
    del sink.rcpt_replies["busy@example.com"]
    sweep_messages.call()
    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED, "not before its retry time"
    Message.objects.filter(pk=message.pk).update(
        next_attempt_at=timezone.now() - dt.timedelta(seconds=1)
    )
    sweep_messages.call()
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT and message.attempts == 2
    assert sink.message_ids() == [message.message_id]


def test_an_unreachable_server_is_retried(identity: Any, manager: Any, settings: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 2549  # nothing listens there
    customer = customer_with_email()
    message = send_email(customer, actor=manager, subject="Hi", body="Hi", identity=identity)
    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED and message.next_attempt_at is not None


def _no_task_runs(settings: Any) -> None:
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend", "QUEUES": ["default"]}
    }


def _sent_commits(queries: CaptureQueriesContext) -> int:
    return sum(
        1
        for q in queries.captured_queries
        if q["sql"].startswith('UPDATE "comms_message" SET "status" = \'sent\'')
    )


@pytest.mark.parametrize("connections", [1, 8])
def test_a_batch_reuses_its_connections_and_hands_over_a_group_per_commit(
    sink: SinkHandler, identity: Any, manager: Any, settings: Any, connections: int
) -> None:
    _no_task_runs(settings)
    settings.PEYVAND_SMTP_CONNECTIONS = connections
    customers = [customer_with_email() for _ in range(30)]
    queued = [
        send_email(c, actor=manager, subject="News", body="Hello", identity=identity)
        for c in customers
    ]
    assert sink.count == 0
    with CaptureQueriesContext(db_connection) as queries:
        assert send_email_batch.call() == 30
    assert sorted(sink.message_ids()) == sorted(m.message_id for m in queued)
    assert len(set(sink.peers)) == connections
    # One commit of "sent" per group of `connections` messages, not one per message.
    assert _sent_commits(queries) == -(-30 // connections)
    assert set(Message.objects.values_list("status", flat=True)) == {MessageStatus.SENT}
    assert send_email_batch.call() == 0


def test_a_refusal_in_a_group_fails_only_its_own_message(
    sink: SinkHandler, identity: Any, manager: Any, settings: Any
) -> None:
    _no_task_runs(settings)
    settings.PEYVAND_SMTP_CONNECTIONS = 4
    sink.rcpt_replies["nobody@example.com"] = "550 5.1.1 No such user"
    sink.rcpt_replies["busy@example.com"] = "451 4.3.0 Try again later"
    sink.data_replies["spam@example.com"] = "554 5.7.1 Rejected as spam"
    addresses = ["a@example.com", "nobody@example.com", "b@example.com", "busy@example.com"]
    addresses += ["spam@example.com", "c@example.com", "d@example.com"]
    queued = {
        address: send_email(
            customer_with_email(address), actor=manager, subject="Hi", body="Hi", identity=identity
        )
        for address in addresses
    }
    assert send_email_batch.call() == 7
    status = {a: Message.objects.get(pk=m.pk).status for a, m in queued.items()}
    assert status == {
        "a@example.com": MessageStatus.SENT,
        "nobody@example.com": MessageStatus.DEAD,
        "b@example.com": MessageStatus.SENT,
        "busy@example.com": MessageStatus.FAILED,
        "spam@example.com": MessageStatus.DEAD,
        "c@example.com": MessageStatus.SENT,
        "d@example.com": MessageStatus.SENT,
    }
    sent = ["a@example.com", "b@example.com", "c@example.com", "d@example.com"]
    assert sorted(sink.message_ids()) == sorted(queued[a].message_id for a in sent)
    # The refused connections were reset and used again, not abandoned.
    assert len(set(sink.peers)) <= 4


def test_other_backends_get_the_message_after_the_handover(
    identity: Any, manager: Any, settings: Any
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    customer = customer_with_email("locmem@example.com", preferred_language="en")
    message = send_email(
        customer, actor=manager, subject="Hi {{ name }}", body="Hi", identity=identity
    )
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    assert len(mail.outbox) == 1
    assert mail.outbox[0].extra_headers["Message-ID"] == f"<{message.message_id}>"
    assert mail.outbox[0].to == ["locmem@example.com"]


def test_marketing_without_consent_is_suppressed_and_never_sent(
    sink: SinkHandler, identity: Any, manager: Any
) -> None:
    customer = customer_with_email()
    template = _template(purpose=MessagePurpose.MARKETING)
    message = send_email(customer, actor=manager, template=template, identity=identity)
    assert message.status == MessageStatus.SUPPRESSED and sink.count == 0
    set_consent(
        customer,
        actor=manager,
        channel="email",
        purpose="marketing",
        status=ConsentStatus.GRANTED,
        source="test",
    )
    again = send_email(customer, actor=manager, template=template, identity=identity)
    again.refresh_from_db()
    assert again.status == MessageStatus.SENT and sink.count == 1


def test_a_reply_on_a_conversation_threads_onto_the_previous_message(
    sink: SinkHandler, identity: Any, manager: Any
) -> None:
    customer = customer_with_email()
    first = send_email(customer, actor=manager, subject="Order 12", body="One", identity=identity)
    second = send_email(first.conversation, actor=manager, body="Two", identity=identity)
    assert second.conversation_id == first.conversation_id
    received = {str(m["Message-ID"]).strip("<>"): m for m in sink.messages()}[second.message_id]
    assert received["In-Reply-To"] == f"<{first.message_id}>"
    assert received["References"] == f"<{first.message_id}>"
    assert received["Subject"] == "Order 12"


def test_bad_input_is_refused_with_a_reason(identity: Any, manager: Any) -> None:
    no_address = customer_with_email()
    no_address.contact_points.all().delete()
    cases = [
        ({"subject": "x", "body": "y"}, "to"),
        ({"subject": "x", "body": "y", "to": "not an address"}, "to"),
        ({"subject": "x", "body": ""}, "body"),
        ({"subject": "x", "body": "{{ password }}", "to": "a@example.com"}, "body"),
        ({"subject": "", "body": "y", "to": "a@example.com"}, "subject"),
    ]
    for kwargs, field in cases:
        with pytest.raises(ValidationError) as exc:
            send_email(no_address, actor=manager, identity=identity, **kwargs)
        assert field in exc.value.message_dict, kwargs
    assert Message.objects.count() == 0


def test_only_managers_change_identities_and_templates(sales1: Any, manager: Any) -> None:
    from peyvand.channels.email.models import SendingIdentity

    with pytest.raises(PermissionDenied):
        save_identity(SendingIdentity(), actor=sales1, name="X", from_name_en="X", address="x@a.b")
    with pytest.raises(ValidationError) as exc:
        save_identity(
            SendingIdentity(), actor=manager, name="X", from_name_en="X", address="x+y@a.b"
        )
    assert "address" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        save_template(EmailTemplate(), actor=manager, name="T", subject_en="S", body_en="{{ pw }}")
    assert "body_en" in exc.value.message_dict
    assert not EmailTemplate.objects.exists() and not SendingIdentity.objects.exists()
