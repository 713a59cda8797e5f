from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from peyvand.audit.models import ChangeLog
from peyvand.audit.services import verify_chain
from peyvand.customers.models import Consent, ContactPoint, Customer, Relationship, Tag
from peyvand.customers.search import name_key_for
from peyvand.customers.services import (
    add_contact_point,
    add_relationship,
    create_customer,
    delete_customer,
    remove_contact_point,
    set_consent,
    update_customer,
    validate_custom_fields,
)
from tests.factories import CustomFieldDefinitionFactory

pytestmark = pytest.mark.django_db


def _errors(exc: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return exc.value.message_dict


def test_create_normalises_contacts_and_writes_audit(manager: Any) -> None:
    customer = create_customer(
        actor=manager,
        display_name="  علي كريمي  ",
        contact_points=[
            {"kind": "phone", "value": "۰۹۱۲ ۱۲۳ ۴۵۶۷"},
            {"kind": "email", "value": " Ali.Karimi@Example.COM "},
            {"kind": "address", "value": "تهران، خیابان ولیعصر"},
        ],
        tags=["VIP", "vip ", "  "],
    )
    phone = customer.contact_points.get(kind="phone")
    email = customer.contact_points.get(kind="email")
    assert phone.normalized == "+989121234567"
    assert phone.is_primary
    assert email.value == email.normalized == "ali.karimi@example.com"
    assert customer.display_name == "علي كريمي"
    assert customer.name_key == name_key_for("علی کریمی")
    assert set(customer.tags.values_list("name", flat=True)) == {"VIP", "vip"}
    stored = Customer.objects.get(pk=customer.pk)
    assert "+989121234567" in stored.search_text
    assert "ali.karimi@example.com" in stored.search_text
    actions = list(
        ChangeLog.objects.filter(customer_id=customer.pk).values_list("action", flat=True)
    )
    assert actions.count("create") == 4  # customer + three contact points
    assert verify_chain().ok


def test_display_name_derived_from_first_and_last(manager: Any) -> None:
    customer = create_customer(
        actor=manager, display_name="", first_name="Sara", last_name="Ahmadi"
    )
    assert customer.display_name == "Sara Ahmadi"


@pytest.mark.parametrize("phone", ["12", "0912", "not a phone", "+98 21", "۰۹۱۲۱۲"])
def test_invalid_phone_is_a_field_error_and_nothing_is_written(manager: Any, phone: str) -> None:
    before = ChangeLog.objects.count()
    with pytest.raises(ValidationError) as exc:
        create_customer(
            actor=manager,
            display_name="Someone",
            contact_points=[
                {"kind": "email", "value": "ok@example.com"},
                {"kind": "phone", "value": phone},
            ],
        )
    assert "contact_points.1.value" in _errors(exc)
    assert "phone" in _errors(exc)["contact_points.1.value"][0]
    assert not Customer.objects.exists()
    assert not ContactPoint.objects.exists()
    assert ChangeLog.objects.count() == before


def test_every_bad_field_is_reported_at_once(manager: Any) -> None:
    with pytest.raises(ValidationError) as exc:
        create_customer(
            actor=manager,
            display_name="",
            kind="alien",
            preferred_language="xx",
            currency="ZZZ",
            contact_points=[{"kind": "email", "value": "not-an-email"}],
        )
    errors = _errors(exc)
    assert {"display_name", "kind", "preferred_language", "currency"} <= set(errors)
    assert "contact_points.0.value" in errors


def test_control_characters_are_refused(manager: Any) -> None:
    with pytest.raises(ValidationError) as exc:
        create_customer(actor=manager, display_name="bad\x00name")
    assert "display_name" in _errors(exc)


def test_errors_are_translated(manager: Any) -> None:
    from django.utils import translation

    with translation.override("fa"), pytest.raises(ValidationError) as exc:
        create_customer(actor=manager, display_name="x", currency="ZZZ")
    # The Persian catalogue is added centrally; until then the message must at least go
    # through gettext (same text) and name the offending code.
    assert "ZZZ" in _errors(exc)["currency"][0]


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    name=st.text(
        alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=60
    ).filter(lambda s: s.strip())
)
def test_any_printable_name_round_trips(manager: Any, name: str) -> None:
    customer = create_customer(actor=manager, display_name=name + " 😀 <script>")
    stored = Customer.objects.get(pk=customer.pk)
    assert stored.display_name == customer.display_name
    assert Customer.objects.search(customer.display_name[:50]).filter(pk=customer.pk).exists() or (
        not stored.search_text
    )


