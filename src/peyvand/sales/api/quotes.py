"""Quote endpoints, mounted by peyvand.config.api at /quotes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch
from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from peyvand.access.choices import Action, ApiScope, ObjectType
from peyvand.access.scopes import get_for, restrict
from peyvand.catalog.models import PriceList
from peyvand.core.api.access import optionally_referenced, referenced, require_action
from peyvand.core.api.auth import api_user, require_scope
from peyvand.core.api.pagination import Ordering, PageParams, paginate
from peyvand.core.api.schemas import CustomerRef, InputSchema, MoneyOut, money_out
from peyvand.sales.access import customers_for, get_opportunity_for, live_quotes
from peyvand.sales.api.orders import OrderDetailOut, _order_detail
from peyvand.sales.choices import QuoteStatus
from peyvand.sales.models import Order, Quote, QuoteLine
from peyvand.sales.quotes import accept_quote, create_quote, reject_quote, send_quote

router = Router(tags=["quotes"])

ORDERING = Ordering("created_at", descending=True)


class QuoteLineOut(Schema):
    id: int
    product: int
    description: str
    quantity: str = Field(description="Decimal as a string.")
    unit_price: MoneyOut = Field(description="The price list's price, in the quote currency.")
    discount_percent: str
    tax_percent: str
    discount: MoneyOut
    net: MoneyOut = Field(description="Quantity × unit price less the discount.")
    tax: MoneyOut
    line_total: MoneyOut = Field(description="Net plus tax.")

    @staticmethod
    def resolve_product(obj: QuoteLine) -> int:
        return obj.product_id

    @staticmethod
    def resolve_quantity(obj: QuoteLine) -> str:
        return str(obj.quantity)

    @staticmethod
    def resolve_discount_percent(obj: QuoteLine) -> str:
        return str(obj.discount_percent)

    @staticmethod
    def resolve_tax_percent(obj: QuoteLine) -> str:
        return str(obj.tax_percent)

    @staticmethod
    def resolve_unit_price(obj: QuoteLine) -> dict[str, str] | None:
        return money_out(obj.unit_price)

    @staticmethod
    def resolve_discount(obj: QuoteLine) -> dict[str, str] | None:
        return money_out(obj.discount)

    @staticmethod
    def resolve_net(obj: QuoteLine) -> dict[str, str] | None:
        return money_out(obj.net)

    @staticmethod
    def resolve_tax(obj: QuoteLine) -> dict[str, str] | None:
        return money_out(obj.tax)

    @staticmethod
    def resolve_line_total(obj: QuoteLine) -> dict[str, str] | None:
        return money_out(obj.line_total)


class QuoteOut(Schema):
    id: int
    number: str
    customer: CustomerRef
    opportunity: int | None
    price_list: int
    currency: str
    status: str
    issued_on: dt.date
    valid_until: dt.date
    subtotal: MoneyOut
    discount_total: MoneyOut
    tax_total: MoneyOut
    total: MoneyOut
    order: int | None = Field(description="The order made when the quote was accepted.")
    notes: str
    reject_reason: str
    sent_at: dt.datetime | None
    decided_at: dt.datetime | None
    lines: list[QuoteLineOut]
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_opportunity(obj: Quote) -> int | None:
        return obj.opportunity_id

    @staticmethod
    def resolve_price_list(obj: Quote) -> int:
        return obj.price_list_id

    @staticmethod
    def resolve_order(obj: Quote) -> int | None:
        return obj.order_id

    @staticmethod
    def resolve_subtotal(obj: Quote) -> dict[str, str] | None:
        return money_out(obj.subtotal)

    @staticmethod
    def resolve_discount_total(obj: Quote) -> dict[str, str] | None:
        return money_out(obj.discount_total)

    @staticmethod
    def resolve_tax_total(obj: Quote) -> dict[str, str] | None:
        return money_out(obj.tax_total)

    @staticmethod
    def resolve_total(obj: Quote) -> dict[str, str] | None:
        return money_out(obj.total)

    @staticmethod
    def resolve_lines(obj: Quote) -> list[QuoteLine]:
        return list(obj.lines.all())


class QuotePage(Schema):
    items: list[QuoteOut]
    next_cursor: str | None


class QuoteFilters(PageParams):
    customer: int | None = Field(None, description="Customer id.")
    opportunity: int | None = Field(None, description="Opportunity id.")
    status: QuoteStatus | None = None


class QuoteLineIn(InputSchema):
    product: int = Field(description="Product id; it must be in the quote's price list.")
    description: str = Field("", max_length=255, description="Defaults to the product name.")
    quantity: Decimal = Field(Decimal(1), gt=0, max_digits=12, decimal_places=3)
    discount_percent: Decimal = Field(Decimal(0), ge=0, le=100, max_digits=5, decimal_places=2)
    tax_percent: Decimal = Field(Decimal(0), ge=0, le=100, max_digits=5, decimal_places=2)


class QuoteIn(InputSchema):
    customer: int = Field(description="Customer id.")
    price_list: int = Field(description="Price list id; lines are priced from it.")
    currency: str | None = Field(
        None, min_length=3, max_length=3, description="ISO 4217; defaults to the list's."
    )
    opportunity: int | None = Field(None, description="Opportunity id of the same customer.")
    issued_on: dt.date | None = Field(None, description="Defaults to today.")
    valid_until: dt.date | None = Field(None, description="Defaults to 30 days after the date.")
    lines: list[QuoteLineIn] = Field(min_length=1, max_length=200)
    notes: str = Field("", max_length=20_000)


class RejectIn(InputSchema):
    reason: str = Field("", max_length=255)


def _quotes(request: HttpRequest, action: str = Action.VIEW) -> Any:
    return (
        restrict(live_quotes(), api_user(request), action)
        .select_related("customer")
        .prefetch_related(Prefetch("lines", queryset=QuoteLine.objects.order_by("pk")))
    )


def _quote(request: HttpRequest, quote_id: int, action: str = Action.VIEW) -> Quote:
    return get_for(api_user(request), _quotes(request), quote_id, action)


def _price_list(pk: int) -> PriceList:
    """Price lists are not customer data: every caller may name an existing one."""
    found = PriceList.objects.filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


@router.get("", response=QuotePage, summary="List quotes")
@require_scope(ApiScope.QUOTES_READ)
def list_quotes(request: HttpRequest, filters: Query[QuoteFilters]) -> Any:
    """Quotes of the customers the caller may see, newest first, cursor-paginated."""
    qs = _quotes(request)
    if filters.customer is not None:
        qs = qs.filter(customer_id=filters.customer)
    if filters.opportunity is not None:
        qs = qs.filter(opportunity_id=filters.opportunity)
    if filters.status:
        qs = qs.filter(status=filters.status)
    return paginate(qs, filters, ORDERING)


@router.post("", response={201: QuoteOut}, summary="Create a quote")
@require_scope(ApiScope.QUOTES_WRITE)
def create_quote_endpoint(request: HttpRequest, payload: QuoteIn) -> Status[Quote]:
    """A draft quote; prices come from the price list, totals are computed, never sent."""
    user = api_user(request)
    require_action(user, ObjectType.QUOTE, Action.ADD)
    customer = referenced(
        payload.customer,
        lambda pk: get_for(user, customers_for(user, ObjectType.QUOTE, "add"), pk),
        "customer",
    )
    quote = create_quote(
        actor=user,
        customer=customer,
        price_list=referenced(payload.price_list, _price_list, "price_list"),
        currency=payload.currency,
        opportunity=optionally_referenced(
            payload.opportunity, lambda pk: get_opportunity_for(user, pk), "opportunity"
        ),
        issued_on=payload.issued_on,
        valid_until=payload.valid_until,
        lines=[line.model_dump() for line in payload.lines],
        notes=payload.notes,
    )
    return Status(201, _quote(request, quote.pk))


@router.get("/{quote_id}", response=QuoteOut, summary="Read a quote")
@require_scope(ApiScope.QUOTES_READ)
def read_quote(request: HttpRequest, quote_id: int) -> Quote:
    return _quote(request, quote_id)


@router.post("/{quote_id}/send", response=QuoteOut, summary="Mark a quote as sent")
@require_scope(ApiScope.QUOTES_WRITE)
def send_quote_endpoint(request: HttpRequest, quote_id: int) -> Quote:
    """Draft → sent; sending a sent quote again changes nothing."""
    quote = _quote(request, quote_id, Action.CHANGE)
    send_quote(quote, actor=api_user(request))
    return _quote(request, quote_id)


@router.post(
    "/{quote_id}/accept", response={200: OrderDetailOut}, summary="Accept a quote (makes the order)"
)
@require_scope(ApiScope.QUOTES_WRITE)
def accept_quote_endpoint(request: HttpRequest, quote_id: int) -> Order:
    """Sent → accepted, and the order with the quote's lines (one line per tax rate).
    Accepting again returns the same order."""
    user = api_user(request)
    quote = _quote(request, quote_id, Action.CHANGE)
    order = accept_quote(quote, actor=user)
    return _order_detail(request, order.pk)


@router.post("/{quote_id}/reject", response=QuoteOut, summary="Reject a quote")
@require_scope(ApiScope.QUOTES_WRITE)
def reject_quote_endpoint(request: HttpRequest, quote_id: int, payload: RejectIn) -> Quote:
    quote = _quote(request, quote_id, Action.CHANGE)
    reject_quote(quote, actor=api_user(request), reason=payload.reason)
    return _quote(request, quote_id)
