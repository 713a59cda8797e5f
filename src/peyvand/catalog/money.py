"""Money arithmetic: rounding per currency and conversion at the rate of a given day."""

from __future__ import annotations

import bisect
import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db.models import Q
from django.utils.translation import gettext as _
from djmoney.money import Money

from peyvand.catalog.currencies import DEFAULT_CURRENCIES
from peyvand.catalog.models import Currency, ExchangeRate
from peyvand.core.problems import ServiceError

_FALLBACK_PLACES = {c["code"]: c["decimal_places"] for c in DEFAULT_CURRENCIES}


def decimal_places(currency: str) -> int:
    """How many decimals amounts in `currency` carry (IRR: none)."""
    places = Currency.objects.filter(code=currency).values_list("decimal_places", flat=True).first()
    if places is None:
        return _FALLBACK_PLACES.get(currency, 2)
    return places


def quantize(value: Decimal, currency: str, *, places: int | None = None) -> Decimal:
    """Round half up to the currency's decimals, the way invoices are rounded."""
    places = decimal_places(currency) if places is None else places
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def round_money(money: Money) -> Money:
    code = str(money.currency)
    return Money(quantize(money.amount, code), code)


def _rate_on(base: str, quote: str, on: dt.date) -> Decimal | None:
    """Units of `quote` per unit of `base` on `on`: the latest direct or inverse rate."""
    row = (
        ExchangeRate.objects.filter(
            Q(base_id=base, quote_id=quote) | Q(base_id=quote, quote_id=base), date__lte=on
        )
        .order_by("-date", "-pk")
        .values_list("base_id", "date", "rate")
    )
    best: tuple[str, dt.date, Decimal] | None = None
    # A direct and an inverse rate may share the latest date; the direct one was quoted, prefer it.
    for row_base, row_date, rate in row[:2]:
        if best is None or (row_date == best[1] and row_base == base):
            best = (row_base, row_date, rate)
    if best is None:
        return None
    return best[2] if best[0] == base else Decimal(1) / best[2]


def rate(base: str, quote: str, *, on: dt.date) -> Decimal:
    """Units of `quote` one unit of `base` bought on `on` (directly or via the reporting currency)."""
    if base == quote:
        return Decimal(1)
    direct = _rate_on(base, quote, on)
    if direct is not None:
        return direct
    pivot = settings.REPORTING_CURRENCY
    if pivot not in (base, quote):
        first, second = _rate_on(base, pivot, on), _rate_on(pivot, quote, on)
        if first is not None and second is not None:
            return first * second
    raise ServiceError(
        _("No exchange rate from %(base)s to %(quote)s on or before %(date)s.")
        % {"base": base, "quote": quote, "date": on.isoformat()},
        field="currency",
        code="missing_rate",
    )


def convert(amount: Money, to_currency: str, *, on: dt.date) -> Money:
    """`amount` in `to_currency` at the latest rate known on `on`, rounded for that currency."""
    source = str(amount.currency)
    if source == to_currency:
        return round_money(amount)
    converted = amount.amount * rate(source, to_currency, on=on)
    return Money(quantize(converted, to_currency), to_currency)


class RateBook:
    """Conversions into one currency for many days, for reports: each currency pair's rates
    are read once, so converting thousands of amounts costs one query per currency, not per
    amount. Same rule as `rate()`: the latest rate on or before the day, the direct quote
    preferred over the inverse on the same day, else through the reporting currency."""

    def __init__(self, to_currency: str) -> None:
        self.to_currency = to_currency
        self._series: dict[tuple[str, str], tuple[list[dt.date], list[Decimal]]] = {}
        self.missing: set[str] = set()

    def fork(self) -> RateBook:
        """A book into the same currency sharing this one's rates (those read so far and
        those either reads later) with its own `missing`: the reports of one page read
        each currency pair once, and each still says which currencies it left out."""
        other = RateBook(self.to_currency)
        other._series = self._series
        return other

    def _pair(self, base: str, quote: str) -> tuple[list[dt.date], list[Decimal]]:
        key = (base, quote)
        if key not in self._series:
            by_day: dict[dt.date, Decimal] = {}
            rows = ExchangeRate.objects.filter(
                Q(base_id=base, quote_id=quote) | Q(base_id=quote, quote_id=base)
            ).values_list("base_id", "date", "rate")
            for row_base, day, value in sorted(rows, key=lambda r: (r[1], r[0] == base)):
                # Sorted so that the direct quote of a day comes last and wins.
                by_day[day] = value if row_base == base else Decimal(1) / value
            days = sorted(by_day)
            self._series[key] = (days, [by_day[day] for day in days])
        return self._series[key]

    def _on(self, base: str, quote: str, on: dt.date) -> Decimal | None:
        days, values = self._pair(base, quote)
        index = bisect.bisect_right(days, on)
        return values[index - 1] if index else None

    def rate(self, source: str, on: dt.date) -> Decimal | None:
        """Units of the book's currency per unit of `source` on `on`; None if unknown."""
        if source == self.to_currency:
            return Decimal(1)
        direct = self._on(source, self.to_currency, on)
        if direct is not None:
            return direct
        pivot = settings.REPORTING_CURRENCY
        if pivot not in (source, self.to_currency):
            first, second = self._on(source, pivot, on), self._on(pivot, self.to_currency, on)
            if first is not None and second is not None:
                return first * second
        return None

    def convert(self, amount: Decimal, source: str, on: dt.date) -> Decimal | None:
        """`amount` of `source` in the book's currency, unrounded (callers round totals);
        None, and `source` noted in `missing`, when no rate is known."""
        value = self.rate(source, on)
        if value is None:
            self.missing.add(source)
            return None
        return amount * value
