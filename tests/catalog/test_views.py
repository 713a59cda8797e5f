from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from djmoney.money import Money

from peyvand.catalog.models import Currency, ExchangeRate, PriceList, PriceListItem, Product
from peyvand.catalog.services import create_price_list, ensure_currencies
from tests.catalog.factories import ProductFactory
from tests.conftest import speak_persian


@pytest.fixture(autouse=True)
def _currencies(db: None) -> None:
    ensure_currencies()


def product_data(**overrides: str) -> dict[str, str]:
    data = {
        "sku": "TEA-9",
        "name": "Tea",
        "name_fa": "چای",
        "category": "Drinks",
        "description": "",
        "unit_price": "۱۲٬۵۰۰",
        "currency": "IRR",
        "stock": "",
        "is_active": "on",
    }
    data.update(overrides)
    return data


# --- products -------------------------------------------------------------


def test_every_department_sees_the_product_list(client_for: Any, personas: dict[str, Any]) -> None:
    ProductFactory(name="Saffron")
    for user in personas.values():
        response = client_for(user).get(reverse("catalog:product_list"))
        assert response.status_code == 200
        assert "Saffron" in response.text


def test_product_search_tolerates_arabic_letters(client_for: Any, sales1: Any) -> None:
    ProductFactory(name="Rice", name_fa="برنج ایرانی")
    ProductFactory(name="Tea", name_fa="چای")
    client = client_for(sales1)
    assert "Rice" in client.get(reverse("catalog:product_list"), {"q": "ايراني"}).text
    response = client.get(reverse("catalog:product_list"), {"q": "ايراني"})
    assert "Tea" not in response.text.split("<main", 1)[1]


def test_product_list_empty_state(client_for: Any, sales2: Any) -> None:
    response = client_for(sales2).get(reverse("catalog:product_list"))
    assert "There are no products yet." in response.text
    response = client_for(sales2).get(reverse("catalog:product_list"), {"q": "zzz"})
    assert "No product matches your search." in response.text


def test_product_list_is_paginated_with_bounded_queries(
    client_for: Any, sales2: Any, django_assert_max_num_queries: Any
) -> None:
    ProductFactory.create_batch(60)
    client = client_for(sales2)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("catalog:product_list"), {"q": "Product", "page": "2"})
    assert response.status_code == 200
    assert "Page 2 of 3" in response.text
    assert "?q=Product&amp;page=3" in response.text


def test_product_names_are_escaped(client_for: Any, manager: Any) -> None:
    ProductFactory(name="<script>alert(1)</script>", name_fa="<img src=x onerror=alert(2)>")
    text = client_for(manager).get(reverse("catalog:product_list")).text
    assert "<script>alert(1)</script>" not in text and "&lt;script&gt;" in text
    assert "<img src=x" not in text


def test_manager_creates_a_product(client_for: Any, manager: Any) -> None:
    response = client_for(manager).post(reverse("catalog:product_create"), product_data())
    assert response.status_code == 302
    product = Product.objects.get()
    assert product.unit_price == Money(12500, "IRR")
    assert product.name_fa == "چای"


def test_sales_rep_cannot_create_or_edit_products(client_for: Any, sales1: Any) -> None:
    product = ProductFactory(name="Tea")
    client = client_for(sales1)
    assert client.get(reverse("catalog:product_create")).status_code == 404
    assert client.post(reverse("catalog:product_create"), product_data()).status_code == 404
    edit = reverse("catalog:product_edit", args=[product.pk])
    assert client.get(edit).status_code == 404
    assert client.post(edit, product_data(name="Hacked")).status_code == 404
    product.refresh_from_db()
    assert product.name == "Tea" and Product.objects.count() == 1
    assert (
        reverse("catalog:product_edit", args=[product.pk])
        not in client.get(reverse("catalog:product_list")).text
    )


def test_manager_edits_a_product(client_for: Any, manager: Any) -> None:
    product = ProductFactory(sku="OLD")
    edit = reverse("catalog:product_edit", args=[product.pk])
    assert client_for(manager).get(edit).status_code == 200
    response = client_for(manager).post(
        edit, product_data(sku="NEW", unit_price="9.99", currency="USD", is_active="")
    )
    assert response.status_code == 302
    product.refresh_from_db()
    assert (product.sku, product.unit_price, product.is_active) == (
        "NEW",
        Money(Decimal("9.99"), "USD"),
        False,
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("sku", ""),
        ("unit_price", "-5"),
        ("unit_price", "abc"),
        ("currency", "XXX"),
        ("stock", "-1"),
    ],
)
def test_bad_product_input_changes_nothing(
    client_for: Any, manager: Any, field: str, value: str
) -> None:
    response = client_for(manager).post(
        reverse("catalog:product_create"), product_data(**{field: value})
    )
    assert response.status_code == 400
    assert "errorlist" in response.text
    assert not Product.objects.exists()


