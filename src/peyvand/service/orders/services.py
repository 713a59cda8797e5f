"""Every state change of service orders: create (from a ticket or as planned maintenance),
schedule, move through the status flow, record materials and time, sign off, and apply a
batch of changes a technician's phone made offline.

Each change locks the order row, raises `version` by one and keeps `total_cost` (materials
plus time, in the order's currency) current. Sign-off posts the cost to the customer's
cost-to-serve ledger, once.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from djmoney.money import Money

from peyvand.access.models import Department
from peyvand.analytics.costs.services import post_cost
from peyvand.analytics.models import DepartmentRate
from peyvand.analytics.models.costs import CostKind
from peyvand.audit.services import record
from peyvand.catalog.money import convert, round_money
from peyvand.catalog.services import active_currency
from peyvand.core.problems import ServiceError
from peyvand.customers.models import Customer
from peyvand.service.choices import SERVICE_ORDER_FLOW, ServiceOrderKind, ServiceOrderStatus
from peyvand.service.models import (
    ServiceAgreement,
    ServiceOrder,
    ServiceOrderLine,
    ServiceTimeEntry,
    Ticket,
)

FINAL_STATUSES = frozenset({ServiceOrderStatus.SIGNED_OFF, ServiceOrderStatus.CANCELLED})
MAX_SIGNATURE_CHARS = 200_000  # a drawn signature's PNG data URL
MAX_MINUTES = 24 * 60
MAX_QUANTITY = Decimal("999999999")


def _now(now: dt.datetime | None) -> dt.datetime:
    return now or timezone.now()


def _locked(order: ServiceOrder | int) -> ServiceOrder:
    pk = order if isinstance(order, int) else order.pk
    return ServiceOrder.objects.select_for_update(of=("self",)).get(pk=pk)


def _validate_window(start: Any, end: Any, errors: dict[str, list[str]]) -> None:
    if not isinstance(start, dt.datetime):
        errors["window_start"] = [_("Give the start of the visit.")]
    if not isinstance(end, dt.datetime):
        errors["window_end"] = [_("Give the end of the visit.")]
    if isinstance(start, dt.datetime) and isinstance(end, dt.datetime) and end <= start:
        errors["window_end"] = [_("The visit must end after it starts.")]


def _validate_technician(
    technician: Any, department: Department, errors: dict[str, list[str]]
) -> None:
    if technician is None:
        return
    if not technician.is_active:
        errors["technician"] = [_("This person is no longer active.")]
    elif not technician.departments.filter(pk=department.pk).exists():
        errors["technician"] = [_("The technician must belong to the order's team.")]


@transaction.atomic
def create_order(
    *,
    actor: Any,
    customer: Customer,
    title: str,
    department: Department,
    window_start: dt.datetime,
    window_end: dt.datetime,
    technician: Any = None,
    ticket: Ticket | None = None,
    agreement: ServiceAgreement | None = None,
    description: str = "",
    currency: str = "",
) -> ServiceOrder:
    """A work order from `ticket` (its customer's, under its agreement) or, without one,
    planned maintenance. Raises ValidationError per field and writes nothing when wrong."""
    errors: dict[str, list[str]] = {}
    title = (title or "").strip()
    currency = currency or settings.REPORTING_CURRENCY
    if not title:
        errors["title"] = [_("Say what the work is.")]
    elif len(title) > 200:
        errors["title"] = [_("Keep the title under 200 characters.")]
    if customer.deleted_at is not None:
        errors["customer"] = [_("This customer is in the recycle bin.")]
    if ticket is not None and ticket.customer_id != customer.pk:
        errors["ticket"] = [_("The ticket belongs to another customer.")]
    if agreement is None and ticket is not None:
        agreement = ticket.agreement
    if agreement is not None and agreement.customer_id != customer.pk:
        errors["agreement"] = [_("The agreement belongs to another customer.")]
    try:
        active_currency(currency)
    except ServiceError as exc:
        errors["currency"] = [exc.message]
    _validate_window(window_start, window_end, errors)
    _validate_technician(technician, department, errors)
    if errors:
        raise ValidationError(errors)
    order = ServiceOrder(
        customer=customer,
        kind=ServiceOrderKind.CORRECTIVE if ticket is not None else ServiceOrderKind.PLANNED,
        ticket=ticket,
        agreement=agreement,
        title=title,
        description=description,
        department=department,
        technician=technician,
        window_start=window_start,
        window_end=window_end,
        currency=currency,
        total_cost=Money(0, currency),
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    with record(order, actor=actor, customer_id=customer.pk):
        order.save()
    return order


def _refuse_if_final(order: ServiceOrder) -> None:
    if order.status in FINAL_STATUSES:
        raise ValidationError(
            _("This order is %(status)s and cannot be changed.")
            % {"status": order.get_status_display().lower()}
        )


def _bump(order: ServiceOrder, *fields: str) -> None:
    order.version += 1
    order.save(update_fields=[*fields, "version", "updated_at"])


@transaction.atomic
def schedule(
    order: ServiceOrder,
    *,
    actor: Any,
    technician: Any,
    window_start: dt.datetime,
    window_end: dt.datetime,
) -> ServiceOrder:
    locked = _locked(order)
    _refuse_if_final(locked)
    errors: dict[str, list[str]] = {}
    _validate_window(window_start, window_end, errors)
    _validate_technician(technician, locked.department, errors)
    if errors:
        raise ValidationError(errors)
    with record(locked, actor=actor, customer_id=locked.customer_id):
        locked.technician = technician
        locked.window_start, locked.window_end = window_start, window_end
        _bump(locked, "technician", "window_start", "window_end")
    return locked


@transaction.atomic
def set_work_notes(order: ServiceOrder, *, actor: Any, text: str) -> ServiceOrder:
    locked = _locked(order)
    _refuse_if_final(locked)
    if len(text) > 20_000:
        raise ValidationError({"work_notes": [_("Keep the notes under 20,000 characters.")]})
    if locked.work_notes == text:
        return locked
    with record(locked, actor=actor, customer_id=locked.customer_id):
        locked.work_notes = text
        _bump(locked, "work_notes")
    return locked


@transaction.atomic
def set_status(
    order: ServiceOrder, *, actor: Any, status: str, now: dt.datetime | None = None
) -> ServiceOrder:
    """Move along the flow (scheduled → in progress → done → signed off; cancel before
    done). Signing off needs `sign_off`, which records the customer's signature."""
    locked = _locked(order)
    if locked.status == status:
        return locked
    if status == ServiceOrderStatus.SIGNED_OFF:
        raise ValidationError({"status": [_("Record the customer's signature to sign off.")]})
    if status not in SERVICE_ORDER_FLOW.get(locked.status, ()):
        raise ValidationError(
            {
                "status": [
                    _("A %(current)s order cannot become %(new)s.")
                    % {
                        "current": locked.get_status_display().lower(),
                        "new": str(ServiceOrderStatus(status).label).lower()
                        if status in ServiceOrderStatus.values
                        else status,
                    }
                ]
            }
        )
    when = _now(now)
    with record(locked, actor=actor, customer_id=locked.customer_id):
        if status == ServiceOrderStatus.IN_PROGRESS and locked.started_at is None:
            locked.started_at = when
        if status == ServiceOrderStatus.DONE:
            locked.completed_at = when
        elif status == ServiceOrderStatus.IN_PROGRESS:
            locked.completed_at = None
        locked.status = status
        _bump(locked, "status", "started_at", "completed_at")
    return locked


@transaction.atomic
def sign_off(
    order: ServiceOrder,
    *,
    actor: Any,
    name: str,
    signature: str,
    kind: str = "typed",
    now: dt.datetime | None = None,
) -> ServiceOrder:
    """The customer accepts the finished work: their name and a typed or drawn signature.
    The order's cost is posted to the customer's cost to serve."""
    locked = _locked(order)
    if locked.status != ServiceOrderStatus.DONE:
        raise ValidationError(_("Only a finished order can be signed off."))
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    signature = (signature or "").strip()
    if not name or len(name) > 200:
        errors["signed_by"] = [_("Give the name of the person signing.")]
    if kind not in ("typed", "drawn"):
        errors["signature"] = [_("Unknown kind of signature.")]
    elif kind == "drawn" and not signature.startswith("data:image/png;base64,"):
        errors["signature"] = [_("The drawn signature is not an image.")]
    elif not signature or len(signature) > MAX_SIGNATURE_CHARS:
        errors["signature"] = [_("The customer must sign.")]
    if errors:
        raise ValidationError(errors)
    when = _now(now)
    with record(locked, actor=actor, customer_id=locked.customer_id):
        locked.signed_by, locked.signature, locked.signature_kind = name, signature, kind
        locked.signed_at = when
        locked.status = ServiceOrderStatus.SIGNED_OFF
        _bump(locked, "signed_by", "signature", "signature_kind", "signed_at", "status")
    post_cost(
        locked.customer,
        CostKind.SERVICE,
        locked.total_cost.amount,
        locked.currency,
        source=locked,
        occurred_on=timezone.localdate(when),
        description=str(locked)[:255],
    )
    return locked


def _in_order_currency(order: ServiceOrder, amount: Money) -> Money:
    return convert(amount, order.currency, on=timezone.localdate(order.window_start))


def _recompute_total(order: ServiceOrder) -> None:
    total = Money(0, order.currency)
    for line in order.lines.all():
        total += _in_order_currency(order, line.unit_cost * line.quantity)
    for entry in order.time_entries.all():
        total += _in_order_currency(order, entry.hourly_rate * Decimal(entry.minutes) / 60)
    order.total_cost = round_money(total)


def _money(amount: Any, currency: str, field: str) -> Money:
    try:
        value = Decimal(str(amount))
    except (InvalidOperation, ValueError) as exc:
        raise ValidationError({field: [_("Enter an amount.")]}) from exc
    if not value.is_finite() or value < 0 or value >= Decimal("1e18"):
        raise ValidationError({field: [_("Enter an amount of zero or more.")]})
    active_currency(currency, field=f"{field}_currency")
    return Money(value.quantize(Decimal("0.01")), currency)


@transaction.atomic
def add_line(
    order: ServiceOrder,
    *,
    actor: Any,
    quantity: Any,
    description: str = "",
    unit_cost: Money | None = None,
    product: Any = None,
    client_id: str = "",
) -> ServiceOrderLine:
    """A material or part; a catalog product gives the description and, unless a cost is
    given, its list price. The same `client_id` twice adds it once."""
    locked = _locked(order)
    _refuse_if_final(locked)
    if client_id:
        existing = locked.lines.filter(client_id=client_id).first()
        if existing is not None:
            return existing
    try:
        qty = Decimal(str(quantity))
    except (InvalidOperation, ValueError) as exc:
        raise ValidationError({"quantity": [_("Enter a quantity.")]}) from exc
    errors: dict[str, list[str]] = {}
    if not qty.is_finite() or qty <= 0 or qty > MAX_QUANTITY:
        errors["quantity"] = [_("Enter a quantity above zero.")]
    description = (description or "").strip() or (str(product) if product is not None else "")
    if not description:
        errors["description"] = [_("Say what was used.")]
    price = unit_cost if unit_cost is not None else getattr(product, "unit_price", None)
    if price is None:
        errors["unit_cost"] = [_("Enter the unit cost.")]
    if errors or price is None:
        raise ValidationError(errors)
    cost = _money(price.amount, str(price.currency), "unit_cost")
    _in_order_currency(locked, cost)  # refuses a currency with no rate before anything is written
    line = ServiceOrderLine(
        order=locked,
        product=product,
        description=description[:255],
        quantity=qty.quantize(Decimal("0.001")),
        unit_cost=cost,
        added_by=actor if getattr(actor, "pk", None) else None,
        client_id=client_id[:64],
    )
    with record(line, actor=actor, customer_id=locked.customer_id):
        line.save()
    with record(locked, actor=actor, customer_id=locked.customer_id):
        _recompute_total(locked)
        _bump(locked, "total_cost", "total_cost_currency")
    return line


def hourly_rate_of(user: Any) -> Money:
    """What an hour of this person costs: the dearest rate of their departments (the same
    rates cost to serve prices agent time with), in the reporting currency."""
    rate = DepartmentRate.objects.filter(department__members=user).aggregate(
        rate=Max("hourly_rate")
    )["rate"]
    return Money(rate or 0, settings.REPORTING_CURRENCY)


@transaction.atomic
def add_time(
    order: ServiceOrder,
    *,
    actor: Any,
    minutes: Any,
    user: Any = None,
    hourly_rate: Money | None = None,
    note: str = "",
    client_id: str = "",
) -> ServiceTimeEntry:
    """Time spent by `user` (the actor unless given), priced at their department's rate
    unless a rate is given. The same `client_id` twice records it once."""
    locked = _locked(order)
    _refuse_if_final(locked)
    if client_id:
        existing = locked.time_entries.filter(client_id=client_id).first()
        if existing is not None:
            return existing
    worker = user or actor
    try:
        count = int(minutes)
    except (TypeError, ValueError) as exc:
        raise ValidationError({"minutes": [_("Enter the minutes spent.")]}) from exc
    if count < 1 or count > MAX_MINUTES:
        raise ValidationError({"minutes": [_("Enter between 1 and 1,440 minutes.")]})
    rate = hourly_rate if hourly_rate is not None else hourly_rate_of(worker)
    rate = _money(rate.amount, str(rate.currency), "hourly_rate")
    _in_order_currency(locked, rate)
    entry = ServiceTimeEntry(
        order=locked,
        user=worker,
        minutes=count,
        hourly_rate=rate,
        note=(note or "").strip()[:255],
        client_id=client_id[:64],
    )
    with record(entry, actor=actor, customer_id=locked.customer_id):
        entry.save()
    if locked.status == ServiceOrderStatus.SCHEDULED:
        locked.status = ServiceOrderStatus.IN_PROGRESS
        locked.started_at = locked.started_at or timezone.now()
    with record(locked, actor=actor, customer_id=locked.customer_id):
        _recompute_total(locked)
        _bump(locked, "total_cost", "total_cost_currency", "status", "started_at")
    return entry


# --- offline sync ---------------------------------------------------------------------------


def _office_side(order: ServiceOrder, change: dict[str, Any]) -> dict[str, Any]:
    """One queued change against the order as the office has it now: what each side says."""
    kind = change.get("type")
    if kind == "notes":
        return {"field": "work_notes", "office": order.work_notes, "theirs": change.get("text", "")}
    if kind == "status":
        return {
            "field": "status",
            "office": order.get_status_display(),
            "theirs": str(ServiceOrderStatus(change["status"]).label)
            if change.get("status") in ServiceOrderStatus.values
            else str(change.get("status", "")),
        }
    if kind == "time":
        spent = sum(order.time_entries.values_list("minutes", flat=True))
        return {
            "field": "time",
            "office": _("%(minutes)s min recorded") % {"minutes": spent},
            "theirs": _("+%(minutes)s min") % {"minutes": change.get("minutes", "")},
        }
    if kind == "material":
        used = ", ".join(
            f"{line.quantity.normalize()} × {line.description}" for line in order.lines.all()
        )
        return {
            "field": "materials",
            "office": used or "—",
            "theirs": f"{change.get('quantity', '')} × {change.get('description', '')}",
        }
    if kind == "signoff":
        return {
            "field": "signoff",
            "office": order.signed_by or order.get_status_display(),
            "theirs": str(change.get("name", "")),
        }
    return {"field": str(kind), "office": "", "theirs": ""}


def _apply_change(order: ServiceOrder, change: dict[str, Any], *, actor: Any) -> None:
    kind = change.get("type")
    client_id = str(change.get("id", ""))[:64]
    if kind == "time":
        add_time(
            order,
            actor=actor,
            minutes=change.get("minutes"),
            note=str(change.get("note", "")),
            client_id=client_id,
        )
    elif kind == "material":
        currency = str(change.get("currency") or order.currency)
        cost = change.get("unit_cost")
        add_line(
            order,
            actor=actor,
            quantity=change.get("quantity"),
            description=str(change.get("description", "")),
            unit_cost=None if cost in (None, "") else _money(cost, currency, "unit_cost"),
            client_id=client_id,
        )
    elif kind == "notes":
        set_work_notes(order, actor=actor, text=str(change.get("text", "")))
    elif kind == "status":
        set_status(order, actor=actor, status=str(change.get("status", "")))
    elif kind == "signoff":
        sign_off(
            order,
            actor=actor,
            name=str(change.get("name", "")),
            signature=str(change.get("signature", "")),
            kind=str(change.get("kind", "typed")),
        )
    else:
        raise ValidationError(_("Unknown change."))


def apply_offline_changes(
    order: ServiceOrder,
    *,
    actor: Any,
    base_version: int,
    batch_id: str,
    changes: list[dict[str, Any]],
) -> dict[str, Any]:
    """Apply the changes a phone queued for one order, all or none.

    Based on the version the office has now: applied, and the new version returned. Based
    on an older one: nothing applied; each change is returned beside the office's current
    value so the technician decides (send again on the new version, or drop theirs).
    A batch already applied (same `batch_id`) answers "applied" again."""
    with transaction.atomic():
        locked = _locked(order)
        if batch_id and locked.last_sync_id == batch_id:
            return {"result": "applied", "version": locked.version}
        if base_version != locked.version:
            return {
                "result": "conflict",
                "version": locked.version,
                "conflicts": [_office_side(locked, change) for change in changes],
            }
        try:
            with transaction.atomic():
                for change in changes:
                    _apply_change(locked, change, actor=actor)
                    locked.refresh_from_db()
                locked.last_sync_id = batch_id[:64]
                locked.save(update_fields=["last_sync_id"])
        except (ValidationError, ServiceError) as exc:
            locked.refresh_from_db()
            messages = exc.messages if isinstance(exc, ValidationError) else [exc.message]
            return {"result": "rejected", "version": locked.version, "errors": messages}
        return {"result": "applied", "version": locked.version}
