"""The churn model trained on the CRM's own customers: stored versions with a holdout
report, scores and drivers written back, the at-risk screen, the 360 card and the API,
each refused to the persona who may not see the customer."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from peyvand.access.models import ApiToken
from peyvand.analytics.churn.services import history, score_customers, train_churn_model
from peyvand.analytics.models import ChurnModelVersion, ChurnScore
from peyvand.analytics.tasks import retrain_churn_model
from tests.analytics.crm_data import HORIZON, build_company, buy


@pytest.fixture
def company(sales1: Any, sales2: Any, manager: Any) -> Any:
    return build_company([sales1, sales2], creator=sales1, other_creator=manager)


@pytest.fixture
def trained(company: Any) -> ChurnModelVersion:
    model = train_churn_model(now=company.now, horizon_days=HORIZON)
    assert model is not None
    return model


def test_too_little_history_trains_nothing(db: Any) -> None:
    assert not history().enough
    assert train_churn_model() is None
    assert retrain_churn_model.enqueue().return_value is None


def test_training_stores_a_version_with_its_holdout_report(
    company: Any, trained: ChurnModelVersion
) -> None:
    assert trained.version == 1
    assert trained.n_churned == len(company.churners)
    assert trained.n_train + trained.n_holdout == len(company.loyal) + len(company.churners)
    assert trained.auc is not None and trained.auc > 0.9
    assert trained.log_loss is not None and trained.log_loss < 0.69
    assert trained.chosen in trained.report["cross_validated_auc"]
    assert "recency_days" in trained.report["numeric"]
    assert "custom_plan" in trained.report["categorical"]
    assert trained.n_scored == ChurnScore.objects.count() == 2 * len(company.loyal)
    again = train_churn_model(now=company.now, horizon_days=HORIZON)
    assert again is not None and again.version == 2


def test_churners_score_higher_with_their_reasons(company: Any, trained: ChurnModelVersion) -> None:
    risk = {s.customer_id: s for s in ChurnScore.objects.all()}
    leaving = [risk[c.pk].probability for c in company.churners]
    staying = [risk[c.pk].probability for c in company.loyal]
    assert min(leaving) > max(staying)
    drivers = [d["feature"] for d in risk[company.churners[0].pk].drivers]
    assert drivers and set(drivers) <= set(
        trained.report["numeric"] + trained.report["categorical"]
    )


def test_drivers_change_when_the_customer_orders_again(
    company: Any, trained: ChurnModelVersion
) -> None:
    churner = company.churners[0]
    before = ChurnScore.objects.get(customer=churner)
    assert "recency_days" in [d["feature"] for d in before.drivers]
    buy(churner, [company.products["A1"]], company.now - dt.timedelta(days=1))
    score_customers(trained, now=company.now)
    after = ChurnScore.objects.get(customer=churner)
    assert after.probability < before.probability
    assert after.drivers != before.drivers
    assert "recency_days" not in [d["feature"] for d in after.drivers]


def test_at_risk_screen_shows_only_visible_customers(
    client_for: Any, sales1: Any, company: Any, trained: ChurnModelVersion
) -> None:
    response = client_for(sales1).get(reverse("analytics:churn"))
    assert response.status_code == 200
    html = response.content.decode()
    shown = {row["score"].customer_id for row in response.context["rows"]}
    assert shown and all(
        c.owner_id == sales1.pk for c in company.loyal + company.churners if c.pk in shown
    )
    theirs = next(c for c in company.churners if c.owner_id != sales1.pk)
    assert f'href="{reverse("customers:detail", args=[theirs.pk])}"' not in html
    assert "Days since the last order" in html
    assert "<svg" in html
    assert "Retrain now" not in html  # only managers retrain


def test_at_risk_screen_empty_state_and_persian(client_for: Any, manager: Any) -> None:
    manager.language = "fa"
    manager.save(update_fields=["language"])
    response = client_for(manager).get(reverse("analytics:churn"))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'dir="rtl"' in html
    assert "هنوز مدل ریزش" in html


def test_retrain_is_for_managers(client_for: Any, manager: Any, sales1: Any, company: Any) -> None:
    assert client_for(sales1).post(reverse("analytics:churn_retrain")).status_code == 404
    assert not ChurnModelVersion.objects.exists()
    response = client_for(manager).post(reverse("analytics:churn_retrain"))
    assert response.status_code == 302
    # The test task backend runs the job at once; the real worker runs it in the background.
    assert ChurnModelVersion.objects.count() == 1


def test_360_card_and_refusal(
    client_for: Any, sales1: Any, sales2: Any, company: Any, trained: ChurnModelVersion
) -> None:
    mine = next(c for c in company.churners if c.owner_id == sales1.pk)
    detail = client_for(sales1).get(reverse("customers:detail", args=[mine.pk]))
    assert reverse("analytics:customer_insights", args=[mine.pk]) in detail.content.decode()
    card = client_for(sales1).get(reverse("analytics:customer_insights", args=[mine.pk]))
    assert card.status_code == 200
    assert "Churn risk" in card.content.decode()
    assert "%" in card.context["risk"]
    assert (
        client_for(sales2).get(reverse("analytics:customer_insights", args=[mine.pk])).status_code
        == 404
    )


def _api(user: Any) -> Client:
    _token, raw = ApiToken.issue(user, name="test", scopes=["*"])
    return Client(headers={"Authorization": f"Bearer {raw}"})


def test_api_churn_and_at_risk(
    sales1: Any, sales2: Any, company: Any, trained: ChurnModelVersion
) -> None:
    mine = next(c for c in company.churners if c.owner_id == sales1.pk)
    body = _api(sales1).get(f"/api/v1/analytics/customers/{mine.pk}/churn").json()
    assert body["model_version"] == trained.version
    assert 0 < body["probability"] <= 1
    assert body["drivers"] and body["drivers"][0]["label"]
    refused = _api(sales2).get(f"/api/v1/analytics/customers/{mine.pk}/churn")
    assert refused.status_code == 404
    assert refused["Content-Type"].startswith("application/problem+json")
    listed = _api(sales1).get("/api/v1/analytics/churn/at-risk", {"limit": 5}).json()["items"]
    risks = [item["probability"] for item in listed]
    assert risks == sorted(risks, reverse=True)
    owners = {c.pk: c.owner_id for c in company.loyal + company.churners}
    assert all(owners[item["customer_id"]] == sales1.pk for item in listed)
