"""Contract screens: list, renewals due, the form (from a customer or an order), renew and
cancel; personas; Jalali input; hostile text."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from peyvand.sales.choices import ContractStatus
from peyvand.sales.models import Contract
from tests.conftest import speak_persian
from tests.sales.factories import make_order
from tests.sales.quote_factories import make_contract

pytestmark = pytest.mark.django_db


def _form(**extra: str) -> dict[str, str]:
    return {
        "title": "Support",
        "start_date": "2026-01-01",
        "end_date": "2026-12-31",
        "renewal_date": "",
        "notice_days": "30",
        "value": "12000000",
        "currency": "IRR",
        "billing_period": "yearly",
        "notes": "",
        **extra,
    }


def test_create_from_an_order_prefills_and_links(
    client_for: Any, sales1: Any, customer1: Any
) -> None:
    order = make_order(customer1, actor=sales1, unit_price="7500000")
    client = client_for(sales1)
    page = client.get(f"/sales/contracts/new/?order={order.pk}")
    assert page.status_code == 200 and order.number in page.text and 'value="7500000"' in page.text
    response = client.post(
        f"/sales/contracts/new/?order={order.pk}",
        _form(
            title="<img src=x onerror=alert(1)> پشتیبانی",
            start_date="۱۴۰۴/۱۰/۱۱",
            end_date="1405/10/10",
        ),
    )
    contract = Contract.objects.get()
    assert response["Location"] == f"/sales/contracts/{contract.pk}/"
    assert contract.order_id == order.pk and contract.start_date == dt.date(2026, 1, 1)
    detail = client.get(response["Location"]).text
    assert "&lt;img src=x onerror=alert(1)&gt; پشتیبانی" in detail
    assert "<img src=x" not in detail


def test_bad_terms_show_on_the_field(client_for: Any, sales1: Any, customer1: Any) -> None:
    speak_persian(sales1)
    response = client_for(sales1).post(
        f"/sales/contracts/new/?customer={customer1.pk}", _form(renewal_date="2027-06-01")
    )
    assert response.status_code == 400
    assert "تاریخ تمدید باید در بازهٔ اعتبار قرارداد باشد." in response.text
    assert Contract.objects.count() == 0


def test_renew_and_cancel_from_the_detail_page(
    client_for: Any, sales1: Any, customer1: Any
) -> None:
    contract = make_contract(customer1, actor=sales1)
    client = client_for(sales1)
    assert "Renew contract" in client.get(f"/sales/contracts/{contract.pk}/").text
    response = client.post(f"/sales/contracts/{contract.pk}/renew/", {"end_date": "", "value": ""})
    renewal = Contract.objects.get(previous=contract)
    assert response["Location"] == f"/sales/contracts/{renewal.pk}/"
    client.post(f"/sales/contracts/{renewal.pk}/cancel/", {"reason": "Closed"})
    renewal.refresh_from_db()
    assert renewal.status == ContractStatus.CANCELLED
    bad = client.post(f"/sales/contracts/{renewal.pk}/renew/", {"end_date": "nope"})
    assert bad.status_code == 400


def test_lists_and_renewals_due(client_for: Any, sales1: Any, customer1: Any) -> None:
    client = client_for(sales1)
    assert "There are no contracts yet" in client.get("/sales/contracts/").text
    assert "No renewals are due" in client.get("/sales/contracts/renewals/").text
    today = timezone.localdate()
    due = make_contract(customer1, actor=sales1, start_date=today - dt.timedelta(days=340))
    later = make_contract(customer1, actor=sales1, title="Later")
    listing = client.get("/sales/contracts/").text
    assert due.number in listing and later.number in listing
    renewals = client.get("/sales/contracts/renewals/").text
    assert due.number in renewals and later.number not in renewals
    assert later.number not in client.get("/sales/contracts/?status=cancelled").text


def test_another_rep_gets_404(
    client_for: Any, sales1: Any, sales2: Any, service1: Any, customer1: Any
) -> None:
    contract = make_contract(
        customer1, actor=sales1, start_date=timezone.localdate() - dt.timedelta(days=340)
    )
    order = make_order(customer1, actor=sales1)
    other = client_for(sales2)
    assert contract.number not in other.get("/sales/contracts/").text
    assert contract.number not in other.get("/sales/contracts/renewals/").text
    assert other.get(f"/sales/contracts/{contract.pk}/").status_code == 404
    assert other.post(f"/sales/contracts/{contract.pk}/renew/").status_code == 404
    assert other.post(f"/sales/contracts/{contract.pk}/cancel/").status_code == 404
    assert other.get(f"/sales/contracts/new/?order={order.pk}").status_code == 404
    assert other.get(f"/sales/contracts/new/?customer={customer1.pk}").status_code == 404
    # A service agent may look at contracts but not start one.
    assert client_for(service1).get("/sales/contracts/new/").status_code == 404
    contract.refresh_from_db()
    assert contract.status == ContractStatus.ACTIVE
