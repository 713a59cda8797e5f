"""Every change to orders and payments."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from djmoney.money import Money

from peyvand.access.scopes import restrict
from peyvand.audit.choices import ChangeAction
from peyvand.audit.services import Change, record, snapshot, write_changes
from peyvand.catalog.models import Product
from peyvand.catalog.money import decimal_places, quantize
from peyvand.catalog.services import active_currency
from peyvand.core.problems import Conflict, ServiceError
from peyvand.customers.models import Customer
from peyvand.sales import events
from peyvand.sales.access import live_orders, order_customers
from peyvand.sales.choices import OrderChannel, OrderStatus, PaymentMethod
from peyvand.sales.models import Order, OrderLine, OrderNumberSequence, Payment

# MoneyField(max_digits=20, decimal_places=2): what the column can hold.
MAX_AMOUNT = Decimal("1e18")
MAX_QUANTITY = Decimal("1e9")
_HUNDRED = Decimal(100)


class NotFound(ServiceError):
    """The record is missing or outside the actor's scope; callers answer 404 either way."""

    status = 404


def _number(value: Any, *, field: str) -> Decimal:
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as exc:
        raise ServiceError(_("Enter a number."), field=field) from exc
    if not number.is_finite():
        raise ServiceError(_("Enter a number."), field=field)
    return number


def _amount(value: Any, currency: str, places: int, *, field: str) -> Decimal:
    """An amount in `currency`, refusing more decimals than the currency has."""
    number = _number(value, field=field)
    # Checked before quantizing: quantize itself fails on numbers wider than the context.
    if abs(number) >= MAX_AMOUNT:
        raise ServiceError(_("This amount is too large."), field=field)
    rounded = quantize(number, currency, places=places)
    if rounded != number:
        raise ServiceError(
            _("%(currency)s amounts have at most %(places)s decimal places.")
            % {"currency": currency, "places": places},
            field=field,
        )
    return rounded


def line_total(
    quantity: Decimal, unit_price: Decimal, discount_percent: Decimal, currency: str, places: int
) -> Decimal:
    """quantity × unit price less the discount, rounded half up once, for the currency."""
    gross = quantity * unit_price * (_HUNDRED - discount_percent) / _HUNDRED
    return quantize(gross, currency, places=places)


def _build_line(
    index: int, data: Mapping[str, Any], currency: str, places: int, products: dict[int, Product]
) -> OrderLine:
    prefix = f"lines.{index}"
    product = data.get("product")
    if product is not None:
        product = products.get(getattr(product, "pk", product))
        if product is None:
            raise ServiceError(
                _("Line %(n)s: this product does not exist or is not for sale.") % {"n": index + 1},
                field=f"{prefix}.product",
            )
    quantity = _number(data.get("quantity", 1), field=f"{prefix}.quantity")
    if quantity <= 0:
        raise ServiceError(
            _("Line %(n)s: the quantity must be greater than zero.") % {"n": index + 1},
            field=f"{prefix}.quantity",
        )
    if quantity >= MAX_QUANTITY or quantity != quantity.quantize(Decimal("0.001")):
        raise ServiceError(
            _("Line %(n)s: the quantity is too large or has more than 3 decimals.")
            % {"n": index + 1},
            field=f"{prefix}.quantity",
        )
    unit_price = _amount(data.get("unit_price"), currency, places, field=f"{prefix}.unit_price")
    if unit_price < 0:
        raise ServiceError(
            _("Line %(n)s: the unit price cannot be negative.") % {"n": index + 1},
            field=f"{prefix}.unit_price",
        )
    discount = _number(data.get("discount_percent") or 0, field=f"{prefix}.discount_percent")
    if not 0 <= discount <= 100 or discount != discount.quantize(Decimal("0.01")):
        raise ServiceError(
            _("Line %(n)s: the discount must be between 0 and 100 percent.") % {"n": index + 1},
            field=f"{prefix}.discount_percent",
        )
    description = str(data.get("description") or "").strip() or (
        product.name if product is not None else ""
    )
    if not description:
        raise ServiceError(
            _("Line %(n)s: choose a product or describe the item.") % {"n": index + 1},
            field=f"{prefix}.description",
        )
    total = line_total(quantity, unit_price, discount, currency, places)
    return OrderLine(
        product=product,
        description=description[:255],
        quantity=quantity,
        unit_price=Money(unit_price, currency),
        discount_percent=discount,
        line_total=Money(total, currency),
    )


