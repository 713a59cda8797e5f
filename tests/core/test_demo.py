"""The demo company: rich, bilingual, valid, and loaded twice without duplicates."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db.models import Count
from django.utils import timezone

from peyvand.access.defaults import PERSONAS
from peyvand.audit.models import ChangeLog
from peyvand.audit.services import verify_chain
from peyvand.catalog.models import Product
from peyvand.channels.models import Interaction
from peyvand.core.demo import load_demo_company
from peyvand.core.text import normalize_phone
from peyvand.customers.models import Consent, ContactPoint, Customer, Relationship
from peyvand.desk.models import Task
from peyvand.sales.models import Order, OrderLine, Payment

PERSIAN = re.compile("[\u0600-\u06ff]")
MODELS = [Customer, ContactPoint, Consent, Relationship, Product, Order, OrderLine, Payment]


def _counts() -> dict[str, int]:
    counts = {m.__name__: m.objects.count() for m in MODELS}
    counts["Interaction"] = Interaction.objects.count()
    counts["Task"] = Task.objects.count()
    counts["ChangeLog"] = ChangeLog.objects.count()
    return counts


@pytest.mark.django_db
def test_second_load_adds_nothing(personas: Any) -> None:
    load_demo_company()
    first = _counts()
    load_demo_company()
    assert _counts() == first
    assert first["Customer"] == 60
    assert verify_chain().ok


@pytest.mark.django_db
def test_customers_are_bilingual_with_contacts_tags_and_consent(personas: Any) -> None:
    load_demo_company()
    customers = Customer.objects.all()
    names = list(customers.values_list("display_name", flat=True))
    assert sum(bool(PERSIAN.search(n)) for n in names) >= 30
    assert sum(not PERSIAN.search(n) for n in names) >= 15
    assert any("ي" in n or "ك" in n for n in names)
    assert customers.filter(kind="organization").count() >= 10
    assert set(customers.values_list("preferred_language", flat=True)) == {"fa", "en"}
    for customer in customers.prefetch_related("contact_points", "tags"):
        assert customer.contact_points.filter(kind="phone").exists(), customer
        assert customer.tags.exists(), customer
        assert customer.owner_id is not None and customer.department_id is not None
    for value, normalized in ContactPoint.objects.filter(kind="phone").values_list(
        "value", "normalized"
    ):
        assert normalize_phone(value) == normalized
    assert Consent.objects.filter(status="granted").exists()
    assert Consent.objects.filter(status="withdrawn").exists()
    assert Relationship.objects.filter(kind="employee_of").exists()
    # The owner's persona sees their customers and not the other sales person's.
    sales1, sales2 = personas["sales1"], personas["sales2"]
    mine = set(Customer.objects.visible_to(sales1).values_list("pk", flat=True))
    theirs = set(Customer.objects.visible_to(sales2).values_list("pk", flat=True))
    assert mine and theirs and not mine & theirs


@pytest.mark.django_db
def test_orders_have_lines_and_payments_in_three_currencies(personas: Any) -> None:
    load_demo_company()
    orders = Order.objects.all()
    assert set(orders.values_list("total_currency", flat=True)) == {"IRR", "USD", "EUR"}
    assert set(orders.values_list("status", flat=True)) >= {"fulfilled", "confirmed", "cancelled"}
    for order in orders.prefetch_related("lines", "payments"):
        lines = list(order.lines.all())
        assert lines
        assert sum(line.line_total.amount for line in lines) == order.total.amount
        assert all(line.line_total.currency == order.total.currency for line in lines)
        paid = sum(p.amount.amount for p in order.payments.all())
        assert paid <= order.total.amount
        if order.status == "fulfilled":
            assert paid == order.total.amount
    per_customer = list(
        Customer.objects.annotate(n=Count("orders")).filter(n__gt=0).values_list("n", flat=True)
    )
    assert len(per_customer) > 20
    # Repeat purchase: loyal customers ordered many times.
    assert max(per_customer) >= 4


@pytest.mark.django_db
def test_interactions_span_channels_and_every_persona_has_a_desk(personas: Any) -> None:
    load_demo_company()
    channels = set(Interaction.objects.values_list("channel", flat=True))
    assert channels >= {"email", "sms", "phone", "chat", "visit", "note", "webform"}
    assert Interaction.objects.exclude(related_id="").exists()
    now = timezone.now()
    for username in PERSONAS:
        tasks = Task.objects.filter(assignee=personas[username])
        assert tasks.exists(), username
    overdue = Task.objects.filter(due_at__lt=now, status__in=["open", "in_progress"])
    assert overdue.count() >= 5
    assert Task.objects.filter(assignee=None, department__isnull=False).exists()
    # A task about a customer lands on the desk of someone who may see that customer.
    for task in Task.objects.exclude(customer=None).exclude(assignee=None):
        assert Customer.objects.visible_to(task.assignee).filter(pk=task.customer_id).exists(), (
            task.title
        )


@pytest.mark.django_db
def test_demo_customers_are_found_by_search(personas: Any) -> None:
    load_demo_company()
    found = set(Customer.objects.search("كريمي").values_list("display_name", flat=True))
    assert "فاطمه کریمی" in found
    assert "علي كريمي" in found
    phone = ContactPoint.objects.filter(kind="phone", normalized__startswith="+989").first()
    assert phone is not None
    national = "0" + phone.normalized[3:]
    assert phone.customer_id in set(Customer.objects.search(national).values_list("pk", flat=True))
