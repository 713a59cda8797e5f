"""Lead endpoints, mounted by peyvand.config.api at /leads."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.errors import AuthorizationError
from ninja.responses import Status

from peyvand.access.choices import Action, ApiScope, Language, ObjectType
from peyvand.access.models import User
from peyvand.access.scopes import can, department_ids, get_for, restrict
from peyvand.catalog.models import Product
from peyvand.core.api.access import (
    active_department,
    active_user,
    optionally_referenced,
    require_action,
)
from peyvand.core.api.auth import api_user, require_scope
from peyvand.core.api.pagination import Ordering, PageParams, paginate
from peyvand.core.api.schemas import CustomerRef, DepartmentRef, InputSchema, UserRef
from peyvand.core.problems import ServiceError
from peyvand.customers.models import Customer
from peyvand.sales.access import live_leads
from peyvand.sales.capture import capture_lead
from peyvand.sales.choices import LeadChannel, LeadStatus
from peyvand.sales.leads import (
    UTM_FIELDS,
    convert_lead,
    lead_search,
    reassign_lead,
    set_lead_status,
    update_lead,
)
from peyvand.sales.models import Lead, LeadSource, Pipeline
from peyvand.sales.sla import breached_condition

router = Router(tags=["leads"])

ORDERING = Ordering("created_at", descending=True)


class LeadOut(Schema):
    id: int
    name: str
    company: str
    email: str
    phone: str = Field(description="E.164.")
    source: str | None = Field(description="Lead source code.")
    status: str
    channel: str = Field(description="How the lead came in: manual, import, api, web_form…")
    owner: UserRef | None
    department: DepartmentRef | None
    city: str
    language: str
    product: int | None = Field(description="Product of interest (id).")
    utm_source: str
    utm_medium: str
    utm_campaign: str
    utm_term: str
    utm_content: str
    referrer: str
    score: int = Field(description="Rule score: the sum of the matching scoring rules.")
    learned_score: float | None = Field(
        description="Learned probability of conversion (0–1); null without a trained model."
    )
    notes: str
    respond_by: dt.datetime | None = Field(description="First-response deadline.")
    first_response_at: dt.datetime | None
    sla_breached: bool = Field(description="No first response and past the deadline.")
    converted_at: dt.datetime | None
    converted_customer: int | None
    converted_opportunity: int | None
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_source(obj: Lead) -> str | None:
        return obj.source.code if obj.source_id and obj.source else None

    @staticmethod
    def resolve_product(obj: Lead) -> int | None:
        return obj.product_id

    @staticmethod
    def resolve_converted_customer(obj: Lead) -> int | None:
        return obj.converted_customer_id

    @staticmethod
    def resolve_converted_opportunity(obj: Lead) -> int | None:
        return obj.converted_opportunity_id


class LeadPage(Schema):
    items: list[LeadOut]
    next_cursor: str | None


class LeadFilters(PageParams):
    status: LeadStatus | None = None
    owner: int | None = Field(None, description="Owner's user id.")
    source: str | None = Field(None, max_length=50, description="Lead source code.")
    channel: LeadChannel | None = None
    q: str | None = Field(
        None, max_length=200, description="Name, company, email or phone contains."
    )
    breached: bool | None = Field(None, description="Only leads past their response deadline.")
    since: dt.datetime | None = Field(None, description="Created at or after this time.")
    before: dt.datetime | None = Field(None, description="Created before this time.")


class LeadIn(InputSchema):
    name: str = Field("", max_length=200)
    company: str = Field("", max_length=200)
    email: str = Field("", max_length=254)
    phone: str = Field("", max_length=32)
    source: str | None = Field(None, max_length=50, description="Lead source code.")
    city: str = Field("", max_length=100)
    language: Language | None = None
    product: int | None = Field(None, description="Product of interest (id).")
    notes: str = Field("", max_length=20_000)
    utm_source: str = Field("", max_length=100)
    utm_medium: str = Field("", max_length=100)
    utm_campaign: str = Field("", max_length=100)
    utm_term: str = Field("", max_length=100)
    utm_content: str = Field("", max_length=100)
    referrer: str = Field("", max_length=500)
    owner: int | None = Field(
        None,
        description="User id. Empty: the assignment rules decide (else round robin in "
        "`department`). Someone else needs the lead `assign` permission.",
    )
    department: int | None = Field(
        None, description="Department id for round robin; default: the caller's first."
    )


class LeadPatch(InputSchema):
    name: str | None = Field(None, max_length=200)
    company: str | None = Field(None, max_length=200)
    email: str | None = Field(None, max_length=254)
    phone: str | None = Field(None, max_length=32)
    source: str | None = Field(None, max_length=50, description="Lead source code.")
    city: str | None = Field(None, max_length=100)
    language: Language | None = None
    product: int | None = None
    notes: str | None = Field(None, max_length=20_000)
    status: LeadStatus | None = Field(
        None, description="new, contacted, qualified or disqualified (convert has its own call)."
    )
    owner: int | None = Field(None, description="User id; needs the lead `assign` permission.")


class ConvertIn(InputSchema):
    title: str = Field("", max_length=200, description="Default: the lead's name.")
    amount: Decimal = Field(Decimal(0), ge=0, max_digits=20, decimal_places=2)
    currency: str | None = Field(None, min_length=3, max_length=3)
    pipeline: int | None = Field(None, description="Pipeline id; default pipeline if empty.")
    expected_close_date: dt.date | None = None
    customer: int | None = Field(
        None, description="Attach to this existing customer instead of creating one."
    )


class OpportunityRef(Schema):
    id: int
    title: str


class ConversionOut(Schema):
    lead: LeadOut
    customer: CustomerRef
    opportunity: OpportunityRef


def _leads(request: HttpRequest, action: str = Action.VIEW) -> Any:
    return restrict(live_leads(), api_user(request), action).select_related(
        "source", "owner", "department"
    )


def _source(code: str | None) -> LeadSource | None:
    if not code:
        return None
    source = LeadSource.objects.filter(code=code).first()
    if source is None:
        raise ServiceError(_("There is no lead source with this code."), field="source")
    return source


def _alive_product(pk: int) -> Product:
    product = Product.objects.filter(pk=pk, deleted_at__isnull=True).first()
    if product is None:
        raise Http404
    return product


def _active_pipeline(pk: int) -> Pipeline:
    pipeline = Pipeline.objects.filter(pk=pk, is_active=True).first()
    if pipeline is None:
        raise Http404
    return pipeline


def _product(pk: int | None) -> Product | None:
    return optionally_referenced(pk, _alive_product, "product")


def _may_assign(user: User, owner: User) -> None:
    if owner.pk != user.pk and not can(user, ObjectType.LEAD, Action.ASSIGN):
        raise AuthorizationError(message=_("You may not give leads to someone else."))


@router.get("", response=LeadPage, summary="List leads")
@require_scope(ApiScope.LEADS_READ)
def list_leads(request: HttpRequest, filters: Query[LeadFilters]) -> Any:
    """Leads the caller may see, newest first, cursor-paginated."""
    qs = _leads(request)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.owner is not None:
        qs = qs.filter(owner_id=filters.owner)
    if filters.source:
        qs = qs.filter(source__code=filters.source)
    if filters.channel:
        qs = qs.filter(channel=filters.channel)
    if filters.q:
        qs = qs.filter(lead_search(filters.q))
    if filters.breached is not None:
        late = breached_condition()
        qs = qs.filter(late) if filters.breached else qs.exclude(late)
    if filters.since is not None:
        qs = qs.filter(created_at__gte=filters.since)
    if filters.before is not None:
        qs = qs.filter(created_at__lt=filters.before)
    return paginate(qs, filters, ORDERING)


@router.post("", response={201: LeadOut}, summary="Create a lead")
@require_scope(ApiScope.LEADS_WRITE)
def create_lead_endpoint(request: HttpRequest, payload: LeadIn) -> Status[Lead]:
    """Captured like every lead: duplicate check, assignment rules, scores and the
    first-response deadline."""
    user = api_user(request)
    require_action(user, ObjectType.LEAD, Action.ADD)
    owner = optionally_referenced(payload.owner, active_user, "owner")
    if owner is not None:
        _may_assign(user, owner)
    department = optionally_referenced(payload.department, active_department, "department")
    if department is None:
        ids = department_ids(user)
        department = active_department(ids[0]) if ids else None
    lead, _duplicates = capture_lead(
        actor=user,
        channel=LeadChannel.API,
        name=payload.name,
        company=payload.company,
        email=payload.email,
        phone=payload.phone,
        source=_source(payload.source),
        city=payload.city,
        language=payload.language or "",
        product=_product(payload.product),
        notes=payload.notes,
        referrer=payload.referrer,
        owner=owner,
        department=department,
        assign=owner is None,
        **{name: getattr(payload, name) for name in UTM_FIELDS},
    )
    return Status(201, _leads(request).get(pk=lead.pk))


@router.get("/{lead_id}", response=LeadOut, summary="Read a lead")
@require_scope(ApiScope.LEADS_READ)
def read_lead(request: HttpRequest, lead_id: int) -> Lead:
    return get_for(api_user(request), _leads(request), lead_id)


@router.patch("/{lead_id}", response=LeadOut, summary="Change a lead")
@require_scope(ApiScope.LEADS_WRITE)
def update_lead_endpoint(request: HttpRequest, lead_id: int, payload: LeadPatch) -> Lead:
    """Only the fields sent change. Leaving status "new" stamps the first response."""
    user = api_user(request)
    lead = get_for(user, _leads(request, Action.CHANGE), lead_id, Action.CHANGE)
    sent = payload.model_dump(exclude_unset=True)
    owner = None
    if "owner" in sent:
        owner = optionally_referenced(sent.pop("owner"), active_user, "owner")
        if owner is None:
            raise ServiceError(_("A lead keeps an owner; name the new one."), field="owner")
        _may_assign(user, owner)
    status = sent.pop("status", None)
    if "source" in sent:
        sent["source"] = _source(sent["source"])
    if "product" in sent:
        sent["product"] = _product(sent["product"])
    if "language" in sent:
        sent["language"] = sent["language"] or ""
    details = {
        k: ("" if v is None and k not in ("source", "product") else v) for k, v in sent.items()
    }
    if details:
        lead = update_lead(lead, actor=user, **details)
    if status is not None:
        lead = set_lead_status(lead, status, actor=user)
    if owner is not None:
        lead = reassign_lead(lead, actor=user, owner=owner)
    return _leads(request).get(pk=lead.pk)


@router.post("/{lead_id}/convert", response={201: ConversionOut}, summary="Convert a lead")
@require_scope(ApiScope.LEADS_WRITE)
def convert_lead_endpoint(request: HttpRequest, lead_id: int, payload: ConvertIn) -> Any:
    """Customer (or the given existing one), contact and open opportunity, in one audited
    transaction: on any error nothing is created."""
    user = api_user(request)
    require_action(user, ObjectType.OPPORTUNITY, Action.ADD)
    require_action(user, ObjectType.CUSTOMER, Action.ADD)
    lead = get_for(user, _leads(request, Action.CHANGE), lead_id, Action.CHANGE)
    pipeline = optionally_referenced(payload.pipeline, _active_pipeline, "pipeline")
    customer = optionally_referenced(
        payload.customer,
        lambda pk: get_for(user, Customer.objects.filter(deleted_at__isnull=True), pk),
        "customer",
    )
    customer, opportunity = convert_lead(
        lead,
        actor=user,
        title=payload.title,
        amount=payload.amount,
        currency=payload.currency.upper() if payload.currency else None,
        pipeline=pipeline,
        expected_close_date=payload.expected_close_date,
        customer=customer,
    )
    return Status(
        201,
        {"lead": _leads(request).get(pk=lead.pk), "customer": customer, "opportunity": opportunity},
    )
