"""Every change to contracts: create, renew, cancel, and the periodic renewal reminders
and expiry."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from djmoney.money import Money

from peyvand.access.choices import ObjectType
from peyvand.access.models import Department
from peyvand.access.scopes import restrict
from peyvand.audit.services import record
from peyvand.catalog.money import decimal_places
from peyvand.catalog.services import active_currency
from peyvand.core.problems import ServiceError
from peyvand.customers.models import Customer
from peyvand.desk.services import create_task
from peyvand.sales.access import customers_for, live_contracts, live_orders, live_quotes
from peyvand.sales.choices import BillingPeriod, ContractStatus, OrderStatus
from peyvand.sales.models import Contract, DocumentNumberSequence, Order, Quote
from peyvand.sales.services import NotFound, _amount, next_number

MAX_NOTICE_DAYS = 365
# The renewals list looks this far ahead unless asked otherwise.
RENEWALS_AHEAD_DAYS = 60


def _linked(qs: QuerySet[Any], pk: Any, actor: Any, customer: Customer, field: str) -> Any:
    if pk is None:
        return None
    if actor is not None:
        qs = restrict(qs, actor, "view")
    found = qs.filter(pk=getattr(pk, "pk", pk)).first()
    if found is None:
        raise NotFound(_("There is no such record, or it is not yours."), field=field)
    if found.customer_id != customer.pk:
        raise ServiceError(_("This belongs to another customer."), field=field)
    return found


def _check_terms(start: dt.date, end: dt.date, renewal: dt.date, notice_days: int) -> None:
    if end < start:
        raise ServiceError(_("The end date is before the start date."), field="end_date")
    if not start <= renewal <= end:
        raise ServiceError(
            _("The renewal date must fall within the contract's term."), field="renewal_date"
        )
    if not 0 <= int(notice_days) <= MAX_NOTICE_DAYS:
        raise ServiceError(
            _("Remind between 0 and %(max)s days before the renewal.") % {"max": MAX_NOTICE_DAYS},
            field="notice_days",
        )


def _value(value: Any, currency: str) -> Money:
    code = active_currency(currency).code
    amount = _amount(value, code, decimal_places(code), field="value")
    if amount < 0:
        raise ServiceError(_("The value cannot be negative."), field="value")
    return Money(amount, code)


def _new_number(on: dt.date) -> str:
    return next_number(
        DocumentNumberSequence.objects.all(), Contract.objects.all(), "CT", on.year, prefix="CT"
    )


@transaction.atomic
def create_contract(
    *,
    actor: Any,
    customer: Customer,
    title: str,
    start_date: dt.date,
    end_date: dt.date,
    value: Any,
    currency: str,
    renewal_date: dt.date | None = None,
    billing_period: str = BillingPeriod.YEARLY,
    auto_renew: bool = False,
    notice_days: int = 30,
    order: Order | int | None = None,
    quote: Quote | int | None = None,
    notes: str = "",
) -> Contract:
    """A new active contract; the renewal date defaults to the end date."""
    customers = (
        Customer.objects.filter(deleted_at__isnull=True)
        if actor is None
        else customers_for(actor, ObjectType.CONTRACT, "add")
    )
    found = customers.filter(pk=getattr(customer, "pk", customer)).first()
    if found is None:
        raise NotFound(_("Customer not found."), field="customer", code="not_found")
    title = str(title or "").strip()
    if not title:
        raise ServiceError(_("This field is required."), field="title", code="required")
    if billing_period not in BillingPeriod.values:
        raise ServiceError(_("Choose a valid billing period."), field="billing_period")
    renewal_date = renewal_date or end_date
    _check_terms(start_date, end_date, renewal_date, notice_days)
    linked_order = _linked(live_orders(), order, actor, found, "order")
    if linked_order is not None and linked_order.status == OrderStatus.CANCELLED:
        raise ServiceError(_("This order is cancelled."), field="order", code="cancelled")
    contract = Contract(
        number=_new_number(start_date),
        title=title[:200],
        customer=found,
        order=linked_order,
        quote=_linked(live_quotes(), quote, actor, found, "quote"),
        start_date=start_date,
        end_date=end_date,
        renewal_date=renewal_date,
        notice_days=int(notice_days),
        value=_value(value, currency),
        billing_period=billing_period,
        auto_renew=bool(auto_renew),
        notes=str(notes or "")[:20_000],
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    with record(contract, actor=actor):
        contract.save()
    return contract


def _locked(contract: Contract, actor: Any) -> Contract:
    contracts = live_contracts() if actor is None else restrict(live_contracts(), actor, "change")
    locked = contracts.select_for_update().filter(pk=getattr(contract, "pk", contract)).first()
    if locked is None:
        raise NotFound(_("Contract not found."), field="contract", code="not_found")
    return locked


@transaction.atomic
def renew_contract(
    contract: Contract, *, actor: Any, end_date: dt.date | None = None, value: Any = None
) -> Contract:
    """The next term as a new active contract (default: as long as this one, same value);
    this one becomes "renewed". Renewing a renewed contract returns its renewal."""
    old = _locked(contract, actor)
    if old.status == ContractStatus.RENEWED:
        return Contract.objects.get(previous=old)
    if old.status == ContractStatus.CANCELLED:
        raise ServiceError(
            _("A cancelled contract cannot be renewed."), field="status", code="cancelled"
        )
    start = old.end_date + dt.timedelta(days=1)
    end = end_date or start + (old.end_date - old.start_date)
    if end < start:
        raise ServiceError(
            _("The new term must end after %(date)s.") % {"date": start.isoformat()},
            field="end_date",
        )
    renewal = end if old.renewal_date == old.end_date else end - (old.end_date - old.renewal_date)
    renewal = max(start, renewal)
    _check_terms(start, end, renewal, old.notice_days)
    currency = str(old.value.currency)
    new = Contract(
        number=_new_number(start),
        title=old.title,
        customer_id=old.customer_id,
        order_id=old.order_id,
        quote_id=old.quote_id,
        previous=old,
        start_date=start,
        end_date=end,
        renewal_date=renewal,
        notice_days=old.notice_days,
        value=old.value if value is None else _value(value, currency),
        billing_period=old.billing_period,
        auto_renew=old.auto_renew,
        notes=old.notes,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    with record(old, actor=actor):
        old.status = ContractStatus.RENEWED
        old.save(update_fields=["status", "updated_at"])
    with record(new, actor=actor):
        new.save()
    return new


@transaction.atomic
def cancel_contract(contract: Contract, *, actor: Any, reason: str = "") -> Contract:
    """End an active contract early; idempotent on a cancelled one."""
    locked = _locked(contract, actor)
    if locked.status == ContractStatus.CANCELLED:
        return locked
    if locked.status != ContractStatus.ACTIVE:
        raise ServiceError(
            _("Only an active contract can be cancelled."), field="status", code="not_active"
        )
    with record(locked, actor=actor):
        locked.status = ContractStatus.CANCELLED
        locked.cancelled_at = timezone.now()
        locked.cancel_reason = str(reason or "").strip()[:255]
        locked.save(update_fields=["status", "cancelled_at", "cancel_reason", "updated_at"])
    return locked


def reminder_due(contract: Contract, today: dt.date) -> bool:
    return today >= contract.renewal_date - dt.timedelta(days=contract.notice_days)


def _remind(contract: Contract) -> None:
    customer = contract.customer
    # The customer's owner renews; without one, the sales department's queue does.
    department = None if customer.owner_id else Department.objects.filter(code="sales").first()
    task = create_task(
        actor=None,
        title=_("Renew contract %(number)s: %(title)s")
        % {"number": contract.number, "title": contract.title},
        description=_("The contract's renewal is due on %(date)s.")
        % {"date": contract.renewal_date.isoformat()},
        due_at=timezone.make_aware(dt.datetime.combine(contract.renewal_date, dt.time(12))),
        assignee=customer.owner,
        department=department,
        customer=customer,
    )
    with record(contract, actor=None):
        contract.reminded_for = contract.renewal_date
        contract.renewal_task = task
        contract.save(update_fields=["reminded_for", "renewal_task", "updated_at"])


def _active_due(today: dt.date) -> QuerySet[Contract]:
    return live_contracts().filter(
        status=ContractStatus.ACTIVE,
        renewal_date__lte=today + dt.timedelta(days=MAX_NOTICE_DAYS),
    )


def remind_renewals(today: dt.date | None = None) -> int:
    """Put a renewal task on the owner's desk for every active contract whose reminder
    window has opened, once per term: `reminded_for` remembers the renewal date it was for,
    re-checked under the row lock so concurrent runs create one task."""
    today = today or timezone.localdate()
    created = 0
    for pk in _active_due(today).values_list("pk", flat=True):
        with transaction.atomic():
            contract = (
                _active_due(today)
                .select_for_update()
                .select_related("customer")
                .filter(pk=pk)
                .first()
            )
            if contract is None or contract.reminded_for == contract.renewal_date:
                continue
            if not reminder_due(contract, today):
                continue
            _remind(contract)
            created += 1
    return created


def end_lapsed_contracts(today: dt.date | None = None) -> int:
    """Active contracts past their end: renewed when they renew automatically, expired
    otherwise. Returns how many were handled."""
    today = today or timezone.localdate()
    handled = 0
    lapsed = live_contracts().filter(status=ContractStatus.ACTIVE, end_date__lt=today)
    for pk in lapsed.values_list("pk", flat=True):
        with transaction.atomic():
            contract = lapsed.select_for_update().filter(pk=pk).first()
            if contract is None:
                continue
            if contract.auto_renew:
                renew_contract(contract, actor=None)
            else:
                with record(contract, actor=None):
                    contract.status = ContractStatus.EXPIRED
                    contract.save(update_fields=["status", "updated_at"])
            handled += 1
    return handled


def renewals_due(
    user: Any, *, days: int = RENEWALS_AHEAD_DAYS, today: dt.date | None = None
) -> QuerySet[Contract]:
    """Active contracts the user may see whose renewal falls within `days` (or is overdue)."""
    today = today or timezone.localdate()
    return (
        restrict(live_contracts(), user)
        .filter(status=ContractStatus.ACTIVE, renewal_date__lte=today + dt.timedelta(days=days))
        .select_related("customer")
        .order_by("renewal_date", "pk")
    )
