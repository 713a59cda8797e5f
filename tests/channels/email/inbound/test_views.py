"""Managers' mailbox screens: list with sync state, create/edit with rules, sync now,
unparsed emails."""

from __future__ import annotations

from typing import Any

import pytest

from peyvand.audit.models import ChangeLog
from peyvand.channels.email.inbound.models import Mailbox, MailboxRule, RawInboundEmail
from peyvand.channels.email.inbound.secrets import decrypt_password
from peyvand.channels.inbox.models import Message
from tests.channels.email.inbound.conftest import make_email
from tests.channels.email.inbound.test_imap_sync import BROKEN_MIME
from tests.conftest import speak_persian

pytestmark = pytest.mark.django_db

URLS = [
    "/interactions/mailboxes/",
    "/interactions/mailboxes/new/",
    "/interactions/mailboxes/unparsed/",
]


def _form(**overrides: Any) -> dict[str, Any]:
    data = {
        "name": "Support <b>desk</b>",
        "address": "support@example.com",
        "host": "imap.example.com",
        "port": "993",
        "security": "ssl",
        "username": "support",
        "password": "hunter2-very-secret",
        "folder": "INBOX",
        "department": "",
        "is_active": "on",
        "rules-TOTAL_FORMS": "2",
        "rules-INITIAL_FORMS": "0",
        "rules-MIN_NUM_FORMS": "0",
        "rules-MAX_NUM_FORMS": "1000",
        # What a browser posts for the untouched blank rule forms.
        "rules-0-position": "0",
        "rules-1-position": "0",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize("url", URLS)
def test_only_managers_see_the_screens(
    client_for: Any, sales1: Any, service1: Any, url: str
) -> None:
    for user in (sales1, service1):
        assert client_for(user).get(url).status_code == 404


def test_create_mailbox_with_a_rule_keeps_the_password_secret(
    client_for: Any, manager: Any
) -> None:
    client = client_for(manager)
    response = client.post(
        "/interactions/mailboxes/new/",
        _form(
            **{
                "rules-0-position": "1",
                "rules-0-field": "subject",
                "rules-0-contains": "invoice",
                "rules-0-action": "auto_reply",
                "rules-0-reply_body": "Thanks, accounting will answer.",
            }
        ),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    mailbox = Mailbox.objects.get()
    assert decrypt_password(mailbox.password_encrypted) == "hunter2-very-secret"
    assert "hunter2" not in mailbox.password_encrypted
    assert MailboxRule.objects.get().reply_body == "Thanks, accounting will answer."
    page = client.get(f"/interactions/mailboxes/{mailbox.pk}/").content.decode()
    assert "hunter2" not in page
    assert "Support &lt;b&gt;desk&lt;/b&gt;" in page
    assert mailbox.webhook_key in page
    assert not any("hunter2" in str(row.after) for row in ChangeLog.objects.all())
    # Saving without a password keeps the stored one.
    response = client.post(
        f"/interactions/mailboxes/{mailbox.pk}/",
        _form(password="", name="Support", **{"rules-INITIAL_FORMS": "0"}),
    )
    assert response.status_code == 302
    mailbox.refresh_from_db()
    assert mailbox.name == "Support"
    assert decrypt_password(mailbox.password_encrypted) == "hunter2-very-secret"


def test_bad_input_shows_errors_and_saves_nothing(client_for: Any, manager: Any) -> None:
    response = client_for(manager).post(
        "/interactions/mailboxes/new/",
        _form(
            username="",
            port="0",
            **{"rules-0-field": "subject", "rules-0-action": "department", "rules-0-position": "1"},
        ),
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert "Give the user name" in text
    assert "Choose the department the mail goes to." in text
    assert not Mailbox.objects.exists()


def test_persian_form_errors(client_for: Any, manager: Any) -> None:
    speak_persian(manager)
    response = client_for(manager).post("/interactions/mailboxes/new/", _form(username=""))
    assert response.status_code == 400
    assert "نام کاربری" in response.content.decode()


def test_list_shows_sync_state(client_for: Any, manager: Any) -> None:
    Mailbox.objects.create(
        name="Sales inbox",
        address="sales@example.com",
        host="imap.example.com",
        username="s",
        last_uid=42,
        messages_imported=40,
        last_error="LoginError: <script>x</script>",
    )
    text = client_for(manager).get("/interactions/mailboxes/").content.decode()
    assert "Sales inbox" in text and "42" in text and "40" in text
    assert "&lt;script&gt;" in text and "<script>x" not in text


def test_sync_now_runs_the_sync_in_the_background(
    client_for: Any, manager: Any, django_capture_on_commit_callbacks: Any
) -> None:
    mailbox = Mailbox.objects.create(
        name="Unreachable",
        address="u@example.com",
        host="127.0.0.1",
        port=10199,
        security="none",
        username="u",
    )
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client_for(manager).post(f"/interactions/mailboxes/{mailbox.pk}/sync/")
    assert response.status_code == 302
    assert any("mailbox_sync" in repr(callback) for callback in callbacks)
    mailbox.refresh_from_db()
    # Nothing listens there: the attempt and its error are on the mailbox.
    assert mailbox.last_attempt_at is not None and "Error" in mailbox.last_error


def test_retry_of_an_unparsed_email(client_for: Any, manager: Any) -> None:
    from peyvand.channels.email.inbound.ingest import ingest_email

    mailbox = Mailbox.objects.create(name="Box", address="box@example.com")
    ingest_email(mailbox, BROKEN_MIME)
    kept = RawInboundEmail.objects.get()
    client = client_for(manager)
    response = client.post(f"/interactions/mailboxes/unparsed/{kept.pk}/retry/", follow=True)
    assert "still cannot be read" in response.content.decode()
    assert RawInboundEmail.objects.count() == 1
    # Once the bytes are readable (fixed by hand here), a retry imports them.
    RawInboundEmail.objects.filter(pk=kept.pk).update(
        raw=make_email(message_id="fixed@x").as_bytes()
    )
    client.post(f"/interactions/mailboxes/unparsed/{kept.pk}/retry/")
    assert Message.objects.filter(message_id="fixed@x").exists()
    assert not RawInboundEmail.objects.exists()
