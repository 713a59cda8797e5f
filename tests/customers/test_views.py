from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from peyvand.customers.models import Consent, ContactPoint, Customer, CustomFieldDefinition
from peyvand.customers.services import latest_merge_changes
from tests.factories import CustomFieldDefinitionFactory, InteractionFactory

pytestmark = pytest.mark.django_db

SCRIPT = '<script>alert("x")</script>'


def _contact_management(total: int = 2) -> dict[str, str]:
    return {
        "cp-TOTAL_FORMS": str(total),
        "cp-INITIAL_FORMS": "0",
        "cp-MIN_NUM_FORMS": "0",
        "cp-MAX_NUM_FORMS": "50",
    }


def _form_data(**overrides: str) -> dict[str, str]:
    data = {
        "kind": "person",
        "display_name": "",
        "first_name": "Sara",
        "last_name": "Test",
        "organization_name": "",
        "preferred_language": "fa",
        "preferred_channel": "",
        "currency": "IRR",
        "tags": "vip, new",
        "notes": "",
        "external_ref": "",
        "consent_source": "phone call",
        **_contact_management(),
        "cp-0-kind": "phone",
        "cp-0-value": "۰۹۱۲ ۱۲۳ ۴۵۶۷",
        "cp-1-kind": "email",
        "cp-1-value": "sara@example.com",
    }
    data.update(overrides)
    return data


@pytest.fixture
def mine(make_customer: Any, sales1: Any) -> Customer:
    return make_customer(
        owner=sales1,
        display_name=SCRIPT,
        notes=SCRIPT,
        contact_points=[{"kind": "email", "value": "mine@example.com"}],
        tags=[SCRIPT],
    )


@pytest.fixture
def theirs(make_customer: Any, sales2: Any) -> Customer:
    return make_customer(owner=sales2, display_name="Sales two customer")


# --- list -----------------------------------------------------------------------------------


def test_list_requires_login(client: Any) -> None:
    response = client.get(reverse("customers:list"))
    assert response.status_code == 302


def test_list_shows_only_visible_rows_escaped(
    client_for: Any, sales1: Any, mine: Customer, theirs: Customer
) -> None:
    response = client_for(sales1).get(reverse("customers:list"))
    html = response.content.decode()
    assert response.status_code == 200
    assert SCRIPT not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert "Sales two customer" not in html


def test_list_search_filters_and_htmx_partial(
    client_for: Any, manager: Any, mine: Customer, theirs: Customer, sales2: Any
) -> None:
    client = client_for(manager)
    response = client.get(
        reverse("customers:list"),
        {"q": "sales two"},
        headers={"HX-Request": "true", "HX-Target": "customer-results"},
    )
    html = response.content.decode()
    assert "Sales two customer" in html
    assert "<html" not in html
    response = client.get(reverse("customers:list"), {"owner": sales2.pk})
    assert "Sales two customer" in response.content.decode()
    assert "mine@example.com" not in response.content.decode()
    response = client.get(reverse("customers:list"), {"q": "nothing-like-this"})
    assert "No customer matches" in response.content.decode()


def test_list_empty_state(client_for: Any, sales1: Any) -> None:
    response = client_for(sales1).get(reverse("customers:list"))
    assert "There are no customers yet." in response.content.decode()


def test_list_custom_columns_in_the_reader_language(
    client_for: Any, manager: Any, sales2: Any, make_customer: Any
) -> None:
    manager.language = "fa"
    manager.save(update_fields=["language"])
    CustomFieldDefinitionFactory(key="city", label="City", label_fa="شهر", show_in_list=True)
    make_customer(owner=sales2, display_name="With city", custom={"city": "Yazd"})
    html = client_for(manager).get(reverse("customers:list")).content.decode()  # Persian UI
    assert '<th scope="col">شهر</th>' in html
    assert "Yazd" in html
    html = client_for(sales2).get(reverse("customers:list")).content.decode()  # English UI
    assert '<th scope="col">City</th>' in html


