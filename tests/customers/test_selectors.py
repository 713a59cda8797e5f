from __future__ import annotations

from typing import Any

import pytest
from djmoney.money import Money

from peyvand.customers.selectors import customer_360
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
