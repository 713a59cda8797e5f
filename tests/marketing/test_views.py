"""Segment screens: list, builder (HTMX add/remove/preview), save, detail, static lists;
refused for personas without segment rights; user text escaped; Persian."""

from __future__ import annotations

from typing import Any

import pytest
from djmoney.money import Money

from peyvand.customers.services import refresh_search_fields
from peyvand.marketing.models import Segment, SegmentMember
from peyvand.marketing.services import add_static_members, save_segment
from peyvand.sales.models import Order
from tests.conftest import speak_persian
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

FORM = {
    "name": "Persian buyers",
    "description": "",
    "g-1-match": "all",
    "c-1.1-field": "profile.preferred_language",
    "c-1.1-operator": "eq",
    "c-1.1-value": "fa",
    "g-1.2-match": "any",
    "c-1.2.1-field": "orders.count",
    "c-1.2.1-operator": "gte",
    "c-1.2.1-value": "1",
    "c-1.2.1-days": "30",
    "c-1.2.2-field": "tags",
    "c-1.2.2-operator": "has_any",
    "c-1.2.2-value": "vip, fair",
}


@pytest.fixture
def customers(marketing1: Any) -> list[Any]:
    department = marketing1.departments.get()
    made = [CustomerFactory(display_name=f"m{i}", department=department) for i in range(3)]
    Order.objects.create(number="O1", customer=made[0], total=Money(1, "IRR"))
    Order.objects.create(number="O2", customer=made[1], total=Money(1, "IRR"))
    return made


def test_sales_cannot_reach_segment_screens(sales1: Any, client_for: Any, marketing1: Any) -> None:
    segment = save_segment(None, name="x", kind="static", actor=marketing1)
    client = client_for(sales1)
    for url in [
        "/marketing/segments/",
        "/marketing/segments/new/",
        f"/marketing/segments/{segment.pk}/",
    ]:
        assert client.get(url).status_code == 404
    assert client.post("/marketing/segments/preview/", FORM).status_code == 404
    assert client.post(f"/marketing/segments/{segment.pk}/rebuild/").status_code == 404
    assert "/marketing/segments/" not in client.get("/").content.decode()


def test_builder_adds_and_removes_and_previews(
    marketing1: Any, client_for: Any, customers: list[Any]
) -> None:
    client = client_for(marketing1)
    page = client.get("/marketing/segments/new/").content.decode()
    assert 'hx-post="/marketing/segments/preview/"' in page
    added = client.post("/marketing/segments/builder/", {**FORM, "action": "add-condition:1.2"})
    assert 'name="c-1.2.3-field"' in added.content.decode()
    removed = client.post(
        "/marketing/segments/builder/", {**FORM, "action": "remove:1.2"}
    ).content.decode()
    assert 'name="c-1.2.1-field"' not in removed and 'name="c-1.1-field"' in removed
    # Changing the field re-renders its operators: a count field offers "at least".
    switched = client.post(
        "/marketing/segments/builder/", {**FORM, "c-1.1-field": "orders.count"}
    ).content.decode()
    assert 'value="gte"' in switched
    preview = client.post("/marketing/segments/preview/", FORM).content.decode()
    assert "2 customers match now." in preview
    bad = client.post(
        "/marketing/segments/preview/", {**FORM, "c-1.2.1-value": "lots"}
    ).content.decode()
    assert "Give a whole number" in bad


def test_save_rebuild_and_members(
    marketing1: Any, client_for: Any, customers: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    client = client_for(marketing1)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/marketing/segments/new/", {**FORM, "name": "<script>alert(1)</script>"}
        )
    assert response.status_code == 302
    segment = Segment.objects.get()
    assert segment.member_count == 2 and segment.sources == ["orders", "profile", "tags"]
    detail = client.get(f"/marketing/segments/{segment.pk}/").content.decode()
    assert "<script>alert(1)</script>" not in detail and "&lt;script&gt;" in detail
    assert "m0" in detail and "m2" not in detail
    listing = client.get("/marketing/segments/").content.decode()
    assert "&lt;script&gt;" in listing
    assert client.post(f"/marketing/segments/{segment.pk}/rebuild/").status_code == 302


def test_bad_rules_on_save_change_nothing(marketing1: Any, client_for: Any) -> None:
    client = client_for(marketing1)
    response = client.post("/marketing/segments/new/", {**FORM, "c-1.1-field": "shoe_size"})
    assert response.status_code == 200
    assert "unknown field" in response.content.decode()
    assert not Segment.objects.exists()


def test_static_list_upload_search_and_remove(
    marketing1: Any, client_for: Any, customers: list[Any]
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = client_for(marketing1)
    segment = save_segment(None, name="Fair", kind="static", actor=marketing1)
    url = f"/marketing/segments/{segment.pk}/members/add/"
    bad = client.post(url, {"ids": f"{customers[0].pk}\nnot-an-id"}, follow=True).content.decode()
    assert "Line 2" in bad and not SegmentMember.objects.exists()
    csv = SimpleUploadedFile("ids.csv", f"id\n{customers[0].pk}\n{customers[1].pk}\n".encode())
    client.post(url, {"file": csv})
    assert SegmentMember.objects.current().count() == 2
    refresh_search_fields(customers[2])
    found = client.get(f"/marketing/segments/{segment.pk}/?q=m2").content.decode()
    assert f'value="{customers[2].pk}"' in found
    client.post(url, {"customer": [str(customers[2].pk)]})
    assert SegmentMember.objects.current().count() == 3
    client.post(f"/marketing/segments/{segment.pk}/members/{customers[0].pk}/remove/")
    assert SegmentMember.objects.current().count() == 2


def test_member_list_query_count_is_pinned(
    marketing1: Any, client_for: Any, django_assert_max_num_queries: Any
) -> None:
    department = marketing1.departments.get()
    segment = save_segment(None, name="Big", kind="static", actor=marketing1)
    people = [CustomerFactory(department=department) for _ in range(30)]
    add_static_members(segment.pk, [p.pk for p in people], actor=marketing1)
    client = client_for(marketing1)
    client.get(f"/marketing/segments/{segment.pk}/")
    with django_assert_max_num_queries(14):
        page = client.get(f"/marketing/segments/{segment.pk}/")
    assert page.status_code == 200


def test_persian_screens(marketing1: Any, client_for: Any) -> None:
    speak_persian(marketing1)
    client = client_for(marketing1)
    listing = client.get("/marketing/segments/").content.decode()
    assert "بخش‌ها" in listing and "بخش تازه" in listing and 'dir="rtl"' in listing
    builder = client.get("/marketing/segments/new/").content.decode()
    assert "افزودن شرط" in builder
