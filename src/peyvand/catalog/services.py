"""Every change to the catalog: products, price lists, currencies and exchange rates."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

import moneyed
from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from djmoney.money import Money

from peyvand.audit.services import record
from peyvand.catalog.currencies import DEFAULT_CURRENCIES
from peyvand.catalog.models import Currency, ExchangeRate, PriceList, PriceListItem, Product
from peyvand.catalog.money import quantize
from peyvand.core.problems import ServiceError

# MoneyField/DecimalField(max_digits=20, decimal_places=2): what the columns can hold.
_MAX_PRICE = Decimal("1e18")
_PRODUCT_FIELDS = {"sku", "name", "name_fa", "description", "category", "stock", "is_active"}


def ensure_currencies() -> None:
    """Create the default currencies if missing; never overwrite an administrator's edits."""
    for spec in DEFAULT_CURRENCIES:
        Currency.objects.get_or_create(code=spec["code"], defaults=dict(spec))


def active_currency(code: Any, *, field: str = "currency") -> Currency:
    """The active currency with this code, or a ServiceError naming it."""
    code = str(code or "").strip().upper()
    currency = Currency.objects.filter(code=code, is_active=True).first()
    if currency is None:
        raise ServiceError(
            _("Unknown or inactive currency: %(code)s.") % {"code": code or "-"},
            field=field,
            code="unknown_currency",
        )
    return currency


def _decimal(value: Any, *, field: str) -> Decimal:
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise ServiceError(_("Enter a number."), field=field) from exc
    if not number.is_finite():
        raise ServiceError(_("Enter a number."), field=field)
    return number


def _price(value: Any, currency: str | None, *, field: str = "unit_price") -> Money:
    if isinstance(value, Money):
        amount, code = value.amount, str(value.currency)
    else:
        amount, code = _decimal(value, field=field), currency or settings.REPORTING_CURRENCY
    active_currency(code, field=f"{field}_currency")
    if amount < 0:
        raise ServiceError(_("A price cannot be negative."), field=field)
    if amount >= _MAX_PRICE:
        raise ServiceError(_("This amount is too large."), field=field)
    return Money(quantize(amount, code), code)


def _clean_product(product: Product) -> None:
    product.sku = (product.sku or "").strip()
    product.name = (product.name or "").strip()
    if not product.sku:
        raise ServiceError(_("This field is required."), field="sku", code="required")
    if not product.name:
        raise ServiceError(_("This field is required."), field="name", code="required")
    if product.stock is not None and product.stock < 0:
        raise ServiceError(_("Stock cannot be negative."), field="stock")
    taken = Product.objects.filter(sku__iexact=product.sku).exclude(pk=product.pk).exists()
    if taken:
        raise ServiceError(
            _("A product with SKU %(sku)s already exists.") % {"sku": product.sku},
            field="sku",
            code="duplicate",
        )


