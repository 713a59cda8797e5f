from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone
from djmoney.money import Money

from peyvand.audit.models import ChangeLog
from peyvand.audit.services import record
from peyvand.audit.timeline import customer_timeline
from peyvand.channels.services import log_interaction
from peyvand.desk.services import create_task
from peyvand.sales.models import Order
from tests.factories import InteractionFactory

pytestmark = pytest.mark.django_db


def _at(hours_ago: float) -> dt.datetime:
    return timezone.now() - dt.timedelta(hours=hours_ago)


@pytest.fixture
def history(sales1: Any, customer_of_sales1: Any) -> dict[str, Any]:
    """One customer with every kind of entry, at known distinct times."""
    customer = customer_of_sales1
    old_call = InteractionFactory(customer=customer, subject="Old call", occurred_at=_at(50))
    order = Order.objects.create(
        number="SO-1001", customer=customer, total=Money(1_500_000, "IRR"), ordered_at=_at(40)
    )
    email = InteractionFactory(
        customer=customer,
        channel="email",
        direction="outbound",
        subject="Quote",
        occurred_at=_at(30),
    )
    task = create_task(actor=sales1, title="Call back about the quote", customer=customer)
    task.__class__.objects.filter(pk=task.pk).update(created_at=_at(20))
    with record(customer, actor=sales1):
        customer.display_name = "Renamed customer"
        customer.notes = "VIP"
        customer.save()
    ChangeLog.objects.filter(content_type__model="customer").update(at=_at(5))
    return {"old_call": old_call, "order": order, "email": email, "task": task}


def test_entries_of_every_kind_are_merged_newest_first(
    sales1: Any, customer_of_sales1: Any, history: dict[str, Any]
) -> None:
    entries = customer_timeline(customer_of_sales1, user=sales1)
    assert [e.kind for e in entries] == ["change", "task", "interaction", "order", "interaction"]
    assert [e.at for e in entries] == sorted((e.at for e in entries), reverse=True)
    change, task, email, order, old_call = entries
    assert change.title.startswith("Changed: ")
    assert "name" in change.title and "notes" in change.title
    assert change.actor == "sales1"
    assert task.title == "Call back about the quote"
    assert task.url == f"/tasks/{history['task'].pk}/"
    assert (email.title, email.channel, email.direction) == ("Quote", "email", "outbound")
    assert email.url == f"/interactions/{history['email'].pk}/"
    assert order.title == "Order SO-1001"
    assert order.url == f"/sales/orders/{history['order'].pk}/"
    assert "1,500,000" in order.body
    assert old_call.title == "Old call"


def test_limit_and_before_page_through_without_gaps_or_repeats(
    sales1: Any, customer_of_sales1: Any, history: dict[str, Any]
) -> None:
    everything = customer_timeline(customer_of_sales1, user=sales1)
    first = customer_timeline(customer_of_sales1, user=sales1, limit=2)
    second = customer_timeline(customer_of_sales1, user=sales1, limit=2, before=first[-1].at)
    third = customer_timeline(customer_of_sales1, user=sales1, limit=2, before=second[-1].at)
    assert first + second + third == everything
    assert customer_timeline(customer_of_sales1, user=sales1, before=third[-1].at) == []


def test_entries_sharing_one_instant_are_never_split_across_pages(
    sales1: Any, customer_of_sales1: Any
) -> None:
    instant = _at(1)
    for n in range(5):
        InteractionFactory(customer=customer_of_sales1, subject=f"Burst {n}", occurred_at=instant)
    InteractionFactory(customer=customer_of_sales1, subject="Older", occurred_at=_at(2))
    first = customer_timeline(customer_of_sales1, user=sales1, limit=2)
    assert sorted(e.title for e in first) == [f"Burst {n}" for n in range(5)]
    rest = customer_timeline(customer_of_sales1, user=sales1, limit=2, before=first[-1].at)
    assert [e.title for e in rest if e.kind == "interaction"] == ["Older"]


def test_each_source_is_one_bounded_query(
    sales1: Any,
    customer_of_sales1: Any,
    history: dict[str, Any],
    django_assert_max_num_queries: Any,
) -> None:
    for hours in range(60):
        InteractionFactory(customer=customer_of_sales1, occurred_at=_at(hours + 0.5))
    customer_timeline(customer_of_sales1, user=sales1, limit=1)  # warm the role caches
    # Interactions, orders, tasks, changes, website visits, message opens and clicks, ideas
    # and idea votes: one each.
    with django_assert_max_num_queries(8):
        entries = customer_timeline(customer_of_sales1, user=sales1, limit=10)
    assert len(entries) == 10


def test_another_sales_rep_sees_nothing_of_someone_elses_customer(
    sales1: Any, sales2: Any, customer_of_sales1: Any, history: dict[str, Any]
) -> None:
    assert customer_timeline(customer_of_sales1, user=sales2) == []


def test_deleted_interactions_and_unrelated_customers_stay_out(
    manager: Any, sales1: Any, customer_of_sales1: Any, customer_of_sales2: Any
) -> None:
    kept = log_interaction(
        actor=sales1,
        customer=customer_of_sales1,
        channel="note",
        direction="internal",
        subject="kept",
    )
    gone = log_interaction(
        actor=sales1,
        customer=customer_of_sales1,
        channel="note",
        direction="internal",
        subject="gone",
    )
    gone.__class__.objects.filter(pk=gone.pk).update(deleted_at=timezone.now())
    InteractionFactory(customer=customer_of_sales2, subject="other customer")
    titles = {
        e.title
        for e in customer_timeline(customer_of_sales1, user=manager)
        if e.kind == "interaction"
    }
    assert titles == {kept.subject}


def test_history_of_a_merged_customer_appears_on_the_kept_one(manager: Any) -> None:
    from peyvand.customers.services import create_customer, merge_customers, update_customer

    keep = create_customer(actor=manager, display_name="Keep")
    drop = create_customer(actor=manager, display_name="Drop")
    update_customer(drop, actor=manager, notes="note written before the merge")
    merge_customers(keep, drop, actor=manager)
    titles = [e.title for e in customer_timeline(keep, user=manager) if e.kind == "change"]
    assert "Created: Drop" in titles
    assert any(title.startswith("Changed:") and "notes" in title.lower() for title in titles), (
        titles
    )