def test_list_query_count_is_pinned(
    client_for: Any, manager: Any, make_customer: Any, django_assert_max_num_queries: Any
) -> None:
    CustomFieldDefinitionFactory(key="city", show_in_list=True)
    for i in range(30):
        make_customer(display_name=f"Person {i}", tags=["a", "b"], owner=manager)
    client = client_for(manager)
    client.get(reverse("customers:list"))
    with django_assert_max_num_queries(14):
        response = client.get(reverse("customers:list"), {"q": "person"})
    assert response.context["has_next"] is True


def test_list_pages(client_for: Any, manager: Any, make_customer: Any) -> None:
    for i in range(27):
        make_customer(display_name=f"P{i:02d}")
    client = client_for(manager)
    second = client.get(reverse("customers:list"), {"page": "2"})
    assert [r["obj"].display_name for r in second.context["customers"]] == ["P25", "P26"]
    assert client.get(reverse("customers:list"), {"page": "x"}).status_code == 200


# --- create / edit --------------------------------------------------------------------------


def test_create_as_rep_owns_the_customer(client_for: Any, sales1: Any, sales2: Any) -> None:
    response = client_for(sales1).post(
        reverse("customers:create"), _form_data(owner=str(sales2.pk), consent_email_marketing="on")
    )
    assert response.status_code == 302
    customer = Customer.objects.get()
    assert customer.owner == sales1  # the posted owner is not a field a rep has
    assert customer.display_name == "Sara Test"
    assert customer.department is not None and customer.department.code == "sales"
    assert set(customer.contact_points.values_list("normalized", flat=True)) == {
        "+989121234567",
        "sara@example.com",
    }
    assert set(customer.tags.values_list("name", flat=True)) == {"vip", "new"}
    consent = Consent.objects.get(customer=customer)
    assert (consent.channel, consent.purpose, consent.status, consent.source) == (
        "email",
        "marketing",
        "granted",
        "phone call",
    )


def test_create_with_bad_phone_shows_error_and_saves_nothing(client_for: Any, sales1: Any) -> None:
    response = client_for(sales1).post(
        reverse("customers:create"), _form_data(**{"cp-0-value": "12"})
    )
    assert response.status_code == 400
    assert "is not a valid phone number" in response.content.decode()
    assert not Customer.objects.exists()
    assert not ContactPoint.objects.exists()


def test_create_renders_and_validates_custom_fields(client_for: Any, manager: Any) -> None:
    manager.language = "fa"
    manager.save(update_fields=["language"])
    CustomFieldDefinitionFactory(
        key="size", label="Size", label_fa="اندازه", field_type="choice", choices=["S", "M"]
    )
    CustomFieldDefinitionFactory(key="age", label="Age", field_type="number", required=True)
    client = client_for(manager)
    html = client.get(reverse("customers:create")).content.decode()
    assert 'name="custom_size"' in html and "اندازه" in html
    response = client.post(reverse("customers:create"), _form_data(custom_size="S"))
    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["custom_age"]
    assert 'id="id_custom_age_errors"' in response.content.decode()
    assert not Customer.objects.exists()
    response = client.post(
        reverse("customers:create"), _form_data(custom_size="S", custom_age="۳۰")
    )
    assert response.status_code == 302
    assert Customer.objects.get().custom == {"size": "S", "age": 30}


def test_create_refused_without_add_right(client_for: Any, marketing1: Any) -> None:
    assert client_for(marketing1).get(reverse("customers:create")).status_code == 404
    assert client_for(marketing1).post(reverse("customers:create"), _form_data()).status_code == 404
    assert not Customer.objects.exists()


def test_edit_persona(client_for: Any, sales1: Any, sales2: Any, mine: Customer) -> None:
    url = reverse("customers:edit", args=[mine.pk])
    assert client_for(sales2).get(url).status_code == 404
    assert client_for(sales2).post(url, _form_data()).status_code == 404
    response = client_for(sales1).get(url)
    assert response.status_code == 200
    assert SCRIPT not in response.content.decode()
    response = client_for(sales1).post(
        url,
        _form_data(
            display_name="Renamed",
            **{"cp-0-kind": "email", "cp-0-value": "mine@example.com", "cp-1-value": ""},
        ),
    )
    assert response.status_code == 302
    mine.refresh_from_db()
    assert mine.display_name == "Renamed"
    assert list(mine.contact_points.values_list("value", flat=True)) == ["mine@example.com"]


