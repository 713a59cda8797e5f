"""Segments in the browser, in English and Persian: build rules with the HTMX builder and
watch the live count follow, save, see the members; the list page and a static list."""

from __future__ import annotations

from typing import Any

import pytest
from djmoney.money import Money
from playwright.sync_api import expect

from peyvand.marketing.services import add_static_members, save_segment
from peyvand.sales.models import Order
from tests.conftest import PASSWORD, speak_persian
from tests.e2e.conftest import screenshot, sign_in
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db(transaction=True)

PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


@pytest.mark.parametrize("language", ["en", "fa"])
def test_build_a_segment_with_a_live_count(page: Any, marketing1: Any, language: str) -> None:
    if language == "fa":
        speak_persian(marketing1)
    department = marketing1.departments.get()
    people = [
        CustomerFactory(display_name=name, department=department, preferred_language=lang)
        for name, lang in [("Ali Rezaei", "fa"), ("زهرا موسوی", "fa"), ("<b>Bold</b> Ltd", "en")]
    ]
    Order.objects.create(number="E1", customer=people[0], total=Money(10, "IRR"))
    static = save_segment(None, name="Fair visitors 1405", kind="static", actor=marketing1)
    add_static_members(static.pk, [p.pk for p in people], actor=marketing1)

    def matching(count: int) -> str:
        if language == "fa":
            return f"اکنون {str(count).translate(PERSIAN_DIGITS)} مشتری"
        return f"{count} customer"

    page.set_default_timeout(60_000)
    page.set_default_navigation_timeout(60_000)
    sign_in(page, "marketing1", PASSWORD)

    page.goto("/marketing/segments/new/")
    # No conditions yet: everyone the marketer can see.
    expect(page.locator("#preview")).to_contain_text(matching(3))
    add = "افزودن شرط" if language == "fa" else "Add condition"
    page.get_by_role("button", name=add).click()
    page.wait_for_selector('[name="c-1.1-field"]')
    expect(page.locator("#preview")).to_contain_text(matching(2))
    page.get_by_role("button", name="افزودن گروه" if language == "fa" else "Add group").click()
    page.wait_for_selector('[name="c-1.2.1-field"]')
    page.select_option('[name="c-1.2.1-field"]', "orders.count")
    page.wait_for_selector('[name="c-1.2.1-days"]')
    page.fill('[name="c-1.2.1-value"]', "1")
    page.fill('[name="c-1.2.1-days"]', "30")
    expect(page.locator("#preview")).to_contain_text(matching(1))
    page.fill("#segment-name", "Recent Persian buyers")
    screenshot(page, f"segment-builder-{language}")
    page.get_by_role("button", name="ذخیرهٔ بخش" if language == "fa" else "Save segment").click()
    page.wait_for_url("**/marketing/segments/*/")
    assert "Ali Rezaei" in page.content()
    screenshot(page, f"segment-detail-{language}")

    page.goto("/marketing/segments/")
    screenshot(page, f"segment-list-{language}")
    page.goto(f"/marketing/segments/{static.pk}/")
    assert "<b>Bold</b> Ltd" in page.locator("main").inner_text()
    screenshot(page, f"segment-static-{language}")
