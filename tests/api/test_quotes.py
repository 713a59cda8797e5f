"""/api/v1/quotes: create from a price list, send, accept into an order, reject; scopes,
problems, idempotency, visibility and cursors."""

from __future__ import annotations

from typing import Any

import pytest

from peyvand.catalog.services import ensure_currencies
from peyvand.sales.models import Order, Quote
from tests.api.conftest import fields_of, problem_of
from tests.factories import CustomerFactory
from tests.sales.pipeline_factories import make_opportunity
from tests.sales.quote_factories import make_price_list, make_quote

pytestmark = pytest.mark.django_db


def post(client: Any, url: str, data: Any, **headers: Any) -> Any:
    return client.post(url, data, content_type="application/json", headers=headers)


@pytest.fixture
def catalog(db: Any) -> Any:
    ensure_currencies()
    return make_price_list(prices={"ERP-1": "1500000", "SUP-1": "250000"})


def _payload(customer: Any, catalog: Any, **extra: Any) -> dict[str, Any]:
    price_list, products = catalog
    return {
        "customer": customer.pk,
        "price_list": price_list.pk,
        "lines": [
            {"product": products["ERP-1"].pk, "quantity": "2", "discount_percent": "10"},
            {"product": products["SUP-1"].pk, "quantity": "1", "tax_percent": "9"},
        ],
        **extra,
    }


def test_create_send_accept(api_client: Any, sales1: Any, catalog: Any) -> None:
    customer = CustomerFactory(owner=sales1)
    client = api_client(sales1)
    deal = make_opportunity(customer, sales1)
    created = post(client, "/api/v1/quotes", _payload(customer, catalog, opportunity=deal.pk))
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["status"] == "draft" and body["opportunity"] == deal.pk
    assert body["subtotal"] == {"amount": "3250000.00", "currency": "IRR"}
    assert body["discount_total"]["amount"] == "300000.00"
    assert body["tax_total"]["amount"] == "22500.00"
    assert body["total"]["amount"] == "2972500.00"
    assert [line["net"]["amount"] for line in body["lines"]] == ["2700000.00", "250000.00"]

    url = f"/api/v1/quotes/{body['id']}"
    refused = post(client, f"{url}/accept", {})
    assert "status" in fields_of(problem_of(refused, 400))
    assert post(client, f"{url}/send", {}).json()["status"] == "sent"
    accepted = post(client, f"{url}/accept", {})
    assert accepted.status_code == 200, accepted.content
    order = accepted.json()
    assert order["total"] == body["total"] and order["external_ref"] == body["number"]
    assert len(order["lines"]) == 3  # two items and the 9 % tax
    again = post(client, f"{url}/accept", {})
    assert again.json()["id"] == order["id"] and Order.objects.count() == 1
    assert client.get(url).json()["order"] == order["id"]


def test_reject(api_client: Any, sales1: Any, catalog: Any) -> None:
    customer = CustomerFactory(owner=sales1)
    client = api_client(sales1)
    quote = make_quote(customer, actor=sales1, price_list=catalog[0])
    post(client, f"/api/v1/quotes/{quote.pk}/send", {})
    rejected = post(client, f"/api/v1/quotes/{quote.pk}/reject", {"reason": "<script>x</script>"})
    assert rejected.json()["status"] == "rejected"
    assert rejected.json()["reject_reason"] == "<script>x</script>"
    late = post(client, f"/api/v1/quotes/{quote.pk}/accept", {})
    assert problem_of(late, 400)["errors"][0]["field"] == "status"


def test_bad_input_is_a_problem_and_changes_nothing(
    api_client: Any, sales1: Any, sales2: Any, catalog: Any
) -> None:
    mine = CustomerFactory(owner=sales1)
    theirs = CustomerFactory(owner=sales2)
    client = api_client(sales1)
    _, other_products = make_price_list(name="Other", prices={"ZZZ-9": "1"})
    cases = [
        (_payload(mine, catalog, owner=sales1.pk), 422, "owner"),
        (_payload(mine, catalog, lines=[]), 422, "lines"),
        (_payload(mine, catalog, lines=[{"product": "x"}]), 422, "lines.0.product"),
        (
            _payload(mine, catalog, lines=[{"product": 1, "quantity": "-1"}]),
            422,
            "lines.0.quantity",
        ),
        (
            _payload(mine, catalog, lines=[{"product": other_products["ZZZ-9"].pk}]),
            400,
            "lines.0.product",
        ),
        (_payload(mine, catalog, currency="XXX"), 400, "currency"),
        (_payload(theirs, catalog), 404, "customer"),
        (_payload(mine, catalog, price_list=999999), 404, "price_list"),
        (
            _payload(mine, catalog, opportunity=make_opportunity(theirs, sales2).pk),
            404,
            "opportunity",
        ),
        (_payload(mine, catalog, valid_until="2000-01-01"), 400, "valid_until"),
    ]
    for payload, status, field in cases:
        response = post(client, "/api/v1/quotes", payload)
        assert field in fields_of(problem_of(response, status)), (field, response.content)
    assert Quote.objects.count() == 0