def test_edit_withdraws_unticked_consent(
    client_for: Any, manager: Any, sales1: Any, mine: Customer
) -> None:
    from peyvand.customers.services import set_consent

    set_consent(
        mine, actor=manager, channel="sms", purpose="marketing", status="granted", source="x"
    )
    client_for(sales1).post(reverse("customers:edit", args=[mine.pk]), _form_data())
    assert Consent.objects.get(customer=mine).status == "withdrawn"


# --- 360 page, timeline, delete -------------------------------------------------------------


def test_detail_persona_and_escaping(
    client_for: Any, sales1: Any, sales2: Any, service1: Any, mine: Customer
) -> None:
    url = reverse("customers:detail", args=[mine.pk])
    assert client_for(sales2).get(url).status_code == 404
    assert client_for(service1).get(url).status_code == 404
    response = client_for(sales1).get(url)
    html = response.content.decode()
    assert response.status_code == 200
    assert SCRIPT not in html
    assert "&lt;script&gt;" in html
    assert f'hx-get="/customers/{mine.pk}/timeline/"' in html
    assert f'hx-get="/audit/customers/{mine.pk}/history/"' in html


def test_missing_customer_is_404(client_for: Any, manager: Any) -> None:
    assert client_for(manager).get(reverse("customers:detail", args=[999999])).status_code == 404


def test_timeline_persona(client_for: Any, sales1: Any, sales2: Any, mine: Customer) -> None:
    InteractionFactory(customer=mine, subject=SCRIPT)
    url = reverse("customers:timeline", args=[mine.pk])
    assert client_for(sales2).get(url).status_code == 404
    response = client_for(sales1).get(url)
    assert response.status_code == 200
    assert SCRIPT not in response.content.decode()
    assert client_for(sales1).get(url, {"before": "garbage"}).status_code == 404
    assert client_for(sales1).get(url, {"before": "2000-01-01T00:00:00+00:00"}).status_code == 200


def test_delete_persona(client_for: Any, sales1: Any, sales2: Any, mine: Customer) -> None:
    url = reverse("customers:delete", args=[mine.pk])
    assert client_for(sales1).get(url).status_code == 405
    assert client_for(sales2).post(url).status_code == 404
    assert Customer.objects.alive().filter(pk=mine.pk).exists()
    assert client_for(sales1).post(url).status_code == 302
    assert not Customer.objects.alive().filter(pk=mine.pk).exists()
    assert client_for(sales1).get(reverse("customers:detail", args=[mine.pk])).status_code == 404


def test_service_agent_sees_but_cannot_delete(
    client_for: Any, service1: Any, make_customer: Any
) -> None:
    customer = make_customer(owner=None, department=service1.departments.first())
    client = client_for(service1)
    assert client.get(reverse("customers:detail", args=[customer.pk])).status_code == 200
    assert client.post(reverse("customers:delete", args=[customer.pk])).status_code == 404


# --- duplicates and merge ---------------------------------------------------------------------


@pytest.fixture
def twins(make_customer: Any, sales1: Any) -> tuple[Customer, Customer]:
    a = make_customer(
        owner=sales1,
        display_name="Twin Karimi",
        contact_points=[{"kind": "phone", "value": "09120000000"}],
    )
    b = make_customer(
        owner=sales1,
        display_name="Twin Karimy",
        contact_points=[{"kind": "phone", "value": "+989120000000"}],
    )
    return a, b


def test_duplicates_persona(client_for: Any, sales1: Any, manager: Any, twins: Any) -> None:
    assert client_for(sales1).get(reverse("customers:duplicates")).status_code == 404
    response = client_for(manager).get(reverse("customers:duplicates"), {"threshold": "abc"})
    assert response.status_code == 200
    assert "Twin Karimi" in response.content.decode()
    assert f"keep={twins[0].pk}&amp;drop={twins[1].pk}" in response.content.decode()


