from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.http import Http404
from django.utils import timezone
from djmoney.money import Money

from peyvand.access.models import Department
from peyvand.customers.access import get_customer_for
from peyvand.customers.models import Customer
from peyvand.customers.selectors import customer_360, customer_360_document
from peyvand.customers.services import add_relationship, set_consent
from peyvand.sales.models import Order
from tests.factories import CustomFieldDefinitionFactory, InteractionFactory, TaskFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def rich_customer(manager: Any, sales1: Any, sales2: Any, make_customer: Any) -> Any:
    CustomFieldDefinitionFactory(key="city", label="City", field_type="text", position=1)
    CustomFieldDefinitionFactory(key="vip", label="VIP", field_type="boolean", position=2)
    customer = make_customer(
        owner=sales1,
        display_name="Sara Customer",
        contact_points=[
            {"kind": "email", "value": "sara@example.com"},
            {"kind": "phone", "value": "09121234567"},
        ],
        tags=["vip"],
        custom={"city": "Isfahan", "vip": True},
    )
    friend = make_customer(owner=sales1, display_name="Friend")
    secret = make_customer(owner=sales2, display_name="Secret Partner")
    add_relationship(customer, friend, actor=manager, kind="household_of")
    add_relationship(secret, customer, actor=manager, kind="referred_by")
    set_consent(
        customer,
        actor=manager,
        channel="email",
        purpose="marketing",
        status="granted",
        source="web",
    )
    InteractionFactory.create_batch(12, customer=customer)
    for i, (amount, currency, status) in enumerate(
        [
            (100, "IRR", "confirmed"),
            (250, "IRR", "fulfilled"),
            (50, "USD", "confirmed"),
            (999, "IRR", "cancelled"),
        ]
    ):
        Order.objects.create(
            number=f"N{i}", customer=customer, total=Money(amount, currency), status=status
        )
    TaskFactory(customer=customer, title="Call back", assignee=sales1)
    TaskFactory(customer=customer, title="Done already", status="done")
    return customer


def test_360_content(rich_customer: Any, sales1: Any) -> None:
    view = customer_360(rich_customer, user=sales1)
    assert view["profile"] == rich_customer
    assert view["tags"] == ["vip"]
    assert [p.kind for p in view["contact_points"]] == ["email", "phone"]
    assert [(c.channel, c.status) for c in view["consents"]] == [("email", "granted")]
    # The partner owned by sales2 stays invisible to sales1, even as a relationship.
    assert [r.to_customer.display_name for r in view["relationships"]] == ["Friend"]
    assert len(view["latest_interactions"]) == 10
    totals = {t["currency"]: (t["count"], t["total"]) for t in view["order_totals"]}
    assert set(totals) == {"IRR", "USD"}
    assert totals["IRR"][0] == 2 and int(totals["IRR"][1]) == 350
    assert totals["USD"][0] == 1 and int(totals["USD"][1]) == 50
    assert [t.title for t in view["open_tasks"]] == ["Call back"]
    assert [(p["definition"].key, p["value"]) for p in view["custom_fields"]] == [
        ("city", "Isfahan"),
        ("vip", True),
    ]


def test_360_query_count_is_constant(
    rich_customer: Any, manager: Any, django_assert_max_num_queries: Any
) -> None:
    customer_360(rich_customer, user=manager)
    with django_assert_max_num_queries(10):
        customer_360(rich_customer, user=manager)
    InteractionFactory.create_batch(5, customer=rich_customer)
    TaskFactory.create_batch(3, customer=rich_customer)
    with django_assert_max_num_queries(10):
        customer_360(rich_customer, user=manager)


def test_marketer_sees_no_orders(rich_customer: Any, marketing1: Any) -> None:
    # Marketers may view customers of their department but have no right on orders.
    view = customer_360(rich_customer, user=marketing1)
    assert view["order_totals"] == []


def _page_parts(view: dict[str, Any]) -> dict[str, Any]:
    """The page's model instances reduced to what the API document carries."""
    return {
        "tags": view["tags"],
        "contact_points": [
            (p.id, p.kind, p.label, p.value, p.is_primary) for p in view["contact_points"]
        ],
        "consents": [
            (c.channel, c.purpose, c.status, c.source, c.recorded_at) for c in view["consents"]
        ],
        "relationships": sorted(
            (
                r.id,
                r.kind,
                r.note,
                r.from_customer_id,
                r.from_customer.display_name,
                r.to_customer_id,
                r.to_customer.display_name,
            )
            for r in view["relationships"]
        ),
        "interactions": [
            (i.id, i.channel, i.direction, i.occurred_at, i.subject, i.agent_id)
            for i in view["latest_interactions"]
        ],
        "orders": view["order_totals"],
        "tasks": [
            (t.id, t.title, t.status, t.priority, t.due_at, t.assignee_id, t.department_id)
            for t in view["open_tasks"]
        ],
        "custom": [(p["definition"].key, p["value"]) for p in view["custom_fields"]],
    }


