"""/api/v1/attribution: the report, touches and costs; problem+json for bad input."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone
from djmoney.money import Money

from peyvand.marketing.attribution.services import record_conversion, record_touch
from peyvand.marketing.models import CampaignCost, Touch
from tests.api.conftest import problem_of
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_report(api_client: Any, marketing1: Any) -> None:
    """One customer: email then sms, then buys 300. Last touch: sms 1 conversion, 300;
    first touch: email; linear 150 each."""
    customer = CustomerFactory(department=marketing1.departments.get())
    now = timezone.now()
    record_touch(customer.pk, at=now - dt.timedelta(days=6), channel="email", campaign_key="a")
    record_touch(customer.pk, at=now - dt.timedelta(days=3), channel="sms", campaign_key="b")
    record_conversion(customer.pk, at=now - dt.timedelta(days=1), revenue=Money(300, "IRR"))
    response = api_client(marketing1).get("/api/v1/attribution", {"lookback_days": 10})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["paths"], body["conversions"], body["revenue"]) == (1, 1, "300.00")
    models = {m["model"]: {c["key"]: c for c in m["credits"]} for m in body["models"]}
    assert set(models) == {
        "first_touch",
        "last_touch",
        "linear",
        "position_based",
        "markov",
        "shapley",
    }
    assert (
        models["last_touch"]["b"]["revenue"] == "300.00"
        and models["last_touch"]["a"]["revenue"] == "0.00"
    )
    assert models["first_touch"]["a"]["conversions"] == 1.0
    assert models["linear"]["a"]["revenue"] == "150.00"
    assert body["roi"][0]["roi"]["markov"] is None
    # With a 2-day lookback both touches (6 and 3 days old, the purchase 1 day old) are
    # too old to count: no path at all.
    assert (
        api_client(marketing1).get("/api/v1/attribution", {"lookback_days": 2}).json()["paths"] == 0
    )


def test_report_refuses_roles_without_attribution(api_client: Any, sales1: Any) -> None:
    problem_of(api_client(sales1).get("/api/v1/attribution"), 403)


def test_report_bad_parameters(api_client: Any, marketing1: Any) -> None:
    client = api_client(marketing1)
    problem = problem_of(client.get("/api/v1/attribution", {"lookback_days": 0}), 422)
    assert problem["errors"][0]["field"] == "lookback_days"
    problem_of(client.get("/api/v1/attribution", {"dimension": "moon"}), 422)


def test_record_touch(api_client: Any, marketing1: Any) -> None:
    mine = CustomerFactory(department=marketing1.departments.get())
    hidden = CustomerFactory()
    client = api_client(marketing1)
    body = {
        "customer_id": mine.pk,
        "at": "2026-03-01T09:00:00Z",
        "channel": "email",
        "campaign_key": "spring",
        "subject": "Hi",
        "send_hour": 9,
        "holdout": True,
    }
    response = client.post("/api/v1/attribution/touches", body, content_type="application/json")
    assert response.status_code == 201, response.content
    assert response.json()["holdout"] is True
    problem = problem_of(
        client.post(
            "/api/v1/attribution/touches",
            {**body, "customer_id": hidden.pk},
            content_type="application/json",
        ),
        404,
    )
    assert problem["errors"][0]["field"] == "customer_id"
    problem_of(
        client.post(
            "/api/v1/attribution/touches",
            {**body, "send_hour": 24},
            content_type="application/json",
        ),
        422,
    )
    problem_of(
        client.post(
            "/api/v1/attribution/touches", {**body, "owner": 1}, content_type="application/json"
        ),
        422,
    )
    assert Touch.objects.count() == 1


def test_add_cost(api_client: Any, marketing1: Any, sales1: Any) -> None:
    client = api_client(marketing1)
    body = {
        "campaign_key": "spring",
        "amount": {"amount": "12.50", "currency": "USD"},
        "spent_on": "2026-03-01",
    }
    response = client.post("/api/v1/attribution/costs", body, content_type="application/json")
    assert response.status_code == 201, response.content
    assert response.json()["amount"] == {"amount": "12.50", "currency": "USD"}
    problem = problem_of(
        client.post(
            "/api/v1/attribution/costs",
            {**body, "amount": {"amount": "1", "currency": "XYZ"}},
            content_type="application/json",
        ),
        400,
    )
    assert problem["errors"][0]["field"] == "currency"
    problem_of(
        client.post(
            "/api/v1/attribution/costs",
            {**body, "amount": {"amount": "-1", "currency": "IRR"}},
            content_type="application/json",
        ),
        400,
    )
    problem_of(
        api_client(sales1).post("/api/v1/attribution/costs", body, content_type="application/json"),
        403,
    )
    assert CampaignCost.objects.count() == 1
