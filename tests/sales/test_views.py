from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse
from djmoney.money import Money

from peyvand.sales.models import Order, Payment
from peyvand.sales.services import record_payment
from tests.catalog.factories import ProductFactory
from tests.conftest import speak_persian
from tests.factories import CustomerFactory
from tests.sales.factories import make_order


def new_order_data(**overrides: str) -> dict[str, str]:
    data = {
        "currency": "IRR",
        "channel": "sales",
        "ordered_on": "",
        "external_ref": "",
        "notes": "",
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "1",
        "lines-MAX_NUM_FORMS": "200",
        "lines-0-product": "",
        "lines-0-description": "Setup fee",
        "lines-0-quantity": "2",
        "lines-0-unit_price": "1500",
        "lines-0-discount_percent": "",
    }
    data.update(overrides)
    return data


# --- list -----------------------------------------------------------------


def test_list_shows_only_the_users_orders(
    client_for: Any, sales1: Any, sales2: Any, customer1: Any, customer2: Any
) -> None:
    mine = make_order(customer1, actor=sales1)
    theirs = make_order(customer2, actor=sales2)
    response = client_for(sales1).get(reverse("sales:order_list"))
    assert response.status_code == 200
    assert mine.number in response.text
    assert theirs.number not in response.text


def test_manager_sees_every_order(
    client_for: Any, manager: Any, customer1: Any, customer2: Any
) -> None:
    orders = [make_order(customer1), make_order(customer2)]
    response = client_for(manager).get(reverse("sales:order_list"))
    assert all(o.number in response.text for o in orders)


def test_marketing_has_no_order_list(client_for: Any, marketing1: Any) -> None:
    assert client_for(marketing1).get(reverse("sales:order_list")).status_code == 404


def test_list_filters_by_status_currency_and_date(
    client_for: Any, manager: Any, customer1: Any
) -> None:
    import datetime as dt

    from django.utils import timezone

    old = make_order(
        customer1,
        currency="USD",
        unit_price="5",
        ordered_at=timezone.make_aware(dt.datetime(2025, 3, 1, 12)),
    )
    new = make_order(customer1, status="draft")
    client = client_for(manager)
    usd = client.get(reverse("sales:order_list"), {"currency": "USD"}).text
    assert old.number in usd and new.number not in usd
    drafts = client.get(reverse("sales:order_list"), {"status": "draft"}).text
    assert new.number in drafts and old.number not in drafts
    # Jalali 1404/01/01 is 2025-03-21: only the newer order is on or after it.
    since = client.get(reverse("sales:order_list"), {"date_from": "۱۴۰۴/۰۱/۰۱"}).text
    assert new.number in since and old.number not in since
    until = client.get(reverse("sales:order_list"), {"date_to": "2025-03-01"}).text
    assert old.number in until and new.number not in until


def test_list_empty_state_and_jalali_dates(client_for: Any, sales1: Any) -> None:
    response = client_for(sales1).get(reverse("sales:order_list"))
    assert "There are no orders yet" in response.text or "سفارشی" in response.text


def test_list_query_count_does_not_grow_with_orders(
    client_for: Any, manager: Any, customer1: Any, django_assert_max_num_queries: Any
) -> None:
    for _ in range(30):
        order = make_order(customer1)
        record_payment(order, actor=None, amount=Decimal(100), method="cash")
    client = client_for(manager)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("sales:order_list"))
    assert response.status_code == 200
    assert "Page" in response.text or "صفحه" in response.text


def test_list_shows_amounts_and_persian_digits_in_persian(
    client_for: Any, sales1: Any, customer1: Any
) -> None:
    make_order(customer1, actor=sales1, unit_price="1234567")
    speak_persian(sales1)
    response = client_for(sales1).get(reverse("sales:order_list"))
    digits_only = response.text.replace(",", "").replace("٬", "")
    assert "۱۲۳۴۵۶۷ IRR" in digits_only


# --- detail ---------------------------------------------------------------


