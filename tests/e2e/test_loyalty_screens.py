"""Loyalty in the browser, English and Persian: the programme settings with its chart,
the 360 card loaded by HTMX (redeeming a reward there), and the portal's My points."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from playwright.sync_api import expect

from peyvand.access.models import Department
from peyvand.catalog.services import ensure_currencies
from peyvand.marketing.loyalty import services
from peyvand.portal.session import SESSION_KEY
from peyvand.sales.services import record_payment
from tests.conftest import PASSWORD, speak_persian
from tests.e2e.conftest import screenshot, sign_in
from tests.factories import CustomerFactory
from tests.sales.factories import make_order

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("language", ["en", "fa"])
def test_loyalty_screens(page: Any, live_server: Any, manager: Any, language: str) -> None:
    ensure_currencies()
    programme = services.save_programme(
        None, actor=None, name="باشگاه پیوند", currency="IRR", points_per_unit=Decimal("0.001")
    )
    services.add_tier(
        programme,
        actor=None,
        name="Silver",
        threshold=100,
        multiplier=Decimal("1.5"),
        benefits="Free delivery",
    )
    services.set_rule(programme, actor=None, action="review", points=20)
    voucher = services.add_reward(
        programme,
        actor=None,
        name="۲۰ هزار تومان تخفیف",
        kind="discount",
        cost=50,
        discount=Decimal(200000),
    )
    customer = CustomerFactory(
        display_name="Zahra <b>Mousavi</b>", department=Department.objects.get(code="sales")
    )
    paid = make_order(customer, unit_price="150000")
    record_payment(paid, actor=None, amount=paid.total.amount, method="card")
    services.award_action(customer, "review", reference="r1")
    open_order = make_order(customer, unit_price="500000")
    if language == "fa":
        speak_persian(manager)
    page.set_default_navigation_timeout(60_000)

    # The portal, as the customer.
    session = SessionStore()
    session[SESSION_KEY] = customer.pk
    session.save()
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": session.session_key,
                "url": live_server.url,
            }
        ]
    )
    page.goto("/portal/points/")
    if language == "fa":
        page.locator(".lang-switch button").click()
        page.wait_for_load_state()
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if language == "fa" else "ltr")
    expect(page.locator("main")).to_contain_text("۱۷۰" if language == "fa" else "170")
    screenshot(page, f"loyalty-portal-{language}")
    page.context.clear_cookies()

    sign_in(page, "manager", PASSWORD)
    page.goto("/marketing/loyalty/")
    expect(page.locator("figure svg.chart-svg")).to_be_visible()
    screenshot(page, f"loyalty-settings-{language}")

    page.goto(f"/customers/{customer.pk}/")
    card = page.locator("#cu-points")
    expect(card.locator("table")).to_be_visible()
    card.locator("summary").first.click()
    card.locator("select[name=reward]").select_option(str(voucher.pk))
    card.locator("input[name=order]").fill(open_order.number)
    card.locator("form").first.locator("button[type=submit]").click()
    expect(card).to_contain_text("۱۲۰" if language == "fa" else "120")
    card.scroll_into_view_if_needed()
    screenshot(page, f"loyalty-360-{language}")
    open_order.refresh_from_db()
    assert open_order.total.amount == Decimal(300000)
