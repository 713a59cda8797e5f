"""REST endpoints of the analytics app, mounted by peyvand.config.api."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import Http404, HttpRequest
from ninja import Field, Router, Schema

from peyvand.access.choices import ApiScope
from peyvand.analytics.churn.api import router as churn_router
from peyvand.analytics.recommend.api import router as recommend_router
from peyvand.analytics.selectors import customer_value, latest_fit, segment_summary
from peyvand.core.api.auth import api_user, require_scope
from peyvand.customers.access import get_customer_for

router = Router(tags=["analytics"])
router.add_router("", churn_router)
router.add_router("", recommend_router)


class RfmOut(Schema):
    segment: str
    segment_label: str
    r: int = Field(description="Recency quintile, 5 = most recent.")
    f: int
    m: int
    recency_days: int
    frequency: int = Field(description="Orders (confirmed or fulfilled).")
    monetary: str = Field(description="Spend in the reporting currency, decimal as a string.")
    as_of: dt.date


class ExpectedPurchasesOut(Schema):
    days_30: float
    days_90: float
    days_365: float


class LifetimeValueOut(Schema):
    probability_alive: float
    expected_purchases: ExpectedPurchasesOut
    expected_spend: str = Field(description="Per order, decimal as a string.")
    clv: str = Field(description="Discounted value of the next 12 months, decimal as a string.")
    monthly_discount: float
    fitted_at: dt.datetime


class CustomerValueOut(Schema):
    customer: int
    currency: str
    rfm: RfmOut | None = Field(description="Null until the customer has a scored order.")
    lifetime_value: LifetimeValueOut | None


class SegmentOut(Schema):
    segment: str
    label: str
    customers: int
    clv_total: str
    clv_mean: str


class FitOut(Schema):
    fitted_at: dt.datetime
    history_end: dt.date
    calibration_end: dt.date
    customers: int
    currency: str
    bgnbd_params: dict[str, float]
    bgnbd_log_likelihood: float
    gamma_gamma_params: dict[str, float] | None
    holdout_predicted: float
    holdout_actual: float
    holdout_correlation: float | None


@router.get("/customers/{customer_id}/value", response=CustomerValueOut, summary="Customer value")
@require_scope(ApiScope.CUSTOMERS_READ)
def read_customer_value(request: HttpRequest, customer_id: int) -> dict[str, Any]:
    """RFM segment and scores, probability alive, expected purchases in 30/90/365 days and
    CLV of a customer the caller may see (404 otherwise)."""
    customer = get_customer_for(api_user(request), customer_id)
    found = customer_value(customer)
    rfm, value, run = found["rfm"], found["value"], found["run"]
    return {
        "customer": customer.pk,
        "currency": (value.fit.currency if value else run.currency if run else ""),
        "rfm": None
        if rfm is None
        else {
            "segment": rfm.segment,
            "segment_label": rfm.get_segment_display(),
            "r": rfm.r,
            "f": rfm.f,
            "m": rfm.m,
            "recency_days": rfm.recency_days,
            "frequency": rfm.frequency,
            "monetary": str(rfm.monetary),
            "as_of": run.as_of,
        },
        "lifetime_value": None
        if value is None
        else {
            "probability_alive": value.probability_alive,
            "expected_purchases": {
                "days_30": value.expected_30,
                "days_90": value.expected_90,
                "days_365": value.expected_365,
            },
            "expected_spend": str(value.expected_spend),
            "clv": str(value.clv),
            "monthly_discount": value.fit.monthly_discount,
            "fitted_at": value.fit.fitted_at,
        },
    }


@router.get("/segments", response=list[SegmentOut], summary="RFM segments")
@require_scope(ApiScope.CUSTOMERS_READ)
def list_segments(request: HttpRequest) -> list[dict[str, Any]]:
    """Customers per segment in the latest RFM run with their CLV, counting only the
    customers the caller may see."""
    return [
        {**row, "clv_total": str(row["clv_total"]), "clv_mean": str(row["clv_mean"])}
        for row in segment_summary(api_user(request))
    ]


@router.get("/clv/fit", response={200: FitOut}, summary="Latest CLV model fit")
@require_scope(ApiScope.CUSTOMERS_READ)
def read_fit(request: HttpRequest) -> Any:
    """Parameters, log-likelihood and holdout check of the latest BG/NBD + Gamma-Gamma fit
    (404 before the first fit)."""
    api_user(request)
    fit = latest_fit()
    if fit is None:
        raise Http404
    return fit