def test_persian_errors_for_a_persian_caller(api_client: Any, sales1: Any, catalog: Any) -> None:
    customer = CustomerFactory(owner=sales1)
    payload = _payload(
        customer,
        catalog,
        lines=[{"product": catalog[1]["ERP-1"].pk, "discount_percent": "100", "quantity": "1"}],
    )
    payload["valid_until"] = "2000-01-01"
    response = post(api_client(sales1), "/api/v1/quotes", payload, **{"Accept-Language": "fa"})
    detail = problem_of(response, 400)["errors"][0]["message"]
    assert any("\u0600" <= ch <= "\u06ff" for ch in detail), detail


def test_idempotency_key_replays_the_creation(api_client: Any, sales1: Any, catalog: Any) -> None:
    customer = CustomerFactory(owner=sales1)
    client = api_client(sales1)
    first = post(
        client, "/api/v1/quotes", _payload(customer, catalog), **{"Idempotency-Key": "q-1"}
    )
    second = post(
        client, "/api/v1/quotes", _payload(customer, catalog), **{"Idempotency-Key": "q-1"}
    )
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"] and Quote.objects.count() == 1


def test_another_rep_sees_nothing_of_the_quote(
    api_client: Any, sales1: Any, sales2: Any, manager: Any, catalog: Any
) -> None:
    quote = make_quote(CustomerFactory(owner=sales1), actor=sales1, price_list=catalog[0])
    other = api_client(sales2)
    assert other.get("/api/v1/quotes").json()["items"] == []
    for method, url in [
        ("get", f"/api/v1/quotes/{quote.pk}"),
        ("post", f"/api/v1/quotes/{quote.pk}/send"),
        ("post", f"/api/v1/quotes/{quote.pk}/accept"),
        ("post", f"/api/v1/quotes/{quote.pk}/reject"),
    ]:
        response = (
            getattr(other, method)(url, {}, content_type="application/json")
            if method == "post"
            else other.get(url)
        )
        problem_of(response, 404)
    quote.refresh_from_db()
    assert quote.status == "draft"
    assert [q["id"] for q in api_client(manager).get("/api/v1/quotes").json()["items"]] == [
        quote.pk
    ]


def test_scopes(api_client: Any, sales1: Any, marketing1: Any, catalog: Any) -> None:
    customer = CustomerFactory(owner=sales1)
    reader = api_client(sales1, scopes=["quotes:read"])
    assert reader.get("/api/v1/quotes").status_code == 200
    problem_of(post(reader, "/api/v1/quotes", _payload(customer, catalog)), 403)
    problem_of(api_client(sales1, scopes=["orders:read"]).get("/api/v1/quotes"), 403)
    # A marketer's role grants nothing on quotes.
    problem_of(post(api_client(marketing1), "/api/v1/quotes", _payload(customer, catalog)), 403)
    assert api_client(marketing1).get("/api/v1/quotes").json()["items"] == []


def test_cursor_pages_through_every_quote_once(api_client: Any, sales1: Any, catalog: Any) -> None:
    customer = CustomerFactory(owner=sales1)
    made = {make_quote(customer, actor=sales1, price_list=catalog[0]).pk for _ in range(5)}
    client = api_client(sales1)
    seen: list[int] = []
    url = "/api/v1/quotes?limit=2"
    while url:
        page = client.get(url).json()
        seen += [q["id"] for q in page["items"]]
        url = f"/api/v1/quotes?limit=2&cursor={page['next_cursor']}" if page["next_cursor"] else ""
    assert sorted(seen) == sorted(made) and len(seen) == 5
    assert client.get(f"/api/v1/quotes?customer={customer.pk}&status=sent").json()["items"] == []
