"""The customer portal in a real browser: sign in with the code read from the real SMTP
server's message, see the tickets page, switch to Persian (dir=rtl); and every portal
screen in English and Persian on a phone-sized screen."""

from __future__ import annotations

import re
from typing import Any

import pytest

from peyvand.catalog.services import ensure_currencies
from peyvand.sales.quotes import send_quote
from peyvand.service.models import BusinessCalendar, ServiceAgreement, SlaPolicy
from tests.channels.email.sink import SinkHandler
from tests.conftest import PASSWORD
from tests.e2e.conftest import screenshot, sign_in
from tests.portal.conftest import (  # noqa: F401 (fixtures)
    alice,
    identity,
    make_ticket,
    sink,
)
from tests.sales.quote_factories import make_quote

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}


def _code(smtp: SinkHandler) -> str:
    body = str(smtp.messages()[-1].get_body(preferencelist=("plain",)).get_content())
    match = re.search(r"\b(\d{6})\b", body)
    assert match, body
    return match.group(1)


def _portal_fixtures(request: pytest.FixtureRequest) -> tuple[SinkHandler, Any]:
    # The portal tests' fixtures, by name: imported above, they are not parameters here.
    request.getfixturevalue("identity")
    # The first page of a live server on a loaded shared machine can take longer than the
    # default 15 s; a slow start is not what these tests are about.
    request.getfixturevalue("page").set_default_navigation_timeout(60_000)
    return request.getfixturevalue("sink"), request.getfixturevalue("alice")


def test_sign_in_with_the_emailed_code_then_switch_to_persian(
    page: Any, request: pytest.FixtureRequest, service1: Any
) -> None:
    smtp, customer = _portal_fixtures(request)
    make_ticket(customer, "Printer <b>jams</b>", staff=service1)
    page.set_viewport_size(PHONE)
    page.goto("/portal/tickets/")
    assert "/portal/sign-in/" in page.url
    page.get_by_label("Email or mobile number").fill("alice@example.com")
    page.get_by_role("button", name="Send me a code").click()
    page.wait_for_url("**/portal/sign-in/code/")
    page.get_by_label("Code").fill(_code(smtp))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/portal/tickets/")
    assert page.get_by_role("heading", name="My tickets").is_visible()
    assert page.get_by_text("Printer <b>jams</b>").is_visible()
    assert page.locator("html").get_attribute("dir") == "ltr"
    page.get_by_role("button", name="فارسی").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.locator("html").get_attribute("lang") == "fa"
    assert page.get_by_role("heading", name="درخواست‌های من").is_visible()


@pytest.mark.parametrize("language", ["en", "fa"])
def test_every_portal_screen(
    page: Any, request: pytest.FixtureRequest, service1: Any, manager: Any, language: str
) -> None:
    smtp, customer = _portal_fixtures(request)
    ensure_currencies()
    ticket = make_ticket(customer, "مودم قطع می‌شود", staff=service1)
    quote = send_quote(make_quote(customer), actor=None)
    calendar = BusinessCalendar.objects.create(name="Office")
    policy = SlaPolicy.objects.create(
        name="Gold", first_response_minutes=60, resolution_minutes=480, calendar=calendar
    )
    ServiceAgreement.objects.create(
        customer=customer,
        name="Gold support",
        starts_on="2026-01-01",
        ends_on="2027-01-01",
        incidents_allowed=10,
        incidents_used=3,
        sla_policy=policy,
    )
    page.set_viewport_size(PHONE)
    page.goto("/portal/sign-in/")
    if language == "fa":
        page.locator(".lang-switch button").click()
        page.wait_for_load_state()
    screenshot(page, f"portal-sign-in-{language}")
    page.locator("input[name=address]").fill("alice@example.com")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/portal/sign-in/code/")
    screenshot(page, f"portal-code-{language}")
    page.locator("input[name=code]").fill(_code(smtp))
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/portal/")
    if language == "fa":
        # Sign-in switched to the customer's own language (English); back to Persian.
        page.locator(".lang-switch button").click()
        page.wait_for_load_state()
    expected_dir = "rtl" if language == "fa" else "ltr"
    for name, url in [
        ("home", "/portal/"),
        ("tickets", "/portal/tickets/"),
        ("ticket", f"/portal/tickets/{ticket.pk}/"),
        ("ticket-new", "/portal/tickets/new/"),
        ("orders", "/portal/orders/"),
        ("quotes", "/portal/quotes/"),
        ("quote", f"/portal/quotes/{quote.pk}/"),
        ("agreements", "/portal/agreements/"),
        ("profile", "/portal/profile/"),
        ("updates", "/portal/updates/"),
    ]:
        response = page.goto(url)
        assert response.status == 200, url
        assert page.locator("html").get_attribute("dir") == expected_dir
        screenshot(page, f"portal-{name}-{language}")
    staff = page.context.browser.new_context(base_url=page.url.split("/portal/")[0])
    staff_page = staff.new_page()
    sign_in(staff_page, "manager", PASSWORD)
    if language == "fa":
        staff_page.goto("/portal/staff/release-notes/")
        staff_page.locator(".lang-switch button, form[action*='language'] button").first.click()
        staff_page.wait_for_load_state()
    staff_page.goto("/portal/staff/release-notes/")
    assert staff_page.locator("html").get_attribute("dir") == expected_dir
    screenshot(staff_page, f"portal-staff-release-notes-{language}")
    staff.close()
