"""Per-field history: the selector and the HTMX partial of the customer page."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from peyvand.audit.selectors import field_history
from peyvand.audit.services import record
from peyvand.customers.models import ContactPoint, Customer
from peyvand.desk.models import Task

pytestmark = pytest.mark.django_db


def _url(customer: Customer) -> str:
    return reverse("audit:customer_history", args=[customer.pk])


@pytest.fixture
def history(make_customer, sales1) -> Customer:
    customer = make_customer(sales1, "Sara")
    with record(customer, actor=sales1):
        customer.display_name = "Sara <b>Bold</b>"
        customer.notes = "VIP"
        customer.save()
    point = ContactPoint(customer=customer, kind="email", value="sara@example.com")
    with record(point, actor=sales1):
        point.save()
    return customer


def test_field_history_lists_changed_fields_newest_first(history, sales1) -> None:
    with translation.override("en"):
        entries = field_history(
            content_type_model=Customer, object_id=history.pk, customer_id=history.pk
        )
    assert [e.row.action for e in entries] == ["create", "update", "create"]
    update = entries[1]
    assert {c.name: (c.old, c.new) for c in update.changes} == {
        "display_name": ("Sara", "Sara <b>Bold</b>"),
        "notes": ("", "VIP"),
    }
    assert update.changes[0].label == "name"
    own = field_history(content_type_model="customers.Customer", object_id=history.pk)
    assert [e.row.action for e in own] == ["update", "create"]


def test_owner_gets_the_partial_escaped(history, sales1, client_for) -> None:
    response = client_for(sales1).get(_url(history), HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body
    assert "Sara &lt;b&gt;Bold&lt;/b&gt;" in body and "<b>Bold</b>" not in body
    assert "VIP" in body


def test_without_htmx_a_full_page_is_served(history, sales1, client_for) -> None:
    body = client_for(sales1).get(_url(history)).content.decode()
    assert "<html" in body and "VIP" in body


@pytest.mark.parametrize("persona", ["sales2", "marketing1"])
def test_other_personas_get_404(persona, personas, history, client_for) -> None:
    response = client_for(personas[persona]).get(_url(history), HTTP_HX_REQUEST="true")
    assert response.status_code == 404


def test_missing_customer_is_404(sales1, client_for) -> None:
    assert client_for(sales1).get(reverse("audit:customer_history", args=[999])).status_code == 404


def test_task_changes_stay_off_the_customer_page(history, sales1, client_for) -> None:
    task = Task(title="Secret task title", customer=history)
    with record(task, actor=sales1):
        task.save()
    body = client_for(sales1).get(_url(history), HTTP_HX_REQUEST="true").content.decode()
    assert "Secret task title" not in body


def test_jalali_time_in_persian(history, sales1, client_for) -> None:
    sales1.language = "fa"
    sales1.save()
    client = client_for(sales1)
    with translation.override("fa"):
        response = client.get(_url(history), HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="fa")
    body = response.content.decode()
    assert "۱۴" in body  # a Jalali year in Persian digits


def test_partial_query_count(history, sales1, client_for, django_assert_max_num_queries) -> None:
    client = client_for(sales1)
    client.get(_url(history), HTTP_HX_REQUEST="true")
    with django_assert_max_num_queries(10):
        client.get(_url(history), HTTP_HX_REQUEST="true")
