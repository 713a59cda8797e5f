"""Every change to quotes: drafting from a price list, sending, the customer's answer, expiry.

Amounts are computed here and only here (`line_amounts`, `quote_totals`), in Decimal, each
line rounded half up once for the quote's currency, like orders (services.line_total).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from djmoney.money import Money

from peyvand.access.choices import ObjectType
from peyvand.access.scopes import restrict
from peyvand.audit.choices import ChangeAction
from peyvand.audit.services import Change, record, snapshot, write_changes
from peyvand.catalog.models import PriceList, PriceListItem, Product
from peyvand.catalog.money import convert, decimal_places, quantize
from peyvand.catalog.services import active_currency
from peyvand.core.problems import ServiceError
from peyvand.customers.models import Customer
from peyvand.sales.access import customers_for, live_opportunities, live_quotes
from peyvand.sales.choices import (
    OPEN_QUOTE_STATUSES,
    OpportunityStatus,
    OrderStatus,
    QuoteStatus,
)
from peyvand.sales.models import DocumentNumberSequence, Opportunity, Order, Quote, QuoteLine
from peyvand.sales.opportunities import win_opportunity
from peyvand.sales.services import (
    MAX_AMOUNT,
    MAX_QUANTITY,
    NotFound,
    _number,
    create_order,
    line_total,
    next_number,
)

MAX_LINES = 200
MAX_NOTES = 20_000
_HUNDRED = Decimal(100)


@dataclass(frozen=True)
class LineAmounts:
    gross: Decimal
    discount: Decimal
    net: Decimal
    tax: Decimal
    total: Decimal


def line_amounts(
    quantity: Decimal,
    unit_price: Decimal,
    discount_percent: Decimal,
    tax_percent: Decimal,
    currency: str,
    places: int,
) -> LineAmounts:
    """One line: net as an order line would have it, tax on the net, each rounded once."""
    gross = quantize(quantity * unit_price, currency, places=places)
    net = line_total(quantity, unit_price, discount_percent, currency, places)
    tax = quantize(net * tax_percent / _HUNDRED, currency, places=places)
    return LineAmounts(gross=gross, discount=gross - net, net=net, tax=tax, total=net + tax)


@dataclass(frozen=True)
class QuoteTotals:
    subtotal: Decimal
    discount: Decimal
    tax: Decimal
    total: Decimal


def quote_totals(lines: Iterable[LineAmounts]) -> QuoteTotals:
    """Sums of the rounded lines, so the totals always add up to what the lines show."""
    rows = list(lines)
    zero = Decimal(0)
    return QuoteTotals(
        subtotal=sum((r.gross for r in rows), zero),
        discount=sum((r.discount for r in rows), zero),
        tax=sum((r.tax for r in rows), zero),
        total=sum((r.total for r in rows), zero),
    )


def _percent(value: Any, *, field: str, message: str) -> Decimal:
    number = _number(value if value not in (None, "") else 0, field=field)
    if not 0 <= number <= 100 or number != number.quantize(Decimal("0.01")):
        raise ServiceError(message, field=field)
    return number


def unit_price_for(
    price_list: PriceList, product: Product, quantity: Decimal, currency: str, *, on: dt.date
) -> Decimal | None:
    """The list's price for this quantity (the best tier reached), in `currency` at the
    rate of `on`; None when the product is not in the list."""
    item = (
        PriceListItem.objects.filter(
            price_list=price_list, product=product, min_quantity__lte=quantity
        )
        .order_by("-min_quantity")
        .first()
    )
    if item is None:
        return None
    price = Money(item.price, price_list.currency_id)
    return convert(price, currency, on=on).amount


def _build_lines(
    line_data: list[Mapping[str, Any]], price_list: PriceList, currency: str, on: dt.date
) -> list[QuoteLine]:
    if not line_data:
        raise ServiceError(_("A quote needs at least one line."), field="lines", code="required")
    if len(line_data) > MAX_LINES:
        raise ServiceError(_("A quote has at most %(n)s lines.") % {"n": MAX_LINES}, field="lines")
    places = decimal_places(currency)
    ids = {getattr(d.get("product"), "pk", d.get("product")) for d in line_data}
    products = Product.objects.sellable().in_bulk([pk for pk in ids if pk is not None])
    lines = []
    for index, data in enumerate(line_data):
        n, prefix = index + 1, f"lines.{index}"
        raw = data.get("product")
        product = products.get(getattr(raw, "pk", raw)) if raw is not None else None
        if product is None:
            raise ServiceError(
                _("Line %(n)s: choose a product of the price list.") % {"n": n},
                field=f"{prefix}.product",
            )
        quantity = _number(data.get("quantity", 1), field=f"{prefix}.quantity")
        if (
            quantity <= 0
            or quantity >= MAX_QUANTITY
            or quantity != quantity.quantize(Decimal("0.001"))
        ):
            raise ServiceError(
                _("Line %(n)s: the quantity must be greater than zero, with at most 3 decimals.")
                % {"n": n},
                field=f"{prefix}.quantity",
            )
        discount = _percent(
            data.get("discount_percent"),
            field=f"{prefix}.discount_percent",
            message=_("Line %(n)s: the discount must be between 0 and 100 percent.") % {"n": n},
        )
        tax = _percent(
            data.get("tax_percent"),
            field=f"{prefix}.tax_percent",
            message=_("Line %(n)s: the tax rate must be between 0 and 100 percent.") % {"n": n},
        )
        price = unit_price_for(price_list, product, quantity, currency, on=on)
        if price is None:
            raise ServiceError(
                _("Line %(n)s: %(product)s is not in the price list %(list)s.")
                % {"n": n, "product": product, "list": price_list},
                field=f"{prefix}.product",
                code="not_in_price_list",
            )
        amounts = line_amounts(quantity, price, discount, tax, currency, places)
        if amounts.total >= MAX_AMOUNT:
            raise ServiceError(_("This amount is too large."), field=f"{prefix}.quantity")
        description = str(data.get("description") or "").strip() or product.name
        lines.append(
            QuoteLine(
                product=product,
                description=description[:255],
                quantity=quantity,
                unit_price=Money(price, currency),
                discount_percent=discount,
                tax_percent=tax,
                discount=Money(amounts.discount, currency),
                net=Money(amounts.net, currency),
                tax=Money(amounts.tax, currency),
                line_total=Money(amounts.total, currency),
            )
        )
    return lines


def _set_totals(quote: Quote, lines: list[QuoteLine]) -> None:
    code = quote.currency
    totals = quote_totals(
        LineAmounts(
            gross=line.net.amount + line.discount.amount,
            discount=line.discount.amount,
            net=line.net.amount,
            tax=line.tax.amount,
            total=line.line_total.amount,
        )
        for line in lines
    )
    if totals.total >= MAX_AMOUNT:
        raise ServiceError(_("This amount is too large."), field="lines")
    quote.subtotal = Money(totals.subtotal, code)
    quote.discount_total = Money(totals.discount, code)
    quote.tax_total = Money(totals.tax, code)
    quote.total = Money(totals.total, code)


def _save_lines(quote: Quote, lines: list[QuoteLine], actor: Any) -> None:
    for line in lines:
        line.quote = quote
    QuoteLine.objects.bulk_create(lines)
    write_changes(
        [
            Change(ChangeAction.CREATE, line, None, snapshot(line), quote.customer_id)
            for line in lines
        ],
        actor=actor,
    )


def _price_list(price_list: Any, on: dt.date) -> PriceList:
    found = PriceList.objects.filter(pk=getattr(price_list, "pk", price_list)).first()
    if found is None:
        raise NotFound(_("Price list not found."), field="price_list", code="not_found")
    if (found.valid_from and on < found.valid_from) or (found.valid_to and on > found.valid_to):
        raise ServiceError(
            _("The price list %(list)s is not valid on this date.") % {"list": found},
            field="price_list",
        )
    return found


def _opportunity(opportunity: Any, customer: Customer, actor: Any) -> Opportunity | None:
    if opportunity is None:
        return None
    opportunities = live_opportunities()
    if actor is not None:
        opportunities = restrict(opportunities, actor, "view")
    found = opportunities.filter(pk=getattr(opportunity, "pk", opportunity)).first()
    if found is None:
        raise NotFound(_("Opportunity not found."), field="opportunity", code="not_found")
    if found.customer_id != customer.pk:
        raise ServiceError(_("This opportunity belongs to another customer."), field="opportunity")
    return found


def _check_dates(issued_on: dt.date, valid_until: dt.date) -> None:
    if valid_until < issued_on:
        raise ServiceError(
            _("The quote must be valid at least until its date."), field="valid_until"
        )


def _notes(notes: Any) -> str:
    text = str(notes or "")
    if len(text) > MAX_NOTES:
        raise ServiceError(_("The notes are too long."), field="notes")
    return text


@transaction.atomic
def create_quote(
    *,
    actor: Any,
    customer: Customer,
    price_list: PriceList,
    lines: Iterable[Mapping[str, Any]],
    currency: str | None = None,
    opportunity: Opportunity | None = None,
    issued_on: dt.date | None = None,
    valid_until: dt.date | None = None,
    notes: str = "",
) -> Quote:
    """A draft quote priced from `price_list` in `currency` (default: the list's).

    Each line is {product, quantity, discount_percent, tax_percent, description?}; the unit
    price is the list's, converted at the rate of the quote's date. Errors name the field
    ("lines.2.product") and nothing is written.
    """
    customers = (
        Customer.objects.filter(deleted_at__isnull=True)
        if actor is None
        else customers_for(actor, ObjectType.QUOTE, "add")
    )
    found = customers.filter(pk=getattr(customer, "pk", customer)).first()
    if found is None:
        raise NotFound(_("Customer not found."), field="customer", code="not_found")
    issued_on = issued_on or timezone.localdate()
    plist = _price_list(price_list, issued_on)
    code = active_currency(currency or plist.currency_id).code
    valid_until = valid_until or issued_on + dt.timedelta(days=30)
    _check_dates(issued_on, valid_until)
    quote = Quote(
        customer=found,
        opportunity=_opportunity(opportunity, found, actor),
        price_list=plist,
        currency=code,
        issued_on=issued_on,
        valid_until=valid_until,
        notes=_notes(notes),
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    quote_lines = _build_lines(list(lines), plist, code, issued_on)
    _set_totals(quote, quote_lines)
    quote.number = next_number(
        DocumentNumberSequence.objects.all(), Quote.objects.all(), "QT", issued_on.year, prefix="QT"
    )
    with record(quote, actor=actor):
        quote.save()
    _save_lines(quote, quote_lines, actor)
    return quote


def _locked(quote: Quote, actor: Any, action: str = "change") -> Quote:
    quotes = live_quotes() if actor is None else restrict(live_quotes(), actor, action)
    locked = quotes.select_for_update().filter(pk=getattr(quote, "pk", quote)).first()
    if locked is None:
        raise NotFound(_("Quote not found."), field="quote", code="not_found")
    return locked


@transaction.atomic
def update_quote(
    quote: Quote,
    *,
    actor: Any,
    lines: Iterable[Mapping[str, Any]] | None = None,
    valid_until: dt.date | None = None,
    notes: str | None = None,
) -> Quote:
    """Change a draft: its lines (all replaced and re-priced), validity or notes."""
    quote = _locked(quote, actor)
    if quote.status != QuoteStatus.DRAFT:
        raise ServiceError(
            _("Only a draft quote can be changed."), field="status", code="not_draft"
        )
    with record(quote, actor=actor):
        if valid_until is not None:
            _check_dates(quote.issued_on, valid_until)
            quote.valid_until = valid_until
        if notes is not None:
            quote.notes = _notes(notes)
        new_lines = None
        if lines is not None:
            plist = _price_list(quote.price_list_id, quote.issued_on)
            new_lines = _build_lines(list(lines), plist, quote.currency, quote.issued_on)
            _set_totals(quote, new_lines)
        quote.save()
    if new_lines is not None:
        old = list(quote.lines.all())
        write_changes(
            [
                Change(ChangeAction.DELETE, line, snapshot(line), None, quote.customer_id)
                for line in old
            ],
            actor=actor,
        )
        quote.lines.all().delete()
        _save_lines(quote, new_lines, actor)
    return quote


def _refuse_if_lapsed(quote: Quote) -> None:
    if quote.valid_until < timezone.localdate():
        raise ServiceError(
            _("This quote was valid until %(date)s.") % {"date": quote.valid_until.isoformat()},
            field="valid_until",
            code="expired",
        )


@transaction.atomic
def send_quote(quote: Quote, *, actor: Any) -> Quote:
    """Mark the draft as sent to the customer; idempotent on a sent quote."""
    quote = _locked(quote, actor)
    if quote.status == QuoteStatus.SENT:
        return quote
    if quote.status != QuoteStatus.DRAFT:
        raise ServiceError(_("Only a draft quote can be sent."), field="status", code="not_draft")
    _refuse_if_lapsed(quote)
    with record(quote, actor=actor):
        quote.status = QuoteStatus.SENT
        quote.sent_at = timezone.now()
        quote.save(update_fields=["status", "sent_at", "updated_at"])
    return quote


def _order_lines(quote: Quote) -> list[dict[str, Any]]:
    """The quote's lines as order lines, and one line per tax rate: orders carry no tax
    column, so this keeps the order's total equal to the quote's."""
    lines: list[dict[str, Any]] = []
    taxes: dict[Decimal, Decimal] = defaultdict(Decimal)
    for line in quote.lines.all():
        lines.append(
            {
                "product": line.product_id,
                "description": line.description,
                "quantity": line.quantity,
                "unit_price": line.unit_price.amount,
                "discount_percent": line.discount_percent,
            }
        )
        if line.tax.amount:
            taxes[line.tax_percent] += line.tax.amount
    for rate_percent, tax in sorted(taxes.items()):
        lines.append(
            {
                "product": None,
                "description": _("Tax %(rate)s%%") % {"rate": rate_percent.normalize()},
                "quantity": Decimal(1),
                "unit_price": tax,
            }
        )
    return lines


@transaction.atomic
def accept_quote(quote: Quote, *, actor: Any) -> Order:
    """The customer accepted: the order with the same lines, linked to the quote, in this
    transaction, and the quote's opportunity, if still open, moves to its pipeline's won
    stage. Accepting an accepted quote returns its order and writes nothing."""
    quote = _locked(quote, actor)
    if quote.status == QuoteStatus.ACCEPTED and quote.order_id is not None:
        return Order.objects.get(pk=quote.order_id)
    if quote.status != QuoteStatus.SENT:
        raise ServiceError(
            _("Only a sent quote can be accepted; send it first."), field="status", code="not_sent"
        )
    _refuse_if_lapsed(quote)
    order = create_order(
        actor=actor,
        customer=quote.customer,
        currency=quote.currency,
        lines=_order_lines(quote),
        status=OrderStatus.CONFIRMED,
        external_ref=quote.number,
        notes=_("From quote %(number)s.") % {"number": quote.number},
    )
    if order.total.amount != quote.total.amount:
        raise ServiceError(_("The order total does not match the quote."), field="lines")
    with record(quote, actor=actor):
        quote.status = QuoteStatus.ACCEPTED
        quote.decided_at = timezone.now()
        quote.order = order
        quote.save(update_fields=["status", "decided_at", "order", "updated_at"])
    _win_quoted_opportunity(quote, actor=actor)
    return order


def _win_quoted_opportunity(quote: Quote, *, actor: Any) -> None:
    """The accepted quote's deal is won: through the opportunities service, so the stage
    history and the change log say so. A deal already won or lost keeps its outcome."""
    if quote.opportunity_id is None:
        return
    opportunity = live_opportunities().filter(pk=quote.opportunity_id).first()
    if opportunity is None or opportunity.status != OpportunityStatus.OPEN:
        return
    # Whoever may accept the quote may close its deal, even outside their opportunity scope.
    win_opportunity(
        opportunity,
        actor=actor,
        reason=_("Quote %(number)s accepted.") % {"number": quote.number},
        authorized=True,
    )


@transaction.atomic
def reject_quote(quote: Quote, *, actor: Any, reason: str = "") -> Quote:
    """The customer declined; idempotent on a rejected quote."""
    quote = _locked(quote, actor)
    if quote.status == QuoteStatus.REJECTED:
        return quote
    if quote.status not in OPEN_QUOTE_STATUSES:
        raise ServiceError(
            _("An accepted or expired quote cannot be rejected."), field="status", code="closed"
        )
    with record(quote, actor=actor):
        quote.status = QuoteStatus.REJECTED
        quote.decided_at = timezone.now()
        quote.reject_reason = str(reason or "").strip()[:255]
        quote.save(update_fields=["status", "decided_at", "reject_reason", "updated_at"])
    return quote


def expire_quotes(today: dt.date | None = None) -> int:
    """Expire every draft or sent quote whose validity has passed (the periodic job). Each
    row is re-checked under its lock, so concurrent runs expire a quote once."""
    today = today or timezone.localdate()
    due = Q(status__in=OPEN_QUOTE_STATUSES, valid_until__lt=today)
    expired = 0
    for pk in live_quotes().filter(due).values_list("pk", flat=True):
        with transaction.atomic():
            quote = live_quotes().select_for_update().filter(due, pk=pk).first()
            if quote is None:
                continue
            with record(quote, actor=None):
                quote.status = QuoteStatus.EXPIRED
                quote.save(update_fields=["status", "updated_at"])
            expired += 1
    return expired
