"""The Foundation's browser journeys: find a customer typed with Arabic letters, open the
360 page, read it in Persian, and import a CSV through the wizard."""

from __future__ import annotations

import re

import pytest

from peyvand.customers.models import Customer
from peyvand.customers.services import create_customer
from tests.conftest import PASSWORD
from tests.e2e.conftest import screenshot, sign_in


@pytest.mark.django_db(transaction=True)
def test_search_persian_name_typed_with_arabic_letters_then_360_in_persian(
    page, sales1, sales2
) -> None:
    mine = create_customer(
        actor=sales2,
        display_name="علی کریمی",
        owner=sales2,
        contact_points=[
            {"kind": "phone", "value": "09121234567"},
            {"kind": "email", "value": "ali@example.com"},
        ],
        notes="<script>alert('x')</script>",
    )
    create_customer(actor=sales1, display_name="علی کریمیان", owner=sales1)

    sign_in(page, "sales2", PASSWORD)
    page.goto("/customers/")
    # Arabic yeh and kaf, as typed on an Arabic keyboard.
    page.locator("#id_q").fill("علي كريمي")
    result = page.get_by_role("link", name="علی کریمی", exact=True)
    result.wait_for()
    # sales1's customer is outside sales2's scope and must not be listed.
    assert page.get_by_role("link", name="علی کریمیان").count() == 0
    screenshot(page, "customer-search")

    result.click()
    page.wait_for_url(f"**/customers/{mine.pk}/")
    assert page.get_by_role("heading", name="علی کریمی").first.is_visible()
    assert "+989121234567" in page.content() or "۰۹۱۲" in page.content() or "912" in page.content()
    assert page.locator("script:text('alert')").count() == 0

    page.get_by_role("button", name="فارسی").click()
    page.wait_for_url(f"**/customers/{mine.pk}/")
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.locator("html").get_attribute("lang") == "fa"
    screenshot(page, "customer-360-fa")


@pytest.mark.django_db(transaction=True)
def test_import_small_csv_through_the_wizard(page, sales2, tmp_path) -> None:
    csv_path = tmp_path / "customers.csv"
    csv_path.write_text(
        "name,email,phone,tags\n"
        "Sara Ahmadi,sara@example.com,09120000001,vip\n"
        "رضا حسینی,reza@example.com,۰۹۱۲۰۰۰۰۰۰۲,وفادار\n"
        "Bad Row,not-an-email,123,\n",
        encoding="utf-8",
    )
    sign_in(page, "sales2", PASSWORD)
    page.goto("/imports/new/")
    page.locator("input[type=file]").set_input_files(str(csv_path))
    page.get_by_role("button", name="Upload and continue").click()
    page.get_by_role("button", name="Import", exact=True).wait_for()
    screenshot(page, "import-mapping")
    page.get_by_role("button", name="Import", exact=True).click()
    page.get_by_text(re.compile("Done|Finished|Completed", re.I)).first.wait_for(timeout=30_000)
    screenshot(page, "import-done")
    assert set(Customer.objects.filter(owner=sales2).values_list("display_name", flat=True)) >= {
        "Sara Ahmadi",
        "رضا حسینی",
    }
    assert not Customer.objects.filter(display_name="Bad Row").exists()
    # The bad row is reported with its line number.
    assert "4" in page.content()
