"""The change-log page and the change detail page (managers only)."""

from __future__ import annotations

import datetime as dt

import jdatetime
import pytest
from django.urls import reverse
from django.utils import timezone

from peyvand.audit.models import ChangeLog
from peyvand.audit.recycle import soft_delete
from peyvand.audit.services import Change, record, write_changes
from peyvand.customers.models import Customer

pytestmark = pytest.mark.django_db

LOG = reverse("audit:log")


def _rows(response) -> list[int]:
    return [row.seq for row in response.context["page"].rows]


@pytest.mark.parametrize("persona", ["sales1", "sales2", "service1", "marketing1"])
def test_non_managers_get_404(persona, personas, make_customer, client_for) -> None:
    make_customer(personas["manager"])
    client = client_for(personas[persona])
    assert client.get(LOG).status_code == 404
    assert client.get(reverse("audit:detail", args=[1])).status_code == 404


def test_manager_reads_the_log_with_bounded_queries(
    make_customer, manager, sales1, client_for, django_assert_max_num_queries
) -> None:
    for i in range(10):
        make_customer(sales1 if i % 2 else manager, f"Customer {i}")
    client = client_for(manager)
    client.get(LOG)
    with django_assert_max_num_queries(10):
        response = client.get(LOG)
    assert response.status_code == 200
    assert _rows(response) == list(range(10, 0, -1))


def test_filters(make_customer, manager, sales1, client_for) -> None:
    ali = make_customer(sales1, "Ali")
    other = make_customer(manager, "Other")
    soft_delete(ali, actor=sales1)
    client = client_for(manager)

    assert _rows(client.get(LOG, {"action": "delete"})) == [3]
    assert _rows(client.get(LOG, {"actor": sales1.pk})) == [3, 1]
    assert _rows(client.get(LOG, {"customer_id": other.pk})) == [2]
    ct = ChangeLog.objects.get(seq=1).content_type_id
    assert _rows(client.get(LOG, {"content_type": ct, "object_id": ali.pk})) == [3, 1]


def test_date_range_in_either_calendar(make_customer, manager, client_for) -> None:
    make_customer(manager, "Old")
    make_customer(manager, "New")
    ChangeLog.objects.filter(seq=1).update(at=timezone.now() - dt.timedelta(days=40))
    client = client_for(manager)
    today = timezone.localdate()
    since = today - dt.timedelta(days=1)
    jalali_since = jdatetime.date.fromgregorian(date=since).strftime("%Y/%m/%d")
    persian_digits = jalali_since.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))

    assert _rows(client.get(LOG, {"date_from": since.isoformat()})) == [2]
    assert _rows(client.get(LOG, {"date_from": persian_digits})) == [2]
    assert _rows(client.get(LOG, {"date_to": since.isoformat()})) == [1]
    assert _rows(
        client.get(LOG, {"date_from": today.isoformat(), "date_to": today.isoformat()})
    ) == [2]


@pytest.mark.parametrize(
    "params",
    [
        {"date_from": "yesterday"},
        {"date_from": "1403/13/40"},
        {"date_from": "2024-05-02", "date_to": "2024-05-01"},
        {"customer_id": "-3"},
        {"action": "explode"},
    ],
)
def test_bad_filters_show_errors_and_no_rows(params, make_customer, manager, client_for) -> None:
    make_customer(manager)
    response = client_for(manager).get(LOG, params)
    assert response.status_code == 200
    assert response.context["page"] is None
    assert response.context["form"].errors
    assert 'class="errorlist"' in response.content.decode()


def test_keyset_pages(manager, client_for) -> None:
    customer = Customer.objects.create(display_name="Many changes")
    write_changes(
        [Change("update", customer, {"notes": str(i)}, {"notes": str(i + 1)}) for i in range(60)],
        actor=manager,
    )
    client = client_for(manager)
    first = client.get(LOG)
    assert _rows(first) == list(range(60, 10, -1))
    assert first.context["older_url"]
    second = client.get(LOG, {"before": 11})
    assert _rows(second) == list(range(10, 0, -1))
    assert not second.context["older_url"]


def test_detail_shows_the_diff_escaped(make_customer, manager, client_for) -> None:
    customer = make_customer(manager, "Plain")
    with record(customer, actor=manager):
        customer.display_name = "<img src=x onerror=alert(1)>"
        customer.notes = "line"
        customer.save()
    response = client_for(manager).get(reverse("audit:detail", args=[2]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "<img src=x" not in body
    assert "&lt;img src=x onerror=alert(1)&gt;" in body
    assert [c.name for c in response.context["changes"]] == ["display_name", "notes"]
    assert "<del>Plain</del>" in body


def test_detail_of_a_missing_row_is_404(manager, client_for) -> None:
    assert client_for(manager).get(reverse("audit:detail", args=[999])).status_code == 404


def test_persian_reader_gets_rtl_and_jalali_dates(make_customer, manager, client_for) -> None:
    manager.language = "fa"
    manager.save()
    make_customer(manager, "مشتری")
    body = client_for(manager).get(LOG, HTTP_ACCEPT_LANGUAGE="fa").content.decode()
    jalali_year = jdatetime.date.today().strftime("%Y")
    assert 'dir="rtl"' in body
    assert jalali_year.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")) in body
