from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest

from peyvand.catalog.importer import import_exchange_rates_csv
from peyvand.catalog.models import ExchangeRate
from peyvand.catalog.services import ensure_currencies


@pytest.fixture(autouse=True)
def _currencies(db: None) -> None:
    ensure_currencies()


def upload(text: str) -> io.BytesIO:
    return io.BytesIO(text.encode())


def test_rates_are_imported_with_persian_digits_and_jalali_dates(manager: Any) -> None:
    report = import_exchange_rates_csv(
        upload('date,base,quote,rate\n2026-01-01,USD,IRR,"600,000"\n۱۴۰۴/۱۰/۱۱,EUR,IRR,۶۵۰۰۰۰\n'),
        actor=manager,
    )
    assert report.ok and report.created == 2
    assert ExchangeRate.objects.get(base="EUR").date == dt.date(2026, 1, 1)
    assert ExchangeRate.objects.get(base="USD").rate == Decimal(600000)


def test_any_bad_row_rolls_back_the_whole_file(manager: Any) -> None:
    report = import_exchange_rates_csv(
        upload(
            "date,base,quote,rate\n"
            "2026-01-01,USD,IRR,600000\n"
            "2026-13-01,USD,IRR,1\n"
            "2026-01-02,USD,IRR,-4\n"
            "2026-01-02,ABC,IRR,4\n"
            "2026-01-02,USD,IRR,lots\n"
        ),
        actor=manager,
    )
    assert [(e.line, e.column) for e in report.errors] == [
        (3, "date"),
        (4, "rate"),
        (5, "base"),
        (6, "rate"),
    ]
    assert report.created == 0
    assert not ExchangeRate.objects.exists()


def test_dry_run_and_missing_columns(manager: Any) -> None:
    report = import_exchange_rates_csv(
        upload("date,base,quote,rate\n2026-01-01,USD,IRR,1\n"), actor=manager, dry_run=True
    )
    assert report.ok and report.created == 1
    assert not ExchangeRate.objects.exists()
    report = import_exchange_rates_csv(upload("date,base,rate\n"), actor=manager)
    assert report.errors[0].line == 0 and "quote" in report.errors[0].reason