def next_number(
    sequences: QuerySet[Any], documents: QuerySet[Any], label: str, year: int, **key: Any
) -> str:
    """<label>-<year>-<serial>. The sequence row lock serialises concurrent documents; the
    loop skips numbers an import already took. `key` names the sequence row besides the year."""
    rows = sequences.select_for_update().filter(year=year, **key)
    sequence = rows.first()
    if sequence is None:
        try:
            with transaction.atomic():
                sequence = sequences.create(year=year, last=0, **key)
        except IntegrityError:
            # Another transaction created this year's row first; wait for its lock.
            sequence = rows.get()
    while True:
        sequence.last += 1
        number = f"{label}-{year}-{sequence.last:06d}"
        if not documents.filter(number=number).exists():
            break
    sequence.save(update_fields=["last"])
    return number


def _next_number(year: int) -> str:
    return next_number(OrderNumberSequence.objects.all(), Order.objects.all(), "SO", year)


def _check_customer(customer: Customer, actor: Any) -> Customer:
    # No actor means a system job (demo loader, CLI import without --user): full access.
    customers = (
        Customer.objects.filter(deleted_at__isnull=True)
        if actor is None
        else order_customers(actor, "add")
    )
    found = customers.filter(pk=getattr(customer, "pk", customer)).first()
    if found is None:
        raise NotFound(_("Customer not found."), field="customer", code="not_found")
    return found


@transaction.atomic
def create_order(
    *,
    actor: Any,
    customer: Customer,
    currency: str,
    lines: Iterable[Mapping[str, Any]],
    ordered_at: dt.datetime | None = None,
    status: str = OrderStatus.CONFIRMED,
    number: str | None = None,
    external_ref: str = "",
    notes: str = "",
    channel: str = OrderChannel.SALES,
) -> Order:
    """Place an order for `customer`; totals are computed here, never taken from the caller.

    Each line is {product, description, quantity, unit_price (in `currency`),
    discount_percent}. Raises ServiceError naming the field (e.g. "lines.2.quantity").
    """
    customer = _check_customer(customer, actor)
    code = active_currency(currency).code
    places = decimal_places(code)
    if status not in {OrderStatus.DRAFT, OrderStatus.CONFIRMED, OrderStatus.FULFILLED}:
        raise ServiceError(_("A new order cannot have this status."), field="status")
    if channel not in OrderChannel.values:
        raise ServiceError(_("Choose a sales channel from the list."), field="channel")
    line_data = list(lines)
    if not line_data:
        raise ServiceError(_("An order needs at least one line."), field="lines", code="required")
    product_ids = {
        getattr(d["product"], "pk", d["product"]) for d in line_data if d.get("product") is not None
    }
    products = Product.objects.sellable().in_bulk(product_ids)
    order_lines = [_build_line(i, d, code, places, products) for i, d in enumerate(line_data)]
    total = sum((line.line_total.amount for line in order_lines), Decimal(0))
    if total >= MAX_AMOUNT:
        raise ServiceError(_("This amount is too large."), field="lines")
    ordered_at = ordered_at or timezone.now()
    number = (number or "").strip()
    if number:
        if len(number) > 40:
            raise ServiceError(_("The order number is too long."), field="number")
        if Order.objects.filter(number=number).exists():
            raise Conflict(
                _("An order numbered %(number)s already exists.") % {"number": number},
                field="number",
                code="duplicate",
            )
    else:
        number = _next_number(timezone.localtime(ordered_at).year)
    order = Order(
        number=number,
        customer=customer,
        status=status,
        channel=channel,
        ordered_at=ordered_at,
        total=Money(total, code),
        created_by=actor if getattr(actor, "pk", None) else None,
        external_ref=(external_ref or "").strip()[:100],
        notes=notes or "",
    )
    with record(order, actor=actor):
        order.save()
    for line in order_lines:
        line.order = order
    OrderLine.objects.bulk_create(order_lines)
    write_changes(
        [
            Change(ChangeAction.CREATE, line, None, snapshot(line), customer.pk)
            for line in order_lines
        ],
        actor=actor,
    )
    events.order_created(order)
    return order


