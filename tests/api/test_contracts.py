"""/api/v1/contracts: create (from an order), read, renew, cancel; scopes, problems,
visibility and cursors."""

from __future__ import annotations

from typing import Any

import pytest

from peyvand.catalog.services import ensure_currencies
from peyvand.sales.models import Contract
from tests.api.conftest import fields_of, problem_of
from tests.factories import CustomerFactory
from tests.sales.factories import make_order
from tests.sales.quote_factories import make_contract

pytestmark = pytest.mark.django_db


def post(client: Any, url: str, data: Any) -> Any:
    return client.post(url, data, content_type="application/json")


def _payload(customer: Any, **extra: Any) -> dict[str, Any]:
    return {
        "customer": customer.pk,
        "title": "Hosting — میزبانی 🙂",
        "start_date": "2026-01-01",
        "end_date": "2026-12-31",
        "value": "24000000",
        "currency": "IRR",
        "billing_period": "monthly",
        **extra,
    }


def test_create_from_an_order_renew_and_cancel(api_client: Any, sales1: Any) -> None:
    ensure_currencies()
    customer = CustomerFactory(owner=sales1)
    order = make_order(customer, actor=sales1)
    client = api_client(sales1)
    created = post(client, "/api/v1/contracts", _payload(customer, order=order.pk, notice_days=45))
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["order"] == order.pk and body["status"] == "active"
    assert body["renewal_date"] == "2026-12-31" and body["notice_days"] == 45
    assert body["value"] == {"amount": "24000000.00", "currency": "IRR"}
    assert body["title"] == "Hosting — میزبانی 🙂"

    renewed = post(client, f"/api/v1/contracts/{body['id']}/renew", {"value": "26000000"})
    assert renewed.status_code == 201, renewed.content
    renewal = renewed.json()
    assert renewal["previous"] == body["id"] and renewal["start_date"] == "2027-01-01"
    assert renewal["value"]["amount"] == "26000000.00"
    assert client.get(f"/api/v1/contracts/{body['id']}").json()["status"] == "renewed"
    again = post(client, f"/api/v1/contracts/{body['id']}/renew", {})
    assert again.json()["id"] == renewal["id"]

    cancelled = post(client, f"/api/v1/contracts/{renewal['id']}/cancel", {"reason": "Moved"})
    assert (
        cancelled.json()["status"] == "cancelled" and cancelled.json()["cancel_reason"] == "Moved"
    )
    refused = post(client, f"/api/v1/contracts/{renewal['id']}/renew", {})
    assert "status" in fields_of(problem_of(refused, 400))


def test_bad_input(api_client: Any, sales1: Any, sales2: Any) -> None:
    ensure_currencies()
    mine = CustomerFactory(owner=sales1)
    theirs = CustomerFactory(owner=sales2)
    client = api_client(sales1)
    cases = [
        (_payload(mine, status="cancelled"), 422, "status"),
        (_payload(mine, start_date="not a date"), 422, "start_date"),
        (_payload(mine, notice_days=1000), 422, "notice_days"),
        (_payload(mine, end_date="2025-01-01"), 400, "end_date"),
        (_payload(mine, value="1.5"), 400, "value"),
        (_payload(theirs), 404, "customer"),
        (_payload(mine, order=make_order(theirs, actor=sales2).pk), 404, "order"),
    ]
    for payload, status, field in cases:
        response = post(client, "/api/v1/contracts", payload)
        assert field in fields_of(problem_of(response, status)), (field, response.content)
    assert Contract.objects.count() == 0


def test_another_rep_sees_nothing(api_client: Any, sales1: Any, sales2: Any, service1: Any) -> None:
    ensure_currencies()
    contract = make_contract(CustomerFactory(owner=sales1), actor=sales1)
    other = api_client(sales2)
    assert other.get("/api/v1/contracts").json()["items"] == []
    problem_of(other.get(f"/api/v1/contracts/{contract.pk}"), 404)
    problem_of(post(other, f"/api/v1/contracts/{contract.pk}/renew", {}), 404)
    problem_of(post(other, f"/api/v1/contracts/{contract.pk}/cancel", {}), 404)
    contract.refresh_from_db()
    assert contract.status == "active"
    # A service agent may read contracts of their department's customers, not create them.
    problem_of(post(api_client(service1), "/api/v1/contracts", _payload(contract.customer)), 403)


def test_scopes_and_cursor(api_client: Any, sales1: Any) -> None:
    ensure_currencies()
    customer = CustomerFactory(owner=sales1)
    made = {make_contract(customer, actor=sales1).pk for _ in range(3)}
    reader = api_client(sales1, scopes=["contracts:read"])
    problem_of(post(reader, "/api/v1/contracts", _payload(customer)), 403)
    problem_of(api_client(sales1, scopes=["quotes:read"]).get("/api/v1/contracts"), 403)
    first = reader.get("/api/v1/contracts?limit=2").json()
    rest = reader.get(f"/api/v1/contracts?limit=2&cursor={first['next_cursor']}").json()
    assert {c["id"] for c in first["items"] + rest["items"]} == made
    assert rest["next_cursor"] is None
