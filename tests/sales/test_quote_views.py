"""Quote screens: list, form with lines, detail actions, print and PDF in the customer's
language; personas; hostile text; links from the customer 360 and opportunity pages."""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import sys
import zlib
from typing import Any

import pytest
from django.utils import timezone

from peyvand.sales.choices import QuoteStatus
from peyvand.sales.models import Order, Quote
from peyvand.sales.quotes import send_quote
from tests.conftest import speak_persian
from tests.sales.pipeline_factories import make_opportunity
from tests.sales.quote_factories import make_price_list, make_quote

pytestmark = pytest.mark.django_db


def _form(price_list: Any, lines: list[dict[str, str]], **extra: str) -> dict[str, str]:
    data = {
        "price_list": str(price_list.pk),
        "currency": "",
        "valid_until": "",
        "notes": "",
        "lines-TOTAL_FORMS": str(len(lines)),
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "1",
        "lines-MAX_NUM_FORMS": "200",
        **extra,
    }
    for index, line in enumerate(lines):
        for key, value in line.items():
            data[f"lines-{index}-{key}"] = value
    return data


def test_create_a_quote_from_the_form(client_for: Any, sales1: Any, customer1: Any) -> None:
    price_list, products = make_price_list()
    deal = make_opportunity(customer1, sales1)
    client = client_for(sales1)
    page = client.get(f"/sales/quotes/new/?opportunity={deal.pk}")
    assert page.status_code == 200 and "New quote for Ali Rezaei" in page.text
    response = client.post(
        f"/sales/quotes/new/?opportunity={deal.pk}",
        _form(
            price_list,
            [
                {"product": str(products["ERP-1"].pk), "quantity": "۲", "discount_percent": "10"},
                {"product": str(products["SUP-1"].pk), "quantity": "1", "tax_percent": "9"},
            ],
            notes="<script>alert(1)</script> سلام",
            valid_until="1405/10/10",
        ),
    )
    quote = Quote.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/sales/quotes/{quote.pk}/"
    assert quote.opportunity_id == deal.pk and quote.lines.count() == 2
    assert quote.lines.first().quantity == 2
    assert quote.valid_until == dt.date(2026, 12, 31)  # 1405/10/10 in the Jalali calendar
    detail = client.get(response["Location"])
    assert "&lt;script&gt;alert(1)&lt;/script&gt; سلام" in detail.text
    assert "<script>alert(1)" not in detail.text
    assert "Mark as sent" in detail.text


def test_a_refused_line_is_shown_on_that_line(client_for: Any, sales1: Any, customer1: Any) -> None:
    price_list, products = make_price_list()
    _, other = make_price_list(name="Other", prices={"ZZZ-9": "5"})
    response = client_for(sales1).post(
        f"/sales/quotes/new/?customer={customer1.pk}",
        _form(
            price_list,
            [
                {"product": str(products["ERP-1"].pk), "quantity": "1"},
                {"product": str(other["ZZZ-9"].pk), "quantity": "1"},
            ],
        ),
    )
    assert response.status_code == 400
    assert "Line 2: Product ZZZ-9 is not in the price list" in response.text
    assert Quote.objects.count() == 0


def test_persian_form_errors(client_for: Any, sales1: Any, customer1: Any) -> None:
    speak_persian(sales1)
    price_list, products = make_price_list()
    response = client_for(sales1).post(
        f"/sales/quotes/new/?customer={customer1.pk}",
        _form(
            price_list,
            [{"product": str(products["ERP-1"].pk), "quantity": "1", "tax_percent": "150"}],
        ),
    )
    assert response.status_code == 400
    assert 'dir="rtl"' in response.text and "مالیات" in response.text


def test_send_accept_goes_to_the_order(client_for: Any, sales1: Any, customer1: Any) -> None:
    quote = make_quote(customer1, actor=sales1)
    client = client_for(sales1)
    assert client.post(f"/sales/quotes/{quote.pk}/send/").status_code == 302
    response = client.post(f"/sales/quotes/{quote.pk}/accept/")
    order = Order.objects.get()
    assert response["Location"] == f"/sales/orders/{order.pk}/"
    page = client.get(response["Location"])
    assert quote.number in page.text and "Create a contract from this order" in page.text
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.ACCEPTED


def test_reject_with_a_reason(client_for: Any, sales1: Any, customer1: Any) -> None:
    quote = make_quote(customer1, actor=sales1)
    send_quote(quote, actor=sales1)
    client_for(sales1).post(f"/sales/quotes/{quote.pk}/reject/", {"reason": "Budget"})
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.REJECTED and quote.reject_reason == "Budget"


def test_edit_a_draft(client_for: Any, sales1: Any, customer1: Any) -> None:
    quote = make_quote(customer1, actor=sales1)
    product = quote.lines.get().product
    client = client_for(sales1)
    assert client.get(f"/sales/quotes/{quote.pk}/edit/").status_code == 200
    data = _form(quote.price_list, [{"product": str(product.pk), "quantity": "7"}])
    del data["price_list"], data["currency"]
    assert client.post(f"/sales/quotes/{quote.pk}/edit/", data).status_code == 302
    assert quote.lines.get().quantity == 7


