"""Ingest, sessions and identity stitching through the real services and database."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from peyvand.audit.models import ChangeLog
from peyvand.tracking.models import Event, IdentityLink, TrackedSite, Visitor, WebSession
from peyvand.tracking.schemas import BatchIn
from peyvand.tracking.selectors import activity_counts, recent_activity
from peyvand.tracking.services import identify_visitor, ingest_batch, issue_identify_token
from tests.factories import CustomerFactory
from tests.tracking.conftest import BROWSER, anonymous_id

pytestmark = pytest.mark.django_db


def batch(anon: str, *events: dict[str, Any], sent_at: dt.datetime | None = None) -> BatchIn:
    return BatchIn.model_validate(
        {"anonymous_id": anon, "events": list(events), "sent_at": sent_at}
    )


def at(minutes: float) -> str:
    base = timezone.now() - dt.timedelta(hours=5)
    return (base + dt.timedelta(minutes=minutes)).isoformat()


def test_thirty_minutes_of_silence_start_a_new_session(site: TrackedSite) -> None:
    anon = anonymous_id()
    ingest_batch(
        site,
        batch(
            anon,
            {"type": "page_view", "url": "https://shop.example/a", "occurred_at": at(0)},
            {"type": "page_view", "url": "https://shop.example/b", "occurred_at": at(29)},
            {
                "type": "page_view",
                "url": "https://shop.example/c?utm_source=mail",
                "occurred_at": at(60),
            },
        ),
        user_agent=BROWSER,
    )
    # A later batch within 30 minutes of the last event continues that session.
    ingest_batch(
        site,
        batch(anon, {"type": "product_view", "properties": {"sku": "X"}, "occurred_at": at(75)}),
        user_agent=BROWSER,
    )
    first, second = WebSession.objects.order_by("started_at")
    assert (first.page_views, first.landing_url) == (2, "https://shop.example/a")
    assert (second.page_views, second.product_views, second.utm_source) == (1, 1, "mail")
    assert Event.objects.filter(session=second).count() == 2


def test_client_clock_skew_is_corrected_by_sent_at(site: TrackedSite) -> None:
    anon = anonymous_id()
    wrong_clock = timezone.now() + dt.timedelta(days=400)
    ingest_batch(
        site,
        batch(
            anon,
            {
                "type": "page_view",
                "occurred_at": (wrong_clock - dt.timedelta(seconds=10)).isoformat(),
            },
            sent_at=wrong_clock,
        ),
        user_agent=BROWSER,
    )
    event = Event.objects.get()
    assert abs((event.received_at - event.occurred_at).total_seconds() - 10) < 2


def test_identify_back_fills_earlier_events_and_links_devices(site: TrackedSite) -> None:
    customer = CustomerFactory()
    phone, laptop = anonymous_id(), anonymous_id()
    for device in (phone, laptop):
        ingest_batch(
            site, batch(device, {"type": "page_view", "occurred_at": at(0)}), user_agent=BROWSER
        )
    assert not Event.objects.filter(customer__isnull=False).exists()

    token = issue_identify_token(site, customer)
    result = ingest_batch(
        site, batch(phone, {"type": "identify", "token": token}), user_agent=BROWSER
    )
    assert result.customer_id == customer.pk
    assert Event.objects.filter(anonymous_id=phone, customer=customer).count() == 2
    assert WebSession.objects.get(visitor__anonymous_id=phone).customer == customer
    assert Event.objects.filter(anonymous_id=laptop, customer__isnull=True).count() == 1

    ingest_batch(site, batch(laptop, {"type": "identify", "token": token}), user_agent=BROWSER)
    assert IdentityLink.objects.filter(customer=customer).count() == 2
    assert recent_activity([customer.pk])[customer.pk].sessions_30d == 2
    # Later events of a linked browser belong to the customer from the start.
    ingest_batch(site, batch(phone, {"type": "page_view"}), user_agent=BROWSER)
    assert Event.objects.filter(customer=customer, type="page_view").count() == 3
    # Each link is in the change log, under the customer.
    assert ChangeLog.objects.filter(
        customer_id=customer.pk, object_repr__contains=phone[:12]
    ).exists()


def test_identify_visitor_for_other_apps_links_every_site_that_saw_the_browser(
    site: TrackedSite, other_site: TrackedSite
) -> None:
    customer = CustomerFactory()
    anon = anonymous_id()
    ingest_batch(site, batch(anon, {"type": "page_view"}), user_agent=BROWSER)
    assert identify_visitor(anon, customer, source="web_form") == 1
    assert Visitor.objects.get(anonymous_id=anon).customer == customer
    assert identify_visitor(anonymous_id(), customer, source="chat") == 0


def test_a_shared_browser_identified_by_someone_else_is_theirs_from_then_on(
    site: TrackedSite,
) -> None:
    first, second = CustomerFactory(), CustomerFactory()
    anon = anonymous_id()
    ingest_batch(
        site,
        batch(
            anon,
            {"type": "page_view"},
            {"type": "identify", "token": issue_identify_token(site, first)},
        ),
        user_agent=BROWSER,
    )
    ingest_batch(
        site,
        batch(anon, {"type": "identify", "token": issue_identify_token(site, second)}),
        user_agent=BROWSER,
    )
    ingest_batch(site, batch(anon, {"type": "page_view"}), user_agent=BROWSER)
    assert IdentityLink.objects.get(anonymous_id=anon).customer == second
    assert Event.objects.filter(customer=first, type="page_view").count() == 1
    assert Event.objects.filter(customer=second, type="page_view").count() == 1


def test_recent_activity_summarises_many_customers_in_two_queries(
    site: TrackedSite, django_assert_num_queries: Any
) -> None:
    customers = [CustomerFactory() for _ in range(3)]
    for customer in customers[:2]:
        anon = anonymous_id()
        ingest_batch(
            site,
            batch(
                anon,
                {"type": "page_view"},
                {"type": "product_view", "properties": {"sku": "A"}},
                {"type": "product_view", "properties": {"product_id": 7}},
                {"type": "add_to_cart", "properties": {"sku": "A"}},
                {"type": "identify", "token": issue_identify_token(site, customer)},
            ),
            user_agent=BROWSER,
        )
    with django_assert_num_queries(2):
        summary = recent_activity([c.pk for c in customers])
    # One customer at a time goes through the prepared statement: the same figures.
    for customer in customers:
        with django_assert_num_queries(1):
            alone = activity_counts([customer.pk])[customer.pk]
        assert alone.sessions_30d == summary[customer.pk].sessions_30d
        assert alone.page_views_30d == summary[customer.pk].page_views_30d
        assert alone.cart_adds_30d == summary[customer.pk].cart_adds_30d
        assert alone.last_visit == summary[customer.pk].last_visit
    assert summary[customers[0].pk].products_viewed in (["A", "7"], ["7", "A"])
    assert summary[customers[0].pk].cart_adds_30d == 1
    assert summary[customers[2].pk].last_visit is None


def test_bot_events_never_reach_a_profile(site: TrackedSite) -> None:
    customer = CustomerFactory()
    anon = anonymous_id()
    ingest_batch(
        site,
        batch(
            anon,
            {"type": "page_view"},
            {"type": "identify", "token": issue_identify_token(site, customer)},
        ),
        user_agent="Googlebot/2.1",
    )
    assert Event.objects.filter(is_bot=True).count() == 2
    assert not IdentityLink.objects.exists()
    assert recent_activity([customer.pk])[customer.pk].sessions_30d == 0


def test_the_offer_profile_sees_recent_visits(site: TrackedSite) -> None:
    from peyvand.personalization.profile import LONG_AGO_DAYS, build_profile

    customer, stranger = CustomerFactory(), CustomerFactory()
    anon = anonymous_id()
    ingest_batch(
        site,
        batch(
            anon,
            {"type": "page_view", "url": "https://shop.example/a", "occurred_at": at(0)},
            {"type": "add_to_cart", "properties": {"sku": "X"}, "occurred_at": at(2)},
        ),
        user_agent=BROWSER,
    )
    identify_visitor(anon, customer, source="test", site=site)
    profile = build_profile(customer)
    assert profile["web_sessions_30d"] == 1 and profile["web_cart_adds_30d"] == 1
    assert profile["web_page_views_30d"] == 1 and 0.1 < profile["days_since_visit"] < 1
    assert build_profile(stranger)["days_since_visit"] == LONG_AGO_DAYS
