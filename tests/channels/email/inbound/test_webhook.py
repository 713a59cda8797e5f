"""POST /api/v1/public/email/inbound/{key}: raw MIME from a provider, signed per mailbox."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.test import Client

from peyvand.channels.email.inbound.api import sign
from peyvand.channels.email.inbound.models import Mailbox, RawInboundEmail
from peyvand.channels.inbox.models import Message
from tests.channels.email.inbound.conftest import make_email
from tests.channels.email.inbound.test_imap_sync import BROKEN_MIME

pytestmark = pytest.mark.django_db


@pytest.fixture
def hook_mailbox(db: Any) -> Mailbox:
    return Mailbox.objects.create(name="Provider", address="inbox@example.com")


def _post(
    mailbox: Mailbox,
    body: bytes,
    *,
    secret: str | None = None,
    timestamp: int | None = None,
    key: str | None = None,
) -> Any:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    return Client().post(
        f"/api/v1/public/email/inbound/{key or mailbox.webhook_key}",
        data=body,
        content_type="message/rfc822",
        HTTP_X_PEYVAND_TIMESTAMP=ts,
        HTTP_X_PEYVAND_SIGNATURE=sign(secret or mailbox.webhook_secret, ts, body),
    )


def test_signed_post_is_imported_and_a_retry_is_a_duplicate(hook_mailbox: Mailbox) -> None:
    body = make_email(subject="از طریق وب‌هوک", message_id="hook-1@customer.example").as_bytes()

    first = _post(hook_mailbox, body)
    again = _post(hook_mailbox, body)

    assert first.status_code == 200, first.content
    assert first.json() == {"status": "imported", "message_id": "hook-1@customer.example"}
    assert again.json()["status"] == "duplicate"
    message = Message.objects.get(message_id="hook-1@customer.example")
    assert message.subject == "از طریق وب‌هوک"
    hook_mailbox.refresh_from_db()
    assert hook_mailbox.messages_imported == 1


def test_large_message_above_django_upload_limit_is_accepted(
    hook_mailbox: Mailbox, settings: Any
) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    email = make_email(message_id="hook-big@customer.example")
    email.add_attachment(
        b"%PDF-1.4\n" + b"x" * 50_000, maintype="application", subtype="pdf", filename="a.pdf"
    )
    response = _post(hook_mailbox, email.as_bytes())
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "imported"


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"secret": "not-the-secret"}, 401),
        ({"timestamp": int(time.time()) - 3600}, 401),
        ({"key": "no-such-key"}, 404),
    ],
)
def test_refused_posts_are_problems_and_store_nothing(
    hook_mailbox: Mailbox, change: dict[str, Any], status: int
) -> None:
    body = make_email(message_id="hook-2@customer.example").as_bytes()
    response = _post(hook_mailbox, body, **change)
    assert response.status_code == status
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == status
    assert response.json()["detail"]
    assert not Message.objects.exists()


def test_unsigned_post_is_refused(hook_mailbox: Mailbox) -> None:
    response = Client().post(
        f"/api/v1/public/email/inbound/{hook_mailbox.webhook_key}",
        data=b"From: a@b.example\r\n\r\nhi",
        content_type="message/rfc822",
    )
    assert response.status_code == 401
    assert not Message.objects.exists()


def test_paused_mailbox_does_not_receive(hook_mailbox: Mailbox) -> None:
    hook_mailbox.is_active = False
    hook_mailbox.save()
    assert _post(hook_mailbox, make_email().as_bytes()).status_code == 404


def test_too_large_and_empty_bodies(hook_mailbox: Mailbox, settings: Any) -> None:
    settings.PEYVAND_INBOUND_EMAIL_MAX_BYTES = 100
    assert _post(hook_mailbox, b"x" * 101).status_code == 413
    assert _post(hook_mailbox, b"   ").status_code == 400
    assert not RawInboundEmail.objects.exists()


def test_persian_error_for_a_persian_client(hook_mailbox: Mailbox) -> None:
    response = Client().post(
        f"/api/v1/public/email/inbound/{hook_mailbox.webhook_key}",
        data=b"x",
        content_type="message/rfc822",
        HTTP_ACCEPT_LANGUAGE="fa",
    )
    assert response.status_code == 401
    assert "امضا" in response.json()["detail"]


def test_broken_mime_is_kept_raw(hook_mailbox: Mailbox) -> None:
    response = _post(hook_mailbox, BROKEN_MIME)
    assert response.json() == {"status": "kept_raw", "message_id": None}
    assert _post(hook_mailbox, BROKEN_MIME).json()["status"] == "duplicate"
    kept = RawInboundEmail.objects.get()
    assert kept.subject == "broken structure" and kept.uid is None


def test_too_many_posts_answer_429(hook_mailbox: Mailbox, settings: Any) -> None:
    settings.PEYVAND_INBOUND_WEBHOOK_RATE = "2/60"
    for n in range(2):
        assert _post(hook_mailbox, make_email(message_id=f"r{n}@x").as_bytes()).status_code == 200
    refused = _post(hook_mailbox, make_email(message_id="r3@x").as_bytes())
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) >= 1
    assert not Message.objects.filter(message_id="r3@x").exists()
