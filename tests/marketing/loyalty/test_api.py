"""/api/v1/loyalty: points follow customer visibility, writes need the right role, and
bad input is a problem+json that changes nothing."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from peyvand.marketing.loyalty import services
from peyvand.marketing.models import LoyaltyEntry, LoyaltyProgramme, LoyaltyReward
from tests.api.conftest import problem_of
from tests.sales.factories import make_order

pytestmark = pytest.mark.django_db

BASE = "/api/v1/loyalty"


def test_points_and_statement_follow_customer_visibility(
    programme: LoyaltyProgramme, api_client: Any, personas: dict[str, Any], customer1: Any
) -> None:
    services.add_tier(programme, actor=None, name="Silver", threshold=10, multiplier=Decimal(2))
    services.adjust_points(customer1, 25, reason="welcome", actor=None)
    problem_of(api_client(personas["sales2"]).get(f"{BASE}/customers/{customer1.pk}"), 404)
    problem_of(
        api_client(personas["sales2"]).get(f"{BASE}/customers/{customer1.pk}/statement"), 404
    )
    client = api_client(personas["sales1"])
    body = client.get(f"{BASE}/customers/{customer1.pk}").json()
    assert body["balance"] == 25 and body["tier"] is None  # adjustments do not count for tiers
    statement = client.get(f"{BASE}/customers/{customer1.pk}/statement").json()
    assert [(e["kind"], e["points"], e["description"]) for e in statement["items"]] == [
        ("adjust", 25, "welcome")
    ]
    programme_body = client.get(f"{BASE}/programme").json()
    assert programme_body["currency"] == "IRR" and programme_body["tiers"][0]["name"] == "Silver"


def test_adjustments_need_the_loyalty_right(
    programme: LoyaltyProgramme, api_client: Any, personas: dict[str, Any], customer1: Any
) -> None:
    url = f"{BASE}/customers/{customer1.pk}/adjustments"
    problem_of(
        api_client(personas["sales1"]).post(
            url, {"points": 5, "reason": "x"}, content_type="application/json"
        ),
        403,
    )
    manager = api_client(personas["manager"])
    for bad in (
        {"points": 0, "reason": "x"},
        {"points": -5, "reason": "x"},
        {"points": 5, "reason": ""},
        {"points": "abc", "reason": "x"},
        {"points": 5, "reason": "x", "balance": 999},
    ):
        response = manager.post(url, bad, content_type="application/json")
        assert response.status_code in (400, 422), response.content
        assert response["Content-Type"].startswith("application/problem+json")
    assert not LoyaltyEntry.objects.exists()
    response = manager.post(
        url, {"points": 5, "reason": "goodwill"}, content_type="application/json"
    )
    assert response.status_code == 201 and response.json()["points"] == 5
    # marketing1 (department scope on loyalty) may adjust a customer it may see.
    problem_of(
        api_client(personas["marketing1"]).post(
            f"{BASE}/customers/999999/adjustments",
            {"points": 5, "reason": "x"},
            content_type="application/json",
        ),
        404,
    )


def test_redeem_a_discount_through_the_api(
    programme: LoyaltyProgramme,
    api_client: Any,
    personas: dict[str, Any],
    customer1: Any,
    customer2: Any,
    voucher: LoyaltyReward,
) -> None:
    services.adjust_points(customer1, 60, reason="welcome", actor=None)
    own = make_order(customer1, unit_price="100000")
    foreign = make_order(customer2, unit_price="100000")
    url = f"{BASE}/customers/{customer1.pk}/redemptions"
    problem_of(
        api_client(personas["sales2"]).post(
            url, {"reward_id": voucher.pk, "order_id": own.pk}, content_type="application/json"
        ),
        404,
    )
    client = api_client(personas["sales1"])
    body = problem_of(
        client.post(
            url, {"reward_id": voucher.pk, "order_id": foreign.pk}, content_type="application/json"
        ),
        404,
    )
    assert "order_id" in str(body)
    problem_of(
        client.post(
            url, {"reward_id": 999999, "order_id": own.pk}, content_type="application/json"
        ),
        404,
    )
    problem_of(client.post(url, {"reward_id": voucher.pk}, content_type="application/json"), 400)
    payload = {"reward_id": voucher.pk, "order_id": own.pk, "key": "pay-1"}
    first = client.post(url, payload, content_type="application/json")
    assert first.status_code == 201 and first.json()["points"] == -50
    again = client.post(url, payload, content_type="application/json")
    assert again.json()["id"] == first.json()["id"]
    own.refresh_from_db()
    assert own.total.amount == Decimal(80000)
    body = problem_of(
        client.post(
            url, {"reward_id": voucher.pk, "order_id": own.pk}, content_type="application/json"
        ),
        400,
    )
    assert "Not enough points" in str(body)


def test_actions_through_the_api(
    programme: LoyaltyProgramme, api_client: Any, personas: dict[str, Any], customer1: Any
) -> None:
    services.set_rule(programme, actor=None, action="referral", points=40)
    url = f"{BASE}/customers/{customer1.pk}/actions"
    payload = {"action": "referral", "reference": "customer-77"}
    problem_of(
        api_client(personas["sales1"]).post(url, payload, content_type="application/json"), 403
    )
    client = api_client(personas["manager"])
    first = client.post(url, payload, content_type="application/json").json()
    assert first["entry"]["points"] == 40
    assert client.post(url, payload, content_type="application/json").json() == first
    response = client.post(
        url, {"action": "hack", "reference": "x"}, content_type="application/json"
    )
    assert response.status_code in (400, 422)
    assert LoyaltyEntry.objects.count() == 1


def test_without_a_programme_the_api_says_so(
    api_client: Any, personas: dict[str, Any], customer1: Any
) -> None:
    body = problem_of(api_client(personas["manager"]).get(f"{BASE}/customers/{customer1.pk}"), 400)
    assert "no active loyalty programme" in str(body)
