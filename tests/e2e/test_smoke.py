from __future__ import annotations

import pytest

from tests.conftest import PASSWORD
from tests.e2e.conftest import screenshot, sign_in


@pytest.mark.django_db(transaction=True)
def test_sign_in_and_switch_to_persian(page, personas) -> None:
    sign_in(page, "sales2", PASSWORD)
    assert page.locator("html").get_attribute("dir") == "ltr"
    screenshot(page, "desk-en")
    page.get_by_role("button", name="فارسی").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.locator("html").get_attribute("lang") == "fa"
    # The mirrored layout: the brand sits at the right edge in RTL.
    brand = page.locator(".brand").bounding_box()
    assert brand is not None and brand["x"] > 640
    screenshot(page, "desk-fa")
