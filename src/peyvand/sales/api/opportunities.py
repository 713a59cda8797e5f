"""Opportunity and pipeline endpoints, mounted by peyvand.config.api at /opportunities and
/pipelines."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, TypeVar

from django.db.models import Model, Prefetch, QuerySet
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from peyvand.access.choices import Action, ApiScope, ObjectType
from peyvand.access.scopes import get_for, restrict
from peyvand.catalog.models import Product
from peyvand.core.api.access import optionally_referenced, referenced, require_action
from peyvand.core.api.auth import api_user, require_scope
from peyvand.core.api.pagination import Ordering, PageParams, paginate
from peyvand.core.api.schemas import CustomerRef, InputSchema, MoneyOut, UserRef, money_out
from peyvand.core.problems import ServiceError
from peyvand.customers.models import Customer
from peyvand.sales.access import live_opportunities
from peyvand.sales.choices import CloseOutcome, OpportunityStatus
from peyvand.sales.models import (
    CloseReason,
    Competitor,
    Opportunity,
    Pipeline,
    Stage,
)
from peyvand.sales.opportunities import (
    create_opportunity,
    lose_opportunity,
    move_opportunity,
    update_opportunity,
    win_opportunity,
)
from peyvand.sales.selectors import filter_opportunities, stage_visits

router = Router(tags=["opportunities"])
pipelines_router = Router(tags=["pipelines"])

ORDERING = Ordering("created_at", descending=True)
M = TypeVar("M", bound=Model)


class StageOut(Schema):
    id: int
    name: str
    name_fa: str
    position: int
    win_probability: int
    is_won: bool
    is_lost: bool


class PipelineOut(Schema):
    id: int
    name: str
    name_fa: str
    is_default: bool
    is_active: bool
    stages: list[StageOut]

    @staticmethod
    def resolve_stages(obj: Pipeline) -> list[Stage]:
        return list(obj.stages.all())


class NamedRef(Schema):
    id: int
    name: str
    name_fa: str


class CloseReasonRef(NamedRef):
    outcome: str


class OpportunityOut(Schema):
    id: int
    title: str
    customer: CustomerRef
    pipeline: int
    stage: StageOut
    status: str
    amount: MoneyOut
    expected_close_date: dt.date | None
    next_step: str
    owner: UserRef | None
    competitors: list[NamedRef]
    products: list[int] = Field(description="Ids of the products of interest.")
    reason: CloseReasonRef | None = Field(description="Won/lost reason from the managed list.")
    close_reason: str = Field(description="Won/lost reason in words.")
    closed_at: dt.datetime | None
    stage_entered_at: dt.datetime
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_pipeline(obj: Opportunity) -> int:
        return obj.pipeline_id

    @staticmethod
    def resolve_amount(obj: Opportunity) -> dict[str, str] | None:
        return money_out(obj.amount)

    @staticmethod
    def resolve_competitors(obj: Opportunity) -> list[Competitor]:
        return list(obj.competitors.all())

    @staticmethod
    def resolve_products(obj: Opportunity) -> list[int]:
        return [product.pk for product in obj.products.all()]


class OpportunityPage(Schema):
    items: list[OpportunityOut]
    next_cursor: str | None


class StageVisitOut(Schema):
    stage: StageOut
    entered_at: dt.datetime
    left_at: dt.datetime | None
    seconds: int = Field(description="Time spent in the stage (so far, for the current one).")
    by: UserRef | None


class OpportunityFilters(PageParams):
    pipeline: int | None = Field(None, description="Pipeline id.")
    stage: int | None = Field(None, description="Stage id.")
    owner: int | None = Field(None, description="Owner's user id.")
    customer: int | None = Field(None, description="Customer id.")
    status: OpportunityStatus | None = None
    close_from: dt.date | None = Field(None, description="Expected close on or after.")
    close_to: dt.date | None = Field(None, description="Expected close on or before.")
    q: str | None = Field(None, max_length=100, description="Search title, customer, next step.")


class OpportunityIn(InputSchema):
    customer: int = Field(description="Customer id.")
    title: str = Field(max_length=200)
    amount: Decimal = Field(Decimal(0), ge=0, max_digits=20, decimal_places=2)
    currency: str | None = Field(
        None, min_length=3, max_length=3, description="ISO 4217; default: the customer's."
    )
    pipeline: int | None = Field(None, description="Pipeline id; default: the default one.")
    stage: int | None = Field(None, description="An open stage; default: the first one.")
    expected_close_date: dt.date | None = None
    next_step: str = Field("", max_length=255)
    competitors: list[int] = Field(default_factory=list, max_length=50)
    products: list[int] = Field(default_factory=list, max_length=200)


class OpportunityPatch(InputSchema):
    title: str | None = Field(None, max_length=200)
    amount: Decimal | None = Field(None, ge=0, max_digits=20, decimal_places=2)
    currency: str | None = Field(None, min_length=3, max_length=3)
    expected_close_date: dt.date | None = None
    next_step: str | None = Field(None, max_length=255)
    competitors: list[int] | None = Field(None, max_length=50)
    products: list[int] | None = Field(None, max_length=200)


class MoveIn(InputSchema):
    stage: int = Field(description="A stage of the opportunity's pipeline.")


class CloseIn(InputSchema):
    reason_id: int | None = Field(None, description="A won/lost reason from the managed list.")
    reason: str = Field("", max_length=255, description="The reason in words.")


def _opportunities(request: HttpRequest, action: str = Action.VIEW) -> Any:
    return (
        restrict(live_opportunities(), api_user(request), action)
        .select_related("customer", "stage", "owner", "reason")
        .prefetch_related("competitors", Prefetch("products", queryset=Product.objects.all()))
    )


def _read(request: HttpRequest, pk: int) -> Opportunity:
    return get_for(api_user(request), _opportunities(request), pk)


def _competitors(ids: list[int] | None) -> list[Competitor] | None:
    if ids is None:
        return None
    found = list(Competitor.objects.filter(pk__in=ids, is_active=True))
    if len(found) != len(set(ids)):
        raise ServiceError(_missing(), field="competitors", code="not_found")
    return found


def _products(ids: list[int] | None) -> list[Product] | None:
    if ids is None:
        return None
    found = list(Product.objects.sellable().filter(pk__in=ids))
    if len(found) != len(set(ids)):
        raise ServiceError(_missing(), field="products", code="not_found")
    return found


def _missing() -> str:
    return _("There is no such record, or it is not yours.")


def _one(qs: QuerySet[M], pk: int) -> M:
    """Pipelines, stages and reasons are not customer data: any caller may name them."""
    found = qs.filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


@router.get("", response=OpportunityPage, summary="List opportunities")
@require_scope(ApiScope.OPPORTUNITIES_READ)
def list_opportunities(request: HttpRequest, filters: Query[OpportunityFilters]) -> Any:
    """Deals the caller may see, newest first, cursor-paginated."""
    qs = filter_opportunities(_opportunities(request), filters.model_dump())
    if filters.customer is not None:
        qs = qs.filter(customer_id=filters.customer)
    return paginate(qs, filters, ORDERING)


@router.post("", response={201: OpportunityOut}, summary="Create an opportunity")
@require_scope(ApiScope.OPPORTUNITIES_WRITE)
def create_opportunity_endpoint(request: HttpRequest, payload: OpportunityIn) -> Status[Any]:
    """A new open deal in the given (or first) open stage, owned by the caller."""
    user = api_user(request)
    require_action(user, ObjectType.OPPORTUNITY, Action.ADD)
    customer = referenced(
        payload.customer,
        lambda pk: get_for(user, Customer.objects.filter(deleted_at__isnull=True), pk),
        "customer",
    )
    pipeline = optionally_referenced(
        payload.pipeline, lambda pk: _one(Pipeline.objects.filter(is_active=True), pk), "pipeline"
    )
    stage = optionally_referenced(
        payload.stage, lambda pk: _one(Stage.objects.select_related("pipeline"), pk), "stage"
    )
    if stage is not None and pipeline is None:
        pipeline = stage.pipeline
    opportunity = create_opportunity(
        actor=user,
        customer=customer,
        title=payload.title,
        amount=payload.amount,
        currency=payload.currency,
        pipeline=pipeline,
        stage=stage,
        expected_close_date=payload.expected_close_date,
        next_step=payload.next_step,
        competitors=_competitors(payload.competitors),
        products=_products(payload.products),
    )
    return Status(201, _read(request, opportunity.pk))


@router.get("/{opportunity_id}", response=OpportunityOut, summary="Read an opportunity")
@require_scope(ApiScope.OPPORTUNITIES_READ)
def read_opportunity(request: HttpRequest, opportunity_id: int) -> Opportunity:
    return _read(request, opportunity_id)


@router.patch("/{opportunity_id}", response=OpportunityOut, summary="Update an opportunity")
@require_scope(ApiScope.OPPORTUNITIES_WRITE)
def update_opportunity_endpoint(
    request: HttpRequest, opportunity_id: int, payload: OpportunityPatch
) -> Opportunity:
    """Only the fields sent change; the stage changes by moving, not here."""
    user = api_user(request)
    opportunity = get_for(user, live_opportunities(), opportunity_id, Action.CHANGE)
    changes = payload.model_dump(exclude_unset=True)
    if "competitors" in changes:
        changes["competitors"] = _competitors(changes["competitors"]) or []
    if "products" in changes:
        changes["products"] = _products(changes["products"]) or []
    update_opportunity(opportunity, actor=user, **changes)
    return _read(request, opportunity_id)


@router.post("/{opportunity_id}/move", response=OpportunityOut, summary="Move to a stage")
@require_scope(ApiScope.OPPORTUNITIES_WRITE)
def move_endpoint(request: HttpRequest, opportunity_id: int, payload: MoveIn) -> Opportunity:
    """Moving to a won or lost stage closes the deal (use /win and /lose to give a reason)."""
    user = api_user(request)
    opportunity = get_for(user, live_opportunities(), opportunity_id, Action.CHANGE)
    stage = referenced(
        payload.stage,
        lambda pk: _one(Stage.objects.filter(pipeline_id=opportunity.pipeline_id), pk),
        "stage",
    )
    move_opportunity(opportunity, stage, actor=user)
    return _read(request, opportunity_id)


def _close(request: HttpRequest, opportunity_id: int, payload: CloseIn, *, won: bool) -> Any:
    user = api_user(request)
    opportunity = get_for(user, live_opportunities(), opportunity_id, Action.CHANGE)
    outcome = CloseOutcome.WON if won else CloseOutcome.LOST
    reason = optionally_referenced(
        payload.reason_id,
        lambda pk: _one(CloseReason.objects.filter(outcome=outcome, is_active=True), pk),
        "reason_id",
    )
    close = win_opportunity if won else lose_opportunity
    close(opportunity, actor=user, reason=payload.reason, close_reason=reason)
    return _read(request, opportunity_id)


@router.post("/{opportunity_id}/win", response=OpportunityOut, summary="Mark as won")
@require_scope(ApiScope.OPPORTUNITIES_WRITE)
def win_endpoint(request: HttpRequest, opportunity_id: int, payload: CloseIn) -> Any:
    return _close(request, opportunity_id, payload, won=True)


@router.post("/{opportunity_id}/lose", response=OpportunityOut, summary="Mark as lost")
@require_scope(ApiScope.OPPORTUNITIES_WRITE)
def lose_endpoint(request: HttpRequest, opportunity_id: int, payload: CloseIn) -> Any:
    """A lost deal needs a reason: `reason_id`, `reason`, or both."""
    return _close(request, opportunity_id, payload, won=False)


@router.get("/{opportunity_id}/history", response=list[StageVisitOut], summary="Stage history")
@require_scope(ApiScope.OPPORTUNITIES_READ)
def history_endpoint(request: HttpRequest, opportunity_id: int) -> list[dict[str, Any]]:
    """Each stage the deal entered, in order, with the time it spent there."""
    opportunity = _read(request, opportunity_id)
    return [
        {
            "stage": visit.stage,
            "entered_at": visit.entered_at,
            "left_at": visit.left_at,
            "seconds": int(visit.duration.total_seconds()),
            "by": visit.by,
        }
        for visit in stage_visits(opportunity)
    ]


def _pipelines() -> Any:
    return Pipeline.objects.prefetch_related(
        Prefetch("stages", queryset=Stage.objects.order_by("position", "pk"))
    ).order_by("-is_default", "name", "pk")


@pipelines_router.get("", response=list[PipelineOut], summary="List pipelines")
@require_scope(ApiScope.OPPORTUNITIES_READ)
def list_pipelines(request: HttpRequest, include_inactive: bool = False) -> Any:
    """Pipelines with their stages in board order (the default pipeline first)."""
    require_action(api_user(request), ObjectType.OPPORTUNITY, Action.VIEW)
    qs = _pipelines()
    return qs if include_inactive else qs.filter(is_active=True)


@pipelines_router.get("/{pipeline_id}", response=PipelineOut, summary="Read a pipeline")
@require_scope(ApiScope.OPPORTUNITIES_READ)
def read_pipeline(request: HttpRequest, pipeline_id: int) -> Pipeline:
    require_action(api_user(request), ObjectType.OPPORTUNITY, Action.VIEW)
    return _one(_pipelines(), pipeline_id)
