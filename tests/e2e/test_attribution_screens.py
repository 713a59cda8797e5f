"""The attribution report in the browser, in English and Persian: the model charts, the
holdout and element tables, and entering a campaign cost."""

from __future__ import annotations

import datetime as dt
from typing import Any

import jdatetime
import numpy as np
import pytest
from django.utils import timezone
from djmoney.money import Money
from playwright.sync_api import expect

from peyvand.catalog.services import ensure_currencies
from peyvand.marketing.attribution.services import record_conversion, record_touch
from peyvand.marketing.models import CampaignCost
from tests.conftest import PASSWORD, speak_persian
from tests.e2e.conftest import screenshot, sign_in
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _journeys(department: Any) -> None:
    """300 customers; "spring" holds out half, and the subject "Last chance" sells more."""
    rng = np.random.default_rng(5)
    now = timezone.now()
    for i in range(300):
        customer = CustomerFactory(department=department)
        holdout = i % 2 == 0
        subject = "Last chance" if i % 4 < 2 else "Hello <b>friend</b>"
        record_touch(
            customer.pk,
            at=now - dt.timedelta(days=20),
            channel="email",
            campaign_key="spring",
            subject=subject,
            offer="10% off" if i % 3 else "gift",
            holdout=holdout,
        )
        if i % 5 == 0:
            record_touch(
                customer.pk, at=now - dt.timedelta(days=12), channel="sms", campaign_key="reminder"
            )
        rate = 0.05 if holdout else (0.45 if subject == "Last chance" else 0.2)
        if rng.random() < rate:
            record_conversion(
                customer.pk, at=now - dt.timedelta(days=8), revenue=Money(2_500_000, "IRR")
            )


@pytest.mark.parametrize("language", ["en", "fa"])
def test_attribution_report(page: Any, marketing1: Any, language: str) -> None:
    if language == "fa":
        speak_persian(marketing1)
    ensure_currencies()  # the live server's flush removed the migrated ones
    _journeys(marketing1.departments.get())
    page.set_default_timeout(60_000)
    page.set_default_navigation_timeout(60_000)
    sign_in(page, "marketing1", PASSWORD)
    page.goto("/marketing/attribution/")
    title = (
        "نسبت‌دهی و اثربخشی کارزارها"
        if language == "fa"
        else "Attribution and campaign effectiveness"
    )
    expect(page.locator("h1")).to_have_text(title)
    expect(page.locator("figure.chart svg").first).to_be_visible()
    assert "<b>friend</b>" in page.locator("main").inner_text()
    page.fill("#id_campaign_key", "spring")
    page.fill("#id_amount", "150000000")
    page.select_option("#id_currency", "IRR")
    today = timezone.localdate()
    jalali = jdatetime.date.fromgregorian(date=today).strftime("%Y/%m/%d")
    page.fill("#id_spent_on", jalali if language == "fa" else today.isoformat())
    page.get_by_role("button", name="افزودن هزینه" if language == "fa" else "Add cost").click()
    page.wait_for_url("**/marketing/attribution/")
    assert CampaignCost.objects.filter(campaign_key="spring").exists()
    screenshot(page, f"attribution-report-{language}")
