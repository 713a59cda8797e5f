"""In a real browser, English and Persian: a staff reply on a portal ticket is on the
customer's ticket page, the updates page marks the customer's own products first, and the
staff menu leads a manager to the release-notes screen."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from peyvand.catalog.services import ensure_currencies
from peyvand.portal.services import open_portal_ticket
from peyvand.sales.services import create_order
from peyvand.service.tickets.services import reply_to_customer
from tests.conftest import PASSWORD
from tests.e2e.conftest import screenshot, sign_in
from tests.e2e.test_portal import PHONE, _code, _portal_fixtures
from tests.portal.conftest import alice, identity, sink  # noqa: F401 (fixtures)
from tests.sales.quote_factories import make_price_list

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("language", ["en", "fa"])
def test_staff_reply_updates_page_and_menu(
    page: Any, request: pytest.FixtureRequest, service1: Any, language: str
) -> None:
    smtp, customer = _portal_fixtures(request)
    ensure_currencies()
    _list, products = make_price_list(prices={"AAA-1": "10", "ZZZ-1": "10"})
    create_order(
        actor=None,
        customer=customer,
        currency="IRR",
        lines=[
            {
                "product": products["ZZZ-1"],
                "description": "Z",
                "quantity": Decimal(1),
                "unit_price": Decimal(10),
            }
        ],
    )
    ticket = open_portal_ticket(customer, subject="مودم قطع می‌شود", description="هر شب")
    reply_to_customer(ticket, actor=service1, body="Restart the modem <b>please</b>")
    page.set_viewport_size(PHONE)
    page.goto("/portal/sign-in/")
    page.locator("input[name=address]").fill("alice@example.com")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/portal/sign-in/code/")
    # The sign-in code is the last message; the reply's notice came before it.
    page.locator("input[name=code]").fill(_code(smtp))
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/portal/")
    if language == "fa":
        page.locator(".lang-switch button").click()
        page.wait_for_load_state()
    page.goto(f"/portal/tickets/{ticket.pk}/")
    assert page.get_by_text("Restart the modem <b>please</b>").count() == 1
    screenshot(page, f"portal-ticket-staff-reply-{language}")
    page.goto("/portal/updates/")
    first_row = page.locator("tbody tr").first
    assert products["ZZZ-1"].name in first_row.inner_text()
    assert first_row.locator(".badge").count() == 1
    screenshot(page, f"portal-updates-mine-first-{language}")
    staff = page.context.browser.new_context(base_url=page.url.split("/portal/")[0])
    staff_page = staff.new_page()
    sign_in(staff_page, "manager", PASSWORD)
    if language == "fa":
        staff_page.locator(".lang-switch button").first.click()
        staff_page.wait_for_load_state()
    link = "a[href='/portal/staff/release-notes/']"
    staff_page.locator(".navgroup", has=staff_page.locator(link)).locator("summary").click()
    staff_page.locator(f"nav.mainnav {link}").click()
    staff_page.wait_for_url("**/portal/staff/release-notes/")
    assert staff_page.locator("nav.mainnav a[aria-current=page]").get_attribute("href") == (
        "/portal/staff/release-notes/"
    )
    screenshot(staff_page, f"staff-menu-release-notes-{language}")
    staff.close()
