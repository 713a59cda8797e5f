from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from djmoney.money import Money

from peyvand.audit.models import ChangeLog
from peyvand.catalog.models import ExchangeRate, PriceListItem, Product
from peyvand.catalog.services import (
    add_currency,
    create_price_list,
    create_product,
    ensure_currencies,
    record_exchange_rate,
    set_price,
    update_product,
)
from peyvand.core.problems import ServiceError


@pytest.fixture(autouse=True)
def _currencies(db: None) -> None:
    ensure_currencies()


def test_create_and_update_product_is_audited(manager: Any) -> None:
    product = create_product(
        actor=manager, sku=" TEA-1 ", name="Tea", unit_price=Decimal("1500.4"), currency="IRR"
    )
    assert product.sku == "TEA-1"
    assert product.unit_price == Money(1500, "IRR")
    assert product.created_by == manager
    update_product(product, actor=manager, name="Green tea", unit_price="12.5", currency="USD")
    product.refresh_from_db()
    assert product.name == "Green tea" and product.unit_price == Money(Decimal("12.50"), "USD")
    actions = list(
        ChangeLog.objects.filter(content_type__model="product", object_id=str(product.pk))
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions == ["create", "update"]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"sku": ""}, "sku"),
        ({"name": "  "}, "name"),
        ({"unit_price": Decimal(-1)}, "unit_price"),
        ({"currency": "XYZ"}, "unit_price_currency"),
        ({"stock": -3}, "stock"),
        ({"unit_price": Decimal("1e30")}, "unit_price"),
    ],
)
def test_bad_product_is_refused(manager: Any, kwargs: dict[str, Any], field: str) -> None:
    data: dict[str, Any] = {"sku": "A", "name": "A", "unit_price": Decimal(1)}
    data.update(kwargs)
    with pytest.raises(ServiceError) as excinfo:
        create_product(actor=manager, **data)
    assert excinfo.value.field == field
    assert not Product.objects.exists()


def test_duplicate_sku_is_refused_case_insensitively(manager: Any) -> None:
    create_product(actor=manager, sku="ABC", name="A")
    with pytest.raises(ServiceError):
        create_product(actor=manager, sku="abc", name="B")


def test_update_refuses_unknown_fields(manager: Any) -> None:
    product = create_product(actor=manager, sku="A", name="A")
    with pytest.raises(ServiceError):
        update_product(product, actor=manager, created_by=None)


def test_set_price_replaces_and_rounds_to_the_list_currency(manager: Any) -> None:
    product = create_product(actor=manager, sku="A", name="A")
    price_list = create_price_list(actor=manager, name="Retail", currency="IRR", is_default=True)
    set_price(price_list, product, actor=manager, price=Decimal("999.6"))
    item = set_price(price_list, product, actor=manager, price=Decimal(800))
    set_price(price_list, product, actor=manager, price=Decimal(700), min_quantity=10)
    assert PriceListItem.objects.count() == 2
    assert item.price == Decimal(800)
    with pytest.raises(ServiceError):
        set_price(price_list, product, actor=manager, price=Decimal(-1))
    with pytest.raises(ServiceError):
        set_price(price_list, product, actor=manager, price=Decimal(1), min_quantity=0)


def test_only_one_default_price_list(manager: Any) -> None:
    first = create_price_list(actor=manager, name="A", currency="IRR", is_default=True)
    create_price_list(actor=manager, name="B", currency="USD", is_default=True)
    first.refresh_from_db()
    assert not first.is_default


def test_exchange_rate_is_upserted_per_day(manager: Any) -> None:
    day = dt.date(2026, 1, 1)
    record_exchange_rate(actor=manager, base="usd", quote="IRR", date=day, rate="600000")
    record_exchange_rate(actor=manager, base="USD", quote="IRR", date=day, rate="610000")
    assert ExchangeRate.objects.get().rate == Decimal(610000)


@pytest.mark.parametrize(
    ("base", "quote", "rate"),
    [
        ("USD", "USD", "1"),
        ("USD", "IRR", "0"),
        ("USD", "IRR", "-1"),
        ("XYZ", "IRR", "1"),
        ("USD", "IRR", "abc"),
        ("USD", "IRR", "1e20"),
    ],
)
def test_bad_exchange_rates_are_refused(manager: Any, base: str, quote: str, rate: str) -> None:
    with pytest.raises(ServiceError):
        record_exchange_rate(
            actor=manager, base=base, quote=quote, date=dt.date(2026, 1, 1), rate=rate
        )
    assert not ExchangeRate.objects.exists()


def test_add_currency_accepts_only_iso_codes(manager: Any) -> None:
    assert add_currency(actor=manager, code="chf", name="Swiss franc").code == "CHF"
    for code in ("ZZZ", "CHF"):
        with pytest.raises(ServiceError):
            add_currency(actor=manager, code=code, name="X")
