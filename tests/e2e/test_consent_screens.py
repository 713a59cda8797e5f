"""Consent pages in the browser, in English and Persian: the public subscribe form, the
preference centre reached by its signed link, and the staff suppression list."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from peyvand.customers.services import add_contact_point, set_consent
from peyvand.marketing.consent.services import add_suppression, preference_token
from tests.conftest import PASSWORD, speak_persian
from tests.e2e.conftest import screenshot, sign_in
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("language", ["en", "fa"])
def test_consent_pages(page: Any, marketing1: Any, language: str) -> None:
    fa = language == "fa"
    if fa:
        speak_persian(marketing1)
    customer = CustomerFactory(display_name="زهرا <b>موسوی</b>", preferred_language=language)
    add_contact_point(customer, actor=None, kind="email", value="zahra@example.com")
    set_consent(
        customer,
        actor=None,
        channel="email",
        purpose="newsletter",
        status="granted",
        source="double opt-in",
    )
    add_suppression(
        "email", "Gone@Example.com", reason="hard_bounce", source="mx 5.1.1", actor=None
    )
    add_suppression("sms", "09121234567", actor=marketing1, source="<script>x</script>")
    # The shared machine is slow at times; the other screen tests allow as long.
    page.set_default_timeout(60_000)
    page.set_default_navigation_timeout(60_000)
    # Signed in first: the login page is English, and the marketer's own language (Persian
    # in the fa run) then carries over to the public pages opened in the same browser.
    sign_in(page, "marketing1", PASSWORD)
    page.goto("/marketing/subscribe/")
    if fa and page.locator("html").get_attribute("lang") != "fa":
        page.locator(".lang-switch button").click()
        page.wait_for_load_state()
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if fa else "ltr")
    page.get_by_label("نشانی ایمیل" if fa else "Email address").fill("not-an-email")
    page.get_by_role("button", name="عضویت" if fa else "Subscribe").click()
    expect(page.locator(".errorlist")).to_be_visible()
    screenshot(page, f"consent-subscribe-{language}")

    page.goto(f"/marketing/preferences/{preference_token(customer)}/")
    expect(page.locator("h1")).to_have_text(
        "ترجیحات ارتباطی" if fa else "Communication preferences"
    )
    expect(page.get_by_text("<b>موسوی</b>", exact=False)).to_be_visible()
    page.get_by_role(
        "checkbox", name="Marketing · Email" if not fa else "بازاریابی · ایمیل"
    ).check()
    page.get_by_role("button", name="ذخیرهٔ ترجیحات من" if fa else "Save my preferences").click()
    expect(page.locator(".messages")).to_be_visible()
    screenshot(page, f"consent-preferences-{language}")

    page.goto("/marketing/suppressions/")
    expect(page.get_by_text("gone@example.com")).to_be_visible()
    expect(page.get_by_text("<script>x</script>")).to_be_visible()
    screenshot(page, f"consent-suppressions-{language}")
