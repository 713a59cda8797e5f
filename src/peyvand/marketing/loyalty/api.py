"""REST endpoints of the loyalty programme, mounted at /loyalty by peyvand.config.api.

A customer's points answer 404 for a customer the caller may not see; adjusting points
needs the `loyalty` change right, redeeming needs the right to change the customer (and,
for a discount, their order)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from peyvand.access.choices import Action, ApiScope
from peyvand.core.api.access import referenced, require_action
from peyvand.core.api.auth import api_user, require_scope
from peyvand.core.api.pagination import Ordering, Page, PageParams, paginate
from peyvand.core.api.schemas import InputSchema
from peyvand.customers.access import get_customer_for
from peyvand.marketing.loyalty import selectors, services
from peyvand.marketing.loyalty.access import OBJECT_TYPE
from peyvand.marketing.loyalty.choices import LoyaltyAction
from peyvand.marketing.models import LoyaltyEntry, LoyaltyProgramme
from peyvand.sales.access import live_orders
from peyvand.sales.models import Order

router = Router(tags=["loyalty"])

STATEMENT_ORDERING = Ordering("occurred_at", descending=True)


class TierOut(Schema):
    id: int
    name: str
    threshold: int = Field(description="Points earned in the rolling window to reach the tier.")
    multiplier: Decimal
    benefits: str


class RuleOut(Schema):
    action: str
    points: int


class RewardOut(Schema):
    id: int
    name: str
    kind: str
    cost: int
    discount: Decimal | None = Field(description="For a discount: in the programme currency.")
    description: str


class ProgrammeOut(Schema):
    id: int
    name: str
    currency: str
    points_per_unit: Decimal
    earn_on: str
    tier_window_days: int
    expiry_months: int = Field(description="0: points never expire.")
    max_points_per_day: int = Field(description="0: no limit.")
    max_redemptions_per_day: int = Field(description="0: no limit.")
    tiers: list[TierOut]
    rules: list[RuleOut]
    rewards: list[RewardOut] = Field(description="The rewards that can be redeemed now.")

    @staticmethod
    def resolve_tiers(obj: LoyaltyProgramme) -> list[Any]:
        return list(obj.tiers.all())

    @staticmethod
    def resolve_rules(obj: LoyaltyProgramme) -> list[Any]:
        return list(obj.rules.all())

    @staticmethod
    def resolve_rewards(obj: LoyaltyProgramme) -> list[Any]:
        return list(obj.rewards.filter(is_active=True))


class PointsOut(Schema):
    customer_id: int
    balance: int
    tier: TierOut | None
    next_tier: TierOut | None
    expiring: int = Field(description="Points that expire by `expiring_by`.")
    expiring_by: dt.datetime


class EntryOut(Schema):
    id: int
    kind: str
    points: int
    occurred_at: dt.datetime
    expires_at: dt.datetime | None
    remaining: int = Field(description="Of an earned or added lot: points not yet used.")
    description: str = Field(description="In the caller's language for points from an action.")
    order_id: int | None
    reward_id: int | None

    @staticmethod
    def resolve_description(obj: LoyaltyEntry) -> str:
        return obj.label


class EntryPage(Schema):
    items: list[EntryOut]
    next_cursor: str | None


class AdjustIn(InputSchema):
    points: int = Field(description="Positive to add, negative to deduct; never zero.")
    reason: str = Field(min_length=1, max_length=255)


class RedeemIn(InputSchema):
    reward_id: int
    order_id: int | None = Field(None, description="Required for a discount reward.")
    key: str = Field(
        "", max_length=80, description="Send the same key on a retry to redeem only once."
    )


class ActionIn(InputSchema):
    action: Literal[tuple(LoyaltyAction.values)]  # type: ignore[valid-type]
    reference: str = Field(
        min_length=1, max_length=80, description="What earned it, once: a review id, …"
    )


class AwardOut(Schema):
    entry: EntryOut | None = Field(
        description="None when no rule rewards the action or today's limit is reached."
    )


@router.get("/programme", response=ProgrammeOut, summary="The active programme")
@require_scope(ApiScope.CUSTOMERS_READ)
def get_programme(request: HttpRequest) -> LoyaltyProgramme:
    """Its rates, tiers, points per action and the rewards that can be redeemed."""
    api_user(request)
    return services.require_programme()


@router.get("/customers/{customer_id}", response=PointsOut, summary="A customer's points")
@require_scope(ApiScope.CUSTOMERS_READ)
def get_points(request: HttpRequest, customer_id: int) -> dict[str, Any]:
    customer = get_customer_for(api_user(request), customer_id)
    services.require_programme()
    points = selectors.customer_points(customer)
    assert points is not None  # there is an active programme
    return {
        "customer_id": customer.pk,
        "balance": points.balance,
        "tier": points.tier,
        "next_tier": points.next_tier,
        "expiring": points.expiring,
        "expiring_by": points.expiring_by,
    }


@router.get(
    "/customers/{customer_id}/statement", response=EntryPage, summary="A customer's statement"
)
@require_scope(ApiScope.CUSTOMERS_READ)
def get_statement(
    request: HttpRequest, customer_id: int, params: Query[PageParams]
) -> Page[LoyaltyEntry]:
    """Every points entry, newest first."""
    customer = get_customer_for(api_user(request), customer_id)
    return paginate(selectors.statement(customer), params, STATEMENT_ORDERING)


@router.post(
    "/customers/{customer_id}/adjustments",
    response={201: EntryOut},
    summary="Add or deduct points",
)
@require_scope(ApiScope.CUSTOMERS_WRITE)
def adjust(request: HttpRequest, customer_id: int, payload: AdjustIn) -> Status[LoyaltyEntry]:
    user = api_user(request)
    require_action(user, OBJECT_TYPE, Action.CHANGE)
    customer = get_customer_for(user, customer_id)
    entry = services.adjust_points(customer, payload.points, reason=payload.reason, actor=user)
    return Status(201, entry)


@router.post(
    "/customers/{customer_id}/redemptions",
    response={201: EntryOut},
    summary="Redeem a reward",
)
@require_scope(ApiScope.CUSTOMERS_WRITE)
def redeem(request: HttpRequest, customer_id: int, payload: RedeemIn) -> Status[LoyaltyEntry]:
    """A discount reward is taken off the order (`order_id`, one of the customer's) in the
    same transaction as the points; a 400 changes nothing."""
    user = api_user(request)
    customer = get_customer_for(user, customer_id, Action.CHANGE)

    def customer_order(pk: int) -> Order:
        order = live_orders().filter(customer=customer, pk=pk).first()
        if order is None:
            raise Http404
        return order

    order = None
    if payload.order_id is not None:
        order = referenced(payload.order_id, customer_order, "order_id")
    entry = services.redeem_reward(
        customer, payload.reward_id, actor=user, order=order, key=payload.key
    )
    return Status(201, entry)


@router.post(
    "/customers/{customer_id}/actions", response=AwardOut, summary="Award points for an action"
)
@require_scope(ApiScope.CUSTOMERS_WRITE)
def award(request: HttpRequest, customer_id: int, payload: ActionIn) -> dict[str, Any]:
    """Once per (action, reference): a repeat answers the entry already made."""
    user = api_user(request)
    require_action(user, OBJECT_TYPE, Action.CHANGE)
    customer = get_customer_for(user, customer_id)
    entry = services.award_action(customer, payload.action, reference=payload.reference, actor=user)
    return {"entry": entry}
