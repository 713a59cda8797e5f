"""Churn and recommendation screens in the browser, English and Persian: direction, no CSP
violation, nothing wider than the page, and the 360 card loaded by htmx."""

from __future__ import annotations

from typing import Any

import pytest

from peyvand.analytics.churn.services import train_churn_model
from peyvand.analytics.recommend.services import train_recommender
from peyvand.catalog.services import ensure_currencies
from tests.analytics.crm_data import HORIZON, build_company
from tests.conftest import PASSWORD, speak_persian
from tests.e2e.conftest import screenshot, sign_in


@pytest.mark.parametrize("language", ["en", "fa"])
def test_analytics_screens_in_both_languages(
    page: Any, manager: Any, sales1: Any, sales2: Any, language: str
) -> None:
    ensure_currencies()  # the live server's flush removed the migrated ones
    company = build_company([sales1, sales2], creator=manager, other_creator=manager, size=12)
    assert train_churn_model(now=company.now, horizon_days=HORIZON) is not None
    assert train_recommender() is not None
    if language == "fa":
        speak_persian(manager)
    problems: list[str] = []
    page.on(
        "console",
        lambda msg: problems.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    sign_in(page, "manager", PASSWORD)
    customer = company.churners[0]
    for name, path in [
        ("churn", "/analytics/churn/"),
        ("recommendations", "/analytics/recommendations/"),
        ("customer-360", f"/customers/{customer.pk}/"),
    ]:
        page.goto(path)
        page.wait_for_load_state("networkidle")
        shot = page.evaluate(
            "() => ({dir: document.documentElement.dir,"
            " wide: document.documentElement.scrollWidth > window.innerWidth + 1})"
        )
        assert shot["dir"] == ("rtl" if language == "fa" else "ltr"), name
        assert not shot["wide"], name
        screenshot(page, f"analytics-{name}-{language}")
    card = page.locator("#cu-insights").inner_text()
    assert ("Churn risk" if language == "en" else "خطر ریزش") in card
    # The churner owns every A product: the personal list offers B ones, never an A.
    b1 = company.products["B1"]
    assert (b1.name if language == "en" else b1.name_fa) in card
    assert problems == []
