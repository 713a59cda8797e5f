"""Portal isolation: a customer never sees another customer's tickets, orders, quotes or
agreements — not by guessing ids, not by search, not by attachment URL, not by the API —
and the portal API answers only to a portal session."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from peyvand.catalog.services import ensure_currencies
from peyvand.channels.models import InteractionAttachment
from peyvand.sales.quotes import accept_quote, send_quote
from peyvand.service.models import BusinessCalendar, ServiceAgreement, SlaPolicy
from tests.portal.conftest import make_ticket
from tests.sales.quote_factories import make_quote

pytestmark = pytest.mark.django_db


@pytest.fixture
def bobs_records(bob: Any, service1: Any) -> dict[str, Any]:
    ensure_currencies()
    ticket = make_ticket(bob, "Bob's secret outage", staff=service1)
    quote = send_quote(make_quote(bob), actor=None)
    order = accept_quote(send_quote(make_quote(bob), actor=None), actor=None)
    calendar = BusinessCalendar.objects.create(name="Office")
    policy = SlaPolicy.objects.create(
        name="Gold", first_response_minutes=60, resolution_minutes=480, calendar=calendar
    )
    agreement = ServiceAgreement.objects.create(
        customer=bob,
        name="Bob's platinum plan",
        starts_on="2026-01-01",
        ends_on="2027-01-01",
        sla_policy=policy,
    )
    attachment = InteractionAttachment.objects.get(interaction__customer=bob)
    return {
        "ticket": ticket,
        "quote": quote,
        "order": order,
        "agreement": agreement,
        "attachment": attachment,
    }


def test_another_customers_ids_answer_404_on_every_page(
    alice: Any, bobs_records: dict[str, Any], portal_client: Any
) -> None:
    client = portal_client(alice)
    r = bobs_records
    for url in [
        f"/portal/tickets/{r['ticket'].pk}/",
        f"/portal/quotes/{r['quote'].pk}/",
        f"/portal/orders/{r['order'].pk}/",
        f"/portal/tickets/{r['ticket'].pk}/attachments/{r['attachment'].pk}/",
    ]:
        assert client.get(url).status_code == 404, url
    # Posting to them changes nothing either.
    assert client.post(f"/portal/tickets/{r['ticket'].pk}/", {"body": "hi"}).status_code == 404
    assert client.post(f"/portal/quotes/{r['quote'].pk}/").status_code == 404
    r["quote"].refresh_from_db()
    assert r["quote"].status == "sent"


def test_an_attachment_cannot_be_fetched_through_my_own_ticket(
    alice: Any, service1: Any, bobs_records: dict[str, Any], portal_client: Any
) -> None:
    mine = make_ticket(alice, "My ticket", staff=service1)
    client = portal_client(alice)
    theirs = bobs_records["attachment"].pk
    assert client.get(f"/portal/tickets/{mine.pk}/attachments/{theirs}/").status_code == 404
    own = InteractionAttachment.objects.get(interaction__customer=alice)
    response = client.get(f"/portal/tickets/{mine.pk}/attachments/{own.pk}/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == b"log file"  # type: ignore[attr-defined]


def test_lists_and_search_show_only_my_records(
    alice: Any, bobs_records: dict[str, Any], portal_client: Any
) -> None:
    client = portal_client(alice)
    r = bobs_records
    pages = {
        "/portal/": ["Bob's secret outage", r["order"].number],
        "/portal/tickets/?q=secret": ["Bob's secret outage"],
        "/portal/tickets/": ["Bob's secret outage"],
        "/portal/orders/": [r["order"].number],
        "/portal/quotes/": [r["quote"].number],
        "/portal/agreements/": ["Bob's platinum plan"],
    }
    for url, forbidden in pages.items():
        html = client.get(url).content.decode().replace("&#x27;", "'")
        for text in forbidden:
            assert text not in html, (url, text)


def test_the_api_answers_only_my_records(
    alice: Any, bobs_records: dict[str, Any], portal_client: Any
) -> None:
    client = portal_client(alice)
    r = bobs_records
    assert client.get("/api/v1/portal/me").json()["id"] == alice.pk
    for url in [
        f"/api/v1/portal/tickets/{r['ticket'].pk}",
        f"/api/v1/portal/orders/{r['order'].pk}",
    ]:
        response = client.get(url)
        assert response.status_code == 404, url
        assert response["Content-Type"].startswith("application/problem+json")
    for url in [
        "/api/v1/portal/tickets",
        "/api/v1/portal/tickets?q=secret",
        "/api/v1/portal/orders",
        "/api/v1/portal/quotes",
    ]:
        assert client.get(url).json()["items"] == [], url
    assert client.get("/api/v1/portal/agreements").json() == []
    refused = client.post(
        f"/api/v1/portal/tickets/{r['ticket'].pk}/replies",
        {"body": "hi"},
        content_type="application/json",
    )
    assert refused.status_code in (403, 404)


def test_the_api_needs_a_portal_session_and_csrf(
    alice: Any, bob: Any, client_for: Any, manager: Any, portal_client: Any
) -> None:
    assert Client().get("/api/v1/portal/tickets").status_code == 401
    # A staff session is not a portal session.
    assert client_for(manager).get("/api/v1/portal/tickets").status_code == 401
    strict = portal_client(alice)
    strict.handler.enforce_csrf_checks = True
    response = strict.post(
        "/api/v1/portal/tickets",
        {"subject": "x", "description": "y"},
        content_type="application/json",
    )
    assert response.status_code == 403


def test_the_api_opens_and_replies_on_my_ticket(
    alice: Any, personas: Any, portal_client: Any
) -> None:
    client = portal_client(alice)
    created = client.post(
        "/api/v1/portal/tickets",
        {"subject": "Invoice question", "description": "Why two lines?"},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    ticket_id = created.json()["id"]
    replied = client.post(
        f"/api/v1/portal/tickets/{ticket_id}/replies",
        {"body": "Also the tax"},
        content_type="application/json",
    )
    assert replied.status_code == 201
    assert [m["body"] for m in replied.json()["messages"]] == ["Also the tax"]
    bad = client.post(
        "/api/v1/portal/tickets",
        {"subject": "", "description": "y", "owner": 1},
        content_type="application/json",
    )
    assert bad.status_code == 422
    listed = client.get("/api/v1/portal/tickets").json()["items"]
    assert [t["id"] for t in listed] == [ticket_id]
