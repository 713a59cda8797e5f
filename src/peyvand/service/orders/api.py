"""Service orders under /api/v1/service-orders: list, create, read, change (status,
schedule, work notes; optimistic on `version`), and record materials, time and sign-off."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from djmoney.money import Money
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from peyvand.access.choices import ApiScope
from peyvand.access.models import Department, User
from peyvand.access.scopes import get_for
from peyvand.catalog.models import Product
from peyvand.core.api.access import referenced, require_action
from peyvand.core.api.auth import api_user, require_scope
from peyvand.core.api.pagination import Ordering, PageParams, paginate
from peyvand.core.api.schemas import (
    CustomerRef,
    DepartmentRef,
    InputSchema,
    MoneyIn,
    MoneyOut,
    UserRef,
    money_out,
)
from peyvand.core.problems import Conflict
from peyvand.customers.access import get_customer_for
from peyvand.service.choices import ServiceOrderStatus
from peyvand.service.models import ServiceAgreement, ServiceOrder
from peyvand.service.models.orders import SERVICE_ORDER_OBJECT_TYPE
from peyvand.service.orders import selectors, services
from peyvand.service.tickets.selectors import tickets_visible_to

router = Router(tags=["service orders"])
ORDERING = Ordering("window_start")


class ServiceOrderLineOut(Schema):
    id: int
    product_id: int | None
    description: str
    quantity: Decimal
    unit_cost: MoneyOut


class ServiceTimeOut(Schema):
    id: int
    user: UserRef
    minutes: int
    hourly_rate: MoneyOut
    note: str


class ServiceOrderOut(Schema):
    id: int
    version: int = Field(description="Send it back as `base_version` to change the order.")
    kind: str
    title: str
    description: str
    work_notes: str
    customer: CustomerRef
    ticket_id: int | None
    agreement_id: int | None
    department: DepartmentRef
    technician: UserRef | None
    window_start: dt.datetime
    window_end: dt.datetime
    status: ServiceOrderStatus
    total_cost: MoneyOut
    signed_by: str
    signed_at: dt.datetime | None
    created_at: dt.datetime


class ServiceOrderDetailOut(ServiceOrderOut):
    lines: list[ServiceOrderLineOut]
    time_entries: list[ServiceTimeOut]


class ServiceOrderPage(Schema):
    items: list[ServiceOrderOut]
    next_cursor: str | None


class ServiceOrderFilters(PageParams):
    status: ServiceOrderStatus | None = None
    customer: int | None = None
    technician: int | None = None
    mine: bool = Field(False, description="Only orders scheduled to the caller.")


class ServiceOrderIn(InputSchema):
    customer: int
    title: str = Field(max_length=200)
    description: str = Field("", max_length=20_000)
    department: int = Field(description="Department id of the team doing the work.")
    technician: int | None = None
    window_start: dt.datetime
    window_end: dt.datetime
    ticket: int | None = Field(None, description="The ticket this work comes from.")
    agreement: int | None = Field(None, description="Planned maintenance under this agreement.")
    currency: str = Field("", max_length=3, description="Of the cost total; empty: reporting.")


class ServiceOrderPatch(InputSchema):
    base_version: int = Field(description="The `version` the change is based on.")
    status: Literal["in_progress", "done", "cancelled"] | None = None
    work_notes: str | None = Field(None, max_length=20_000)
    technician: int | None = None
    window_start: dt.datetime | None = None
    window_end: dt.datetime | None = None


class ServiceOrderLineIn(InputSchema):
    product: int | None = None
    description: str = Field("", max_length=255)
    quantity: Decimal = Field(gt=0, max_digits=12, decimal_places=3)
    unit_cost: MoneyIn | None = Field(None, description="Empty: the product's list price.")
    client_id: str = Field("", max_length=64, description="Sent twice, recorded once.")


class ServiceTimeIn(InputSchema):
    minutes: int = Field(ge=1, le=services.MAX_MINUTES)
    note: str = Field("", max_length=255)
    client_id: str = Field("", max_length=64)


class ServiceOrderSignOffIn(InputSchema):
    name: str = Field(max_length=200)
    kind: Literal["typed", "drawn"] = "typed"
    signature: str = Field(max_length=services.MAX_SIGNATURE_CHARS)


def _out(order: ServiceOrder) -> dict[str, Any]:
    return {
        **{f: getattr(order, f) for f in ServiceOrderOut.model_fields if f != "total_cost"},
        "total_cost": money_out(order.total_cost),
    }


def _detail(order: ServiceOrder) -> dict[str, Any]:
    return {
        **_out(order),
        "lines": [
            {**{f: getattr(line, f) for f in ("id", "product_id", "description", "quantity")},
             "unit_cost": money_out(line.unit_cost)}
            for line in order.lines.all()
        ],
        "time_entries": [
            {"id": e.pk, "user": e.user, "minutes": e.minutes, "note": e.note,
             "hourly_rate": money_out(e.hourly_rate)}
            for e in order.time_entries.select_related("user")
        ],
    }  # fmt: skip


def _orders(request: HttpRequest, action: str = "view") -> Any:
    return selectors.order_detail(api_user(request), action)


def _order(request: HttpRequest, order_id: int, action: str = "view") -> ServiceOrder:
    return get_for(api_user(request), _orders(request, action), order_id, action)


def _technician(pk: int | None) -> User | None:
    if pk is None:
        return None
    return referenced(pk, lambda i: get_object_or_404(User, pk=i, is_active=True), "technician")


@router.get("", response=ServiceOrderPage, summary="List service orders")
@require_scope(ApiScope.SERVICE_ORDERS_READ)
def list_orders(request: HttpRequest, filters: Query[ServiceOrderFilters]) -> Any:
    """Orders the caller may see (their own and their team's), earliest visit first."""
    user = api_user(request)
    qs = selectors.order_list(
        user,
        status=filters.status or "",
        customer_id=filters.customer,
        technician_id=filters.technician,
        mine=filters.mine,
    )
    page = paginate(qs, filters, ORDERING)
    return {"items": [_out(o) for o in page.items], "next_cursor": page.next_cursor}


@router.post("", response={201: ServiceOrderDetailOut}, summary="Create a service order")
@require_scope(ApiScope.SERVICE_ORDERS_WRITE)
def create_order(request: HttpRequest, payload: ServiceOrderIn) -> Any:
    """From `ticket` (corrective) or, without one, planned maintenance."""
    user = api_user(request)
    require_action(user, SERVICE_ORDER_OBJECT_TYPE, "add")
    customer = referenced(payload.customer, lambda i: get_customer_for(user, i), "customer")
    department = referenced(
        payload.department,
        lambda i: get_object_or_404(Department, pk=i, is_active=True),
        "department",
    )
    ticket = (
        referenced(payload.ticket, lambda i: get_for(user, tickets_visible_to(user), i), "ticket")
        if payload.ticket is not None
        else None
    )
    agreement = (
        referenced(
            payload.agreement,
            lambda i: get_object_or_404(ServiceAgreement, pk=i, customer=customer),
            "agreement",
        )
        if payload.agreement is not None
        else None
    )
    order = services.create_order(
        actor=user,
        customer=customer,
        title=payload.title,
        description=payload.description,
        department=department,
        technician=_technician(payload.technician),
        window_start=payload.window_start,
        window_end=payload.window_end,
        ticket=ticket,
        agreement=agreement,
        currency=payload.currency,
    )
    return Status(201, _detail(_order(request, order.pk)))


@router.get("/{order_id}", response=ServiceOrderDetailOut, summary="Read a service order")
@require_scope(ApiScope.SERVICE_ORDERS_READ)
def read_order(request: HttpRequest, order_id: int) -> Any:
    return _detail(_order(request, order_id))


@router.patch("/{order_id}", response=ServiceOrderDetailOut, summary="Change a service order")
@require_scope(ApiScope.SERVICE_ORDERS_WRITE)
def update_order(request: HttpRequest, order_id: int, payload: ServiceOrderPatch) -> Any:
    """Applied only on the order's current `version` (409 otherwise: read it again)."""
    user = api_user(request)
    order = _order(request, order_id, "change")
    if payload.base_version != order.version:
        raise Conflict(
            _("The order was changed meanwhile (now version %(version)s); read it again.")
            % {"version": order.version},
            field="base_version",
            code="stale_version",
        )
    if payload.work_notes is not None:
        order = services.set_work_notes(order, actor=user, text=payload.work_notes)
    if "technician" in payload.model_fields_set or payload.window_start or payload.window_end:
        order = services.schedule(
            order,
            actor=user,
            technician=_technician(payload.technician)
            if "technician" in payload.model_fields_set
            else order.technician,
            window_start=payload.window_start or order.window_start,
            window_end=payload.window_end or order.window_end,
        )
    if payload.status is not None:
        order = services.set_status(order, actor=user, status=payload.status)
    return _detail(_order(request, order.pk))


@router.post(
    "/{order_id}/lines", response={201: ServiceOrderDetailOut}, summary="Record a material"
)
@require_scope(ApiScope.SERVICE_ORDERS_WRITE)
def add_line(request: HttpRequest, order_id: int, payload: ServiceOrderLineIn) -> Any:
    user = api_user(request)
    order = _order(request, order_id, "change")
    product = (
        referenced(
            payload.product,
            lambda i: get_object_or_404(Product, pk=i, deleted_at__isnull=True),
            "product",
        )
        if payload.product is not None
        else None
    )
    services.add_line(
        order,
        actor=user,
        product=product,
        description=payload.description,
        quantity=payload.quantity,
        unit_cost=Money(payload.unit_cost.amount, payload.unit_cost.currency)
        if payload.unit_cost
        else None,
        client_id=payload.client_id,
    )
    return Status(201, _detail(_order(request, order.pk)))


@router.post("/{order_id}/time", response={201: ServiceOrderDetailOut}, summary="Record time")
@require_scope(ApiScope.SERVICE_ORDERS_WRITE)
def add_time(request: HttpRequest, order_id: int, payload: ServiceTimeIn) -> Any:
    """The caller's time, priced at their department's hourly rate."""
    user = api_user(request)
    order = _order(request, order_id, "change")
    services.add_time(
        order, actor=user, minutes=payload.minutes, note=payload.note, client_id=payload.client_id
    )
    return Status(201, _detail(_order(request, order.pk)))


@router.post("/{order_id}/sign-off", response=ServiceOrderDetailOut, summary="Customer sign-off")
@require_scope(ApiScope.SERVICE_ORDERS_WRITE)
def sign_off(request: HttpRequest, order_id: int, payload: ServiceOrderSignOffIn) -> Any:
    """A finished order signed by the customer (typed name, or a drawn PNG data URL); its
    cost is posted to the customer's cost to serve."""
    user = api_user(request)
    order = _order(request, order_id, "change")
    services.sign_off(
        order, actor=user, name=payload.name, signature=payload.signature, kind=payload.kind
    )
    return _detail(_order(request, order.pk))
