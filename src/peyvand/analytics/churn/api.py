"""Churn endpoints, mounted under /api/v1/analytics: a customer's risk and its drivers,
and the riskiest customers the caller may see."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from peyvand.access.choices import ApiScope
from peyvand.analytics.churn.features import feature_label
from peyvand.analytics.churn.selectors import score_of, visible_scores
from peyvand.core.api.auth import api_user, require_scope
from peyvand.customers.access import get_customer_for

router = Router(tags=["analytics"])


class DriverOut(Schema):
    feature: str = Field(description="Feature name as the model knows it.")
    label: str = Field(description="The feature in the caller's language.")
    contribution: float = Field(description="Push on the log-odds against an average customer.")


class ChurnOut(Schema):
    customer_id: int
    probability: float | None = Field(description="Calibrated churn risk 0–1; null: not scored.")
    model_version: int | None
    scored_at: dt.datetime | None
    drivers: list[DriverOut]


class AtRiskParams(Schema):
    limit: int = Field(50, ge=1, le=500)
    min_probability: float = Field(0.0, ge=0.0, le=1.0)


class AtRiskOut(Schema):
    items: list[ChurnOut]


def _document(customer_id: int, score: Any) -> dict[str, Any]:
    if score is None:
        return {
            "customer_id": customer_id,
            "probability": None,
            "model_version": None,
            "scored_at": None,
            "drivers": [],
        }
    return {
        "customer_id": customer_id,
        "probability": score.probability,
        "model_version": score.model_version,
        "scored_at": score.scored_at,
        "drivers": [{**d, "label": feature_label(d["feature"])} for d in score.drivers],
    }


@router.get("/customers/{customer_id}/churn", response=ChurnOut, summary="Customer churn risk")
@require_scope(ApiScope.CUSTOMERS_READ)
def customer_churn(request: HttpRequest, customer_id: int) -> dict[str, Any]:
    """The latest calibrated churn risk of a customer the caller may see, with the features
    raising it most; 404 for customers the caller may not see."""
    customer = get_customer_for(api_user(request), customer_id)
    return _document(customer.pk, score_of(customer))


@router.get("/churn/at-risk", response=AtRiskOut, summary="Customers at risk")
@require_scope(ApiScope.CUSTOMERS_READ)
def at_risk(request: HttpRequest, params: Query[AtRiskParams]) -> dict[str, Any]:
    """The riskiest customers the caller may see, riskiest first."""
    scores = visible_scores(api_user(request)).filter(probability__gte=params.min_probability)
    return {"items": [_document(s.customer_id, s) for s in scores[: params.limit]]}
