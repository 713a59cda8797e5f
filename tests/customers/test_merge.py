from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from djmoney.money import Money

from peyvand.audit.models import ChangeLog
from peyvand.audit.services import verify_chain
from peyvand.channels.models import Interaction
from peyvand.customers.models import Consent, ContactPoint, Customer, Relationship
from peyvand.customers.services import (
    add_relationship,
    latest_merge_changes,
    merge_customers,
    set_consent,
    unmerge_customers,
    update_customer,
)
from peyvand.desk.models import Task
from peyvand.sales.models import Order
from tests.factories import InteractionFactory, TaskFactory

pytestmark = pytest.mark.django_db


def _state(*customers: Customer) -> dict[str, Any]:
    """Which customer every dependent row belongs to: what a merge must move and an
    unmerge must put back."""
    ids = [c.pk for c in customers]
    return {
        "contacts": sorted(
            ContactPoint.objects.filter(customer__in=ids).values_list(
                "pk", "customer_id", "is_primary"
            )
        ),
        "consents": sorted(
            Consent.objects.filter(customer__in=ids).values_list("pk", "customer_id", "status")
        ),
        "interactions": sorted(
            Interaction.objects.filter(customer__in=ids).values_list("pk", "customer_id")
        ),
        "orders": sorted(Order.objects.filter(customer__in=ids).values_list("pk", "customer_id")),
        "tasks": sorted(Task.objects.filter(customer__in=ids).values_list("pk", "customer_id")),
        "relationships": sorted(
            Relationship.objects.values_list("pk", "from_customer_id", "to_customer_id")
        ),
        "tags": {c.pk: sorted(c.tags.values_list("name", flat=True)) for c in customers},
    }


@pytest.fixture
def pair(manager: Any, make_customer: Any) -> tuple[Customer, Customer, Customer]:
    keep = make_customer(
        display_name="Ali Karimi",
        contact_points=[{"kind": "email", "value": "ali@example.com"}],
        tags=["vip"],
    )
    drop = make_customer(
        display_name="Ali Karimy",
        first_name="Ali",
        contact_points=[
            {"kind": "email", "value": "ali.k@example.com"},
            {"kind": "phone", "value": "09121234567"},
        ],
        tags=["newsletter"],
    )
    other = make_customer(display_name="Karimi Co", kind="organization")
    for customer in (keep, drop):
        InteractionFactory.create_batch(2, customer=customer)
        Order.objects.create(
            number=f"ORD-{customer.pk}", customer=customer, total=Money(1000, "IRR")
        )
        TaskFactory(customer=customer)
    set_consent(
        drop,
        actor=manager,
        channel="email",
        purpose="newsletter",
        status="granted",
        source="web",
    )
    add_relationship(drop, other, actor=manager, kind="employee_of")
    add_relationship(keep, drop, actor=manager, kind="household_of")
    return keep, drop, other


def test_merge_keeps_every_row_of_both(manager: Any, pair: Any) -> None:
    keep, drop, other = pair
    history_before = set(
        ChangeLog.objects.filter(customer_id__in=[keep.pk, drop.pk]).values_list("pk", flat=True)
    )
    merge_customers(keep, drop, actor=manager)

    assert ContactPoint.objects.filter(customer=keep).count() == 3
    assert ContactPoint.objects.filter(customer=keep, kind="email", is_primary=True).count() == 1
    assert Consent.objects.filter(customer=keep).count() == 1
    assert Interaction.objects.filter(customer=keep).count() == 4
    assert Order.objects.filter(customer=keep).count() == 2
    assert Task.objects.filter(customer=keep).count() == 2
    assert not Interaction.objects.filter(customer=drop).exists()
    # The employee link moved; the household link between the two became a self-link.
    assert list(Relationship.objects.values_list("from_customer_id", "to_customer_id")) == [
        (keep.pk, other.pk)
    ]
    keep.refresh_from_db()
    drop.refresh_from_db()
    assert keep.first_name == "Ali"  # a blank filled from the merged record
    assert set(keep.tags.values_list("name", flat=True)) == {"vip", "newsletter"}
    assert drop.merged_into_id == keep.pk and drop.deleted_at is not None
    assert not Customer.objects.alive().filter(pk=drop.pk).exists()
    assert list(Customer.objects.alive().search("09121234567")) == [keep]
    # No change-log row of either customer is lost, and the chain still verifies.
    assert history_before <= set(ChangeLog.objects.values_list("pk", flat=True))
    assert verify_chain().ok


def test_unmerge_restores_everything(manager: Any, pair: Any) -> None:
    keep, drop, _other = pair
    before = _state(keep, drop)
    relationships_before = before["relationships"]
    merged = merge_customers(keep, drop, actor=manager)
    (merge_row,) = latest_merge_changes(keep)
    assert merge_row.pk == merged._merge_change_id

    unmerge_customers(merge_row.pk, actor=manager)
    after = _state(keep, drop)
    assert after["contacts"] == before["contacts"]
    assert after["consents"] == before["consents"]
    assert after["interactions"] == before["interactions"]
    assert after["orders"] == before["orders"]
    assert after["tasks"] == before["tasks"]
    assert after["tags"] == before["tags"]
    assert sorted(r[1:] for r in after["relationships"]) == sorted(
        r[1:] for r in relationships_before
    )
    keep.refresh_from_db()
    drop.refresh_from_db()
    assert keep.first_name == ""
    assert drop.deleted_at is None and drop.merged_into_id is None
    assert list(Customer.objects.alive().search("09121234567")) == [drop]
    assert latest_merge_changes(keep) == []
    assert verify_chain().ok
    with pytest.raises(ValidationError):
        unmerge_customers(merge_row.pk, actor=manager)


def test_newer_consent_wins_and_unmerge_brings_back_both(manager: Any, make_customer: Any) -> None:
    keep, drop = make_customer(display_name="A"), make_customer(display_name="B")
    old = timezone.now() - dt.timedelta(days=10)
    set_consent(
        keep,
        actor=manager,
        channel="sms",
        purpose="marketing",
        status="granted",
        source="old form",
        recorded_at=old,
    )
    set_consent(
        drop,
        actor=manager,
        channel="sms",
        purpose="marketing",
        status="withdrawn",
        source="STOP reply",
    )
    before = _state(keep, drop)["consents"]
    merge_customers(keep, drop, actor=manager)
    (consent,) = Consent.objects.filter(customer=keep)
    assert consent.status == "withdrawn"
    unmerge_customers(latest_merge_changes(keep)[0].pk, actor=manager)
    assert _state(keep, drop)["consents"] == before


def test_unmerge_leaves_later_edits_alone(manager: Any, pair: Any) -> None:
    keep, drop, _other = pair
    merge_customers(keep, drop, actor=manager)
    update_customer(keep, actor=manager, notes="written after the merge")
    unmerge_customers(latest_merge_changes(keep)[0].pk, actor=manager)
    keep.refresh_from_db()
    assert keep.notes == "written after the merge"


def test_merge_refuses_nonsense(manager: Any, make_customer: Any) -> None:
    a = make_customer(display_name="A")
    with pytest.raises(ValidationError):
        merge_customers(a, a, actor=manager)
    b = make_customer(display_name="B")
    merge_customers(a, b, actor=manager)
    with pytest.raises(ValidationError):
        merge_customers(a, b, actor=manager)
    with pytest.raises(ValidationError):
        unmerge_customers(999999, actor=manager)