def test_update_replaces_tags_and_custom_and_audits(manager: Any, make_customer: Any) -> None:
    CustomFieldDefinitionFactory(key="city", field_type="text")
    customer = make_customer(tags=["a", "b"], custom={"city": "Tehran"})
    updated = update_customer(
        customer, actor=manager, display_name="New name", tags=["c"], custom={}
    )
    assert updated.display_name == "New name"
    assert list(updated.tags.values_list("name", flat=True)) == ["c"]
    assert updated.custom == {}
    changes = ChangeLog.objects.filter(customer_id=customer.pk, action="update")
    assert any(c.after and c.after.get("tags") == ["c"] for c in changes)
    assert any(c.after and c.after.get("display_name") == "New name" for c in changes)
    assert "new name" in Customer.objects.get(pk=customer.pk).search_text


def test_update_with_bad_value_changes_nothing(manager: Any, make_customer: Any) -> None:
    customer = make_customer(display_name="Stable", tags=["keep"])
    count = ChangeLog.objects.count()
    with pytest.raises(ValidationError):
        update_customer(customer, actor=manager, display_name="Changed", currency="nope", tags=[])
    customer.refresh_from_db()
    assert customer.display_name == "Stable"
    assert list(customer.tags.values_list("name", flat=True)) == ["keep"]
    assert ChangeLog.objects.count() == count


def test_update_refuses_unknown_fields(manager: Any, make_customer: Any) -> None:
    customer = make_customer()
    with pytest.raises(ValidationError) as exc:
        update_customer(customer, actor=manager, merged_into=customer, id=5)
    assert set(_errors(exc)) == {"merged_into", "id"}


def test_update_contact_points_keeps_unchanged_rows(manager: Any, make_customer: Any) -> None:
    customer = make_customer(
        contact_points=[
            {"kind": "phone", "value": "09121234567"},
            {"kind": "email", "value": "a@example.com"},
        ]
    )
    phone = customer.contact_points.get(kind="phone")
    update_customer(
        customer,
        actor=manager,
        contact_points=[
            {"kind": "phone", "value": "+98 912 123 4567"},
            {"kind": "email", "value": "b@example.com"},
        ],
    )
    assert customer.contact_points.get(kind="phone").pk == phone.pk
    assert list(customer.contact_points.filter(kind="email").values_list("value", flat=True)) == [
        "b@example.com"
    ]
    assert Customer.objects.search("a@example.com").count() == 0
    assert list(Customer.objects.search("b@example.com")) == [customer]


def test_add_and_remove_contact_point(manager: Any, make_customer: Any) -> None:
    customer = make_customer()
    point = add_contact_point(customer, actor=manager, kind="phone", value="00989351112233")
    assert point.normalized == "+989351112233"
    assert list(Customer.objects.search("0935 111 2233")) == [customer]
    with pytest.raises(ValidationError) as exc:
        add_contact_point(customer, actor=manager, kind="phone", value="123")
    assert "value" in _errors(exc)
    remove_contact_point(point, actor=manager)
    assert not customer.contact_points.exists()
    assert not Customer.objects.search("09351112233").exists()
    assert ChangeLog.objects.filter(customer_id=customer.pk, action="delete").exists()


def test_second_primary_demotes_the_first(manager: Any, make_customer: Any) -> None:
    customer = make_customer(contact_points=[{"kind": "email", "value": "one@example.com"}])
    add_contact_point(
        customer, actor=manager, kind="email", value="two@example.com", is_primary=True
    )
    primaries = customer.contact_points.filter(kind="email", is_primary=True)
    assert list(primaries.values_list("value", flat=True)) == ["two@example.com"]


def test_consent_keeps_latest_decision_and_history(manager: Any, make_customer: Any) -> None:
    customer = make_customer()
    earlier = timezone.now() - dt.timedelta(days=3)
    set_consent(
        customer,
        actor=manager,
        channel="sms",
        purpose="marketing",
        status="granted",
        source="web form",
        recorded_at=earlier,
    )
    set_consent(
        customer,
        actor=manager,
        channel="sms",
        purpose="marketing",
        status="withdrawn",
        source="reply STOP",
    )
    consent = Consent.objects.get(customer=customer)
    assert consent.status == "withdrawn"
    assert consent.source == "reply STOP"
    log = ChangeLog.objects.filter(customer_id=customer.pk, content_type__model="consent")
    assert [c.action for c in log] == ["create", "update"]