def _locked_order(order: Order, actor: Any, action: str) -> Order:
    orders = live_orders() if actor is None else restrict(live_orders(), actor, action)
    locked = orders.select_for_update().filter(pk=order.pk).first()
    if locked is None:
        raise NotFound(_("Order not found."), field="order", code="not_found")
    return locked


def paid_amount(order: Order) -> Decimal:
    paid = order.payments.aggregate(total=Sum("amount"))["total"]
    return paid if paid is not None else Decimal(0)


@transaction.atomic
def record_payment(
    order: Order,
    *,
    actor: Any,
    amount: Decimal | int | str,
    method: str,
    paid_at: dt.datetime | None = None,
    reference: str = "",
) -> Payment:
    """A payment towards `order`, in the order's currency; never more than what is still owed."""
    order = _locked_order(order, actor, "change")
    if order.status == OrderStatus.CANCELLED:
        raise ServiceError(_("This order is cancelled."), field="order", code="cancelled")
    code = str(order.total.currency)
    value = _amount(amount, code, decimal_places(code), field="amount")
    if value <= 0:
        raise ServiceError(_("The amount must be greater than zero."), field="amount")
    if method not in PaymentMethod.values:
        raise ServiceError(_("Choose a valid payment method."), field="method")
    outstanding = order.total.amount - paid_amount(order)
    if value > outstanding:
        raise ServiceError(
            _("This payment exceeds what is still owed (%(owed)s %(currency)s).")
            % {"owed": quantize(max(outstanding, Decimal(0)), code), "currency": code},
            field="amount",
            code="overpayment",
        )
    payment = Payment(
        order=order,
        amount=Money(value, code),
        method=method,
        paid_at=paid_at or timezone.now(),
        reference=(reference or "").strip()[:100],
    )
    with record(payment, actor=actor, customer_id=order.customer_id):
        payment.save()
    return payment


@transaction.atomic
def cancel_order(order: Order, *, actor: Any) -> Order:
    """Cancel an order nobody has paid towards; idempotent on a cancelled order."""
    order = _locked_order(order, actor, "change")
    if order.status == OrderStatus.CANCELLED:
        return order
    if order.status == OrderStatus.FULFILLED:
        raise ServiceError(_("A fulfilled order cannot be cancelled."), field="status")
    if order.payments.exists():
        raise ServiceError(
            _("This order has payments; it cannot be cancelled."), field="status", code="paid"
        )
    with record(order, actor=actor):
        order.status = OrderStatus.CANCELLED
        order.save(update_fields=["status", "updated_at"])
    return order


@transaction.atomic
def apply_order_discount(
    order: Order, *, actor: Any, amount: Decimal, description: str
) -> OrderLine:
    """Take `amount` (in the order's currency) off what is still owed, as a discount line
    with a negative total: a redeemed reward, for instance. Never more than is owed."""
    order = _locked_order(order, actor, "change")
    if order.status == OrderStatus.CANCELLED:
        raise ServiceError(_("This order is cancelled."), field="order", code="cancelled")
    code = str(order.total.currency)
    value = quantize(amount, code)
    if value <= 0:
        raise ServiceError(_("The amount must be greater than zero."), field="amount")
    outstanding = order.total.amount - paid_amount(order)
    if value > outstanding:
        raise ServiceError(
            _("The discount exceeds what is still owed (%(owed)s %(currency)s).")
            % {"owed": quantize(max(outstanding, Decimal(0)), code), "currency": code},
            field="order",
            code="overpayment",
        )
    line = OrderLine(
        order=order,
        description=description[:255],
        quantity=Decimal(1),
        unit_price=Money(-value, code),
        line_total=Money(-value, code),
    )
    with record(line, actor=actor, customer_id=order.customer_id):
        line.save()
    with record(order, actor=actor):
        order.total = Money(order.total.amount - value, code)
        order.save(update_fields=["total", "updated_at"])
    return line