def test_detail_of_another_reps_order_is_404(
    client_for: Any, sales1: Any, sales2: Any, customer1: Any
) -> None:
    order = make_order(customer1, actor=sales1)
    assert client_for(sales2).get(reverse("sales:order_detail", args=[order.pk])).status_code == 404
    assert client_for(sales1).get(reverse("sales:order_detail", args=[order.pk])).status_code == 200


def test_missing_order_is_404(client_for: Any, manager: Any) -> None:
    assert client_for(manager).get(reverse("sales:order_detail", args=[999999])).status_code == 404


def test_detail_shows_lines_payments_and_balance(
    client_for: Any, sales2: Any, customer2: Any
) -> None:
    order = make_order(customer2, actor=sales2, unit_price="1000", quantity="30")
    record_payment(order, actor=sales2, amount=Decimal(28200), method="card", reference="R-77")
    response = client_for(sales2).get(reverse("sales:order_detail", args=[order.pk]))
    assert "Consulting" in response.text
    assert '<td class="num">30</td>' in response.text
    assert "R-77" in response.text
    assert "1,800 IRR" in response.text  # balance, shown with English digits to sales2


def test_service_agent_sees_department_orders_but_cannot_pay(
    client_for: Any, service1: Any, manager: Any
) -> None:
    from peyvand.access.models import Department

    customer = CustomerFactory(department=Department.objects.get(code="service"))
    order = make_order(customer)
    client = client_for(service1)
    response = client.get(reverse("sales:order_detail", args=[order.pk]))
    assert response.status_code == 200
    assert "Record payment" not in response.text and "ثبت پرداخت" not in response.text
    pay = client.post(
        reverse("sales:order_pay", args=[order.pk]), {"amount": "1", "method": "cash"}
    )
    assert pay.status_code == 404
    assert not Payment.objects.exists()


def test_notes_and_descriptions_are_escaped(client_for: Any, sales1: Any, customer1: Any) -> None:
    from peyvand.sales.services import create_order

    order = create_order(
        actor=sales1,
        customer=customer1,
        currency="IRR",
        notes="<script>alert(1)</script>",
        lines=[{"product": None, "description": "<b>bold</b>", "quantity": 1, "unit_price": 5}],
    )
    text = client_for(sales1).get(reverse("sales:order_detail", args=[order.pk])).text
    assert "<script>alert(1)</script>" not in text and "&lt;script&gt;" in text
    assert "<b>bold</b>" not in text and "&lt;b&gt;bold&lt;/b&gt;" in text


# --- payments and cancel --------------------------------------------------


def test_record_payment_through_the_form(client_for: Any, sales1: Any, customer1: Any) -> None:
    order = make_order(customer1, actor=sales1, unit_price="1000")
    response = client_for(sales1).post(
        reverse("sales:order_pay", args=[order.pk]),
        {"amount": "۴۰۰", "method": "card", "reference": "T1"},
    )
    assert response.status_code == 302
    assert Payment.objects.get().amount == Money(400, "IRR")


def test_overpayment_through_the_form_is_refused(
    client_for: Any, sales2: Any, customer2: Any
) -> None:
    order = make_order(customer2, actor=sales2, unit_price="1000")
    response = client_for(sales2).post(
        reverse("sales:order_pay", args=[order.pk]), {"amount": "1001", "method": "card"}
    )
    assert response.status_code == 400
    assert "exceeds what is still owed" in response.text
    assert not Payment.objects.exists()


def test_payment_on_another_reps_order_is_404(
    client_for: Any, sales1: Any, sales2: Any, customer1: Any
) -> None:
    order = make_order(customer1, actor=sales1)
    response = client_for(sales2).post(
        reverse("sales:order_pay", args=[order.pk]), {"amount": "1", "method": "card"}
    )
    assert response.status_code == 404
    assert not Payment.objects.exists()


