from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from djmoney.money import Money

from peyvand.sales.importer import import_orders_csv
from peyvand.sales.models import Order, OrderLine
from tests.catalog.factories import ProductFactory
from tests.factories import ContactPointFactory

HEADER = "customer_external_ref,customer_email,order_number,date,currency,sku,quantity,unit_price\n"


@pytest.fixture
def products(currencies: None) -> None:
    ProductFactory(sku="TEA")
    ProductFactory(sku="CUP")
    ProductFactory(sku="OLD", is_active=False)


def csv_file(body: str, header: str = HEADER) -> io.BytesIO:
    return io.BytesIO((header + body).encode())


GOOD = (
    "C-1,,IMP-1,2026-01-05,IRR,TEA,2,1000\n"
    "C-1,,IMP-1,2026-01-05,IRR,CUP,1,500\n"
    ",mail@example.com,IMP-2,۱۴۰۴/۱۰/۱۵,USD,TEA,1.5,10.25\n"
)


@pytest.fixture
def emailed_customer(customer1: Any) -> Any:
    return ContactPointFactory(
        customer=customer1, value="Mail@Example.com", normalized="mail@example.com"
    )


def test_good_file_creates_orders_with_lines(
    sales1: Any, customer1: Any, emailed_customer: Any, products: None
) -> None:
    report = import_orders_csv(csv_file(GOOD), actor=sales1)
    assert report.errors == []
    assert (report.rows, report.created, report.skipped) == (3, 2, 0)
    first = Order.objects.get(number="IMP-1")
    assert first.total == Money(2500, "IRR")
    assert first.lines.count() == 2
    second = Order.objects.get(number="IMP-2")
    assert second.customer == customer1
    assert second.total == Money(Decimal("15.38"), "USD")  # 15.375 rounds half up
    assert str(second.ordered_at.date()) == "2026-01-05"  # Jalali 1404/10/15


def test_reimport_is_idempotent(
    sales1: Any, customer1: Any, emailed_customer: Any, products: None
) -> None:
    import_orders_csv(csv_file(GOOD), actor=sales1)
    report = import_orders_csv(csv_file(GOOD), actor=sales1)
    assert (report.created, report.skipped, report.errors) == (0, 2, [])
    assert Order.objects.count() == 2 and OrderLine.objects.count() == 3


def test_dry_run_commits_nothing(
    sales1: Any, customer1: Any, emailed_customer: Any, products: None
) -> None:
    report = import_orders_csv(csv_file(GOOD), actor=sales1, dry_run=True)
    assert report.ok and report.created == 2 and report.dry_run
    assert not Order.objects.exists()


def test_bad_rows_are_reported_and_their_orders_skipped(
    sales1: Any, customer1: Any, customer2: Any, products: None
) -> None:
    body = (
        "C-1,,OK-1,2026-01-05,IRR,TEA,1,100\n"  # 2: fine
        "C-1,,BAD-1,2026-02-30,IRR,TEA,1,100\n"  # 3: no such date
        "C-1,,BAD-2,2026-01-05,IRR,NOPE,1,100\n"  # 4: unknown SKU
        "C-1,,BAD-3,2026-01-05,IRR,OLD,1,100\n"  # 5: inactive product
        "C-1,,BAD-4,2026-01-05,IRR,TEA,0,100\n"  # 6: quantity 0
        "C-1,,BAD-5,2026-01-05,IRR,TEA,x,100\n"  # 7: not a number
        "C-2,,BAD-6,2026-01-05,IRR,TEA,1,100\n"  # 8: sales2's customer: not found for sales1
        "C-1,,BAD-7,2026-01-05,XXX,TEA,1,100\n"  # 9: unknown currency
        "C-1,,BAD-8,2026-01-05,IRR,TEA,1,100.5\n"  # 10: IRR has no decimals
        "C-1,,BAD-9,2026-01-05,IRR,TEA,1,100\n"  # 11: fine alone, but line 12 disagrees
        "C-1,,BAD-9,2026-01-06,IRR,TEA,1,100\n"  # 12
        ",,BAD-10,2026-01-05,IRR,TEA,1,100\n"  # 13: no customer
    )
    report = import_orders_csv(csv_file(body), actor=sales1)
    assert report.created == 1
    assert list(Order.objects.values_list("number", flat=True)) == ["OK-1"]
    found = {(e.line, e.column) for e in report.errors}
    assert found == {
        (3, "date"),
        (4, "sku"),
        (5, "sku"),
        (6, "quantity"),
        (7, "quantity"),
        (8, "customer_external_ref"),
        (9, "currency"),
        (10, "unit_price"),
        (12, "date"),
        (13, "customer_external_ref"),
    }
    assert all(e.reason for e in report.errors)


def test_missing_columns_and_bad_encoding(sales1: Any, currencies: None) -> None:
    report = import_orders_csv(csv_file("x\n", header="order_number,sku\n"), actor=sales1)
    assert report.errors[0].line == 0 and "customer_external_ref" in report.errors[0].reason
    latin1 = io.BytesIO((HEADER + "C-1,,É-1,2026-01-05,IRR,TEA,1,1\n").encode("latin-1"))
    report = import_orders_csv(latin1, actor=sales1)
    assert "UTF-8" in report.errors[0].reason
    assert not Order.objects.exists()


def test_reasons_are_translated(sales1: Any, customer1: Any, products: None) -> None:
    from django.utils import translation

    with translation.override("fa"):
        report = import_orders_csv(csv_file("C-1,,B,2026-01-05,IRR,NOPE,1,1\n"), actor=sales1)
    assert report.errors and report.errors[0].reason


def test_management_command(
    tmp_path: Path, sales1: Any, customer1: Any, emailed_customer: Any, products: None, capsys: Any
) -> None:
    path = tmp_path / "orders.csv"
    path.write_text(HEADER + GOOD, encoding="utf-8")
    call_command("import_orders", str(path), "--dry-run", "--user", "sales1")
    assert not Order.objects.exists()
    call_command("import_orders", str(path), "--user", "sales1")
    assert Order.objects.count() == 2
    assert "created 2 orders" in capsys.readouterr().out
    path.write_text(HEADER + "C-1,,Z,2026-01-05,IRR,NOPE,1,1\n", encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("import_orders", str(path))
    assert "line 2 [sku]" in capsys.readouterr().err