def test_list_filters_and_empty_state(client_for: Any, sales1: Any, customer1: Any) -> None:
    client = client_for(sales1)
    assert "There are no quotes yet" in client.get("/sales/quotes/").text
    quote = make_quote(customer1, actor=sales1)
    assert quote.number in client.get("/sales/quotes/").text
    assert "No quote matches these filters" in client.get("/sales/quotes/?status=sent").text


def test_another_rep_gets_404_everywhere(
    client_for: Any, sales1: Any, sales2: Any, manager: Any, customer1: Any
) -> None:
    quote = make_quote(customer1, actor=sales1)
    other = client_for(sales2)
    assert quote.number not in other.get("/sales/quotes/").text
    for url in ("", "edit/", "print/", "pdf/"):
        assert other.get(f"/sales/quotes/{quote.pk}/{url}").status_code == 404, url
    for url in ("send/", "accept/", "reject/"):
        assert other.post(f"/sales/quotes/{quote.pk}/{url}").status_code == 404, url
    assert other.get(f"/sales/quotes/new/?customer={customer1.pk}").status_code == 404
    assert other.get(f"/sales/customers/{customer1.pk}/documents/").status_code == 404
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.DRAFT
    assert client_for(manager).get(f"/sales/quotes/{quote.pk}/").status_code == 200


def test_marketer_has_no_quote_screens(client_for: Any, marketing1: Any) -> None:
    assert client_for(marketing1).get("/sales/quotes/").status_code == 404


def test_print_is_in_the_customers_language(client_for: Any, sales1: Any, customer1: Any) -> None:
    customer1.preferred_language = "fa"
    customer1.save(update_fields=["preferred_language"])
    quote = make_quote(
        customer1, actor=sales1, issued_on=dt.date(2026, 3, 21), valid_until=dt.date(2027, 3, 20)
    )
    page = client_for(sales1).get(f"/sales/quotes/{quote.pk}/print/")  # read by an English user
    assert 'dir="rtl"' in page.text and 'lang="fa"' in page.text
    assert "۱۴۰۵/۰۱/۰۱" in page.text  # 2026-03-21 is Nowruz 1405
    assert "پیش‌فاکتور" in page.text
    customer1.preferred_language = "en"
    customer1.save(update_fields=["preferred_language"])
    page = client_for(sales1).get(f"/sales/quotes/{quote.pk}/print/")
    assert 'dir="ltr"' in page.text and "2026-03-21" in page.text and "Valid until" in page.text


def _pdf_objects(pdf: bytes) -> bytes:
    """The PDF's dictionaries, with its (deflated) object streams opened."""
    parts = [pdf]
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        with contextlib.suppress(zlib.error):
            parts.append(zlib.decompress(stream))
    return b"\n".join(parts)


@pytest.mark.parametrize("language", ["fa", "en"])
def test_pdf_is_one_page_set_in_vazirmatn(
    client_for: Any, sales1: Any, customer1: Any, language: str
) -> None:
    customer1.preferred_language = language
    customer1.save(update_fields=["preferred_language"])
    quote = make_quote(customer1, actor=sales1)
    response = client_for(sales1).get(f"/sales/quotes/{quote.pk}/pdf/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert quote.number in response["Content-Disposition"]
    objects = _pdf_objects(response.content)
    assert response.content.startswith(b"%PDF")
    assert re.search(rb"/BaseFont\s*/[A-Z]{6}\+Vazirmatn", objects)
    assert len(re.findall(rb"/Type\s*/Page\b", objects)) == 1


def test_pdf_without_the_system_libraries_points_to_the_print_page(
    client_for: Any, sales1: Any, customer1: Any, monkeypatch: Any
) -> None:
    # A machine set up with pip alone has WeasyPrint but may lack Pango/HarfBuzz; an entry
    # of None in sys.modules makes the import fail the way a missing library does.
    monkeypatch.setitem(sys.modules, "weasyprint", None)
    quote = make_quote(customer1, actor=sales1)
    response = client_for(sales1).get(f"/sales/quotes/{quote.pk}/pdf/", follow=True)
    assert response.redirect_chain[-1][0] == f"/sales/quotes/{quote.pk}/"
    assert "Pango and HarfBuzz are missing" in response.text


def test_customer_and_opportunity_cards_list_the_documents(
    client_for: Any, sales1: Any, customer1: Any
) -> None:
    deal = make_opportunity(customer1, sales1)
    quote = make_quote(customer1, actor=sales1, opportunity=deal)
    client = client_for(sales1)
    detail = client.get(f"/customers/{customer1.pk}/")
    assert f"/sales/customers/{customer1.pk}/documents/" in detail.text
    card = client.get(f"/sales/customers/{customer1.pk}/documents/")
    assert quote.number in card.text and "New contract" in card.text
    assert (
        f"/sales/opportunities/{deal.pk}/quotes/"
        in client.get(f"/sales/opportunities/{deal.pk}/").text
    )
    assert quote.number in client.get(f"/sales/opportunities/{deal.pk}/quotes/").text


def test_expired_quote_cannot_be_sent_from_the_screen(
    client_for: Any, sales1: Any, customer1: Any
) -> None:
    today = timezone.localdate()
    quote = make_quote(
        customer1,
        actor=sales1,
        issued_on=today - dt.timedelta(days=5),
        valid_until=today - dt.timedelta(days=1),
    )
    client = client_for(sales1)
    response = client.post(f"/sales/quotes/{quote.pk}/send/", follow=True)
    assert "This quote was valid until" in response.text
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.DRAFT
