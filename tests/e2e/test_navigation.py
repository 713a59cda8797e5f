"""The main menu in Debian's chromium: sections open as menus one at a time, close with
Escape or a click elsewhere, take you to the page, and mark the section you are in; the
same mirrored in Persian and on a phone-sized screen."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import PASSWORD, speak_persian
from tests.e2e.conftest import screenshot, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("language", ["en", "fa"])
def test_menu_sections(page: Any, manager: Any, sales1: Any, language: str) -> None:
    if language == "fa":
        speak_persian(manager)
    sign_in(page, "manager", PASSWORD)
    page.goto("/")
    groups = page.locator("nav.mainnav .navgroup")
    sales, service = groups.nth(0), groups.nth(1)
    leads = sales.locator("a[href='/sales/leads/']")
    assert not leads.is_visible()

    sales.locator("summary").click()
    assert leads.is_visible()
    service.locator("summary").click()  # opening one closes the other
    assert page.locator(".navgroup[open]").count() == 1 and service.get_attribute("open") == ""
    page.keyboard.press("Escape")
    assert page.locator(".navgroup[open]").count() == 0
    assert page.evaluate("document.activeElement.tagName") == "SUMMARY"

    sales.locator("summary").click()
    page.locator("main h1").click()  # a click elsewhere closes it
    assert page.locator(".navgroup[open]").count() == 0

    sales.locator("summary").click()
    leads.click()
    page.wait_for_url("**/sales/leads/")
    summary = page.locator("nav.mainnav .navgroup").nth(0).locator("summary")
    assert summary.evaluate("node => getComputedStyle(node).fontWeight") == "700"
    other = page.locator("nav.mainnav .navgroup").nth(1).locator("summary")
    assert other.evaluate("node => getComputedStyle(node).fontWeight") != "700"
    assert page.locator("html").get_attribute("dir") == ("rtl" if language == "fa" else "ltr")
    # The whole menu fits on one line beside the brand and the account links.
    nav_box = page.locator("nav.mainnav").bounding_box()
    end_box = page.locator(".topbar-end").bounding_box()
    assert abs(nav_box["y"] - end_box["y"]) < nav_box["height"]

    page.set_viewport_size({"width": 390, "height": 800})
    page.locator("nav.mainnav .navgroup").nth(1).locator("summary").click()
    menu = page.locator(".navgroup[open] .navmenu").bounding_box()
    assert menu["x"] >= 0 and menu["x"] + menu["width"] <= 390
    screenshot(page, f"menu-phone-{language}")