def test_merge_screen_and_undo(client_for: Any, sales1: Any, manager: Any, twins: Any) -> None:
    keep, drop = twins
    url = reverse("customers:merge")
    assert client_for(sales1).get(url, {"keep": keep.pk, "drop": drop.pk}).status_code == 404
    assert client_for(manager).get(url, {"keep": keep.pk, "drop": "x"}).status_code == 404
    assert client_for(manager).get(url, {"keep": keep.pk, "drop": keep.pk}).status_code == 404
    client = client_for(manager)
    page = client.get(url, {"keep": keep.pk, "drop": drop.pk})
    assert page.status_code == 200
    assert "Twin Karimy" in page.content.decode()
    assert client_for(sales1).post(url, {"keep": keep.pk, "drop": drop.pk}).status_code == 404
    assert Customer.objects.alive().count() == 2
    response = client.post(url, {"keep": keep.pk, "drop": drop.pk})
    assert response.status_code == 302
    assert not Customer.objects.alive().filter(pk=drop.pk).exists()
    (merge_row,) = latest_merge_changes(keep)
    detail = client.get(reverse("customers:detail", args=[keep.pk])).content.decode()
    undo_url = reverse("customers:unmerge", args=[keep.pk, merge_row.pk])
    assert undo_url in detail
    assert client_for(sales1).post(undo_url).status_code == 404
    assert (
        client.post(reverse("customers:unmerge", args=[drop.pk, merge_row.pk])).status_code == 404
    )
    assert client.post(undo_url).status_code == 302
    assert Customer.objects.alive().filter(pk=drop.pk).exists()
    assert drop.contact_points.count() == 1


# --- custom fields --------------------------------------------------------------------------


def test_custom_fields_managers_only(client_for: Any, sales1: Any, manager: Any) -> None:
    definition = CustomFieldDefinitionFactory(key="city", label=SCRIPT)
    for url in (
        reverse("customers:custom_fields"),
        reverse("customers:custom_field_create"),
        reverse("customers:custom_field_edit", args=[definition.pk]),
    ):
        assert client_for(sales1).get(url).status_code == 404
        assert client_for(manager).get(url).status_code == 200
    html = client_for(manager).get(reverse("customers:custom_fields")).content.decode()
    assert SCRIPT not in html
    assert client_for(sales1).post(reverse("customers:custom_field_create"), {}).status_code == 404


def test_custom_field_create_and_edit(client_for: Any, manager: Any) -> None:
    client = client_for(manager)
    data = {
        "key": "tier",
        "label": "Tier",
        "label_fa": "سطح",
        "field_type": "choice",
        "choices_text": "",
        "position": "3",
        "searchable": "on",
        "is_active": "on",
    }
    response = client.post(reverse("customers:custom_field_create"), data)
    assert response.status_code == 400
    assert "at least one choice" in response.content.decode()
    assert not CustomFieldDefinition.objects.exists()
    response = client.post(
        reverse("customers:custom_field_create"), {**data, "choices_text": "Gold\nSilver\n\n"}
    )
    assert response.status_code == 302
    definition = CustomFieldDefinition.objects.get()
    assert definition.choices == ["Gold", "Silver"]
    response = client.post(
        reverse("customers:custom_field_edit", args=[definition.pk]),
        {**data, "key": "renamed", "choices_text": "Gold", "show_in_list": "on"},
    )
    assert response.status_code == 302
    definition.refresh_from_db()
    assert definition.key == "tier"  # keys never change: stored values are keyed by them
    assert definition.show_in_list and definition.choices == ["Gold"]
    assert client.get(reverse("customers:custom_field_edit", args=[999])).status_code == 404


def test_list_links_the_export_of_the_current_search(
    client_for, sales1, marketing1, service1
) -> None:
    page = client_for(sales1).get("/customers/?q=%D8%B9%D9%84%DB%8C").content.decode()
    assert "/imports/export/customers.csv?q=%D8%B9%D9%84%DB%8C" in page
    assert "/imports/export/customers.xlsx?q=" in page
    assert (
        "/imports/export/customers.csv"
        not in client_for(service1).get("/customers/").content.decode()
    )
