"""The preference centre: by a signed per-customer link without sign-in, and in the
portal; every change through set_consent with source "preference centre" and its time."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from peyvand.audit.models import ChangeLog
from peyvand.customers.models import Consent
from peyvand.marketing.consent import services
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def _path(url: str) -> str:
    return url.split("://", 1)[1].split("/", 1)[1].join(["/", ""])


def test_the_signed_link_opens_the_customers_grid_and_records_each_change(alice: Any) -> None:
    url = services.preference_url(alice)
    assert url.startswith("http") and "/marketing/preferences/" in url
    client = Client()
    page = client.get(_path(url))
    assert page.status_code == 200
    assert "Alice Ahmadi" in page.content.decode()
    response = client.post(
        _path(url), {"consent-email-newsletter": "on", "consent-email-service": "on"}
    )
    assert response.status_code == 302
    consents = {(c.channel, c.purpose): (c.status, c.source) for c in Consent.objects.all()}
    assert consents == {
        ("email", "newsletter"): ("granted", "preference centre"),
        # Unticked service messages on SMS: withdrawn; defaults left as they are record nothing.
        ("sms", "service"): ("withdrawn", "preference centre"),
    }
    assert all(
        abs(c.recorded_at - timezone.now()) < dt.timedelta(minutes=1) for c in Consent.objects.all()
    )
    assert ChangeLog.objects.filter(content_type__model="consent").count() == 2
    # Saving the same choices again changes nothing.
    client.post(_path(url), {"consent-email-newsletter": "on", "consent-email-service": "on"})
    assert ChangeLog.objects.filter(content_type__model="consent").count() == 2


def test_a_forged_or_expired_link_is_refused_and_changes_nothing(alice: Any, settings: Any) -> None:
    token = services.preference_token(alice)
    client = Client()
    forged = client.post(
        f"/marketing/preferences/{token[:-3]}xyz/", {"consent-email-marketing": "on"}
    )
    assert forged.status_code == 400 and "This link is not valid." in forged.content.decode()
    settings.PEYVAND_PREFERENCE_LINK_DAYS = 0
    expired = client.post(f"/marketing/preferences/{token}/", {"consent-email-marketing": "on"})
    assert expired.status_code == 400 and "expired" in expired.content.decode()
    assert not Consent.objects.exists()


def test_a_link_for_one_customer_never_shows_another(alice: Any) -> None:
    other = CustomerFactory(display_name="<b>Other</b>")
    page = Client().get(_path(services.preference_url(other))).content.decode()
    assert "Alice" not in page and "&lt;b&gt;Other&lt;/b&gt;" in page


def test_the_portal_page_is_the_same_grid_for_the_signed_in_customer(
    alice: Any, portal_client: Any
) -> None:
    assert Client().get("/portal/preferences/").status_code == 302  # sign in first
    client = portal_client(alice)
    assert client.get("/portal/preferences/").status_code == 200
    client.post(
        "/portal/preferences/",
        {"consent-sms-marketing": "on", "consent-email-service": "on", "consent-sms-service": "on"},
    )
    consent = Consent.objects.get()
    assert (consent.customer, consent.channel, consent.purpose, consent.source) == (
        alice,
        "sms",
        "marketing",
        "preference centre",
    )


def test_persian_page_is_right_to_left(alice: Any) -> None:
    page = Client().get(_path(services.preference_url(alice)), HTTP_ACCEPT_LANGUAGE="fa")
    body = page.content.decode()
    assert 'dir="rtl"' in body and "ترجیحات" in body
