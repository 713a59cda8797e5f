"""/api/v1/segments: list, create with rules, count, members; problem+json errors."""

from __future__ import annotations

from typing import Any

import pytest
from djmoney.money import Money

from peyvand.customers.models import Customer
from peyvand.marketing.models import Segment
from peyvand.sales.models import Order
from tests.api.conftest import problem_of
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

FA_BUYERS = {
    "match": "all",
    "children": [
        {"field": "profile.preferred_language", "operator": "eq", "value": "fa"},
        {"field": "orders.count", "operator": "gte", "value": 1},
    ],
}


@pytest.fixture
def buyers(marketing1: Any) -> list[Customer]:
    department = marketing1.departments.get()
    customers = [
        CustomerFactory(display_name=f"<b>c{i}</b>", department=department) for i in range(3)
    ]
    CustomerFactory(display_name="hidden")  # no department: marketing1 cannot see it
    for i, customer in enumerate([*customers, Customer.objects.get(display_name="hidden")]):
        Order.objects.create(number=f"N{i}", customer=customer, total=Money(10, "IRR"))
    return customers


def test_create_count_and_members(
    api_client: Any,
    marketing1: Any,
    buyers: list[Customer],
    django_capture_on_commit_callbacks: Any,
) -> None:
    client = api_client(marketing1)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/v1/segments",
            {"name": "Persian buyers", "rules": FA_BUYERS},
            content_type="application/json",
        )
    assert response.status_code == 201, response.content
    segment_id = response.json()["id"]
    assert response.json()["rules"]["children"][1]["field"] == "orders.count"
    # Materialised over every customer (4), counted and listed for what the caller sees (3).
    assert Segment.objects.get(pk=segment_id).member_count == 4
    assert client.get(f"/api/v1/segments/{segment_id}/count").json() == {"count": 3}
    preview = client.post(
        "/api/v1/segments/count", {"rules": FA_BUYERS}, content_type="application/json"
    )
    assert preview.json() == {"count": 3}
    first = client.get(f"/api/v1/segments/{segment_id}/members?limit=2").json()
    second = client.get(
        f"/api/v1/segments/{segment_id}/members?limit=2&cursor={first['next_cursor']}"
    ).json()
    ids = [m["customer_id"] for m in first["items"] + second["items"]]
    assert sorted(ids) == sorted(c.pk for c in buyers) and second["next_cursor"] is None
    listing = client.get("/api/v1/segments").json()
    assert [s["name"] for s in listing["items"]] == ["Persian buyers"]


def test_bad_rules_answer_a_problem_naming_the_condition(api_client: Any, marketing1: Any) -> None:
    client = api_client(marketing1)
    bad = {
        "match": "all",
        "children": [{"field": "orders.count", "operator": "contains", "value": "x"}],
    }
    body = problem_of(
        client.post(
            "/api/v1/segments", {"name": "x", "rules": bad}, content_type="application/json"
        ),
        422,
    )
    assert body["errors"][0]["field"] == "rules"
    assert "1.1" in body["errors"][0]["message"]
    assert not Segment.objects.exists()
    body = problem_of(
        client.post(
            "/api/v1/segments/count",
            {"rules": {"match": "all", "children": [{"field": "nope"}]}},
            content_type="application/json",
        ),
        422,
    )
    assert "unknown field" in body["errors"][0]["message"]


def test_refused_personas_and_missing_ids(api_client: Any, sales1: Any, marketing1: Any) -> None:
    problem_of(api_client(sales1).get("/api/v1/segments"), 403)
    problem_of(
        api_client(sales1).post("/api/v1/segments", {"name": "x"}, content_type="application/json"),
        403,
    )
    problem_of(api_client(marketing1).get("/api/v1/segments/999999/members"), 404)
    # A read-only token cannot create.
    problem_of(
        api_client(marketing1, scopes=["customers:read"]).post(
            "/api/v1/segments", {"name": "x"}, content_type="application/json"
        ),
        403,
    )


def test_static_list_members_all_or_nothing(
    api_client: Any, marketing1: Any, buyers: list[Customer]
) -> None:
    client = api_client(marketing1)
    segment_id = client.post(
        "/api/v1/segments", {"name": "Fair", "kind": "static"}, content_type="application/json"
    ).json()["id"]
    hidden = Customer.objects.get(display_name="hidden")
    body = problem_of(
        client.post(
            f"/api/v1/segments/{segment_id}/members",
            {"customer_ids": [buyers[0].pk, hidden.pk]},
            content_type="application/json",
        ),
        400,
    )
    assert str(hidden.pk) in body["errors"][0]["message"] or str(hidden.pk) in body.get(
        "detail", ""
    )
    added = client.post(
        f"/api/v1/segments/{segment_id}/members",
        {"customer_ids": [buyers[0].pk]},
        content_type="application/json",
    )
    assert added.json() == {"added": 1, "member_count": 1}
    assert client.get(f"/api/v1/segments/{segment_id}/count").json() == {"count": 1}
