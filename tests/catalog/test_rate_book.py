"""RateBook: the batch conversion of reports agrees with `rate()` on every day and path."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from peyvand.catalog.money import RateBook, rate
from peyvand.catalog.services import ensure_currencies, record_exchange_rate
from peyvand.core.problems import ServiceError

D = dt.date


@pytest.fixture
def rates(db: None) -> None:
    ensure_currencies()
    record_exchange_rate(actor=None, base="USD", quote="IRR", date=D(2026, 1, 1), rate="600000")
    record_exchange_rate(actor=None, base="USD", quote="IRR", date=D(2026, 3, 1), rate="900000")
    # Quoted the other way round: IRR per EUR is its inverse.
    record_exchange_rate(actor=None, base="IRR", quote="EUR", date=D(2026, 1, 1), rate="0.0000015")
    record_exchange_rate(actor=None, base="EUR", quote="IRR", date=D(2026, 2, 1), rate="700000")
    record_exchange_rate(actor=None, base="IRR", quote="EUR", date=D(2026, 2, 1), rate="0.000001")


@pytest.mark.parametrize(
    ("source", "target"), [("USD", "IRR"), ("EUR", "IRR"), ("IRR", "USD"), ("USD", "EUR")]
)
def test_rate_book_agrees_with_rate_on_every_day(rates: None, source: str, target: str) -> None:
    book = RateBook(target)
    day = D(2025, 12, 30)
    while day < D(2026, 3, 5):
        try:
            expected: Decimal | None = rate(source, target, on=day)
        except ServiceError:
            expected = None
        assert book.rate(source, day) == expected, day
        day += dt.timedelta(days=1)


def test_rate_book_reads_each_pair_once_and_notes_missing_currencies(rates: None) -> None:
    book = RateBook("IRR")
    with CaptureQueriesContext(connection) as queries:
        values = [
            book.convert(Decimal(2), "USD", D(2026, 1, 1) + dt.timedelta(days=n)) for n in range(90)
        ]
    assert len(queries) == 1
    assert values[0] == 1200000 and values[-1] == 1800000
    assert book.convert(Decimal(1), "GBP", D(2026, 1, 1)) is None
    assert book.missing == {"GBP"}
    assert book.convert(Decimal(5), "IRR", D(2020, 1, 1)) == 5
