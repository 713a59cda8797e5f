from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from djmoney.money import Money
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from peyvand.catalog.models import Currency
from peyvand.catalog.money import convert, quantize, rate, round_money
from peyvand.catalog.services import ensure_currencies, record_exchange_rate
from peyvand.core.problems import ServiceError

D = dt.date


@pytest.fixture
def rates(db: None) -> None:
    ensure_currencies()
    record_exchange_rate(actor=None, base="USD", quote="IRR", date=D(2026, 1, 1), rate="600000")
    record_exchange_rate(actor=None, base="USD", quote="IRR", date=D(2026, 3, 1), rate="900000")
    record_exchange_rate(actor=None, base="EUR", quote="IRR", date=D(2026, 1, 1), rate="650000")


def test_default_currencies_exist_with_their_decimals(db: None) -> None:
    ensure_currencies()
    ensure_currencies()
    assert Currency.objects.count() == 6
    assert Currency.objects.get(code="IRR").decimal_places == 0
    assert Currency.objects.get(code="USD").decimal_places == 2
    assert Currency.objects.get(code="IRR").name_fa == "ریال ایران"


@pytest.mark.parametrize(
    ("value", "currency", "expected"),
    [
        ("1234.5", "IRR", "1235"),
        ("1234.49", "IRR", "1234"),
        ("-2.5", "IRR", "-3"),
        ("10.005", "USD", "10.01"),
        ("10.004", "USD", "10.00"),
        ("0.125", "EUR", "0.13"),
    ],
)
def test_rounding_is_half_up_per_currency(
    db: None, value: str, currency: str, expected: str
) -> None:
    ensure_currencies()
    assert quantize(Decimal(value), currency) == Decimal(expected)
    assert round_money(Money(Decimal(value), currency)) == Money(Decimal(expected), currency)


def test_conversion_uses_the_rate_of_the_given_day(rates: None) -> None:
    assert convert(Money(10, "USD"), "IRR", on=D(2026, 2, 15)) == Money(6_000_000, "IRR")
    assert convert(Money(10, "USD"), "IRR", on=D(2026, 3, 1)) == Money(9_000_000, "IRR")
    assert convert(Money(10, "USD"), "IRR", on=D(2030, 1, 1)) == Money(9_000_000, "IRR")


def test_inverse_rate_is_used_and_rounded_for_the_target(rates: None) -> None:
    assert convert(Money(1_000_000, "IRR"), "USD", on=D(2026, 2, 1)) == Money(
        Decimal("1.67"), "USD"
    )


def test_cross_rate_goes_through_the_reporting_currency(rates: None) -> None:
    # 100 EUR = 65,000,000 IRR = 108.33 USD at the January rates.
    assert convert(Money(100, "EUR"), "USD", on=D(2026, 2, 1)) == Money(Decimal("108.33"), "USD")
    expected = Decimal(650000) / Decimal(600000)
    assert abs(rate("EUR", "USD", on=D(2026, 2, 1)) - expected) < Decimal("1e-20")


def test_the_pivot_is_the_configured_reporting_currency(rates: None, settings: Any) -> None:
    settings.REPORTING_CURRENCY = "USD"
    with pytest.raises(ServiceError, match="EUR"):
        convert(Money(100, "EUR"), "USD", on=D(2026, 2, 1))
    record_exchange_rate(actor=None, base="USD", quote="TRY", date=D(2026, 1, 1), rate="30")
    assert convert(Money(1_200_000, "IRR"), "TRY", on=D(2026, 2, 1)) == Money(60, "TRY")


def test_same_currency_is_identity(rates: None) -> None:
    assert convert(Money(Decimal("12.345"), "USD"), "USD", on=D(2020, 1, 1)) == Money(
        Decimal("12.35"), "USD"
    )


def test_missing_rate_names_the_pair(rates: None) -> None:
    with pytest.raises(ServiceError) as excinfo:
        convert(Money(10, "USD"), "IRR", on=D(2025, 12, 31))
    assert "USD" in excinfo.value.message and "IRR" in excinfo.value.message
    assert excinfo.value.code == "missing_rate"
    with pytest.raises(ServiceError, match="GBP"):
        convert(Money(10, "GBP"), "TRY", on=D(2026, 6, 1))


def test_direct_rate_wins_over_an_inverse_rate_of_the_same_day(rates: None) -> None:
    record_exchange_rate(actor=None, base="IRR", quote="USD", date=D(2026, 3, 1), rate="0.000001")
    assert rate("USD", "IRR", on=D(2026, 3, 1)) == Decimal(900000)
    assert rate("IRR", "USD", on=D(2026, 3, 1)) == Decimal("0.000001")


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    cents=st.integers(min_value=0, max_value=10**12),
    usd_irr=st.decimals(min_value=Decimal(1), max_value=Decimal(2_000_000), places=4),
)
def test_round_trip_is_close_to_identity(rates: None, cents: int, usd_irr: Decimal) -> None:
    day = D(2027, 1, 1)
    record_exchange_rate(actor=None, base="USD", quote="IRR", date=day, rate=usd_irr)
    start = Money(Decimal(cents) / 100, "USD")
    back = convert(convert(start, "IRR", on=day), "USD", on=day)
    # IRR has no decimals: the trip can lose up to half a rial, i.e. 0.5 / rate dollars,
    # plus half a cent of rounding on the way back.
    tolerance = Decimal("0.5") / usd_irr + Decimal("0.005")
    assert abs(back.amount - start.amount) <= tolerance
