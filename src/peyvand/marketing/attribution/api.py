"""REST endpoints of attribution, mounted at /attribution by peyvand.config.api: the report,
touches fed by campaigns and other sources, and campaign costs."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from peyvand.access.choices import ApiScope
from peyvand.core.api.access import referenced, require_action
from peyvand.core.api.auth import api_user, require_scope
from peyvand.core.api.schemas import InputSchema, MoneyIn, MoneyOut, money_out
from peyvand.customers.access import get_customer_for
from peyvand.marketing.attribution.access import OBJECT_TYPE
from peyvand.marketing.attribution.effectiveness import Lift
from peyvand.marketing.attribution.selectors import (
    DEFAULT_LOOKBACK_DAYS,
    DEFAULT_WINDOW_DAYS,
    MODELS,
    attribution_report,
    cents,
)
from peyvand.marketing.attribution.services import add_campaign_cost, record_touch
from peyvand.marketing.models.attribution import ELEMENT_MAX, KEY_MAX, CampaignCost, Touch

router = Router(tags=["attribution"])


class ReportParams(Schema):
    since: dt.date | None = Field(None, description="First day (default: 90 days before until).")
    until: dt.date | None = Field(None, description="Last day (default: today).")
    lookback_days: int = Field(
        DEFAULT_LOOKBACK_DAYS,
        ge=1,
        le=365,
        description="Touches this long before a conversion count.",
    )
    window_days: int = Field(
        DEFAULT_WINDOW_DAYS, ge=1, le=90, description="Response window after a first touch."
    )
    dimension: Literal["campaign", "channel"] = "campaign"


class CreditOut(Schema):
    key: str = Field(description="Campaign key or channel.")
    conversions: float
    revenue: str = Field(description="In the reporting currency, as a decimal string.")


class ModelOut(Schema):
    model: str = Field(examples=list(MODELS))
    credits: list[CreditOut] | None = Field(description="Null when the model cannot run here.")
    unavailable: str | None = Field(None, description="Why the model did not run.")


class RateOut(Schema):
    exposures: int
    conversions: int
    rate: float


class LiftOut(Schema):
    element: str = Field(
        description="subject, offer, channel, send_hour, segment, variant or holdout."
    )
    value: str = Field(description="The element's value, or the campaign key for a holdout lift.")
    treated: RateOut
    baseline: RateOut = Field(description="The rest of the element, or the control group.")
    difference: float = Field(description="Treated minus baseline conversion rate.")
    interval: tuple[float, float] = Field(description="95 % Newcombe interval of the difference.")
    p_value: float
    q_value: float = Field(description="Benjamini–Hochberg adjusted over the comparisons made.")
    significant: bool


class RoiOut(Schema):
    campaign_key: str
    cost: str
    revenue: dict[str, str] = Field(description="Attributed revenue per model.")
    roi: dict[str, float | None] = Field(description="(revenue − cost) / cost per model.")


class ReportOut(Schema):
    since: dt.date
    until: dt.date
    currency: str
    paths: int
    conversions: int
    revenue: str
    models: list[ModelOut]
    elements: list[LiftOut]
    holdouts: list[LiftOut]
    roi: list[RoiOut]
    missing_rates: list[str] = Field(description="Currencies left out for want of a rate.")


class TouchIn(InputSchema):
    customer_id: int
    at: dt.datetime
    channel: str = Field(min_length=1, max_length=32)
    campaign_key: str = Field(min_length=1, max_length=KEY_MAX)
    variant: str | None = Field(None, max_length=ELEMENT_MAX)
    subject: str | None = Field(None, max_length=ELEMENT_MAX)
    offer: str | None = Field(None, max_length=ELEMENT_MAX)
    send_hour: int | None = Field(None, ge=0, le=23)
    segment: str | None = Field(None, max_length=ELEMENT_MAX)
    holdout: bool = Field(False, description="A control-group member, deliberately sent nothing.")


class TouchOut(Schema):
    id: int
    customer_id: int
    at: dt.datetime
    channel: str
    campaign_key: str
    holdout: bool


class CostIn(InputSchema):
    campaign_key: str = Field(min_length=1, max_length=KEY_MAX)
    amount: MoneyIn
    spent_on: dt.date
    note: str = Field("", max_length=500)


class CostOut(Schema):
    id: int
    campaign_key: str
    amount: MoneyOut
    spent_on: dt.date
    note: str

    @staticmethod
    def resolve_amount(obj: CampaignCost) -> dict[str, str] | None:
        return money_out(obj.amount)


def _lift(lift: Lift) -> dict[str, Any]:
    return {
        "element": lift.dimension,
        "value": lift.label,
        "treated": {
            "exposures": lift.treated.n,
            "conversions": lift.treated.conversions,
            "rate": lift.treated.value,
        },
        "baseline": {
            "exposures": lift.baseline.n,
            "conversions": lift.baseline.conversions,
            "rate": lift.baseline.value,
        },
        "difference": lift.difference,
        "interval": lift.interval,
        "p_value": lift.p_value,
        "q_value": lift.q_value,
        "significant": lift.significant,
    }


@router.get("", response=ReportOut, summary="Attribution report")
@require_scope(ApiScope.CUSTOMERS_READ)
def report(request: HttpRequest, params: Query[ReportParams]) -> dict[str, Any]:
    """Every model side by side, element effectiveness, holdout lifts and ROI, over the
    customers the caller may see, in the reporting currency."""
    user = api_user(request)
    require_action(user, OBJECT_TYPE, "view")
    result = attribution_report(user, **params.dict())
    models = []
    for name in MODELS:
        credit = result.models.get(name)
        models.append(
            {
                "model": name,
                "credits": None
                if credit is None
                else [
                    {
                        "key": key,
                        "conversions": credit.conversions.get(key, 0.0),
                        "revenue": str(cents(credit.revenue.get(key, 0.0))),
                    }
                    for key in result.keys
                ],
                "unavailable": result.unavailable.get(name),
            }
        )
    return {
        "since": result.since,
        "until": result.until,
        "currency": result.currency,
        "paths": result.paths,
        "conversions": result.conversions,
        "revenue": str(result.revenue),
        "models": models,
        "elements": [_lift(lift) for lift in result.effects],
        "holdouts": [_lift(lift) for lift in result.holdouts],
        "roi": [
            {
                "campaign_key": row.key,
                "cost": str(row.cost),
                "revenue": {name: str(value) for name, value in row.revenue.items()},
                "roi": dict(zip(MODELS, row.ratios, strict=True)),
            }
            for row in result.roi
        ],
        "missing_rates": sorted(result.missing_rates),
    }


@router.post("/touches", response={201: TouchOut}, summary="Record a touch")
@require_scope(ApiScope.ALL)
def create_touch(request: HttpRequest, payload: TouchIn) -> Status[Touch]:
    """A customer met a campaign (or was held out of it). A customer the caller may not
    see answers 404 like a missing one."""
    user = api_user(request)
    require_action(user, OBJECT_TYPE, "add")
    customer = referenced(payload.customer_id, lambda pk: get_customer_for(user, pk), "customer_id")
    data = payload.dict(exclude={"customer_id"})
    return Status(201, record_touch(customer.pk, **data))


@router.post("/costs", response={201: CostOut}, summary="Enter a campaign cost")
@require_scope(ApiScope.ALL)
def create_cost(request: HttpRequest, payload: CostIn) -> Status[CampaignCost]:
    user = api_user(request)
    require_action(user, OBJECT_TYPE, "add")
    cost = add_campaign_cost(
        campaign_key=payload.campaign_key,
        amount=payload.amount.amount,
        currency=payload.amount.currency,
        spent_on=payload.spent_on,
        note=payload.note,
        actor=user,
    )
    return Status(201, cost)
