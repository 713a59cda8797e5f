"""Staff screens: the programme settings (marketing and managers only) and the 360 card
(whoever may see the customer), in English and Persian, refusing bad input."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import jdatetime
import pytest
from django.utils import timezone

from peyvand.core.text import to_persian_digits
from peyvand.marketing.loyalty import services
from peyvand.marketing.models import LoyaltyEntry, LoyaltyProgramme, LoyaltyTier
from tests.conftest import speak_persian
from tests.sales.factories import make_order

pytestmark = pytest.mark.django_db


def test_settings_are_for_marketing_and_managers(
    programme: LoyaltyProgramme, client_for: Any, personas: dict[str, Any]
) -> None:
    for name in ("sales1", "service1"):
        assert client_for(personas[name]).get("/marketing/loyalty/").status_code == 404
        response = client_for(personas[name]).post(
            "/marketing/loyalty/tiers/", {"name": "X", "threshold": 1, "multiplier": 1}
        )
        assert response.status_code == 404
    for name in ("marketing1", "manager"):
        response = client_for(personas[name]).get("/marketing/loyalty/")
        assert response.status_code == 200
        assert "Peyvand Club" in response.content.decode()
    assert not LoyaltyTier.objects.exists()


def test_marketing_adds_a_tier_and_bad_input_changes_nothing(
    programme: LoyaltyProgramme, client_for: Any, marketing1: Any
) -> None:
    client = client_for(marketing1)
    response = client.post(
        "/marketing/loyalty/tiers/",
        {"name": "<b>Gold</b>", "threshold": 500, "multiplier": "2", "benefits": "Free delivery"},
    )
    assert response.status_code == 302
    page = client.get("/marketing/loyalty/").content.decode()
    assert "&lt;b&gt;Gold&lt;/b&gt;" in page and "<b>Gold</b>" not in page
    for bad in (
        {"name": "Silver", "threshold": -5, "multiplier": "1.5"},
        {"name": "Silver", "threshold": 500, "multiplier": "1.5"},  # same threshold
        {"name": "Silver", "threshold": 100, "multiplier": "0"},
    ):
        response = client.post("/marketing/loyalty/tiers/", bad)
        assert response.status_code == 400
        assert 'class="errorlist' in response.content.decode()
    assert LoyaltyTier.objects.count() == 1
    response = client.post(
        "/marketing/loyalty/programme/",
        {
            "name": "Club",
            "currency": "IRR",
            "points_per_unit": "-1",
            "earn_on": "paid",
            "tier_window_days": 365,
            "expiry_months": 12,
            "max_points_per_day": 0,
            "max_redemptions_per_day": 0,
        },
    )
    assert response.status_code == 400
    programme.refresh_from_db()
    assert programme.name == "Peyvand Club"


def test_settings_in_persian(programme: LoyaltyProgramme, client_for: Any, manager: Any) -> None:
    speak_persian(manager)
    services.add_reward(programme, actor=None, name="Mug", kind="offer", cost=30)
    page = client_for(manager).get("/marketing/loyalty/", HTTP_ACCEPT_LANGUAGE="fa")
    text = page.content.decode()
    assert 'dir="rtl"' in text
    assert "برنامهٔ وفاداری" in text and "۳۰" in text


def test_the_360_card_follows_customer_visibility(
    programme: LoyaltyProgramme,
    client_for: Any,
    personas: dict[str, Any],
    customer1: Any,
) -> None:
    services.adjust_points(customer1, 120, reason="<script>x</script>", actor=None)
    url = f"/marketing/loyalty/customers/{customer1.pk}/"
    assert client_for(personas["sales2"]).get(url).status_code == 404
    response = client_for(personas["sales1"]).get(url)
    assert response.status_code == 200
    text = response.content.decode()
    assert "120 points" in text
    assert "&lt;script&gt;" in text and "<script>x" not in text
    assert "Adjust points" not in text  # sales reps redeem, marketing adjusts
    detail = client_for(personas["sales1"]).get(f"/customers/{customer1.pk}/").content.decode()
    assert url in detail


def test_adjust_from_the_card(
    programme: LoyaltyProgramme, client_for: Any, personas: dict[str, Any], customer1: Any
) -> None:
    url = f"/marketing/loyalty/customers/{customer1.pk}/adjust/"
    assert client_for(personas["sales1"]).post(url, {"points": 5, "reason": "x"}).status_code == 404
    manager = client_for(personas["manager"])
    for bad in (
        {"points": "-5", "reason": "x"},
        {"points": "abc", "reason": "x"},
        {"points": "0", "reason": "x"},
    ):
        response = manager.post(url, bad)
        assert response.status_code == 400
        assert 'class="errorlist' in response.content.decode()
    assert not LoyaltyEntry.objects.exists()
    response = manager.post(url, {"points": "40", "reason": "goodwill"})
    assert response.status_code == 200 and "40 points" in response.content.decode()


def test_redeem_a_discount_from_the_card(
    programme: LoyaltyProgramme,
    client_for: Any,
    personas: dict[str, Any],
    customer1: Any,
    customer2: Any,
    voucher: Any,
) -> None:
    services.adjust_points(customer1, 100, reason="welcome", actor=None)
    own = make_order(customer1, unit_price="100000")
    foreign = make_order(customer2, unit_price="100000")
    url = f"/marketing/loyalty/customers/{customer1.pk}/redeem/"
    assert (
        client_for(personas["sales2"])
        .post(url, {"reward": voucher.pk, "order": own.number})
        .status_code
        == 404
    )
    sales1 = client_for(personas["sales1"])
    response = sales1.post(url, {"reward": voucher.pk, "order": foreign.number})
    assert response.status_code == 400
    assert "no order with this number" in response.content.decode()
    response = sales1.post(url, {"reward": voucher.pk, "order": own.number})
    assert response.status_code == 200
    own.refresh_from_db()
    assert own.total.amount == Decimal(80000)
    assert "50 points" in response.content.decode()


def test_the_card_in_persian_shows_jalali_dates(
    programme: LoyaltyProgramme, client_for: Any, manager: Any, customer1: Any
) -> None:
    speak_persian(manager)
    entry = services.adjust_points(customer1, 7, reason="هدیه", actor=None)
    response = client_for(manager).get(
        f"/marketing/loyalty/customers/{customer1.pk}/", HTTP_ACCEPT_LANGUAGE="fa"
    )
    text = response.content.decode()
    assert "امتیاز" in text and "۷" in text
    day = jdatetime.date.fromgregorian(date=timezone.localdate(entry.occurred_at))
    assert to_persian_digits(day.strftime("%Y/%m/%d")) in text
