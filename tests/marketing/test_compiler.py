"""Each condition type of the segment compiler against hand-built data, AND/OR nesting and
time windows with a fixed clock; and that a segment is one SQL statement."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from djmoney.money import Money

from peyvand.analytics.models import ChurnScore, ClvFit, CustomerValue, RfmRun, RfmScore
from peyvand.channels.models import Interaction
from peyvand.customers.models import Consent, Customer, Tag
from peyvand.marketing.rules import validate_rules
from peyvand.marketing.services import matching_customers
from peyvand.personalization.models import Decision, PolicyVersion
from peyvand.sales.models import Order, OrderLine
from peyvand.tracking.models import Event, TrackedSite
from tests.catalog.factories import ProductFactory
from tests.factories import CustomerFactory, CustomFieldDefinitionFactory
from tests.personalization.factories import OfferFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)
_numbers = itertools.count(1)


def ago(days: float) -> dt.datetime:
    return NOW - dt.timedelta(days=days)


def names(tree: dict[str, Any], now: dt.datetime = NOW) -> set[str]:
    checked = validate_rules(tree)
    return set(matching_customers(checked, now=now).values_list("display_name", flat=True))


def one(condition: dict[str, Any]) -> dict[str, Any]:
    return {"match": "all", "children": [condition]}


def order(
    customer: Customer,
    amount: str = "1000",
    *,
    days: float = 1,
    status: str = "confirmed",
    currency: str = "IRR",
    product: Any = None,
) -> Order:
    placed = Order.objects.create(
        number=f"T-{next(_numbers)}",
        customer=customer,
        status=status,
        ordered_at=ago(days),
        total=Money(Decimal(amount), currency),
    )
    if product is not None:
        OrderLine.objects.create(
            order=placed,
            product=product,
            description=product.name,
            unit_price=Money(Decimal(amount), currency),
            line_total=Money(Decimal(amount), currency),
        )
    return placed


@pytest.fixture
def people() -> dict[str, Customer]:
    return {
        name: CustomerFactory(display_name=name, preferred_language=lang, kind=kind)
        for name, lang, kind in [
            ("ali", "fa", "person"),
            ("bita", "fa", "person"),
            ("carl", "en", "person"),
            ("dara-co", "en", "organization"),
        ]
    }


def test_profile_fields_and_and_or_nesting(people: dict[str, Customer]) -> None:
    fa = {"field": "profile.preferred_language", "operator": "eq", "value": "fa"}
    org = {"field": "profile.kind", "operator": "eq", "value": "organization"}
    assert names(one(fa)) == {"ali", "bita"}
    assert names({"match": "any", "children": [fa, org]}) == {"ali", "bita", "dara-co"}
    assert names({"match": "all", "children": [fa, org]}) == set()
    nested = {
        "match": "all",
        "children": [
            {"field": "profile.display_name", "operator": "ne", "value": "ali"},
            {
                "match": "any",
                "children": [
                    fa,
                    {"field": "profile.display_name", "operator": "contains", "value": "CAR"},
                ],
            },
        ],
    }
    assert names(nested) == {"bita", "carl"}
    assert names(one({"field": "profile.kind", "operator": "not_in", "value": ["person"]})) == {
        "dara-co"
    }
    # An empty group is everyone (alive): the builder's starting point.
    people["carl"].deleted_at = NOW
    people["carl"].save()
    assert names({"match": "all", "children": []}) == {"ali", "bita", "dara-co"}


def test_customer_since_window(people: dict[str, Customer]) -> None:
    Customer.objects.filter(pk=people["ali"].pk).update(created_at=ago(3))
    Customer.objects.exclude(pk=people["ali"].pk).update(created_at=ago(40))
    recent = one({"field": "profile.created_at", "operator": "in_last_days", "value": 7})
    assert names(recent) == {"ali"}
    assert names(
        one({"field": "profile.created_at", "operator": "not_in_last_days", "value": 7})
    ) == {"bita", "carl", "dara-co"}
    # The same rule a month later: nobody is new any more.
    assert names(recent, now=NOW + dt.timedelta(days=30)) == set()
    assert names(
        one({"field": "profile.created_at", "operator": "after", "value": "2026-05-20"})
    ) == {"ali"}


def test_custom_fields_by_type(people: dict[str, Customer]) -> None:
    CustomFieldDefinitionFactory(key="employees", field_type="number")
    CustomFieldDefinitionFactory(key="industry", field_type="choice", choices=["retail", "bank"])
    CustomFieldDefinitionFactory(key="vip", field_type="boolean")
    CustomFieldDefinitionFactory(key="city", field_type="text")
    values = {
        "ali": {"employees": 5, "industry": "retail", "vip": True, "city": "Tehran"},
        "bita": {"employees": 250, "industry": "bank", "vip": False},
        "carl": {"employees": 40, "city": ""},
    }
    for name, custom in values.items():
        Customer.objects.filter(pk=people[name].pk).update(custom=custom)
    assert names(one({"field": "custom.employees", "operator": "gte", "value": 40})) == {
        "bita",
        "carl",
    }
    assert names(one({"field": "custom.employees", "operator": "lt", "value": 40})) == {"ali"}
    assert names(one({"field": "custom.industry", "operator": "eq", "value": "bank"})) == {"bita"}
    assert names(one({"field": "custom.vip", "operator": "is_true"})) == {"ali"}
    assert names(one({"field": "custom.city", "operator": "eq", "value": "tehran"})) == {"ali"}
    assert names(one({"field": "custom.city", "operator": "is_empty"})) == {
        "bita",
        "carl",
        "dara-co",
    }


def test_tags_and_consent(people: dict[str, Customer]) -> None:
    vip, cold = Tag.objects.create(name="vip"), Tag.objects.create(name="cold")
    people["ali"].tags.add(vip)
    people["bita"].tags.add(cold)
    assert names(one({"field": "tags", "operator": "has_any", "value": ["vip", "cold"]})) == {
        "ali",
        "bita",
    }
    assert names(one({"field": "tags", "operator": "has_none", "value": ["vip"]})) == {
        "bita",
        "carl",
        "dara-co",
    }
    for name, status, channel in [
        ("ali", "granted", "email"),
        ("bita", "withdrawn", "email"),
        ("carl", "granted", "sms"),
    ]:
        Consent.objects.create(
            customer=people[name],
            channel=channel,
            purpose="marketing",
            status=status,
            source="test",
            recorded_at=NOW,
        )
    email = {"field": "consent", "channel": "email"}
    assert names(one({**email, "operator": "granted"})) == {"ali"}
    assert names(one({**email, "operator": "withdrawn"})) == {"bita"}
    assert names(one({**email, "operator": "not_granted"})) == {"bita", "carl", "dara-co"}
    assert names(one({**email, "operator": "granted", "purpose": "newsletter"})) == set()


def test_scores_use_the_latest_rfm_run_and_current_clv_and_churn(
    people: dict[str, Customer],
) -> None:
    old = RfmRun.objects.create(as_of=dt.date(2026, 1, 1), currency="IRR")
    new = RfmRun.objects.create(as_of=dt.date(2026, 5, 1), currency="IRR")
    RfmScore.objects.create(
        run=old,
        customer=people["carl"],
        recency_days=1,
        frequency=9,
        monetary=1,
        r=5,
        f=5,
        m=5,
        segment="champions",
    )
    for name, segment, r in [("ali", "champions", 5), ("bita", "at_risk", 2), ("carl", "lost", 1)]:
        RfmScore.objects.create(
            run=new,
            customer=people[name],
            recency_days=1,
            frequency=1,
            monetary=1,
            r=r,
            f=3,
            m=3,
            segment=segment,
        )
    assert names(
        one({"field": "rfm.segment", "operator": "in", "value": ["champions", "at_risk"]})
    ) == {"ali", "bita"}
    assert names(one({"field": "rfm.r", "operator": "lte", "value": 2})) == {"bita", "carl"}
    assert names(one({"field": "rfm.segment", "operator": "ne", "value": "champions"})) == {
        "bita",
        "carl",
        "dara-co",
    }
    fit = ClvFit.objects.create(
        history_end=dt.date(2026, 5, 1),
        calibration_end=dt.date(2026, 3, 1),
        currency="IRR",
        customers=3,
        bgnbd_params={},
        bgnbd_log_likelihood=0,
        monthly_discount=0.01,
        holdout_predicted=1,
        holdout_actual=1,
    )
    for name, alive, clv in [("ali", 0.9, "5000000"), ("bita", 0.2, "100")]:
        CustomerValue.objects.create(
            customer=people[name],
            fit=fit,
            probability_alive=alive,
            expected_30=0,
            expected_90=0,
            expected_365=0,
            expected_spend=Decimal(1),
            clv=Decimal(clv),
        )
    assert names(one({"field": "clv.value", "operator": "gte", "value": 1000000})) == {"ali"}
    assert names(one({"field": "clv.p_alive", "operator": "lt", "value": 0.5})) == {"bita"}
    assert names(one({"field": "clv.value", "operator": "is_empty"})) == {"carl", "dara-co"}
    ChurnScore.objects.create(
        customer=people["carl"], model_version=1, probability=0.8, scored_at=NOW
    )
    ChurnScore.objects.create(
        customer=people["ali"], model_version=1, probability=0.1, scored_at=NOW
    )
    assert names(one({"field": "churn.risk", "operator": "gt", "value": 0.5})) == {"carl"}


def test_orders_counts_amounts_products_and_windows(people: dict[str, Customer]) -> None:
    tv = ProductFactory()
    order(people["ali"], "600", days=2, product=tv)
    order(people["ali"], "600", days=20)
    order(people["ali"], "600", days=200, product=tv)
    order(people["bita"], "5000", days=5)
    order(people["bita"], "9999", days=5, status="cancelled")
    order(people["carl"], "10", days=1, currency="USD", product=tv)
    order(people["carl"], "10", days=1, status="draft")
    count = {"field": "orders.count"}
    assert names(one({**count, "operator": "gte", "value": 3})) == {"ali"}
    assert names(one({**count, "operator": "gte", "value": 2, "days": 30})) == {"ali"}
    assert names(one({**count, "operator": "eq", "value": 1, "days": 30})) == {"bita", "carl"}
    # Zero orders is "at most 0": customers without a single order are counted in.
    assert names(one({**count, "operator": "lte", "value": 0})) == {"dara-co"}
    assert names(one({**count, "operator": "lt", "value": 1, "days": 10})) == {"dara-co"}
    spent = {"field": "orders.total", "currency": "IRR"}
    assert names(one({**spent, "operator": "gte", "value": "1800"})) == {"bita", "ali"}
    assert names(one({**spent, "operator": "gte", "value": "1800", "days": 30})) == {"bita"}
    assert names(one({**spent, "operator": "lt", "value": "1000", "days": 30})) == {
        "carl",
        "dara-co",
    }
    bought = {"field": "orders.product", "product": tv.pk}
    assert names(one({**bought, "operator": "gte", "value": 1})) == {"ali", "carl"}
    assert names(one({**bought, "operator": "gte", "value": 2})) == {"ali"}
    assert names(one({**bought, "operator": "gte", "value": 2, "days": 30})) == set()
    assert names(one({**bought, "operator": "eq", "value": 0})) == {"bita", "dara-co"}


def test_interactions_by_channel_direction_and_window(people: dict[str, Customer]) -> None:
    for name, channel, direction, days in [
        ("ali", "email", "inbound", 1),
        ("ali", "email", "inbound", 3),
        ("bita", "email", "outbound", 1),
        ("carl", "phone", "inbound", 60),
    ]:
        Interaction.objects.create(
            customer=people[name], channel=channel, direction=direction, occurred_at=ago(days)
        )
    base = {"field": "interactions.count", "operator": "gte", "value": 1}
    assert names(one({**base, "channel": "email"})) == {"ali", "bita"}
    assert names(one({**base, "channel": "email", "direction": "inbound"})) == {"ali"}
    assert names(one({**base, "days": 30})) == {"ali", "bita"}
    assert names(one({**base, "value": 2, "channel": "email", "days": 2})) == set()
    assert names(one({**base, "value": 2, "channel": "email", "days": 7})) == {"ali"}


def _event(
    site: TrackedSite,
    customer: Customer | None,
    kind: str,
    days: float,
    *,
    name: str = "",
    bot: bool = False,
) -> None:
    Event.objects.create(
        site=site,
        anonymous_id="anon",
        customer=customer,
        type=kind,
        name=name,
        occurred_at=ago(days),
        is_bot=bot,
    )


def test_click_stream_counts_and_funnels_in_order(people: dict[str, Customer]) -> None:
    site = TrackedSite.objects.create(name="shop")
    ali, bita, carl = people["ali"], people["bita"], people["carl"]
    # ali: view → cart, in order.  bita: cart before view (not the funnel).  carl: bot traffic.
    _event(site, ali, "product_view", 3)
    _event(site, ali, "add_to_cart", 2)
    _event(site, bita, "add_to_cart", 3)
    _event(site, bita, "product_view", 2)
    _event(site, carl, "product_view", 2, bot=True)
    _event(site, carl, "add_to_cart", 1, bot=True)
    _event(site, None, "product_view", 1)
    _event(site, bita, "custom", 1, name="signup")
    views = {"field": "events.count", "operator": "gte", "value": 1, "event_type": "product_view"}
    assert names(one(views)) == {"ali", "bita"}
    assert names(one({**views, "days": 2})) == {"bita"}
    assert names(
        one(
            {
                "field": "events.count",
                "operator": "gte",
                "value": 1,
                "event_type": "custom",
                "event_name": "signup",
            }
        )
    ) == {"bita"}
    funnel = {
        "field": "events.funnel",
        "steps": [{"event_type": "product_view"}, {"event_type": "add_to_cart"}],
    }
    assert names(one({**funnel, "operator": "completed"})) == {"ali"}
    assert names(one({**funnel, "operator": "completed", "days": 2})) == set()
    assert names(one({**funnel, "operator": "not_completed"})) == {"bita", "carl", "dara-co"}
    three = {
        **funnel,
        "steps": [*funnel["steps"], {"event_type": "custom", "event_name": "signup"}],
    }
    assert names(one({**three, "operator": "completed"})) == set()


def test_offer_responses(people: dict[str, Customer]) -> None:
    policy = PolicyVersion.objects.create(name="p", vw_args="--cb_explore_adf")
    first, second = OfferFactory(), OfferFactory()
    for name, offer, outcome, days in [
        ("ali", first, "accepted", 1),
        ("bita", second, "accepted", 40),
        ("carl", first, "rejected", 1),
    ]:
        Decision.objects.create(
            customer=people[name],
            offer=offer,
            policy=policy,
            decided_at=ago(days),
            channel="api",
            chosen_index=0,
            propensity=1.0,
            outcome=outcome,
        )
    accepted = {"field": "offers.responses", "operator": "gte", "value": 1, "outcome": "accepted"}
    assert names(one(accepted)) == {"ali", "bita"}
    assert names(one({**accepted, "days": 30})) == {"ali"}
    assert names(one({**accepted, "offer": first.pk})) == {"ali"}
    assert names(one({"field": "offers.responses", "operator": "eq", "value": 0})) == {"dara-co"}


def test_a_mixed_segment_is_one_query_and_respects_visibility(
    people: dict[str, Customer], sales1: Any, manager: Any
) -> None:
    order(people["ali"], "5000", days=1)
    Customer.objects.filter(pk=people["ali"].pk).update(owner=sales1)
    tree = validate_rules(
        {
            "match": "all",
            "children": [
                {"field": "profile.preferred_language", "operator": "eq", "value": "fa"},
                {
                    "match": "any",
                    "children": [
                        {"field": "orders.count", "operator": "gte", "value": 1, "days": 30},
                        {"field": "rfm.segment", "operator": "eq", "value": "champions"},
                        {"field": "events.count", "operator": "gte", "value": 3, "days": 7},
                    ],
                },
            ],
        }
    )
    with CaptureQueriesContext(connection) as queries:
        count = matching_customers(tree, now=NOW).count()
    assert count == 1 and len(queries) == 1
    assert matching_customers(tree, now=NOW).visible_to(sales1).count() == 1
    Customer.objects.filter(pk=people["ali"].pk).update(owner=manager)
    assert matching_customers(tree, now=NOW).visible_to(sales1).count() == 0