def test_consent_validation(manager: Any, make_customer: Any) -> None:
    customer = make_customer()
    with pytest.raises(ValidationError) as exc:
        set_consent(
            customer,
            actor=manager,
            channel="pigeon",
            purpose="x",
            status="maybe",
            source="",
            recorded_at=timezone.now() + dt.timedelta(days=1),
        )
    assert set(_errors(exc)) == {"channel", "purpose", "status", "source", "recorded_at"}
    assert not Consent.objects.exists()


def test_relationship_rules(manager: Any, make_customer: Any) -> None:
    person, company = make_customer(display_name="Person"), make_customer(display_name="Co")
    rel = add_relationship(person, company, actor=manager, kind="employee_of", note="CTO")
    assert rel.pk and Relationship.objects.count() == 1
    with pytest.raises(ValidationError):
        add_relationship(person, company, actor=manager, kind="employee_of")
    with pytest.raises(ValidationError):
        add_relationship(person, person, actor=manager, kind="household_of")
    with pytest.raises(ValidationError):
        add_relationship(person, company, actor=manager, kind="enemy_of")


def test_delete_is_soft_and_audited(manager: Any, make_customer: Any) -> None:
    customer = make_customer()
    delete_customer(customer, actor=manager)
    stored = Customer.objects.get(pk=customer.pk)
    assert stored.deleted_at is not None
    assert not Customer.objects.alive().filter(pk=customer.pk).exists()
    assert ChangeLog.objects.filter(customer_id=customer.pk, action="delete").exists()


def test_tags_are_shared_rows(make_customer: Any) -> None:
    make_customer(tags=["gold"])
    make_customer(tags=["gold"])
    assert Tag.objects.filter(name="gold").count() == 1


# --- custom fields -------------------------------------------------------------------------


def test_custom_field_types_are_validated() -> None:
    CustomFieldDefinitionFactory(key="age", field_type="number")
    CustomFieldDefinitionFactory(key="born", field_type="date")
    CustomFieldDefinitionFactory(key="vip", field_type="boolean")
    CustomFieldDefinitionFactory(key="size", field_type="choice", choices=["S", "M", "L"])
    CustomFieldDefinitionFactory(key="mail", field_type="email")
    CustomFieldDefinitionFactory(key="site", field_type="url")
    CustomFieldDefinitionFactory(key="code", field_type="text", required=True)
    cleaned = validate_custom_fields(
        {
            "age": "۴۲",
            "born": "1990-05-01",
            "vip": "yes",
            "size": "M",
            "mail": "X@Example.com",
            "site": "example.com",
            "code": "A-1",
        }
    )
    assert cleaned == {
        "age": 42,
        "born": "1990-05-01",
        "vip": True,
        "size": "M",
        "mail": "x@example.com",
        "site": "https://example.com",
        "code": "A-1",
    }
    with pytest.raises(ValidationError) as exc:
        validate_custom_fields(
            {
                "age": "forty",
                "born": "1990-13-45",
                "vip": "perhaps",
                "size": "XXL",
                "mail": "nope",
                "site": "javascript:alert(1)",
                "unknown": "x",
            }
        )
    assert set(_errors(exc)) == {
        "custom.age",
        "custom.born",
        "custom.vip",
        "custom.size",
        "custom.mail",
        "custom.site",
        "custom.unknown",
        "custom.code",
    }


def test_inactive_field_values_survive_an_update(manager: Any, make_customer: Any) -> None:
    old = CustomFieldDefinitionFactory(key="legacy", field_type="text")
    CustomFieldDefinitionFactory(key="city", field_type="text")
    customer = make_customer(custom={"legacy": "kept", "city": "Shiraz"})
    old.is_active = False
    old.save()
    update_customer(customer, actor=manager, custom={"city": "Tabriz"})
    customer.refresh_from_db()
    assert customer.custom == {"legacy": "kept", "city": "Tabriz"}


def test_custom_errors_stop_create(manager: Any) -> None:
    CustomFieldDefinitionFactory(key="nid", field_type="number", required=True)
    with pytest.raises(ValidationError) as exc:
        create_customer(actor=manager, display_name="X", custom={})
    assert "custom.nid" in _errors(exc)
    assert not Customer.objects.exists()


def test_update_writes_the_old_and_new_values_to_the_change_log(manager) -> None:
    from peyvand.audit.models import ChangeLog
    from peyvand.customers.services import create_customer, update_customer

    customer = create_customer(actor=manager, display_name="Before", notes="old")
    update_customer(customer, actor=manager, display_name="After", notes="new")
    row = ChangeLog.objects.filter(action="update", object_id=str(customer.pk)).get()
    assert (row.before["display_name"], row.after["display_name"]) == ("Before", "After")
    assert (row.before["notes"], row.after["notes"]) == ("old", "new")
    assert row.actor == manager
