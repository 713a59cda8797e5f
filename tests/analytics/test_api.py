"""GET /api/v1/analytics/...: a customer's value, segments and the fit, with visibility rules."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from peyvand.access.models import ApiToken
from peyvand.analytics.clv.services import fit_customer_value
from peyvand.analytics.models import CustomerValue, RfmScore
from peyvand.analytics.rfm.services import compute_rfm


def token_client(user: Any, scopes: tuple[str, ...] = ("*",)) -> Client:
    _token, raw = ApiToken.issue(user, name="test", scopes=list(scopes))
    return Client(headers={"Authorization": f"Bearer {raw}"})


@pytest.fixture
def scored(shop: dict[str, Any]) -> dict[str, Any]:
    compute_rfm(as_of=shop["end"])
    assert fit_customer_value(history_end=shop["end"]) is not None
    return shop


def test_owner_reads_the_value_of_their_customer(scored: dict[str, Any], sales1: Any) -> None:
    customer = scored["customers"][0]  # owned by sales1
    response = token_client(sales1).get(f"/api/v1/analytics/customers/{customer.pk}/value")
    assert response.status_code == 200, response.content
    body = response.json()
    score = RfmScore.objects.get(customer=customer)
    value = CustomerValue.objects.get(customer=customer)
    assert body["rfm"]["segment"] == score.segment
    assert body["rfm"]["r"] == score.r and body["rfm"]["frequency"] == score.frequency
    assert body["lifetime_value"]["probability_alive"] == pytest.approx(value.probability_alive)
    assert body["lifetime_value"]["expected_purchases"]["days_90"] == pytest.approx(
        value.expected_90
    )
    assert body["lifetime_value"]["clv"] == str(value.clv)
    assert body["currency"] == "IRR"


def test_another_reps_customer_is_404_problem(scored: dict[str, Any], sales2: Any) -> None:
    customer = scored["customers"][0]  # owned by sales1, not visible to sales2
    response = token_client(sales2).get(f"/api/v1/analytics/customers/{customer.pk}/value")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/problem+json")
    missing = token_client(sales2).get("/api/v1/analytics/customers/999999/value")
    assert missing.status_code == 404


def test_token_without_customer_scope_is_refused(scored: dict[str, Any], sales1: Any) -> None:
    customer = scored["customers"][0]
    response = token_client(sales1, ("orders:read",)).get(
        f"/api/v1/analytics/customers/{customer.pk}/value"
    )
    assert response.status_code == 403


def test_unscored_customer_has_null_scores(shop: dict[str, Any], sales1: Any) -> None:
    customer = shop["customers"][0]
    body = token_client(sales1).get(f"/api/v1/analytics/customers/{customer.pk}/value").json()
    assert body["rfm"] is None and body["lifetime_value"] is None


def test_segments_count_only_visible_customers(
    scored: dict[str, Any], sales1: Any, manager: Any
) -> None:
    mine = sum(
        row["customers"] for row in token_client(sales1).get("/api/v1/analytics/segments").json()
    )
    everyone = sum(
        row["customers"] for row in token_client(manager).get("/api/v1/analytics/segments").json()
    )
    assert everyone == 60 and mine == 30


def test_fit_endpoint(scored: dict[str, Any], manager: Any, personas: Any) -> None:
    body = token_client(manager).get("/api/v1/analytics/clv/fit").json()
    assert set(body["bgnbd_params"]) == {"r", "alpha", "a", "b"}
    assert body["customers"] == 60


def test_fit_endpoint_before_any_fit_is_404(manager: Any) -> None:
    assert token_client(manager).get("/api/v1/analytics/clv/fit").status_code == 404
