"""Contract endpoints, mounted by peyvand.config.api at /contracts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from peyvand.access.choices import Action, ApiScope, ObjectType
from peyvand.access.scopes import get_for, restrict
from peyvand.core.api.access import optionally_referenced, referenced, require_action
from peyvand.core.api.auth import api_user, require_scope
from peyvand.core.api.pagination import Ordering, PageParams, paginate
from peyvand.core.api.schemas import CustomerRef, InputSchema, MoneyOut, money_out
from peyvand.sales.access import customers_for, get_order_for, get_quote_for, live_contracts
from peyvand.sales.choices import BillingPeriod, ContractStatus
from peyvand.sales.contracts import cancel_contract, create_contract, renew_contract
from peyvand.sales.models import Contract

router = Router(tags=["contracts"])

ORDERING = Ordering("created_at", descending=True)


class ContractOut(Schema):
    id: int
    number: str
    title: str
    customer: CustomerRef
    order: int | None
    quote: int | None
    previous: int | None = Field(description="The contract this one renewed.")
    start_date: dt.date
    end_date: dt.date
    renewal_date: dt.date
    notice_days: int = Field(description="Days before the renewal date the owner is reminded.")
    value: MoneyOut
    billing_period: str
    auto_renew: bool
    status: str
    cancelled_at: dt.datetime | None
    cancel_reason: str
    notes: str
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_order(obj: Contract) -> int | None:
        return obj.order_id

    @staticmethod
    def resolve_quote(obj: Contract) -> int | None:
        return obj.quote_id

    @staticmethod
    def resolve_previous(obj: Contract) -> int | None:
        return obj.previous_id

    @staticmethod
    def resolve_value(obj: Contract) -> dict[str, str] | None:
        return money_out(obj.value)


class ContractPage(Schema):
    items: list[ContractOut]
    next_cursor: str | None


class ContractFilters(PageParams):
    customer: int | None = Field(None, description="Customer id.")
    status: ContractStatus | None = None
    renewal_before: dt.date | None = Field(None, description="Renewal date on or before.")


class ContractIn(InputSchema):
    customer: int = Field(description="Customer id.")
    title: str = Field(min_length=1, max_length=200)
    order: int | None = Field(None, description="Order id of the same customer.")
    quote: int | None = Field(None, description="Quote id of the same customer.")
    start_date: dt.date
    end_date: dt.date
    renewal_date: dt.date | None = Field(None, description="Defaults to the end date.")
    notice_days: int = Field(30, ge=0, le=365)
    value: Decimal = Field(ge=0, max_digits=20, decimal_places=2)
    currency: str = Field(min_length=3, max_length=3)
    billing_period: BillingPeriod = BillingPeriod.YEARLY
    auto_renew: bool = False
    notes: str = Field("", max_length=20_000)


class RenewIn(InputSchema):
    end_date: dt.date | None = Field(None, description="Defaults to a term as long as this one.")
    value: Decimal | None = Field(
        None, ge=0, max_digits=20, decimal_places=2, description="Defaults to the same value."
    )


class CancelIn(InputSchema):
    reason: str = Field("", max_length=255)


def _contracts(request: HttpRequest) -> Any:
    return restrict(live_contracts(), api_user(request)).select_related("customer")


def _contract(request: HttpRequest, contract_id: int, action: str = Action.VIEW) -> Contract:
    return get_for(api_user(request), _contracts(request), contract_id, action)


@router.get("", response=ContractPage, summary="List contracts")
@require_scope(ApiScope.CONTRACTS_READ)
def list_contracts(request: HttpRequest, filters: Query[ContractFilters]) -> Any:
    """Contracts of the customers the caller may see, newest first, cursor-paginated."""
    qs = _contracts(request)
    if filters.customer is not None:
        qs = qs.filter(customer_id=filters.customer)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.renewal_before is not None:
        qs = qs.filter(renewal_date__lte=filters.renewal_before)
    return paginate(qs, filters, ORDERING)


@router.post("", response={201: ContractOut}, summary="Create a contract")
@require_scope(ApiScope.CONTRACTS_WRITE)
def create_contract_endpoint(request: HttpRequest, payload: ContractIn) -> Status[Contract]:
    user = api_user(request)
    require_action(user, ObjectType.CONTRACT, Action.ADD)
    customer = referenced(
        payload.customer,
        lambda pk: get_for(user, customers_for(user, ObjectType.CONTRACT, "add"), pk),
        "customer",
    )
    values = payload.model_dump(exclude={"customer", "order", "quote"})
    contract = create_contract(
        actor=user,
        customer=customer,
        order=optionally_referenced(payload.order, lambda pk: get_order_for(user, pk), "order"),
        quote=optionally_referenced(payload.quote, lambda pk: get_quote_for(user, pk), "quote"),
        **values,
    )
    return Status(201, _contract(request, contract.pk))


@router.get("/{contract_id}", response=ContractOut, summary="Read a contract")
@require_scope(ApiScope.CONTRACTS_READ)
def read_contract(request: HttpRequest, contract_id: int) -> Contract:
    return _contract(request, contract_id)


@router.post("/{contract_id}/renew", response={201: ContractOut}, summary="Renew a contract")
@require_scope(ApiScope.CONTRACTS_WRITE)
def renew_contract_endpoint(
    request: HttpRequest, contract_id: int, payload: RenewIn
) -> Status[Contract]:
    """The next term as a new contract; this one becomes `renewed`. Renewing again returns
    the same renewal."""
    contract = _contract(request, contract_id, Action.CHANGE)
    renewal = renew_contract(
        contract, actor=api_user(request), end_date=payload.end_date, value=payload.value
    )
    return Status(201, _contract(request, renewal.pk))


@router.post("/{contract_id}/cancel", response=ContractOut, summary="Cancel a contract")
@require_scope(ApiScope.CONTRACTS_WRITE)
def cancel_contract_endpoint(request: HttpRequest, contract_id: int, payload: CancelIn) -> Contract:
    contract = _contract(request, contract_id, Action.CHANGE)
    cancel_contract(contract, actor=api_user(request), reason=payload.reason)
    return _contract(request, contract_id)