def test_duplicate_sku_shows_a_field_error(client_for: Any, manager: Any) -> None:
    ProductFactory(sku="TEA-9")
    response = client_for(manager).post(reverse("catalog:product_create"), product_data())
    assert response.status_code == 400
    assert "already exists" in response.text


# --- price lists ------------------------------------------------------------


def test_price_lists(client_for: Any, manager: Any, sales1: Any) -> None:
    product = ProductFactory(name="Tea")
    response = client_for(manager).post(
        reverse("catalog:price_list_list"),
        {"name": "<b>Retail</b>", "currency": "IRR", "valid_from": "1404/01/01", "valid_to": ""},
    )
    assert response.status_code == 302
    price_list = PriceList.objects.get()
    assert price_list.valid_from == dt.date(2025, 3, 21)
    detail = reverse("catalog:price_list_detail", args=[price_list.pk])
    response = client_for(manager).post(
        detail, {"product": product.pk, "price": "900", "min_quantity": "1"}
    )
    assert response.status_code == 302
    assert PriceListItem.objects.get().price == Decimal(900)
    # A sales rep reads prices but cannot set them or create lists.
    client = client_for(sales1)
    page = client.get(detail)
    assert page.status_code == 200 and "&lt;b&gt;Retail&lt;/b&gt;" in page.text
    assert (
        client.post(detail, {"product": product.pk, "price": "1", "min_quantity": "1"}).status_code
        == 404
    )
    assert (
        client.post(
            reverse("catalog:price_list_list"), {"name": "X", "currency": "IRR"}
        ).status_code
        == 404
    )
    assert PriceListItem.objects.get().price == Decimal(900) and PriceList.objects.count() == 1


def test_missing_price_list_is_404(client_for: Any, manager: Any) -> None:
    assert (
        client_for(manager).get(reverse("catalog:price_list_detail", args=[999])).status_code == 404
    )


def test_bad_price_is_refused(client_for: Any, manager: Any) -> None:
    product = ProductFactory()
    price_list = create_price_list(actor=manager, name="R", currency="IRR")
    response = client_for(manager).post(
        reverse("catalog:price_list_detail", args=[price_list.pk]),
        {"product": product.pk, "price": "-1", "min_quantity": "1"},
    )
    assert response.status_code == 400
    assert not PriceListItem.objects.exists()


# --- currencies and rates -----------------------------------------------------


def test_currencies(client_for: Any, manager: Any, sales1: Any) -> None:
    page = client_for(sales1).get(reverse("catalog:currency_list"))
    assert page.status_code == 200 and "IRR" in page.text
    assert (
        client_for(sales1)
        .post(
            reverse("catalog:currency_list"),
            {"code": "CHF", "name": "Franc", "decimal_places": "2"},
        )
        .status_code
        == 404
    )
    response = client_for(manager).post(
        reverse("catalog:currency_list"), {"code": "CHF", "name": "Franc", "decimal_places": "2"}
    )
    assert response.status_code == 302
    bad = client_for(manager).post(
        reverse("catalog:currency_list"), {"code": "QQQ", "name": "Nope", "decimal_places": "2"}
    )
    assert bad.status_code == 400
    assert set(Currency.objects.values_list("code", flat=True)) == {
        "IRR",
        "USD",
        "EUR",
        "AED",
        "GBP",
        "TRY",
        "CHF",
    }


def test_rates_list_add_and_refusal(
    client_for: Any, manager: Any, sales1: Any, sales2: Any
) -> None:
    url = reverse("catalog:rate_list")
    data = {"date": "2026-01-01", "base": "USD", "quote": "IRR", "rate": "600000", "source": "CBI"}
    assert client_for(sales1).post(url, data).status_code == 404
    assert not ExchangeRate.objects.exists()
    assert client_for(manager).post(url, data).status_code == 302
    assert client_for(manager).post(url, {**data, "quote": "USD"}).status_code == 400
    page = client_for(sales2).get(url, {"currency": "USD"})
    assert page.status_code == 200 and "CBI" in page.text
    assert "1 USD = 600000 IRR" in page.text
    assert ExchangeRate.objects.count() == 1


def test_rate_import_reports_bad_rows(client_for: Any, manager: Any, sales1: Any) -> None:
    url = reverse("catalog:rate_import")
    csv = b"date,base,quote,rate\n2026-01-01,USD,IRR,600000\n2026-01-02,USD,IRR,zero\n"
    assert client_for(sales1).get(url).status_code == 404
    speak_persian(manager)  # the reason must arrive in the reader's language
    response = client_for(manager).post(url, {"file": SimpleUploadedFile("r.csv", csv)})
    assert response.status_code == 400
    assert '<td class="ltr">rate</td><td>یک عدد وارد کنید.</td>' in response.text
    assert not ExchangeRate.objects.exists()
    good = b"date,base,quote,rate\n2026-01-01,USD,IRR,600000\n"
    response = client_for(manager).post(url, {"file": SimpleUploadedFile("r.csv", good)})
    assert response.status_code == 302
    assert ExchangeRate.objects.count() == 1
