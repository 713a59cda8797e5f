"""/api/v1/leads: list (filters, cursor, visibility), create through capture, read, PATCH,
convert; own-scope reps never see each other's leads."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from peyvand.audit.models import ChangeLog
from peyvand.customers.models import Customer
from peyvand.sales.choices import LeadChannel
from peyvand.sales.models import Lead, LeadSource, Opportunity
from tests.api.conftest import fields_of, problem_of
from tests.sales.pipeline_factories import make_lead

URL = "/api/v1/leads"


@pytest.fixture
def leads(sales1: Any, sales2: Any) -> dict[str, Lead]:
    return {
        "mine": make_lead(sales1, name="Sara Mine", email="mine@example.com"),
        "theirs": make_lead(sales2, name="John Theirs", email="theirs@example.com"),
    }


def test_list_shows_only_the_callers_leads_and_search_respects_scope(
    api_client: Any, sales1: Any, manager: Any, leads: dict[str, Lead]
) -> None:
    body = api_client(sales1).get(URL).json()
    assert [item["id"] for item in body["items"]] == [leads["mine"].pk]
    assert api_client(sales1).get(URL, {"q": "John"}).json()["items"] == []
    assert api_client(sales1).get(URL, {"q": "theirs@example.com"}).json()["items"] == []
    assert len(api_client(manager).get(URL).json()["items"]) == 2
    assert [i["id"] for i in api_client(manager).get(URL, {"q": "john"}).json()["items"]] == [
        leads["theirs"].pk
    ]
    problem_of(api_client(sales1).get(f"{URL}/{leads['theirs'].pk}"), 404)
    problem_of(
        api_client(sales1).patch(
            f"{URL}/{leads['theirs'].pk}", {"name": "x"}, content_type="application/json"
        ),
        404,
    )
    problem_of(
        api_client(sales1).post(
            f"{URL}/{leads['theirs'].pk}/convert", {}, content_type="application/json"
        ),
        404,
    )


def test_list_filters_and_cursor_pagination(api_client: Any, manager: Any, sales1: Any) -> None:
    made = [make_lead(sales1, name=f"L{i}", email=f"l{i}@example.com") for i in range(5)]
    Lead.objects.filter(pk=made[0].pk).update(respond_by=timezone.now() - dt.timedelta(hours=1))
    client = api_client(manager)
    seen: list[int] = []
    cursor = None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = client.get(URL, params).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [lead.pk for lead in reversed(made)]
    breached = client.get(URL, {"breached": "true"}).json()["items"]
    assert [i["id"] for i in breached] == [made[0].pk] and breached[0]["sla_breached"]
    assert len(client.get(URL, {"breached": "false"}).json()["items"]) == 4
    assert client.get(URL, {"status": "converted"}).json()["items"] == []
    problem_of(client.get(URL, {"status": "bogus"}), 422)
    problem_of(client.get(URL, {"cursor": "garbage"}), 422)


def test_create_goes_through_capture_and_refuses_unknown_fields(
    api_client: Any, sales1: Any, sales2: Any
) -> None:
    LeadSource.objects.create(code="api", name="Partner API")
    client = api_client(sales1)
    response = client.post(
        URL,
        {"name": "Negar", "email": "NEGAR@example.com", "source": "api", "city": "Tabriz"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["email"] == "negar@example.com" and body["channel"] == LeadChannel.API
    assert body["owner"]["id"] in (sales1.pk, sales2.pk) and body["respond_by"]
    for bad in (
        {"name": "X", "email": "x@example.com", "score": 100},
        {"name": "X", "email": "x@example.com", "status": "converted"},
    ):
        problem = problem_of(client.post(URL, bad, content_type="application/json"), 422)
        assert fields_of(problem) & {"score", "status"}
    problem = problem_of(client.post(URL, {"name": ""}, content_type="application/json"), 422)
    assert {"name", "email"} <= fields_of(problem)
    problem = problem_of(
        client.post(
            URL,
            {"name": "X", "email": "x@example.com", "source": "nope"},
            content_type="application/json",
        ),
        400,
    )
    assert fields_of(problem) == {"source"}
    # Giving a lead to someone else needs the assign permission a rep does not have.
    problem_of(
        client.post(
            URL,
            {"name": "X", "email": "x@example.com", "owner": sales2.pk},
            content_type="application/json",
        ),
        403,
    )
    assert Lead.objects.count() == 1


def test_create_honours_the_idempotency_key(api_client: Any, sales1: Any) -> None:
    client = api_client(sales1)
    payload = {"name": "Once", "email": "once@example.com", "owner": sales1.pk}
    first = client.post(
        URL, payload, content_type="application/json", headers={"Idempotency-Key": "k-1"}
    )
    again = client.post(
        URL, payload, content_type="application/json", headers={"Idempotency-Key": "k-1"}
    )
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert Lead.objects.count() == 1


def test_patch_changes_only_what_is_sent_and_stamps_the_first_response(
    api_client: Any, sales1: Any, leads: dict[str, Lead]
) -> None:
    lead = leads["mine"]
    url = f"{URL}/{lead.pk}"
    response = api_client(sales1).patch(
        url, {"company": "شرکت نو", "status": "contacted"}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["company"], body["status"], body["name"]) == ("شرکت نو", "contacted", "Sara Mine")
    assert body["first_response_at"] is not None
    problem = problem_of(
        api_client(sales1).patch(url, {"email": "broken"}, content_type="application/json"), 422
    )
    assert fields_of(problem) == {"email"}
    problem_of(api_client(sales1).patch(url, {"owner_id": 1}, content_type="application/json"), 422)
    lead.refresh_from_db()
    assert lead.email == "mine@example.com"


def test_convert_makes_customer_and_opportunity_once(
    api_client: Any, sales1: Any, leads: dict[str, Lead], currencies: None
) -> None:
    url = f"{URL}/{leads['mine'].pk}/convert"
    response = api_client(sales1).post(
        url,
        {"title": "First deal", "amount": "1500000", "currency": "IRR"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["lead"]["status"] == "converted"
    customer = Customer.objects.get(pk=body["customer"]["id"])
    opportunity = Opportunity.objects.get(pk=body["opportunity"]["id"])
    assert customer.owner == sales1 and opportunity.title == "First deal"
    assert ChangeLog.objects.filter(object_id=str(opportunity.pk)).exists()
    problem_of(api_client(sales1).post(url, {}, content_type="application/json"), 400)
    assert Opportunity.objects.count() == 1


def test_token_scopes_are_enforced(api_client: Any, sales1: Any, leads: dict[str, Lead]) -> None:
    problem_of(api_client(sales1, scopes=["orders:read"]).get(URL), 403)
    reader = api_client(sales1, scopes=["leads:read"])
    assert reader.get(URL).status_code == 200
    problem_of(
        reader.post(URL, {"name": "X", "email": "x@example.com"}, content_type="application/json"),
        403,
    )


def test_roles_without_leads_are_refused(api_client: Any, service1: Any) -> None:
    assert api_client(service1).get(URL).json()["items"] == []
    problem_of(
        api_client(service1).post(
            URL, {"name": "X", "email": "x@example.com"}, content_type="application/json"
        ),
        403,
    )