def _document_parts(doc: dict[str, Any]) -> dict[str, Any]:
    def pk(obj: Any) -> Any:
        return obj.pk if obj is not None else None

    return {
        "tags": doc["tags"],
        "contact_points": [
            (p["id"], p["kind"], p["label"], p["value"], p["is_primary"])
            for p in doc["contact_points"]
        ],
        "consents": [
            (c["channel"], c["purpose"], c["status"], c["source"], c["recorded_at"])
            for c in doc["consents"]
        ],
        "relationships": sorted(
            (r["id"], r["kind"], r["note"], r["from_id"], r["from_name"], r["to_id"], r["to_name"])
            for r in doc["relationships"]
        ),
        "interactions": [
            (i["id"], i["channel"], i["direction"], i["occurred_at"], i["subject"], pk(i["agent"]))
            for i in doc["latest_interactions"]
        ],
        "orders": doc["order_totals"],
        "tasks": [
            (
                t["id"],
                t["title"],
                t["status"],
                t["priority"],
                t["due_at"],
                pk(t["assignee"]),
                pk(t["department"]),
            )
            for t in doc["open_tasks"]
        ],
        "custom": [(p["definition"].key, p["value"]) for p in doc["custom_fields"]],
    }


@pytest.mark.parametrize("persona", ["manager", "sales1", "sales2", "service1", "marketing1"])
def test_api_document_holds_exactly_what_the_page_shows(
    rich_customer: Any, persona: str, sales1: Any, request: Any
) -> None:
    """The API's folded query and the page's separate queries apply the same rights."""
    user = request.getfixturevalue(persona)
    soon = timezone.now() + dt.timedelta(days=2)
    sales = Department.objects.filter(members=sales1).first()
    TaskFactory(customer=rich_customer, title="Undated, urgent", priority=4)
    TaskFactory(customer=rich_customer, title="Dated", due_at=soon, department=sales)
    TaskFactory(customer=rich_customer, title="Dated earlier", due_at=soon - dt.timedelta(hours=1))
    InteractionFactory(
        customer=rich_customer,
        agent=sales1,
        subject="تماس با مشتری\u200cها 🙂 <b>x</b>",
        occurred_at=timezone.now() + dt.timedelta(minutes=1),
    )
    if not Customer.objects.visible_to(user).filter(pk=rich_customer.pk).exists():
        assert persona not in {"manager", "sales1"}
        with pytest.raises(Http404):
            customer_360_document(user, rich_customer.pk)
        return
    page = customer_360(get_customer_for(user, rich_customer.pk), user=user)
    doc = customer_360_document(user, rich_customer.pk)
    assert doc["profile"] == rich_customer
    assert _document_parts(doc) == _page_parts(page)
    if persona == "sales1":
        assert doc["latest_interactions"][0]["subject"] == "تماس با مشتری\u200cها 🙂 <b>x</b>"
        assert doc["latest_interactions"][0]["occurred_at"].tzinfo is not None
        assert [t["title"] for t in doc["open_tasks"]][-2:] == ["Undated, urgent", "Call back"]


def test_api_document_of_a_deleted_or_missing_customer_is_404(
    rich_customer: Any, manager: Any
) -> None:
    rich_customer.deleted_at = timezone.now()
    rich_customer.save(update_fields=["deleted_at"])
    for pk in (rich_customer.pk, 10**9, "x"):
        with pytest.raises(Http404):
            customer_360_document(manager, pk)


def test_api_document_query_count_is_constant(
    rich_customer: Any, manager: Any, django_assert_num_queries: Any
) -> None:
    customer_360_document(manager, rich_customer.pk)  # the user's roles, read once
    # The customer with every part folded in, order totals and custom field definitions too.
    with django_assert_num_queries(1):
        customer_360_document(manager, rich_customer.pk)
    InteractionFactory.create_batch(5, customer=rich_customer)
    TaskFactory.create_batch(3, customer=rich_customer)
    with django_assert_num_queries(1):
        customer_360_document(manager, rich_customer.pk)


def test_api_document_follows_the_users_current_rights(
    rich_customer: Any, sales1: Any, manager: Any
) -> None:
    other = Customer.objects.create(display_name="Another", owner=manager)
    assert customer_360_document(sales1, rich_customer.pk)["profile"] == rich_customer
    # Prepared once for sales1's rights, the query still answers for each customer asked.
    assert customer_360_document(manager, other.pk)["profile"] == other
    assert customer_360_document(manager, rich_customer.pk)["profile"] == rich_customer
    with pytest.raises(Http404):
        customer_360_document(sales1, other.pk)
    sales1.roles.clear()
    # A fresh user object, as the next request would read it.
    with pytest.raises(Http404):
        customer_360_document(type(sales1).objects.get(pk=sales1.pk), rich_customer.pk)
