"""Recommendation endpoints, mounted under /api/v1/analytics."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from peyvand.access.choices import ApiScope
from peyvand.access.scopes import get_for
from peyvand.analytics.recommend.services import (
    Recommendation,
    also_bought,
    current_model,
    recommendations_for,
)
from peyvand.catalog.models import Product
from peyvand.core.api.auth import api_user, require_scope
from peyvand.customers.access import get_customer_for

router = Router(tags=["analytics"])


class RecommendationParams(Schema):
    limit: int = Field(10, ge=1, le=50)


class RecommendedOut(Schema):
    product_id: int
    sku: str
    name: str
    score: float = Field(description="The model's score; only the order is meaningful.")


class RecommendationsOut(Schema):
    model_version: int | None = Field(description="null: no recommender trained yet.")
    model: str
    items: list[RecommendedOut]


def _page(items: list[Recommendation]) -> dict[str, Any]:
    model = current_model()
    return {
        "model_version": model.version if model else None,
        "model": model.chosen if model else "",
        "items": [
            {
                "product_id": r.product.pk,
                "sku": r.product.sku,
                "name": str(r.product),
                "score": r.score,
            }
            for r in items
        ],
    }


@router.get(
    "/customers/{customer_id}/recommendations",
    response=RecommendationsOut,
    summary="Recommended products for a customer",
)
@require_scope(ApiScope.CUSTOMERS_READ)
def customer_recommendations(
    request: HttpRequest, customer_id: int, params: Query[RecommendationParams]
) -> dict[str, Any]:
    """Personalised top-N: never a product the customer already bought, an inactive or
    out-of-stock one, or one the caller may not see; 404 for customers the caller may not
    see."""
    user = api_user(request)
    customer = get_customer_for(user, customer_id)
    return _page(recommendations_for(customer, user=user, n=params.limit))


@router.get(
    "/products/{product_id}/also-bought",
    response=RecommendationsOut,
    summary="Customers who bought this also bought",
)
@require_scope(ApiScope.PRODUCTS_READ)
def product_also_bought(
    request: HttpRequest, product_id: int, params: Query[RecommendationParams]
) -> dict[str, Any]:
    user = api_user(request)
    """Products bought together with this one (itself excluded), by the same filters as the
    personal list; 404 for products the caller may not see."""
    product = get_for(user, Product.objects.alive(), product_id)
    return _page(also_bought(product, user=user, n=params.limit))
