"""Order endpoints, mounted by peyvand.config.api at /orders."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.db.models import Prefetch
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from peyvand.access.choices import Action, ApiScope, ObjectType
from peyvand.access.scopes import get_for, restrict
from peyvand.core.api.access import referenced, require_action
from peyvand.core.api.auth import api_user, require_scope
from peyvand.core.api.pagination import Ordering, PageParams, paginate
from peyvand.core.api.schemas import CustomerRef, InputSchema, MoneyOut, money_out
from peyvand.sales.access import get_order_customer_for, live_orders
from peyvand.sales.choices import OrderChannel, OrderStatus, PaymentMethod
from peyvand.sales.models import Order, OrderLine, Payment
from peyvand.sales.selectors import balance, with_paid_totals
from peyvand.sales.services import create_order, record_payment

router = Router(tags=["orders"])

ORDERING = Ordering("ordered_at", descending=True)


class OrderLineOut(Schema):
    id: int
    product: int | None = Field(description="Product id, if the line is for a catalog product.")
    description: str
    quantity: str = Field(description="Decimal as a string.")
    unit_price: MoneyOut
    discount_percent: str = Field(description="Decimal as a string.")
    line_total: MoneyOut

    @staticmethod
    def resolve_product(obj: OrderLine) -> int | None:
        return obj.product_id

    @staticmethod
    def resolve_quantity(obj: OrderLine) -> str:
        return str(obj.quantity)

    @staticmethod
    def resolve_discount_percent(obj: OrderLine) -> str:
        return str(obj.discount_percent)

    @staticmethod
    def resolve_unit_price(obj: OrderLine) -> dict[str, str] | None:
        return money_out(obj.unit_price)

    @staticmethod
    def resolve_line_total(obj: OrderLine) -> dict[str, str] | None:
        return money_out(obj.line_total)


class PaymentOut(Schema):
    id: int
    order: int
    amount: MoneyOut
    method: str
    paid_at: dt.datetime
    reference: str
    created_at: dt.datetime

    @staticmethod
    def resolve_order(obj: Payment) -> int:
        return obj.order_id

    @staticmethod
    def resolve_amount(obj: Payment) -> dict[str, str] | None:
        return money_out(obj.amount)


class OrderOut(Schema):
    id: int
    number: str
    customer: CustomerRef
    status: str
    channel: str
    ordered_at: dt.datetime
    total: MoneyOut
    balance: MoneyOut = Field(description="What is still owed (zero when cancelled).")
    external_ref: str
    notes: str
    lines: list[OrderLineOut]
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_total(obj: Order) -> dict[str, str] | None:
        return money_out(obj.total)

    @staticmethod
    def resolve_balance(obj: Order) -> dict[str, str] | None:
        return money_out(balance(obj))

    @staticmethod
    def resolve_lines(obj: Order) -> list[OrderLine]:
        return list(obj.lines.all())


class OrderDetailOut(OrderOut):
    payments: list[PaymentOut]

    @staticmethod
    def resolve_payments(obj: Order) -> list[Payment]:
        return list(obj.payments.all())


class OrderPage(Schema):
    items: list[OrderOut]
    next_cursor: str | None


class OrderFilters(PageParams):
    customer: int | None = Field(None, description="Customer id.")
    status: OrderStatus | None = None
    currency: str | None = Field(None, min_length=3, max_length=3)
    since: dt.datetime | None = Field(None, description="Ordered at or after this time.")
    before: dt.datetime | None = Field(None, description="Ordered before this time.")


class OrderLineIn(InputSchema):
    product: int | None = Field(
        None, description="Product id; its name is the default description."
    )
    description: str = Field("", max_length=255)
    quantity: Decimal = Field(Decimal(1), gt=0, max_digits=12, decimal_places=3)
    unit_price: Decimal = Field(ge=0, max_digits=20, decimal_places=2)
    discount_percent: Decimal = Field(Decimal(0), ge=0, le=100, max_digits=5, decimal_places=2)


class OrderIn(InputSchema):
    customer: int = Field(description="Customer id.")
    currency: str = Field(min_length=3, max_length=3, description="ISO 4217; all lines use it.")
    lines: list[OrderLineIn] = Field(min_length=1, max_length=500)
    ordered_at: dt.datetime | None = Field(None, description="Defaults to now.")
    status: Literal["draft", "confirmed", "fulfilled"] = "confirmed"
    channel: OrderChannel = Field(OrderChannel.SALES, description="Where it was ordered.")
    number: str | None = Field(None, max_length=40, description="Numbered automatically if empty.")
    external_ref: str = Field("", max_length=100)
    notes: str = Field("", max_length=20_000)


class PaymentIn(InputSchema):
    amount: Decimal = Field(gt=0, max_digits=20, decimal_places=2)
    method: PaymentMethod
    paid_at: dt.datetime | None = Field(None, description="Defaults to now.")
    reference: str = Field("", max_length=100)


def _orders(request: HttpRequest, action: str = Action.VIEW) -> Any:
    return with_paid_totals(
        restrict(live_orders(), api_user(request), action)
        .select_related("customer")
        .prefetch_related(Prefetch("lines", queryset=OrderLine.objects.order_by("pk")))
    )


def _order_detail(request: HttpRequest, order_id: int) -> Order:
    qs = _orders(request).prefetch_related(
        Prefetch("payments", queryset=Payment.objects.order_by("paid_at", "pk"))
    )
    return get_for(api_user(request), qs, order_id)


@router.get("", response=OrderPage, summary="List orders")
@require_scope(ApiScope.ORDERS_READ)
def list_orders(request: HttpRequest, filters: Query[OrderFilters]) -> Any:
    """Orders of the customers the caller may see, most recent first, cursor-paginated."""
    qs = _orders(request)
    if filters.customer is not None:
        qs = qs.filter(customer_id=filters.customer)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.currency:
        qs = qs.filter(total_currency=filters.currency.upper())
    if filters.since is not None:
        qs = qs.filter(ordered_at__gte=filters.since)
    if filters.before is not None:
        qs = qs.filter(ordered_at__lt=filters.before)
    return paginate(qs, filters, ORDERING)


@router.post("", response={201: OrderDetailOut}, summary="Create an order")
@require_scope(ApiScope.ORDERS_WRITE)
def create_order_endpoint(request: HttpRequest, payload: OrderIn) -> Status[Order]:
    """Totals are computed from the lines; amounts are in the order's currency."""
    user = api_user(request)
    require_action(user, ObjectType.ORDER, Action.ADD)
    customer = referenced(payload.customer, lambda pk: get_order_customer_for(user, pk), "customer")
    order = create_order(
        actor=user,
        customer=customer,
        currency=payload.currency,
        lines=[line.model_dump() for line in payload.lines],
        ordered_at=payload.ordered_at,
        status=payload.status,
        channel=payload.channel,
        number=payload.number,
        external_ref=payload.external_ref,
        notes=payload.notes,
    )
    return Status(201, _order_detail(request, order.pk))


@router.get("/{order_id}", response=OrderDetailOut, summary="Read an order")
@require_scope(ApiScope.ORDERS_READ)
def read_order(request: HttpRequest, order_id: int) -> Order:
    """The order with its lines, payments and balance."""
    return _order_detail(request, order_id)


@router.post("/{order_id}/payments", response={201: PaymentOut}, summary="Record a payment")
@require_scope(ApiScope.ORDERS_WRITE)
def create_payment(request: HttpRequest, order_id: int, payload: PaymentIn) -> Status[Payment]:
    """A payment in the order's currency; more than what is still owed is refused."""
    user = api_user(request)
    order = get_for(user, live_orders(), order_id, Action.CHANGE)
    payment = record_payment(order, actor=user, **payload.model_dump(exclude_none=True))
    return Status(201, payment)
