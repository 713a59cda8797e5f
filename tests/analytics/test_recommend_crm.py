"""The recommender trained from the CRM's order lines: the offline evaluation it stores,
lists that never hold owned, unsellable or invisible products, the screen and the API."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from peyvand.access.models import ApiToken
from peyvand.analytics.models import RecommenderVersion
from peyvand.analytics.recommend.engine import CANDIDATES
from peyvand.analytics.recommend.services import (
    also_bought,
    owned_product_ids,
    recommendations_for,
    train_recommender,
)
from peyvand.analytics.tasks import retrain_recommender
from peyvand.customers.models import Customer
from tests.analytics.crm_data import build_company
from tests.factories import CustomerFactory


@pytest.fixture
def company(sales1: Any, sales2: Any, manager: Any) -> Any:
    return build_company([sales1, sales2], creator=sales1, other_creator=manager)


@pytest.fixture
def trained(company: Any) -> RecommenderVersion:
    model = train_recommender()
    assert model is not None
    return model


def test_too_few_purchases_trains_nothing(db: Any) -> None:
    assert train_recommender() is None
    assert retrain_recommender.enqueue().return_value is None


def test_training_stores_the_evaluation_of_every_candidate(trained: RecommenderVersion) -> None:
    assert trained.version == 1
    assert len(trained.evaluation) == len(CANDIDATES)
    chosen = [row for row in trained.evaluation if row["chosen"]]
    assert len(chosen) == 1 and chosen[0]["candidate"] == trained.chosen
    best = max(row["precision_at_10"] for row in trained.evaluation)
    assert chosen[0]["precision_at_10"] == best
    assert trained.n_products == 8


def _every_customer(company: Any) -> list[Customer]:
    return company.loyal + company.churners


def test_never_owned_unsellable_or_invisible(
    company: Any, trained: RecommenderVersion, sales1: Any, manager: Any
) -> None:
    products = company.products
    products["A3"].stock = 0
    products["A3"].save(update_fields=["stock"])
    products["A4"].is_active = False
    products["A4"].save(update_fields=["is_active"])
    seen_for_manager: set[str] = set()
    for customer in _every_customer(company):
        owned = owned_product_ids(customer)
        for user in (sales1, manager):
            skus = {r.product.sku for r in recommendations_for(customer, user=user, n=10)}
            assert not skus & {p.sku for p in products.values() if p.pk in owned}
            assert "A3" not in skus and "A4" not in skus
            if user == sales1:
                assert "AX" not in skus  # made by the manager: sales1 may not see it
            else:
                seen_for_manager |= skus
    # The filters remove, they do not empty: the manager is offered AX to someone.
    assert "AX" in seen_for_manager


def test_personal_list_follows_taste(
    company: Any, trained: RecommenderVersion, manager: Any
) -> None:
    # A new customer who bought A1 only: the other A products come before any B product.
    from tests.analytics.crm_data import buy

    newcomer = CustomerFactory(display_name="Newcomer", owner=manager)
    buy(newcomer, [company.products["A1"]], company.now)
    skus = [r.product.sku for r in recommendations_for(newcomer, user=manager, n=3)]
    assert skus and "A1" not in skus
    assert all(sku.startswith("A") for sku in skus[:2]), skus


def test_also_bought(company: Any, trained: RecommenderVersion, manager: Any) -> None:
    skus = [r.product.sku for r in also_bought(company.products["B1"], user=manager, n=3)]
    assert skus and "B1" not in skus
    assert skus[0].startswith("B"), skus


def test_evaluation_screen(
    client_for: Any, manager: Any, sales1: Any, trained: RecommenderVersion
) -> None:
    html = client_for(manager).get(reverse("analytics:recommendations")).content.decode()
    assert "<svg" in html and "Precision@10" in html and "Retrain now" in html
    assert "bm25 (K=20, K1=1.2, B=0.75)" in html
    assert (
        "Retrain now"
        not in client_for(sales1).get(reverse("analytics:recommendations")).content.decode()
    )
    assert client_for(sales1).post(reverse("analytics:recommendations_retrain")).status_code == 404
    assert client_for(manager).post(reverse("analytics:recommendations_retrain")).status_code == 302
    assert RecommenderVersion.objects.count() == 2


def test_evaluation_screen_empty(client_for: Any, sales1: Any) -> None:
    response = client_for(sales1).get(reverse("analytics:recommendations"))
    assert response.status_code == 200
    assert "No recommender yet" in response.content.decode()


def _api(user: Any) -> Client:
    _token, raw = ApiToken.issue(user, name="test", scopes=["*"])
    return Client(headers={"Authorization": f"Bearer {raw}"})


def test_api_recommendations(
    company: Any, trained: RecommenderVersion, sales1: Any, sales2: Any
) -> None:
    mine = next(c for c in company.loyal if c.owner_id == sales1.pk)
    response = _api(sales1).get(
        f"/api/v1/analytics/customers/{mine.pk}/recommendations", {"limit": 5}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["model_version"] == trained.version
    owned = owned_product_ids(mine)
    assert body["items"] and all(item["product_id"] not in owned for item in body["items"])
    assert all(item["sku"] != "AX" for item in body["items"])
    refused = _api(sales2).get(f"/api/v1/analytics/customers/{mine.pk}/recommendations")
    assert refused.status_code == 404
    assert refused["Content-Type"].startswith("application/problem+json")
    bad = _api(sales1).get(f"/api/v1/analytics/customers/{mine.pk}/recommendations?limit=0")
    assert bad.status_code in (400, 422)


def test_api_also_bought_refuses_invisible_products(
    company: Any, trained: RecommenderVersion, sales1: Any
) -> None:
    visible = _api(sales1).get(
        f"/api/v1/analytics/products/{company.products['A1'].pk}/also-bought"
    )
    assert visible.status_code == 200
    hidden = _api(sales1).get(f"/api/v1/analytics/products/{company.products['AX'].pk}/also-bought")
    assert hidden.status_code == 404
