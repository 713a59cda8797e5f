"""Lead services: capture and validation, duplicate check, round robin, conversion."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import connection, connections

from peyvand.access.defaults import ensure_departments_and_roles, ensure_persona
from peyvand.access.models import Department, Role, User
from peyvand.audit.models import ChangeLog
from peyvand.catalog.services import ensure_currencies
from peyvand.core.problems import ServiceError
from peyvand.customers.models import Customer, Relationship
from peyvand.customers.services import create_customer
from peyvand.sales.capture import capture_lead
from peyvand.sales.choices import LeadStatus, OpportunityStatus
from peyvand.sales.leads import (
    assign_lead,
    convert_lead,
    find_duplicates,
    set_lead_status,
)
from peyvand.sales.models import Lead, LeadSource, Opportunity, StageHistory
from peyvand.sales.services import NotFound
from tests.conftest import PASSWORD
from tests.sales.pipeline_factories import make_lead


def _sales() -> Department:
    return Department.objects.get(code="sales")


def test_create_lead_normalises_contacts_keeps_campaign_and_is_audited(sales1: Any) -> None:
    source = LeadSource.objects.create(code="web", name="Website", name_fa="وبسایت")
    lead, duplicates = capture_lead(
        actor=sales1,
        name="Sara  Karimi",
        company="Arian Co",
        email=" Sara@Example.COM ",
        phone="۰۹۱۲۱۲۳۴۵۶۷",
        source=source,
        owner=sales1,
        department=_sales(),
        utm_source="google",
        utm_campaign="spring",
        referrer="https://example.com/landing",
    )
    assert not duplicates
    lead.refresh_from_db()
    assert (lead.email, lead.phone) == ("sara@example.com", "+989121234567")
    assert (lead.utm_source, lead.utm_campaign, lead.status) == ("google", "spring", "new")
    assert lead.referrer == "https://example.com/landing"
    log = ChangeLog.objects.get(
        content_type=ContentType.objects.get_for_model(Lead), object_id=str(lead.pk)
    )
    assert log.action == "create" and log.actor_id == sales1.pk
    assert log.after["email"] == "sara@example.com"


def test_bad_lead_names_every_field_and_writes_nothing(sales1: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        capture_lead(actor=sales1, email="not-an-email", phone="123", utm_source="x" * 101)
    assert set(caught.value.message_dict) == {"name", "email", "phone", "utm_source"}
    with pytest.raises(ValidationError) as caught:
        capture_lead(actor=sales1, name="Nobody")
    assert "email" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        capture_lead(actor=sales1, name="X", email="x@example.com", status="converted")
    assert "status" in caught.value.message_dict
    assert not Lead.objects.exists()
    assert not ChangeLog.objects.exists()


def test_duplicates_match_customer_contacts_and_open_leads_within_scope(
    sales1: Any, sales2: Any, manager: Any
) -> None:
    create_customer(
        actor=sales1,
        display_name="Mine",
        owner=sales1,
        contact_points=[{"kind": "email", "value": "dup@example.com"}],
    )
    create_customer(
        actor=sales2,
        display_name="Theirs",
        owner=sales2,
        contact_points=[{"kind": "phone", "value": "09121112233"}],
    )
    earlier = make_lead(sales1, name="Earlier", phone="+98 912 111 2233")
    make_lead(sales1, name="Closed", email="dup@example.com")
    Lead.objects.filter(name="Closed").update(status=LeadStatus.DISQUALIFIED)

    lead, duplicates = capture_lead(
        actor=sales1, name="New", email="DUP@example.com", phone="0912 111 2233", owner=sales1
    )
    assert [c.display_name for c in duplicates.customers] == ["Mine"]
    # The disqualified lead is not open; the lead itself is not its own duplicate.
    assert duplicates.leads == [earlier]
    # sales2's customer shares the phone: counted, not shown.
    assert duplicates.hidden == 1
    everything = find_duplicates(
        email="dup@example.com", phone="09121112233", actor=manager, exclude=lead
    )
    assert {c.display_name for c in everything.customers} == {"Mine", "Theirs"}
    assert everything.hidden == 0


def _rep(username: str) -> User:
    user = User.objects.create_user(username, password=PASSWORD)
    user.departments.add(_sales())
    user.roles.add(Role.objects.get(code="sales_rep"))
    return user


def test_round_robin_takes_turns_among_the_departments_reps(
    sales1: Any, sales2: Any, manager: Any
) -> None:
    # The manager is in the sales department too, but managers are not dealt leads.
    manager.departments.add(_sales())
    inactive = _rep("gone")
    inactive.is_active = False
    inactive.save()
    leads = [
        capture_lead(actor=manager, name=f"L{i}", email=f"l{i}@example.com")[0] for i in range(5)
    ]
    owners = [assign_lead(lead, actor=manager, department=_sales()) for lead in leads]
    assert owners == [sales1, sales2, sales1, sales2, sales1]
    assert Lead.objects.get(pk=leads[1].pk).owner == sales2
    # A rep joining later simply takes the next turn after the last one served.
    newcomer = _rep("sales3")
    extra = capture_lead(actor=manager, name="Later", email="later@example.com")[0]
    assert assign_lead(extra, actor=manager, department=_sales()) == sales2
    another = capture_lead(actor=manager, name="Later 2", email="later2@example.com")[0]
    assert assign_lead(another, actor=manager, department=_sales()) == newcomer


def test_create_lead_can_assign_by_round_robin_even_for_an_own_scope_rep(
    sales1: Any, sales2: Any
) -> None:
    first, _ = capture_lead(
        actor=sales2, name="A", email="a@example.com", department=_sales(), assign=True
    )
    second, _ = capture_lead(
        actor=sales2, name="B", email="b@example.com", department=_sales(), assign=True
    )
    assert {first.owner, second.owner} == {sales1, sales2}


def test_round_robin_without_reps_is_refused(manager: Any) -> None:
    lead = capture_lead(actor=manager, name="A", email="a@example.com")[0]
    with pytest.raises(ServiceError) as caught:
        assign_lead(lead, actor=manager, department=Department.objects.get(code="marketing"))
    assert caught.value.field == "department"
    assert Lead.objects.get(pk=lead.pk).owner is None


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="concurrent writers need a server database"
)
@pytest.mark.django_db(transaction=True)
def test_concurrent_round_robin_deals_evenly() -> None:
    ensure_departments_and_roles()
    manager = ensure_persona("manager", PASSWORD)
    reps = [_rep(f"rep{i}") for i in range(4)]
    leads = [
        capture_lead(actor=manager, name=f"L{i}", email=f"l{i}@example.com")[0] for i in range(40)
    ]
    barrier = threading.Barrier(8)
    failures: list[BaseException] = []

    def work(chunk: list[Lead]) -> None:
        try:
            barrier.wait()
            for lead in chunk:
                assign_lead(lead, actor=manager, department=_sales())
        except BaseException as exc:
            failures.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(leads[i::8],)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    counts = Counter(Lead.objects.values_list("owner_id", flat=True))
    assert counts == {rep.pk: 10 for rep in reps}


def test_status_change_records_the_first_response_once(sales1: Any, sales2: Any) -> None:
    lead = make_lead(sales1)
    assert lead.first_response_at is None
    set_lead_status(lead, LeadStatus.CONTACTED, actor=sales1)
    lead.refresh_from_db()
    first = lead.first_response_at
    assert first is not None
    set_lead_status(lead, LeadStatus.QUALIFIED, actor=sales1)
    lead.refresh_from_db()
    assert (lead.status, lead.first_response_at) == (LeadStatus.QUALIFIED, first)
    with pytest.raises(NotFound):
        set_lead_status(lead, LeadStatus.DISQUALIFIED, actor=sales2)
    with pytest.raises(ServiceError):
        set_lead_status(lead, LeadStatus.CONVERTED, actor=sales1)


def _audited(model: Any, pk: int) -> list[str]:
    return list(
        ChangeLog.objects.filter(
            content_type=ContentType.objects.get_for_model(model), object_id=str(pk)
        ).values_list("action", flat=True)
    )


def test_convert_creates_company_contact_and_opportunity_in_one_audited_step(
    sales1: Any,
) -> None:
    ensure_currencies()
    lead = make_lead(sales1, name="Reza Hosseini", company="Arian Co", phone="09120000001")
    customer, opportunity = convert_lead(
        lead, actor=sales1, title="ERP rollout", amount="250000000", currency="IRR"
    )
    assert (customer.display_name, customer.kind, customer.owner) == (
        "Arian Co",
        "organization",
        sales1,
    )
    person = Customer.objects.get(display_name="Reza Hosseini")
    assert person.contact_points.get().normalized == "+989120000001"
    assert Relationship.objects.filter(
        from_customer=person, to_customer=customer, kind="employee_of"
    ).exists()
    assert (opportunity.customer, opportunity.title, opportunity.owner) == (
        customer,
        "ERP rollout",
        sales1,
    )
    assert str(opportunity.amount.currency) == "IRR" and opportunity.amount.amount == 250000000
    assert opportunity.stage.name == "Qualification"
    assert StageHistory.objects.filter(opportunity=opportunity, from_stage=None).count() == 1
    lead.refresh_from_db()
    assert lead.status == LeadStatus.CONVERTED
    assert (lead.converted_customer, lead.converted_opportunity) == (customer, opportunity)
    assert lead.converted_at is not None and lead.first_response_at is not None
    assert _audited(Customer, customer.pk) == ["create"]
    assert _audited(Customer, person.pk) == ["create"]
    assert _audited(Opportunity, opportunity.pk) == ["create"]
    assert _audited(Lead, lead.pk) == ["create", "update"]
    # The conversion shows on the new customer's history.
    assert ChangeLog.objects.filter(customer_id=customer.pk, object_id=str(lead.pk)).exists()


def test_convert_a_person_lead_gives_one_customer_with_the_contacts(sales1: Any) -> None:
    ensure_currencies()
    lead = make_lead(sales1, name="Sara", email="sara@example.com")
    customer, opportunity = convert_lead(lead, actor=sales1)
    assert customer.kind == "person"
    assert list(customer.contact_points.values_list("normalized", flat=True)) == [
        "sara@example.com"
    ]
    assert opportunity.title == "Sara"
    assert Customer.objects.count() == 1


def test_failed_conversion_changes_nothing(sales1: Any) -> None:
    ensure_currencies()
    lead = make_lead(sales1, name="Reza", company="Arian Co")
    changes = ChangeLog.objects.count()
    with pytest.raises(ValidationError) as caught:
        convert_lead(lead, actor=sales1, amount="-5", currency="IRR")
    assert "amount" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        convert_lead(lead, actor=sales1, currency="XXX")
    assert "currency" in caught.value.message_dict
    assert not Customer.objects.exists()
    assert not Opportunity.objects.exists()
    assert not Relationship.objects.exists()
    assert Lead.objects.get(pk=lead.pk).status == LeadStatus.NEW
    assert ChangeLog.objects.count() == changes


def test_convert_is_refused_twice_for_disqualified_and_out_of_scope(
    sales1: Any, sales2: Any
) -> None:
    ensure_currencies()
    lead = make_lead(sales1)
    with pytest.raises(NotFound):
        convert_lead(lead, actor=sales2)
    convert_lead(lead, actor=sales1)
    with pytest.raises(ServiceError) as caught:
        convert_lead(lead, actor=sales1)
    assert caught.value.code == "converted"
    other = make_lead(sales1, email="other@example.com")
    set_lead_status(other, LeadStatus.DISQUALIFIED, actor=sales1)
    with pytest.raises(ServiceError) as caught:
        convert_lead(other, actor=sales1)
    assert caught.value.code == "disqualified"
    assert Opportunity.objects.filter(status=OpportunityStatus.OPEN).count() == 1
