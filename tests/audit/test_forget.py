""" "Forget this person": hard erasure of personal data, itself audited."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone
from djmoney.money import Money

from peyvand.audit.models import ChangeLog
from peyvand.audit.recycle import forget_customer, tombstone_name
from peyvand.audit.services import record, verify_chain
from peyvand.channels.models import Interaction, InteractionAttachment
from peyvand.customers.models import Consent, ContactPoint, Customer, Relationship, Tag
from peyvand.sales.models import Order
from tests.factories import InteractionFactory

pytestmark = pytest.mark.django_db

PERSONAL = ["Leila", "Tehrani", "leila@example.com", "+989121234567", "Secret body", "Hidden"]


@pytest.fixture
def leila(make_customer, sales1) -> Customer:
    customer = make_customer(
        sales1, "Leila Tehrani", first_name="Leila", last_name="Tehrani", notes="Hidden notes"
    )
    customer.tags.add(Tag.objects.create(name="vip"))
    for kind, value in (("email", "leila@example.com"), ("phone", "+989121234567")):
        point = ContactPoint(customer=customer, kind=kind, value=value, normalized=value)
        with record(point, actor=sales1):
            point.save()
    Consent.objects.create(
        customer=customer,
        channel="email",
        purpose="marketing",
        status="granted",
        source="web form",
        recorded_at=timezone.now(),
    )
    friend = make_customer(sales1, "Friend")
    Relationship.objects.create(from_customer=friend, to_customer=customer, kind="household_of")
    interaction = InteractionFactory(customer=customer, subject="Hidden call", body="Secret body")
    InteractionAttachment.objects.create(
        interaction=interaction,
        file=ContentFile(b"scan of a passport", name="passport.pdf"),
        filename="passport.pdf",
        content_type="application/pdf",
        size=18,
    )
    Order.objects.create(number="ORD-1", customer=customer, total=Money(5000, "IRR"))
    with record(customer, actor=sales1):
        customer.display_name = "Leila T."
        customer.save()
    return customer


def test_forget_erases_personal_data_and_keeps_a_clean_forget_row(
    leila, manager, django_capture_on_commit_callbacks
) -> None:
    stored = InteractionAttachment.objects.get().file.name
    assert default_storage.exists(stored)

    with django_capture_on_commit_callbacks(execute=True):
        erased = forget_customer(leila, actor=manager, reason="Customer asked, ticket 12")

    assert erased["contact_points"] == 2 and erased["consents"] == 1
    assert erased["relationships"] == 1 and erased["attachments"] == 1
    assert erased["interactions"] == 1
    leila.refresh_from_db()
    assert leila.display_name == tombstone_name(leila.pk)
    assert (leila.first_name, leila.last_name, leila.notes, leila.custom) == ("", "", "", {})
    assert not leila.tags.exists()
    assert not ContactPoint.objects.filter(customer=leila).exists()
    assert not Consent.objects.filter(customer=leila).exists()
    interaction = Interaction.objects.get(customer=leila)
    assert (interaction.subject, interaction.body) == ("", "")
    assert not default_storage.exists(stored)
    assert Order.objects.filter(customer=leila).count() == 1

    forget = ChangeLog.objects.get(action="forget")
    assert forget.actor == manager and forget.customer_id == leila.pk
    assert forget.before is None and forget.after["reason"] == "Customer asked, ticket 12"
    older = ChangeLog.objects.filter(customer_id=leila.pk, seq__lt=forget.seq)
    assert older.exists() and all(row.redacted for row in older)
    everything = json.dumps(
        list(ChangeLog.objects.filter(customer_id=leila.pk).values()), default=str
    )
    for value in PERSONAL:
        assert value not in everything
    assert verify_chain().ok


def test_forget_follows_records_merged_into_the_person(leila, manager, make_customer) -> None:
    from peyvand.customers.services import merge_customers

    older = make_customer(manager, "Leyla Tehrani-Old", first_name="Leyla", notes="Old notes")
    oldest = make_customer(manager, "L. Tehrani", notes="Oldest notes")
    merge_customers(older, oldest, actor=manager)
    merge_customers(leila, older, actor=manager)

    erased = forget_customer(leila, actor=manager, reason="Asked twice")

    for person in (older, oldest):
        person = Customer._base_manager.get(pk=person.pk)
        assert person.display_name == tombstone_name(person.pk)
        assert (person.first_name, person.notes) == ("", "")
    forgotten = set(ChangeLog.objects.filter(action="forget").values_list("customer_id", flat=True))
    assert forgotten == {leila.pk, older.pk, oldest.pk}
    everything = json.dumps(list(ChangeLog.objects.values("before", "after", "object_repr")))
    for value in ("Leyla", "Old notes", "Oldest notes", "L. Tehrani", *PERSONAL):
        assert value not in everything
    assert erased["contact_points"] == 2
    assert verify_chain().ok


def test_only_managers_may_forget(leila, sales1) -> None:
    before = ChangeLog.objects.count()
    with pytest.raises(PermissionDenied):
        forget_customer(leila, actor=sales1, reason="because")
    leila.refresh_from_db()
    assert leila.first_name == "Leila" and ContactPoint.objects.filter(customer=leila).count() == 2
    assert ChangeLog.objects.count() == before


def test_a_reason_is_required(leila, manager) -> None:
    with pytest.raises(ValidationError) as exc:
        forget_customer(leila, actor=manager, reason="   ")
    assert "reason" in exc.value.message_dict
    assert Customer.objects.get(pk=leila.pk).first_name == "Leila"


def test_forget_view_is_404_for_non_managers(leila, sales1, client_for) -> None:
    url = reverse("audit:forget_customer", args=[leila.pk])
    client = client_for(sales1)
    assert client.get(url).status_code == 404
    assert client.post(url, {"reason": "x", "confirm": "on"}).status_code == 404
    assert Customer.objects.get(pk=leila.pk).first_name == "Leila"


def test_forget_view_needs_confirmation(leila, manager, client_for) -> None:
    url = reverse("audit:forget_customer", args=[leila.pk])
    response = client_for(manager).post(url, {"reason": "asked"})
    assert response.status_code == 200 and response.context["form"].errors["confirm"]
    assert Customer.objects.get(pk=leila.pk).first_name == "Leila"


def test_forget_view_erases_and_shows_the_log(leila, manager, client_for) -> None:
    url = reverse("audit:forget_customer", args=[leila.pk])
    client = client_for(manager)
    assert client.get(url).status_code == 200
    response = client.post(url, {"reason": "asked <b>by</b> email", "confirm": "on"}, follow=True)
    assert response.status_code == 200
    assert Customer.objects.get(pk=leila.pk).first_name == ""
    body = response.content.decode()
    assert "Leila" not in body
    forget = ChangeLog.objects.get(action="forget")
    detail = client.get(reverse("audit:detail", args=[forget.seq])).content.decode()
    assert "asked &lt;b&gt;by&lt;/b&gt; email" in detail
