"""The mailbox screens in the browser, in English and in Persian."""

from __future__ import annotations

from typing import Any

import pytest

from peyvand.channels.email.inbound.ingest import ingest_email
from peyvand.channels.email.inbound.models import Mailbox, MailboxRule
from peyvand.channels.email.inbound.secrets import encrypt_password
from tests.channels.email.inbound.test_imap_sync import BROKEN_MIME
from tests.conftest import PASSWORD, speak_persian
from tests.e2e.conftest import screenshot, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def mailboxes(personas: Any) -> Mailbox:
    box = Mailbox.objects.create(
        name="پشتیبانی",
        address="support@example.com",
        host="imap.example.com",
        username="support",
        password_encrypted=encrypt_password("do-not-show-me"),
        last_uid=1234,
        messages_imported=1200,
        last_error="LoginError: b'[AUTHENTICATIONFAILED] Authentication failed.'",
    )
    MailboxRule.objects.create(
        mailbox=box, field="subject", contains="قیمت", action="lead", position=1
    )
    Mailbox.objects.create(name="Fax", address="fax@example.com", is_fax_gateway=True)
    ingest_email(box, BROKEN_MIME)
    return box


@pytest.mark.parametrize("language", ["en", "fa"])
def test_mailbox_screens(page: Any, manager: Any, mailboxes: Mailbox, language: str) -> None:
    if language == "fa":
        speak_persian(manager)
    sign_in(page, manager.username, PASSWORD)
    page.goto("/interactions/mailboxes/")
    assert page.locator("html").get_attribute("dir") == ("rtl" if language == "fa" else "ltr")
    assert page.get_by_text("پشتیبانی").first.is_visible()
    screenshot(page, f"mailboxes-list-{language}")
    page.goto(f"/interactions/mailboxes/{mailboxes.pk}/")
    assert page.locator("input[name=password]").input_value() == ""
    assert "do-not-show-me" not in page.content()
    screenshot(page, f"mailboxes-edit-{language}")
    page.goto("/interactions/mailboxes/unparsed/")
    assert page.get_by_text("broken structure").is_visible()
    screenshot(page, f"mailboxes-unparsed-{language}")
