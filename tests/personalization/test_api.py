"""GET /customers/{id}/next-best-offer and POST /offers/decisions/{id}/outcome."""

from __future__ import annotations

from typing import Any

import pytest

from peyvand.personalization.models import Decision
from tests.api.conftest import problem_of
from tests.factories import CustomerFactory
from tests.personalization.factories import OfferFactory

pytestmark = pytest.mark.django_db


def test_owner_gets_an_offer_and_records_the_answer_once(sales1: Any, api_client: Any) -> None:
    offers = OfferFactory.create_batch(3)
    customer = CustomerFactory(owner=sales1)
    client = api_client(sales1)
    response = client.get(f"/api/v1/customers/{customer.pk}/next-best-offer")
    assert response.status_code == 200, response.content
    body = response.json()
    decision = Decision.objects.get(pk=body["id"])
    assert body["offer"]["id"] == decision.offer_id
    assert body["propensity"] == pytest.approx(decision.pmf[decision.chosen_index])
    assert sorted(body["eligible_offers"]) == sorted(o.pk for o in offers)
    url = f"/api/v1/offers/decisions/{decision.pk}/outcome"
    first = client.post(url, {"outcome": "accepted", "channel": "portal"}, "application/json")
    assert first.status_code == 200, first.content
    assert first.json()["outcome"] == "accepted"
    again = client.post(url, {"outcome": "accepted"}, "application/json")
    assert again.status_code == 200
    conflict = problem_of(client.post(url, {"outcome": "rejected"}, "application/json"), 409)
    assert "already answered" in conflict["detail"]
    decision.refresh_from_db()
    assert decision.outcome == "accepted" and decision.outcome_channel == "portal"


def test_other_reps_customer_and_decision_are_404(
    sales1: Any, sales2: Any, api_client: Any
) -> None:
    OfferFactory()
    customer = CustomerFactory(owner=sales1)
    problem_of(api_client(sales2).get(f"/api/v1/customers/{customer.pk}/next-best-offer"), 404)
    decision = api_client(sales1).get(f"/api/v1/customers/{customer.pk}/next-best-offer").json()
    response = api_client(sales2).post(
        f"/api/v1/offers/decisions/{decision['id']}/outcome",
        {"outcome": "rejected"},
        "application/json",
    )
    problem_of(response, 404)
    assert Decision.objects.get(pk=decision["id"]).outcome == "pending"


def test_bad_outcome_is_a_field_error(manager: Any, api_client: Any) -> None:
    OfferFactory()
    customer = CustomerFactory()
    client = api_client(manager)
    decision = client.get(f"/api/v1/customers/{customer.pk}/next-best-offer").json()
    body = problem_of(
        client.post(
            f"/api/v1/offers/decisions/{decision['id']}/outcome",
            {"outcome": "maybe"},
            "application/json",
        ),
        422,
    )
    assert body["errors"][0]["field"] == "outcome"


def test_no_eligible_offer_is_204(manager: Any, api_client: Any) -> None:
    OfferFactory(rules={"languages": ["en"]})
    customer = CustomerFactory(preferred_language="fa")
    response = api_client(manager).get(f"/api/v1/customers/{customer.pk}/next-best-offer")
    assert response.status_code == 204


def test_outcome_needs_the_write_scope(manager: Any, api_client: Any) -> None:
    OfferFactory()
    customer = CustomerFactory()
    reader = api_client(manager, scopes=["customers:read"])
    decision = reader.get(f"/api/v1/customers/{customer.pk}/next-best-offer").json()
    response = reader.post(
        f"/api/v1/offers/decisions/{decision['id']}/outcome",
        {"outcome": "accepted"},
        "application/json",
    )
    problem_of(response, 403)
