"""The public collect endpoint: every bad input of issue 4 gets a clear problem+json and
leaves nothing behind; good batches are stored with sessions, bots flagged."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from peyvand.tracking.models import Event, IdentityLink, TrackedSite, Visitor, WebSession
from peyvand.tracking.services import issue_identify_token
from tests.factories import CustomerFactory
from tests.tracking.conftest import BROWSER, anonymous_id, collect_url

pytestmark = pytest.mark.django_db

ORIGIN = "https://shop.example"


def post(site: TrackedSite, body: Any, *, origin: str = ORIGIN, agent: str = BROWSER) -> Any:
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return Client().post(
        collect_url(site),
        data=data,
        content_type="text/plain",
        HTTP_ORIGIN=origin,
        HTTP_USER_AGENT=agent,
    )


def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    return response.json()


def nothing_stored() -> None:
    assert not Event.objects.exists()
    assert not Visitor.objects.exists()
    assert not WebSession.objects.exists()
    assert not IdentityLink.objects.exists()


def page_view(url: str = "https://shop.example/", **extra: Any) -> dict[str, Any]:
    return {"type": "page_view", "url": url, **extra}


def test_a_good_batch_is_stored_with_its_session_and_campaign(site: TrackedSite) -> None:
    anon = anonymous_id()
    response = post(
        site,
        {
            "anonymous_id": anon,
            "events": [
                page_view("https://shop.example/?utm_source=news&utm_campaign=yalda"),
                {"type": "product_view", "properties": {"sku": "TEA-1", "price": 12.5}},
                {"type": "add_to_cart", "properties": {"sku": "TEA-1", "quantity": 2}},
            ],
        },
    )
    assert response.status_code == 202, response.content
    assert response.json() == {"accepted": 3}
    assert response["Access-Control-Allow-Origin"] == ORIGIN
    assert Event.objects.filter(anonymous_id=anon, is_bot=False).count() == 3
    session = WebSession.objects.get()
    assert (session.utm_source, session.utm_campaign) == ("news", "yalda")
    assert (session.page_views, session.product_views, session.cart_adds) == (1, 1, 1)
    assert session.device == "desktop"
    assert Event.objects.filter(session=session).count() == 3


def test_malformed_json_is_400_and_stores_nothing(site: TrackedSite) -> None:
    body = problem(post(site, '{"anonymous_id": "abcdefgh", "events": [{'), 400)
    assert "not valid JSON" in body["detail"]
    nothing_stored()


def test_a_10_mb_body_is_413_and_stores_nothing(site: TrackedSite) -> None:
    huge = {
        "anonymous_id": anonymous_id(),
        "events": [page_view(properties={"blob": "x" * 400}) for _ in range(25_000)],
    }
    data = json.dumps(huge)
    assert len(data) > 10 * 1024 * 1024
    body = problem(post(site, data), 413)
    assert "too large" in body["detail"]
    nothing_stored()


def test_10000_events_in_one_batch_are_refused_clearly(site: TrackedSite) -> None:
    batch = {"anonymous_id": anonymous_id(), "events": [{"type": "custom"}] * 10_000}
    assert len(json.dumps(batch)) < 256 * 1024  # under the byte limit: refused for the count
    body = problem(post(site, batch), 413)
    assert "at most 500 events" in body["detail"]
    nothing_stored()


@pytest.mark.parametrize(
    ("event", "field"),
    [
        ({"type": "purchase"}, "events.1.type"),
        ({"type": "custom", "name": "n" * 101}, "events.1.name"),
        ({"type": "custom", "properties": {"k": "v" * 501}}, "events.1.properties"),
        ({"type": "custom", "properties": {f"k{i}": i for i in range(31)}}, "events.1.properties"),
        ({"type": "custom", "properties": {"nested": {"a": 1}}}, "events.1.properties"),
        ({"type": "custom", "occurred_at": "yesterday"}, "events.1.occurred_at"),
        ({"type": "custom", "secret": 1}, "events.1.secret"),
    ],
)
def test_an_invalid_event_refuses_the_whole_batch(
    site: TrackedSite, event: dict[str, Any], field: str
) -> None:
    body = problem(
        post(site, {"anonymous_id": anonymous_id(), "events": [page_view(), event]}), 422
    )
    assert any(e["field"].startswith(field) for e in body["errors"]), body["errors"]
    nothing_stored()


def test_a_bad_anonymous_id_or_empty_batch_is_refused(site: TrackedSite) -> None:
    problem(post(site, {"anonymous_id": "x';--", "events": [page_view()]}), 422)
    problem(post(site, {"anonymous_id": anonymous_id(), "events": []}), 422)
    problem(post(site, ["not", "an", "object"]), 422)
    nothing_stored()


def test_a_bare_customer_id_cannot_identify(site: TrackedSite) -> None:
    customer = CustomerFactory()
    batch = {
        "anonymous_id": anonymous_id(),
        "events": [page_view(), {"type": "identify", "customer_id": customer.pk}],
    }
    body = problem(post(site, batch), 422)
    assert body["errors"][0]["field"] == "events.1.customer_id"
    nothing_stored()


def test_another_tenants_customer_id_is_refused(site: TrackedSite, other_site: TrackedSite) -> None:
    # A token the CRM issued for the other site's visitor does not identify anyone here.
    customer = CustomerFactory()
    token = issue_identify_token(other_site, customer)
    batch = {"anonymous_id": anonymous_id(), "events": [{"type": "identify", "token": token}]}
    body = problem(post(site, batch), 422)
    assert body["errors"][0]["code"] == "foreign_token"
    nothing_stored()


def test_a_forged_or_missing_token_is_refused(site: TrackedSite) -> None:
    customer = CustomerFactory()
    forged = issue_identify_token(site, customer)[:-3] + "AAA"
    for event in ({"type": "identify", "token": forged}, {"type": "identify"}):
        body = problem(post(site, {"anonymous_id": anonymous_id(), "events": [event]}), 422)
        assert body["errors"][0]["code"] in ("bad_token", "missing_token")
    nothing_stored()


def test_script_in_properties_is_stored_as_data(site: TrackedSite) -> None:
    script = "<script>alert('x')</script>"
    anon = anonymous_id()
    response = post(
        site,
        {
            "anonymous_id": anon,
            "events": [{"type": "custom", "name": script, "properties": {"q": script}}],
        },
    )
    assert response.status_code == 202
    event = Event.objects.get(anonymous_id=anon)
    assert event.properties == {"q": script}
    assert event.name == script


def test_an_origin_the_site_does_not_allow_is_403(site: TrackedSite) -> None:
    body = problem(
        post(
            site,
            {"anonymous_id": anonymous_id(), "events": [page_view()]},
            origin="https://evil.example",
        ),
        403,
    )
    assert "origin" in body["detail"]
    nothing_stored()


def test_unknown_or_inactive_site_is_404(site: TrackedSite) -> None:
    site.is_active = False
    site.save()
    problem(post(site, {"anonymous_id": anonymous_id(), "events": [page_view()]}), 404)
    nothing_stored()


def test_preflight_answers_only_allowed_origins(site: TrackedSite) -> None:
    allowed = Client().options(collect_url(site), HTTP_ORIGIN=ORIGIN)
    assert allowed.status_code == 204
    assert allowed["Access-Control-Allow-Origin"] == ORIGIN
    refused = Client().options(collect_url(site), HTTP_ORIGIN="https://evil.example")
    assert "Access-Control-Allow-Origin" not in refused


def test_too_many_batches_from_one_address_is_429(site: TrackedSite, settings: Any) -> None:
    settings.PEYVAND_TRACKING_RATE = "3/60"
    anon = anonymous_id()
    for _ in range(3):
        assert post(site, {"anonymous_id": anon, "events": [page_view()]}).status_code == 202
    response = post(site, {"anonymous_id": anon, "events": [page_view()]})
    problem(response, 429)
    assert int(response["Retry-After"]) >= 1
    assert Event.objects.count() == 3


@pytest.mark.parametrize(
    ("agent", "webdriver"),
    [
        ("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", False),
        ("Mozilla/5.0 (X11; Linux x86_64) HeadlessChrome/120.0 Safari/537.36", False),
        ("curl/8.5.0", False),
        (BROWSER, True),
    ],
)
def test_bots_are_counted_but_get_no_session(
    site: TrackedSite, agent: str, webdriver: bool
) -> None:
    batch = {"anonymous_id": anonymous_id(), "events": [page_view()], "webdriver": webdriver}
    assert post(site, batch, agent=agent).status_code == 202
    event = Event.objects.get()
    assert event.is_bot and event.session_id is None
    assert Visitor.objects.get().is_bot
    assert not WebSession.objects.exists()


def test_page_views_faster_than_a_person_reads_are_a_bot(site: TrackedSite) -> None:
    at = "2026-01-01T10:00:00.%03d+00:00"
    batch = {
        "anonymous_id": anonymous_id(),
        "events": [
            page_view(f"https://shop.example/{i}", occurred_at=at % (i * 100)) for i in range(8)
        ],
        "sent_at": "2026-01-01T10:00:01+00:00",
    }
    assert post(site, batch).status_code == 202
    assert Event.objects.filter(is_bot=True).count() == 8
    assert not WebSession.objects.exists()
