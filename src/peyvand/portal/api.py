"""The portal's own endpoints, mounted at /portal: the signed-in customer's session (the
portal cookie session, never a staff token), their own records only. Another customer's id
answers 404, exactly like a missing one."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError
from ninja.responses import Status
from ninja.security import APIKeyCookie
from ninja.utils import check_csrf

from peyvand.catalog.models import Product
from peyvand.core.api.access import optionally_referenced
from peyvand.core.api.idempotency import Owner, idempotent_for
from peyvand.core.api.pagination import Ordering, PageParams, paginate
from peyvand.core.api.schemas import InputSchema, MoneyOut, money_out
from peyvand.customers.models import Customer
from peyvand.portal import selectors, services
from peyvand.portal.models import PortalIdempotencyRecord
from peyvand.portal.session import current_customer
from peyvand.sales.models import Order, Quote
from peyvand.service.models import ServiceAgreement, Ticket


class PortalSessionAuth(APIKeyCookie):
    """The portal customer's session; unsafe methods also need the CSRF header."""

    param_name = settings.SESSION_COOKIE_NAME

    def __init__(self) -> None:
        super().__init__(csrf=False)

    def authenticate(self, request: HttpRequest, key: str | None) -> Customer | None:
        customer = current_customer(request)
        if customer is None or customer.deleted_at is not None:
            return None
        if check_csrf(request) is not None:
            raise HttpError(403, _("CSRF verification failed. Send the X-CSRFToken header."))
        return customer


def _portal_caller(request: HttpRequest) -> Owner | None:
    customer = current_customer(request)
    if customer is None or customer.deleted_at is not None:
        return None
    return (PortalIdempotencyRecord, {"customer": customer})


router = Router(auth=PortalSessionAuth(), tags=["portal"])
# Outside the API's own (staff) wrapper, so a customer's keys are theirs even in a browser
# that also holds a staff session.
router.add_decorator(idempotent_for(_portal_caller), mode="view")
NEWEST_FIRST = Ordering("created_at", descending=True)


def _me(request: HttpRequest) -> Customer:
    return request.auth  # type: ignore[attr-defined,no-any-return]


class MeOut(Schema):
    id: int
    name: str
    preferred_language: str

    @staticmethod
    def resolve_name(obj: Customer) -> str:
        return obj.display_name


class MessageOut(Schema):
    direction: str = Field(description="`inbound`: written by the customer; `outbound`: by us.")
    body: str
    created_at: dt.datetime


class TicketOut(Schema):
    id: int
    subject: str
    status: str
    created_at: dt.datetime
    updated_at: dt.datetime


class TicketDetailOut(TicketOut):
    description: str
    messages: list[MessageOut]


class TicketPage(Schema):
    items: list[TicketOut]
    next_cursor: str | None


class TicketIn(InputSchema):
    subject: str = Field(max_length=255)
    description: str = Field(max_length=services.MAX_REPLY_CHARS)
    product: int | None = None


class ReplyIn(InputSchema):
    body: str = Field(max_length=services.MAX_REPLY_CHARS)


class OrderOut(Schema):
    id: int
    number: str
    status: str
    ordered_at: dt.datetime
    total: MoneyOut

    @staticmethod
    def resolve_total(obj: Order) -> dict[str, str] | None:
        return money_out(obj.total)


class OrderPage(Schema):
    items: list[OrderOut]
    next_cursor: str | None


class QuoteOut(Schema):
    id: int
    number: str
    status: str
    issued_on: dt.date
    valid_until: dt.date
    total: MoneyOut
    order: int | None

    @staticmethod
    def resolve_total(obj: Quote) -> dict[str, str] | None:
        return money_out(obj.total)

    @staticmethod
    def resolve_order(obj: Quote) -> int | None:
        return obj.order_id


class QuotePage(Schema):
    items: list[QuoteOut]
    next_cursor: str | None


class AgreementOut(Schema):
    id: int
    name: str
    starts_on: dt.date
    ends_on: dt.date
    incidents_allowed: int | None = Field(description="Empty: unlimited.")
    incidents_used: int
    incidents_left: int | None
    products: list[str]

    @staticmethod
    def resolve_products(obj: ServiceAgreement) -> list[str]:
        return [str(p) for p in obj.products.all()]


def _ticket_detail(ticket: Ticket) -> dict[str, Any]:
    return {
        "id": ticket.pk,
        "subject": ticket.subject,
        "status": ticket.status,
        "created_at": ticket.created_at,
        "updated_at": ticket.updated_at,
        "description": ticket.description,
        "messages": selectors.public_thread(ticket),
    }


@router.get("/me", response=MeOut, summary="The signed-in customer")
def me(request: HttpRequest) -> Any:
    return _me(request)


@router.get("/tickets", response=TicketPage, summary="My tickets")
def list_tickets(
    request: HttpRequest, page: Query[PageParams], q: str = Query("", max_length=200)
) -> Any:
    return paginate(selectors.my_tickets(_me(request), query=q), page, NEWEST_FIRST)


@router.get("/tickets/{ticket_id}", response=TicketDetailOut, summary="One of my tickets")
def get_ticket(request: HttpRequest, ticket_id: int) -> Any:
    return _ticket_detail(selectors.my_ticket(_me(request), ticket_id))


@router.post("/tickets", response={201: TicketDetailOut}, summary="Open a ticket")
def create_ticket(request: HttpRequest, payload: TicketIn) -> Status[dict[str, Any]]:
    product = optionally_referenced(
        payload.product,
        lambda pk: get_object_or_404(Product, pk=pk, deleted_at__isnull=True),
        "product",
    )
    ticket = services.open_portal_ticket(
        _me(request), subject=payload.subject, description=payload.description, product=product
    )
    return Status(201, _ticket_detail(ticket))


@router.post(
    "/tickets/{ticket_id}/replies", response={201: TicketDetailOut}, summary="Reply on my ticket"
)
def reply(request: HttpRequest, ticket_id: int, payload: ReplyIn) -> Status[dict[str, Any]]:
    customer = _me(request)
    ticket = services.reply_to_ticket(
        customer, selectors.my_ticket(customer, ticket_id), body=payload.body
    )
    return Status(201, _ticket_detail(ticket))


@router.get("/orders", response=OrderPage, summary="My orders")
def list_orders(request: HttpRequest, page: Query[PageParams]) -> Any:
    return paginate(selectors.my_orders(_me(request)), page, Ordering("ordered_at", True))


@router.get("/orders/{order_id}", response=OrderOut, summary="One of my orders")
def get_order(request: HttpRequest, order_id: int) -> Any:
    return selectors.my_order(_me(request), order_id)


@router.get("/quotes", response=QuotePage, summary="My quotes")
def list_quotes(request: HttpRequest, page: Query[PageParams]) -> Any:
    return paginate(selectors.my_quotes(_me(request)), page, Ordering("created_at", True))


@router.post("/quotes/{quote_id}/accept", response=OrderOut, summary="Accept a quote")
def accept(request: HttpRequest, quote_id: int) -> Any:
    customer = _me(request)
    return services.accept_my_quote(customer, selectors.my_quote(customer, quote_id))


@router.get("/agreements", response=list[AgreementOut], summary="My service agreements")
def list_agreements(request: HttpRequest) -> Any:
    return list(selectors.my_agreements(_me(request))[:100])
