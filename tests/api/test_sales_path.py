"""The lead → opportunity → quote → order → contract path through the API, every step
through /api/v1 with one token of the rep."""

from __future__ import annotations

from typing import Any

import pytest

from peyvand.catalog.services import ensure_currencies
from peyvand.sales.opportunities import ensure_default_pipeline
from tests.api.conftest import problem_of
from tests.sales.quote_factories import make_price_list

pytestmark = pytest.mark.django_db


def post(client: Any, url: str, data: Any, key: str) -> Any:
    return client.post(url, data, content_type="application/json", headers={"Idempotency-Key": key})


def test_lead_to_contract(api_client: Any, sales1: Any, sales2: Any) -> None:
    ensure_currencies()
    pipeline = ensure_default_pipeline()
    price_list, products = make_price_list(prices={"ERP-1": "1500000", "SUP-1": "333333"})

    client = api_client(
        sales1,
        scopes=[
            "leads:read",
            "leads:write",
            "opportunities:read",
            "opportunities:write",
            "quotes:read",
            "quotes:write",
            "orders:read",
            "contracts:read",
            "contracts:write",
        ],
    )
    lead = post(
        client,
        "/api/v1/leads",
        {"name": "Arash Tehrani", "company": "Tehran Steel", "email": "arash@example.com"},
        "path-lead",
    )
    assert lead.status_code == 201, lead.content
    assert lead.json()["owner"]["id"] == sales1.pk
    converted = post(
        client,
        f"/api/v1/leads/{lead.json()['id']}/convert",
        {"amount": "3000000", "currency": "IRR"},
        "path-convert",
    )
    assert converted.status_code == 201, converted.content
    customer_id = converted.json()["customer"]["id"]
    opportunity_id = converted.json()["opportunity"]["id"]
    proposal = pipeline.stages.get(name="Proposal")
    moved = post(
        client, f"/api/v1/opportunities/{opportunity_id}/move", {"stage": proposal.pk}, "path-move"
    )
    assert moved.status_code == 200, moved.content
    assert moved.json()["stage"]["id"] == proposal.pk

    created = post(
        client,
        "/api/v1/quotes",
        {
            "customer": customer_id,
            "opportunity": opportunity_id,
            "price_list": price_list.pk,
            "lines": [
                {"product": products["ERP-1"].pk, "quantity": "2", "discount_percent": "10"},
                {"product": products["SUP-1"].pk, "quantity": "3", "tax_percent": "9"},
            ],
        },
        "path-quote",
    )
    assert created.status_code == 201, created.content
    quote = created.json()
    assert quote["opportunity"] == opportunity_id
    # 2 × 1,500,000 less 10 % + 3 × 333,333 with 9 % tax (89,999.91 → 90,000).
    assert quote["total"] == {"amount": "3789999.00", "currency": "IRR"}

    assert (
        post(client, f"/api/v1/quotes/{quote['id']}/send", {}, "path-send").json()["status"]
        == "sent"
    )
    accepted = post(client, f"/api/v1/quotes/{quote['id']}/accept", {}, "path-accept")
    assert accepted.status_code == 200, accepted.content
    order = accepted.json()
    assert order["customer"]["id"] == customer_id and order["total"] == quote["total"]
    listed = client.get(f"/api/v1/orders?customer={customer_id}").json()["items"]
    assert [o["id"] for o in listed] == [order["id"]]
    # Accepting the quote won its opportunity.
    deal = client.get(f"/api/v1/opportunities/{opportunity_id}").json()
    won = pipeline.stages.get(is_won=True)
    assert deal["status"] == "won" and deal["stage"]["id"] == won.pk

    contract = post(
        client,
        "/api/v1/contracts",
        {
            "customer": customer_id,
            "order": order["id"],
            "quote": quote["id"],
            "title": "ERP support",
            "start_date": "2026-01-01",
            "end_date": "2026-12-31",
            "value": order["total"]["amount"],
            "currency": "IRR",
            "auto_renew": True,
        },
        "path-contract",
    )
    assert contract.status_code == 201, contract.content
    body = contract.json()
    assert body["order"] == order["id"] and body["quote"] == quote["id"]
    assert body["value"] == order["total"] and body["renewal_date"] == "2026-12-31"
    renewal = post(client, f"/api/v1/contracts/{body['id']}/renew", {}, "path-renew").json()
    assert renewal["previous"] == body["id"] and renewal["start_date"] == "2027-01-01"

    # None of it is visible to the other rep.
    other = api_client(sales2)
    for url in (
        f"/api/v1/quotes/{quote['id']}",
        f"/api/v1/orders/{order['id']}",
        f"/api/v1/contracts/{body['id']}",
    ):
        problem_of(other.get(url), 404)
    assert other.get("/api/v1/quotes").json()["items"] == []
    assert other.get("/api/v1/contracts").json()["items"] == []
