"""/api/v1/opportunities and /api/v1/pipelines: scopes, visibility, problem+json, cursor
pagination, Idempotency-Key, moves, win/lose with reasons, stage history."""

from __future__ import annotations

from typing import Any

import pytest

from peyvand.catalog.services import ensure_currencies
from peyvand.sales.choices import CloseOutcome
from peyvand.sales.models import CloseReason, Competitor, Opportunity
from peyvand.sales.opportunities import ensure_default_pipeline
from tests.api.conftest import fields_of, problem_of
from tests.factories import CustomerFactory
from tests.sales.pipeline_factories import make_opportunity

pytestmark = pytest.mark.django_db


@pytest.fixture
def customers(personas: dict[str, Any]) -> tuple[Any, Any]:
    ensure_currencies()
    return (
        CustomerFactory(display_name="Mine", owner=personas["sales1"]),
        CustomerFactory(display_name="Theirs", owner=personas["sales2"]),
    )


def _post(client: Any, path: str, body: dict[str, Any], key: str | None = None) -> Any:
    headers = {"Idempotency-Key": key} if key else {}
    return client.post(path, body, content_type="application/json", headers=headers)


def test_list_is_scoped_filtered_and_cursor_paginated(
    api_client: Any, sales1: Any, sales2: Any, customers: Any
) -> None:
    mine, theirs = customers
    for index in range(5):
        make_opportunity(mine, sales1, title=f"Mine {index}")
    make_opportunity(theirs, sales2, title="Theirs")
    client = api_client(sales1, scopes=["opportunities:read"])
    first = client.get("/api/v1/opportunities", {"limit": 3}).json()
    second = client.get(
        "/api/v1/opportunities", {"limit": 3, "cursor": first["next_cursor"]}
    ).json()
    titles = [item["title"] for item in first["items"] + second["items"]]
    assert sorted(titles) == [f"Mine {i}" for i in range(5)] and second["next_cursor"] is None
    assert (
        client.get("/api/v1/opportunities", {"q": "mine 3"}).json()["items"][0]["title"] == "Mine 3"
    )
    theirs_deal = Opportunity.objects.get(title="Theirs")
    problem_of(client.get(f"/api/v1/opportunities/{theirs_deal.pk}"), 404)
    problem_of(client.get("/api/v1/opportunities", {"cursor": "nonsense"}), 422)
    problem_of(api_client(sales1, scopes=["orders:read"]).get("/api/v1/opportunities"), 403)


def test_create_is_idempotent_and_refuses_unknown_fields(
    api_client: Any, sales1: Any, customers: Any
) -> None:
    mine, theirs = customers
    rival = Competitor.objects.create(name="Rival")
    client = api_client(sales1, scopes=["opportunities:write", "opportunities:read"])
    body = {"customer": mine.pk, "title": "API deal", "amount": "1200", "competitors": [rival.pk]}
    first = _post(client, "/api/v1/opportunities", body, key="k1")
    again = _post(client, "/api/v1/opportunities", body, key="k1")
    assert first.status_code == 201 and again.json() == first.json()
    assert Opportunity.objects.count() == 1
    created = first.json()
    assert created["amount"] == {"amount": "1200.00", "currency": "IRR"}
    assert created["owner"]["username"] == "sales1"
    assert [c["name"] for c in created["competitors"]] == ["Rival"]
    unknown = problem_of(_post(client, "/api/v1/opportunities", {**body, "owner": 1}), 422)
    assert "owner" in fields_of(unknown)
    foreign = problem_of(
        _post(client, "/api/v1/opportunities", {**body, "customer": theirs.pk}), 404
    )
    assert fields_of(foreign) == {"customer"}
    missing = problem_of(
        _post(client, "/api/v1/opportunities", {**body, "competitors": [999]}), 400
    )
    assert fields_of(missing) == {"competitors"}
    assert Opportunity.objects.count() == 1


def test_update_move_lose_and_history(
    api_client: Any, sales1: Any, sales2: Any, customers: Any
) -> None:
    mine, _theirs = customers
    deal = make_opportunity(mine, sales1, title="Deal")
    client = api_client(sales1)
    path = f"/api/v1/opportunities/{deal.pk}"
    patched = client.patch(
        path, {"next_step": "Send offer", "amount": "99"}, content_type="application/json"
    )
    assert patched.status_code == 200
    assert patched.json()["next_step"] == "Send offer" and patched.json()["title"] == "Deal"
    problem_of(api_client(sales2).patch(path, {"title": "x"}, content_type="application/json"), 404)
    proposal = ensure_default_pipeline().stages.get(name="Proposal")
    moved = _post(client, f"{path}/move", {"stage": proposal.pk})
    assert moved.json()["stage"]["name"] == "Proposal"
    no_reason = problem_of(_post(client, f"{path}/lose", {}), 400)
    assert fields_of(no_reason) == {"reason"}
    won_reason = CloseReason.objects.create(outcome=CloseOutcome.WON, name="Fit")
    problem_of(_post(client, f"{path}/lose", {"reason_id": won_reason.pk}), 404)
    price = CloseReason.objects.create(outcome=CloseOutcome.LOST, name="Price", name_fa="قیمت")
    lost = _post(client, f"{path}/lose", {"reason_id": price.pk, "reason": "Too dear"}).json()
    assert (lost["status"], lost["reason"]["name_fa"], lost["close_reason"]) == (
        "lost",
        "قیمت",
        "Too dear",
    )
    history = client.get(f"{path}/history").json()
    assert [h["stage"]["name"] for h in history] == ["Qualification", "Proposal", "Lost"]
    assert all(h["seconds"] >= 0 for h in history) and history[-1]["left_at"] is not None


def test_pipelines_list_and_read(api_client: Any, sales1: Any, service1: Any) -> None:
    pipeline = ensure_default_pipeline()
    listed = api_client(sales1, scopes=["opportunities:read"]).get("/api/v1/pipelines").json()
    assert listed[0]["id"] == pipeline.pk and listed[0]["is_default"]
    assert [s["name"] for s in listed[0]["stages"]][-2:] == ["Won", "Lost"]
    read = api_client(sales1).get(f"/api/v1/pipelines/{pipeline.pk}").json()
    assert read["stages"][0]["win_probability"] == 10
    problem_of(api_client(sales1).get("/api/v1/pipelines/9999"), 404)
    problem_of(api_client(service1).get("/api/v1/pipelines"), 403)
