"""Managers' screens for sending identities and email templates, in English and Persian."""

from __future__ import annotations

from typing import Any

import pytest

from peyvand.audit.models import ChangeLog
from peyvand.channels.email.models import EmailTemplate, SendingIdentity
from tests.conftest import speak_persian

pytestmark = pytest.mark.django_db

IDENTITY = {
    "name": "Service",
    "from_name_en": "Peyvand Service",
    "from_name_fa": "خدمات پیوند",
    "address": "service@shop.example",
    "reply_domain": "",
    "signature_en": "Service team",
    "signature_fa": "تیم خدمات",
    "is_active": "on",
}


def test_only_managers_see_the_email_screens(client_for: Any, sales1: Any) -> None:
    client = client_for(sales1)
    for url in (
        "/interactions/email/identities/",
        "/interactions/email/identities/new/",
        "/interactions/email/templates/",
        "/interactions/email/templates/new/",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post("/interactions/email/identities/new/", IDENTITY).status_code == 404
    assert not SendingIdentity.objects.exists()


def test_a_manager_creates_and_edits_an_identity_with_a_change_log(
    client_for: Any, manager: Any
) -> None:
    client = client_for(manager)
    response = client.post("/interactions/email/identities/new/", IDENTITY)
    assert response.status_code == 302
    identity = SendingIdentity.objects.get()
    listing = client.get("/interactions/email/identities/")
    assert "service+…@shop.example" in listing.content.decode()
    edit = {**IDENTITY, "from_name_en": "Service desk"}
    assert client.post(f"/interactions/email/identities/{identity.pk}/", edit).status_code == 302
    identity.refresh_from_db()
    assert identity.from_name_en == "Service desk"
    rows = ChangeLog.objects.filter(object_id=str(identity.pk)).order_by("pk")
    update = rows.last()
    assert update is not None and update.before["from_name_en"] == "Peyvand Service"


def test_bad_input_shows_the_error_and_changes_nothing(client_for: Any, manager: Any) -> None:
    client = client_for(manager)
    response = client.post(
        "/interactions/email/identities/new/", {**IDENTITY, "address": "a+b@shop.example"}
    )
    assert response.status_code == 400
    assert "may not contain" in response.content.decode()
    response = client.post(
        "/interactions/email/templates/new/",
        {"name": "T", "purpose": "service", "subject_en": "Hi", "body_en": "{{ pasword }}"},
    )
    assert response.status_code == 400 and "pasword" in response.content.decode()
    assert not SendingIdentity.objects.exists() and not EmailTemplate.objects.exists()


def test_user_text_is_escaped_and_the_persian_screen_is_rtl(client_for: Any, manager: Any) -> None:
    EmailTemplate.objects.create(
        name="<script>alert(1)</script>", subject_fa="خوش آمدید", body_fa="سلام"
    )
    speak_persian(manager)
    page = client_for(manager).get("/interactions/email/templates/").content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert 'dir="rtl"' in page and "قالب‌های ایمیل" in page and "خوش آمدید" in page
