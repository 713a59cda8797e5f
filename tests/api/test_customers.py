"""Customer endpoints: personas, the 360 view and its query count, writes through services."""

from __future__ import annotations

from decimal import Decimal

import pytest

from peyvand.audit.models import ChangeLog
from peyvand.customers.models import ContactPoint, Customer, CustomFieldDefinition
from peyvand.customers.services import create_customer, set_consent
from peyvand.desk.services import create_task
from peyvand.sales.services import create_order
from tests.api.conftest import problem_of
from tests.factories import CustomerFactory, InteractionFactory

pytestmark = pytest.mark.django_db

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_create_belongs_to_the_caller_and_is_audited(api_client, sales1) -> None:
    response = api_client(sales1).post(
        "/api/v1/customers",
        {
            "first_name": "Sara",
            "last_name": "Karimi",
            "tags": ["vip"],
            "contact_points": [{"kind": "phone", "value": "0912 123 4567"}],
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["display_name"] == "Sara Karimi"
    assert body["owner"]["username"] == "sales1"
    assert body["department"]["code"] == "sales"
    assert body["tags"] == ["vip"]
    customer = Customer.objects.get(pk=body["id"])
    assert ContactPoint.objects.get(customer=customer).normalized == "+989121234567"
    assert ChangeLog.objects.filter(customer_id=customer.pk, actor=sales1).exists()


def test_html_is_returned_verbatim_and_stored_unchanged(api_client, sales1) -> None:
    client = api_client(sales1)
    created = client.post(
        "/api/v1/customers",
        {"display_name": HOSTILE, "notes": HOSTILE},
        content_type="application/json",
    ).json()
    assert created["display_name"] == HOSTILE
    stored = Customer.objects.get(pk=created["id"])
    assert stored.display_name == stored.notes == HOSTILE
    read = client.get(f"/api/v1/customers/{stored.pk}")
    assert read["Content-Type"].startswith("application/json")
    assert read.json()["notes"] == HOSTILE


def test_sales2_cannot_read_change_or_delete_sales1s_customer(api_client, sales1, sales2) -> None:
    customer = CustomerFactory(owner=sales1, display_name="Sara's")
    intruder = api_client(sales2)
    url = f"/api/v1/customers/{customer.pk}"
    problem_of(intruder.get(url), 404)
    problem_of(intruder.get(f"{url}/timeline"), 404)
    problem_of(
        intruder.patch(url, {"display_name": "Hacked"}, content_type="application/json"), 404
    )
    problem_of(intruder.delete(url), 404)
    problem_of(
        intruder.post(
            f"{url}/contact-points",
            {"kind": "email", "value": "x@example.com"},
            content_type="application/json",
        ),
        404,
    )
    assert intruder.get("/api/v1/customers").json()["items"] == []
    assert intruder.get("/api/v1/customers/search?q=Sara").json()["items"] == []
    customer.refresh_from_db()
    assert customer.display_name == "Sara's" and customer.deleted_at is None
    assert not customer.contact_points.exists()
    # The owner and a manager are served.
    assert api_client(sales1).get(url).status_code == 200


def test_manager_sees_everyone(api_client, manager, sales1, sales2) -> None:
    CustomerFactory(owner=sales1)
    CustomerFactory(owner=sales2)
    assert len(api_client(manager).get("/api/v1/customers").json()["items"]) == 2


def test_marketing_may_read_but_not_create(api_client, marketing1) -> None:
    problem_of(
        api_client(marketing1).post(
            "/api/v1/customers", {"display_name": "No"}, content_type="application/json"
        ),
        403,
    )
    assert not Customer.objects.exists()


def test_filters(api_client, sales1) -> None:
    create_customer(
        actor=sales1, display_name="Tagged Org", kind="organization", owner=sales1, tags=["vip"]
    )
    CustomerFactory(owner=sales1, display_name="Plain")
    client = api_client(sales1)

    def names(query: str) -> list[str]:
        return [c["display_name"] for c in client.get(f"/api/v1/customers?{query}").json()["items"]]

    assert names("tag=vip") == ["Tagged Org"]
    assert names("kind=organization") == ["Tagged Org"]
    assert names(f"owner={sales1.pk}") == ["Plain", "Tagged Org"]
    assert names("updated_since=2999-01-01T00:00:00Z") == []
    assert names("q=tagged") == ["Tagged Org"]


def test_search_tolerates_letter_variants_and_phone_formats(api_client, sales1) -> None:
    create_customer(
        actor=sales1,
        display_name="علی کریمی",
        owner=sales1,
        contact_points=[{"kind": "phone", "value": "09121234567"}],
    )
    client = api_client(sales1)
    for q in ("علي", "+98 912 123 4567", "۰۹۱۲۱۲۳۴۵۶۷"):
        items = client.get("/api/v1/customers/search", {"q": q}).json()["items"]
        assert [c["display_name"] for c in items] == ["علی کریمی"], q


@pytest.mark.parametrize("count", [3, 12])
def test_search_is_two_queries_whatever_the_page_size(
    api_client, sales1, sales2, count, django_assert_num_queries
) -> None:
    """Candidates, then the page with owner, department, tags and contact points folded in:
    the same two queries for a name fragment, a phone in any format and an email."""
    for n in range(count):
        create_customer(
            actor=sales1,
            display_name=f"Sara Karimi {n:02d}",
            owner=sales1,
            tags=["vip", "b2b"] if n % 2 else [],
            contact_points=[
                {"kind": "phone", "value": "09121234567" if n == 0 else f"0912000{n:04d}"},
                {"kind": "email", "value": f"sara{n}@example.com"},
            ],
        )
    # Not sales1's to see: never in the page, whatever it matches.
    create_customer(
        actor=sales2,
        display_name="Sara Karimi (sales2)",
        owner=sales2,
        contact_points=[{"kind": "phone", "value": "09121234567"}],
    )
    client = api_client(sales1)
    client.get("/api/v1/me")  # the token is resolved once, then reused
    # A fragment without candidates needs no page.
    for q, expected, queries in (
        ("karimi", count, 2),
        ("سارا", 0, 1),
        ("0912 123 4567", 1, 2),
        ("+989121234567", 1, 2),
        ("sara1@example.com", 1, 2),
    ):
        client.get("/api/v1/customers/search", {"q": q})  # a first run prepares statements
        with django_assert_num_queries(queries):
            response = client.get("/api/v1/customers/search", {"q": q})
        items = response.json()["items"]
        assert len(items) == expected, q
        assert all(item["owner"]["username"] == "sales1" for item in items), q
    items = client.get("/api/v1/customers/search", {"q": "Karimi", "limit": 2}).json()["items"]
    assert [i["display_name"] for i in items] == ["Sara Karimi 00", "Sara Karimi 01"]
    first, second = items
    assert first["tags"] == [] and second["tags"] == ["b2b", "vip"]
    assert [(p["kind"], p["value"]) for p in first["contact_points"]] == [
        ("email", "sara0@example.com"),
        ("phone", "09121234567"),
    ]
    # A JSON boolean on both databases (SQLite's JSON functions hold 0/1).
    assert all(type(p["is_primary"]) is bool for p in first["contact_points"])
    # The same document as the customer list gives for the same customer.
    listed = {c["id"]: c for c in client.get("/api/v1/customers", {"q": "Karimi"}).json()["items"]}
    assert listed[second["id"]] == second and listed[first["id"]] == first


def test_update_changes_only_what_was_sent(api_client, sales1) -> None:
    customer = create_customer(
        actor=sales1, display_name="Before", notes="keep", owner=sales1, tags=["a"]
    )
    response = api_client(sales1).patch(
        f"/api/v1/customers/{customer.pk}",
        {"display_name": "After", "tags": ["b", "c"]},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["tags"] == ["b", "c"]
    customer.refresh_from_db()
    assert (customer.display_name, customer.notes) == ("After", "keep")


def test_delete_moves_to_the_recycle_bin(api_client, sales1) -> None:
    customer = CustomerFactory(owner=sales1)
    client = api_client(sales1)
    response = client.delete(f"/api/v1/customers/{customer.pk}")
    assert response.status_code == 204 and response.content == b""
    customer.refresh_from_db()
    assert customer.deleted_at is not None
    problem_of(client.get(f"/api/v1/customers/{customer.pk}"), 404)


def test_consent_and_contact_points(api_client, sales1) -> None:
    customer = CustomerFactory(owner=sales1)
    client = api_client(sales1)
    consent = client.post(
        f"/api/v1/customers/{customer.pk}/consents",
        {"channel": "email", "purpose": "marketing", "status": "granted", "source": "web form"},
        content_type="application/json",
    )
    assert consent.status_code == 201, consent.content
    point = client.post(
        f"/api/v1/customers/{customer.pk}/contact-points",
        {"kind": "email", "value": "Sara@Example.com"},
        content_type="application/json",
    )
    assert point.status_code == 201 and point.json()["value"] == "sara@example.com"
    view = client.get(f"/api/v1/customers/{customer.pk}").json()
    assert view["consents"][0]["status"] == "granted"
    assert view["contact_points"][0]["value"] == "sara@example.com"


@pytest.fixture
def rich_customer(sales1):
    CustomFieldDefinition.objects.create(key="tier", label="Tier", field_type="text")
    customer = create_customer(
        actor=sales1,
        display_name="Rich",
        owner=sales1,
        tags=["a", "b"],
        custom={"tier": "gold"},
        contact_points=[
            {"kind": "email", "value": "rich@example.com"},
            {"kind": "phone", "value": "09121111111"},
        ],
    )
    for _ in range(15):
        InteractionFactory(customer=customer, agent=sales1)
    for currency in ("IRR", "USD"):
        create_order(
            actor=sales1,
            customer=customer,
            currency=currency,
            lines=[{"description": "x", "quantity": 1, "unit_price": 100}],
        )
    for i in range(5):
        create_task(actor=sales1, title=f"T{i}", customer=customer)
    set_consent(
        customer, actor=sales1, channel="sms", purpose="service", status="granted", source="x"
    )
    return customer


def test_360_view(api_client, sales1, rich_customer) -> None:
    view = api_client(sales1).get(f"/api/v1/customers/{rich_customer.pk}").json()
    assert view["display_name"] == "Rich"
    assert view["tags"] == ["a", "b"]
    assert {p["kind"] for p in view["contact_points"]} == {"email", "phone"}
    assert len(view["latest_interactions"]) == 10
    totals = {
        t["currency"]: (t["count"], Decimal(t["total"]["amount"])) for t in view["order_totals"]
    }
    assert totals == {"IRR": (1, Decimal(100)), "USD": (1, Decimal(100))}
    assert len(view["open_tasks"]) == 5
    assert view["custom_fields"] == [
        {"key": "tier", "label": "Tier", "type": "text", "value": "gold"}
    ]
    assert view["consents"][0]["channel"] == "sms"


def test_360_query_count_is_small_and_constant(
    api_client, sales1, rich_customer, django_assert_num_queries
) -> None:
    client = api_client(sales1)
    # The token is resolved (and last_used_at written) once, then reused for a few seconds.
    client.get("/api/v1/me")
    # The first request on a PostgreSQL connection also prepares the statement there.
    assert client.get(f"/api/v1/customers/{rich_customer.pk}").status_code == 200
    # Then one query: the customer with every part of the view folded in.
    with django_assert_num_queries(1):
        assert client.get(f"/api/v1/customers/{rich_customer.pk}").status_code == 200


def test_timeline_pages(api_client, sales1, rich_customer) -> None:
    client = api_client(sales1)
    url = f"/api/v1/customers/{rich_customer.pk}/timeline?limit=7"
    first = client.get(url).json()
    assert len(first["items"]) == 7 and first["next_cursor"]
    second = client.get(f"{url}&cursor={first['next_cursor']}").json()
    assert second["items"]
    assert second["items"][0]["at"] <= first["items"][-1]["at"]
    kinds = {e["kind"] for e in first["items"] + second["items"]}
    assert kinds <= {"interaction", "order", "task", "change"}
