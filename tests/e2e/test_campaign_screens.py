"""Campaigns in the browser, in English and Persian: the list, the detail page with its
progress bar and per-variant chart, a preview as a customer (HTMX), the variant form, and
the customer's one-click unsubscribe page."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from peyvand.channels.email.models import SendingIdentity
from peyvand.marketing.campaigns.services import (
    run_campaign,
    schedule_campaign,
    unsubscribe_token,
)
from peyvand.marketing.models import Segment
from tests.conftest import PASSWORD, speak_persian
from tests.e2e.conftest import screenshot, sign_in
from tests.marketing.campaigns.conftest import make_campaign, member

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("language", ["en", "fa"])
def test_campaign_screens(page: Any, marketing1: Any, language: str) -> None:
    segment = Segment.objects.create(name="VIPs", kind="static")
    identity = SendingIdentity.objects.create(
        name="News", from_name_en="Peyvand Shop", address="news@shop.example"
    )
    if language == "fa":
        speak_persian(marketing1)
    department = marketing1.departments.get()
    customer = member(
        segment,
        email="ann@example.com",
        consent=("email",),
        first_name="Ann",
        preferred_language=language,
        department=department,
    )
    campaign = make_campaign(segment, identity, marketing1, variants=2, name="<b>Nowruz</b> sale")
    schedule_campaign(campaign.pk, actor=marketing1)
    run_campaign(campaign.pk)
    page.set_default_timeout(60_000)
    page.set_default_navigation_timeout(60_000)
    sign_in(page, "marketing1", PASSWORD)

    page.goto("/marketing/campaigns/")
    expect(page.locator("main")).to_contain_text("<b>Nowruz</b> sale")
    screenshot(page, f"campaign-list-{language}")

    page.goto(f"/marketing/campaigns/{campaign.pk}/")
    expect(page.locator("progress")).to_be_visible()
    expect(page.locator("figure.chart")).to_be_visible()
    page.locator(".campaign-variant-tools summary").first.click()
    page.locator("input[name=customer]").first.fill(str(customer.pk))
    page.get_by_role("button", name="پیش‌نمایش" if language == "fa" else "Preview").first.click()
    expect(page.locator(".campaign-preview").first).to_contain_text("Ann")
    screenshot(page, f"campaign-detail-{language}")

    variant = campaign.variants.first()
    page.goto(f"/marketing/campaigns/{campaign.pk}/variants/{variant.pk}/edit/")
    screenshot(page, f"campaign-variant-{language}")

    page.goto(f"/u/{unsubscribe_token(campaign.pk, customer.pk)}")
    page.get_by_role("button", name="لغو اشتراک" if language == "fa" else "Unsubscribe").click()
    expect(page.locator("h1")).to_contain_text(
        "اشتراک شما لغو شد" if language == "fa" else "You are unsubscribed"
    )
    screenshot(page, f"campaign-unsubscribed-{language}")