def test_cancel(client_for: Any, sales1: Any, sales2: Any, customer1: Any) -> None:
    order = make_order(customer1, actor=sales1)
    url = reverse("sales:order_cancel", args=[order.pk])
    assert client_for(sales2).post(url).status_code == 404
    assert Order.objects.get(pk=order.pk).status == "confirmed"
    assert client_for(sales1).post(url).status_code == 302
    assert Order.objects.get(pk=order.pk).status == "cancelled"


# --- create ---------------------------------------------------------------


def test_create_order_through_the_form(client_for: Any, sales2: Any, customer2: Any) -> None:
    product = ProductFactory(unit_price=Money(2500, "IRR"))
    data = new_order_data(
        **{
            "lines-TOTAL_FORMS": "2",
            "lines-1-product": str(product.pk),
            "lines-1-description": "",
            "lines-1-quantity": "۲",
            "lines-1-unit_price": "",
            "lines-1-discount_percent": "10",
            "channel": "phone",
        }
    )
    url = reverse("sales:order_create") + f"?customer={customer2.pk}"
    response = client_for(sales2).post(url, data)
    assert response.status_code == 302, response.text
    order = Order.objects.get()
    assert order.customer == customer2 and order.channel == "phone"
    # 2 × 1500 + 2 × 2500 × 0.9
    assert order.total == Money(7500, "IRR")
    assert response["Location"] == reverse("sales:order_detail", args=[order.pk])


def test_create_form_for_another_reps_customer_is_404(
    client_for: Any, sales1: Any, customer2: Any
) -> None:
    url = reverse("sales:order_create") + f"?customer={customer2.pk}"
    client = client_for(sales1)
    assert client.get(url).status_code == 404
    assert client.post(url, new_order_data()).status_code == 404
    assert not Order.objects.exists()


def test_marketing_cannot_create_orders(client_for: Any, marketing1: Any, customer1: Any) -> None:
    url = reverse("sales:order_create") + f"?customer={customer1.pk}"
    assert client_for(marketing1).get(url).status_code == 404


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("lines-0-quantity", "0"),
        ("lines-0-quantity", "abc"),
        ("lines-0-discount_percent", "150"),
        ("lines-0-unit_price", "12.5"),
        ("lines-0-description", ""),
        ("currency", "XXX"),
    ],
)
def test_bad_order_input_shows_errors_and_saves_nothing(
    client_for: Any, sales1: Any, customer1: Any, field: str, value: str
) -> None:
    url = reverse("sales:order_create") + f"?customer={customer1.pk}"
    response = client_for(sales1).post(url, new_order_data(**{field: value}))
    assert response.status_code == 400
    assert 'class="field-error"' in response.text or "errorlist" in response.text
    assert not Order.objects.exists()


def test_product_without_price_in_order_currency_needs_a_price(
    client_for: Any, sales1: Any, customer1: Any
) -> None:
    product = ProductFactory(unit_price=Money(10, "USD"))
    url = reverse("sales:order_create") + f"?customer={customer1.pk}"
    data = new_order_data(
        **{"lines-0-product": str(product.pk), "lines-0-unit_price": "", "lines-0-description": ""}
    )
    response = client_for(sales1).post(url, data)
    assert response.status_code == 400
    assert not Order.objects.exists()


def test_new_order_page_and_htmx_line(client_for: Any, sales1: Any, customer1: Any) -> None:
    client = client_for(sales1)
    page = client.get(reverse("sales:order_create") + f"?customer={customer1.pk}")
    assert page.status_code == 200
    assert 'hx-get="/sales/orders/new/line/"' in page.text
    line = client.get(
        reverse("sales:order_line"), {"lines-TOTAL_FORMS": "3"}, HTTP_HX_REQUEST="true"
    )
    assert line.status_code == 200
    assert 'name="lines-3-quantity"' in line.text
    assert 'value="4"' in line.text and 'hx-swap-oob="true"' in line.text


def test_new_order_without_customer_goes_to_customers(client_for: Any, sales1: Any) -> None:
    response = client_for(sales1).get(reverse("sales:order_create"))
    assert response.status_code == 302
    assert response["Location"] == reverse("customers:list")