@transaction.atomic
def create_product(
    *,
    actor: Any,
    sku: str,
    name: str,
    unit_price: Money | Decimal | int | str = Decimal(0),
    currency: str | None = None,
    name_fa: str = "",
    description: str = "",
    category: str = "",
    stock: int | None = None,
    is_active: bool = True,
) -> Product:
    """A new product; `unit_price` is a Money, or a number in `currency` (default: reporting)."""
    product = Product(
        sku=sku,
        name=name,
        name_fa=(name_fa or "").strip(),
        description=description or "",
        category=(category or "").strip(),
        stock=stock,
        is_active=is_active,
        unit_price=_price(unit_price, currency),
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    _clean_product(product)
    with record(product, actor=actor):
        product.save()
    return product


@transaction.atomic
def update_product(
    product: Product,
    *,
    actor: Any,
    unit_price: Money | Decimal | int | str | None = None,
    currency: str | None = None,
    **changes: Any,
) -> Product:
    """Change the given fields; unknown field names are refused, not silently ignored."""
    unknown = set(changes) - _PRODUCT_FIELDS
    if unknown:
        raise ServiceError(
            _("Unknown field: %(field)s.") % {"field": ", ".join(sorted(unknown))},
            field=sorted(unknown)[0],
        )
    product = Product.objects.select_for_update().get(pk=product.pk, deleted_at__isnull=True)
    with record(product, actor=actor):
        for field, value in changes.items():
            setattr(product, field, value)
        if unit_price is not None or currency is not None:
            amount = product.unit_price.amount if unit_price is None else unit_price
            product.unit_price = _price(amount, currency or str(product.unit_price.currency))
        _clean_product(product)
        product.save()
    return product


@transaction.atomic
def create_price_list(
    *,
    actor: Any,
    name: str,
    currency: str,
    valid_from: dt.date | None = None,
    valid_to: dt.date | None = None,
    is_default: bool = False,
) -> PriceList:
    name = (name or "").strip()
    if not name:
        raise ServiceError(_("This field is required."), field="name", code="required")
    if PriceList.objects.filter(name__iexact=name).exists():
        raise ServiceError(
            _("A price list with this name already exists."), field="name", code="duplicate"
        )
    if valid_from and valid_to and valid_to < valid_from:
        raise ServiceError(_("The end date is before the start date."), field="valid_to")
    price_list = PriceList(
        name=name,
        currency=active_currency(currency),
        valid_from=valid_from,
        valid_to=valid_to,
        is_default=is_default,
    )
    if is_default:
        # One default list at a time: the others lose the flag, each change audited.
        for other in PriceList.objects.select_for_update().filter(is_default=True):
            with record(other, actor=actor):
                other.is_default = False
                other.save(update_fields=["is_default", "updated_at"])
    with record(price_list, actor=actor):
        price_list.save()
    return price_list


@transaction.atomic
def set_price(
    price_list: PriceList,
    product: Product,
    *,
    actor: Any,
    price: Decimal | int | str,
    min_quantity: int = 1,
) -> PriceListItem:
    """The product's price in this list from `min_quantity` units up (created or replaced)."""
    amount = _decimal(price, field="price")
    if amount < 0:
        raise ServiceError(_("A price cannot be negative."), field="price")
    if amount >= _MAX_PRICE:
        raise ServiceError(_("This amount is too large."), field="price")
    if int(min_quantity) < 1:
        raise ServiceError(_("The minimum quantity must be at least 1."), field="min_quantity")
    if product.is_deleted:
        raise ServiceError(_("This product is in the recycle bin."), field="product")
    item = (
        PriceListItem.objects.select_for_update()
        .filter(price_list=price_list, product=product, min_quantity=min_quantity)
        .first()
    ) or PriceListItem(price_list=price_list, product=product, min_quantity=min_quantity)
    with record(item, actor=actor):
        item.price = quantize(amount, price_list.currency_id)
        item.save()
    return item


@transaction.atomic
def add_currency(
    *, actor: Any, code: str, name: str, name_fa: str = "", decimal_places: int = 2
) -> Currency:
    """A new currency; only ISO 4217 codes, because every amount is a py-moneyed Money."""
    code = (code or "").strip().upper()
    try:
        moneyed.get_currency(code)
    except moneyed.CurrencyDoesNotExist as exc:
        raise ServiceError(
            _("%(code)s is not an ISO 4217 currency code.") % {"code": code or "-"}, field="code"
        ) from exc
    if Currency.objects.filter(code=code).exists():
        raise ServiceError(_("This currency already exists."), field="code", code="duplicate")
    if not 0 <= int(decimal_places) <= 4:
        raise ServiceError(_("Decimal places must be between 0 and 4."), field="decimal_places")
    name = (name or "").strip()
    if not name:
        raise ServiceError(_("This field is required."), field="name", code="required")
    currency = Currency(
        code=code, name=name, name_fa=(name_fa or "").strip(), decimal_places=decimal_places
    )
    with record(currency, actor=actor):
        currency.save()
    return currency


@transaction.atomic
def record_exchange_rate(
    *,
    actor: Any,
    base: str,
    quote: str,
    date: dt.date,
    rate: Decimal | int | str,
    source: str = "",
) -> ExchangeRate:
    """1 `base` = `rate` `quote` on `date`; a second rate for the same day replaces the first."""
    base_currency = active_currency(base, field="base")
    quote_currency = active_currency(quote, field="quote")
    if base_currency.pk == quote_currency.pk:
        raise ServiceError(_("Base and quote must be different currencies."), field="quote")
    value = _decimal(rate, field="rate")
    if value <= 0:
        raise ServiceError(_("The rate must be greater than zero."), field="rate")
    # Checked before quantizing: quantize itself fails on numbers wider than the context.
    if value >= Decimal("1e14") or value != value.quantize(Decimal("1e-10")):
        raise ServiceError(
            _("The rate has too many digits (at most 14 before and 10 after the point)."),
            field="rate",
        )
    existing = (
        ExchangeRate.objects.select_for_update()
        .filter(base=base_currency, quote=quote_currency, date=date)
        .first()
    )
    rate_row = existing or ExchangeRate(base=base_currency, quote=quote_currency, date=date)
    with record(rate_row, actor=actor):
        rate_row.rate = value
        rate_row.source = (source or "").strip()[:60]
        rate_row.save()
    return rate_row
