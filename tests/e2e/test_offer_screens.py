"""Next best offer in the browser, in English and Persian: the offer list and form, the
policies page with its evaluation chart, and the 360 panel where one click records the answer."""

from __future__ import annotations

from typing import Any

import pytest

from peyvand.personalization import evaluation, services
from peyvand.personalization.models import Decision, PolicyVersion
from tests.conftest import PASSWORD, speak_persian
from tests.e2e.conftest import screenshot, sign_in
from tests.factories import CustomerFactory
from tests.personalization.factories import OfferFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _data(manager: Any) -> Any:
    OfferFactory(
        code="loyal-10",
        kind="discount",
        title="10% off your next order",
        title_fa="۱۰٪ تخفیف خرید بعدی",
        text="For customers who came back.",
        text_fa="برای مشتریانی که برگشته‌اند.",
        discount_amount=500_000,
        money_budget=50_000_000,
    )
    OfferFactory(
        code="call-back", kind="retention_call", title="A call from us", title_fa="تماس از سوی ما"
    )
    OfferFactory(code="guide", title="Getting started guide", title_fa="راهنمای شروع")
    for index in range(40):
        decision = services.decide(CustomerFactory())
        assert decision is not None
        services.record_outcome(decision.pk, "accepted" if index % 3 else "rejected")
    candidate = PolicyVersion.objects.create(
        name="greedy-v2", vw_args="--cb_explore_adf --epsilon 0.02 -q UA"
    )
    evaluation.train_and_evaluate(candidate.pk)
    return CustomerFactory(display_name="Ali Rezaei", owner=manager)


@pytest.mark.parametrize("language", ["en", "fa"])
def test_offer_screens_and_one_click_answer(page: Any, manager: Any, language: str) -> None:
    if language == "fa":
        speak_persian(manager)
    customer = _data(manager)
    # The shared machines are slow under load; a slow page is not what this test is about.
    page.set_default_timeout(60_000)
    page.set_default_navigation_timeout(60_000)
    sign_in(page, "manager", PASSWORD)
    for name, path in [
        ("offers", "/personalization/offers/"),
        ("offer-form", "/personalization/offers/new/"),
        ("policies", "/personalization/policies/"),
    ]:
        page.goto(path)
        assert page.locator("html").get_attribute("dir") == ("rtl" if language == "fa" else "ltr")
        screenshot(page, f"nbo-{name}-{language}")
    page.goto(f"/customers/{customer.pk}/")
    panel = page.locator("#nbo-panel")
    accept = panel.get_by_role("button", name="پذیرفته" if language == "fa" else "Accepted")
    accept.wait_for()
    screenshot(page, f"nbo-360-{language}")
    accept.click()
    panel.get_by_text("پاسخ ثبت شد" if language == "fa" else "Answer recorded").wait_for()
    screenshot(page, f"nbo-360-answered-{language}")
    decision = Decision.objects.get(customer=customer)
    assert decision.outcome == "accepted" and decision.outcome_channel == "agent"
