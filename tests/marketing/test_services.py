"""Segment services: validation, full rebuilds with entry/exit history, event-driven
re-evaluation of one customer, and static lists."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from djmoney.money import Money

from peyvand.core.problems import ServiceError
from peyvand.customers.models import Consent, Customer, Tag
from peyvand.marketing.models import Segment, SegmentMember
from peyvand.marketing.rules import validate_rules
from peyvand.marketing.services import (
    add_static_members,
    count_matching,
    parse_customer_ids,
    rebuild_segment,
    reevaluate_customer,
    remove_static_member,
    save_segment,
)
from peyvand.sales.models import Order
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)
RECENT_BUYERS = {
    "match": "all",
    "children": [{"field": "orders.count", "operator": "gte", "value": 1, "days": 30}],
}


def _order(customer: Customer, when: dt.datetime, number: str) -> Order:
    return Order.objects.create(
        number=number, customer=customer, ordered_at=when, total=Money(100, "IRR")
    )


@pytest.mark.parametrize(
    ("tree", "message"),
    [
        (
            {"match": "all", "children": [{"field": "shoe_size", "operator": "eq", "value": 1}]},
            "unknown field “shoe_size”",
        ),
        (
            {
                "match": "all",
                "children": [{"field": "orders.count", "operator": "contains", "value": 1}],
            },
            "“contains” cannot be used with Orders",
        ),
        (
            {
                "match": "all",
                "children": [{"field": "orders.count", "operator": "gte", "value": "many"}],
            },
            "Give a whole number",
        ),
        (
            {
                "match": "all",
                "children": [{"field": "rfm.segment", "operator": "eq", "value": "kings"}],
            },
            "“kings” is not one of",
        ),
        (
            {"match": "all", "children": [{"field": "consent", "operator": "granted"}]},
            "needs the channel",
        ),
        (
            {
                "match": "all",
                "children": [{"field": "orders.count", "operator": "gte", "value": 1, "days": 0}],
            },
            "from 1 to 3650",
        ),
        (
            {
                "match": "all",
                "children": [
                    {"field": "orders.count", "operator": "gte", "value": 1, "colour": "red"}
                ],
            },
            "takes no “colour”",
        ),
        ({"match": "maybe", "children": []}, "matches “all” or “any”"),
        (
            {
                "match": "all",
                "children": [
                    {
                        "field": "events.funnel",
                        "operator": "completed",
                        "steps": [{"event_type": "page_view"}],
                    }
                ],
            },
            "from 2 to 5 steps",
        ),
    ],
)
def test_bad_rules_are_refused_with_their_place(tree: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        validate_rules(tree)
    assert any(message in text for text in caught.value.messages), caught.value.messages
    assert any(text.startswith("1.1") or text.startswith("1") for text in caught.value.messages)


def test_errors_speak_persian() -> None:
    with translation.override("fa"), pytest.raises(ValidationError) as caught:
        validate_rules({"match": "all", "children": [{"field": "shoe_size", "operator": "eq"}]})
    assert "فیلد ناشناخته" in caught.value.messages[0]


def test_bad_rules_change_nothing(marketing1: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        save_segment(
            None,
            name="x",
            rules={"match": "all", "children": [{"field": "nope"}]},
            actor=marketing1,
        )
    assert "rules" in caught.value.message_dict
    assert not Segment.objects.exists()


def test_rebuild_records_entries_and_exits_and_keeps_stayers(marketing1: Any, manager: Any) -> None:
    ali, bita, carl = (CustomerFactory(display_name=n) for n in ("ali", "bita", "carl"))
    _order(ali, NOW - dt.timedelta(days=5), "A1")
    _order(bita, NOW - dt.timedelta(days=25), "B1")
    segment = save_segment(None, name="Recent buyers", rules=RECENT_BUYERS, actor=marketing1)
    first = rebuild_segment(segment.pk, now=NOW)
    assert (first.entered, first.left, first.members) == (2, 0, 2)
    # Ten days later bita's order is out of the window and carl has bought.
    later = NOW + dt.timedelta(days=10)
    _order(carl, later - dt.timedelta(days=1), "C1")
    second = rebuild_segment(segment.pk, now=later)
    assert (second.entered, second.left, second.members) == (1, 1, 2)
    stays = {
        (m.customer.display_name, m.entered_at, m.left_at)
        for m in SegmentMember.objects.filter(segment=segment)
    }
    assert stays == {("ali", NOW, None), ("bita", NOW, later), ("carl", later, None)}
    segment.refresh_from_db()
    assert segment.member_count == 2 and segment.built_at == later
    assert rebuild_segment(segment.pk, now=later).entered == 0
    # The live count is per reader: sales1 sees none of these customers.
    assert count_matching(RECENT_BUYERS, user=manager, now=later) == 2


def test_an_order_re_evaluates_only_that_customer_after_commit(
    marketing1: Any, django_capture_on_commit_callbacks: Any
) -> None:
    ali, bita = CustomerFactory(display_name="ali"), CustomerFactory(display_name="bita")
    with django_capture_on_commit_callbacks(execute=True):
        segment = save_segment(None, name="Recent buyers", rules=RECENT_BUYERS, actor=marketing1)
        vip = save_segment(
            None,
            name="VIP",
            rules={
                "match": "all",
                "children": [{"field": "tags", "operator": "has_any", "value": ["vip"]}],
            },
            actor=marketing1,
        )
    assert not SegmentMember.objects.exists()
    # Bypassing signals, bita matches too, but nothing told the segment about her.
    Order.objects.bulk_create([Order(number="B1", customer=bita, total=Money(1, "IRR"))])
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        _order(ali, dt.datetime.now(dt.UTC), "A1")
    assert callbacks
    members = SegmentMember.objects.current()
    assert list(members.values_list("segment_id", "customer__display_name")) == [
        (segment.pk, "ali")
    ]
    with django_capture_on_commit_callbacks(execute=True):
        ali.tags.add(Tag.objects.create(name="vip"))
    assert members.filter(segment=vip, customer=ali).exists()
    with django_capture_on_commit_callbacks(execute=True):
        ali.tags.clear()
    assert not members.filter(segment=vip).exists()
    assert (
        SegmentMember.objects.filter(segment=vip, customer=ali, left_at__isnull=False).count() == 1
    )
    segment.refresh_from_db()
    assert segment.member_count == 1


def test_reevaluate_skips_segments_that_do_not_read_the_changed_data(marketing1: Any) -> None:
    ali = CustomerFactory(display_name="ali")
    Consent.objects.create(
        customer=ali,
        channel="email",
        purpose="marketing",
        status="granted",
        source="t",
        recorded_at=NOW,
    )
    segment = save_segment(
        None,
        name="Email OK",
        rules={
            "match": "all",
            "children": [{"field": "consent", "operator": "granted", "channel": "email"}],
        },
        actor=marketing1,
    )
    assert reevaluate_customer(ali.pk, ["orders"], now=NOW) == []
    assert reevaluate_customer(ali.pk, ["consent"], now=NOW) == [(segment.pk, "entered")]
    assert reevaluate_customer(ali.pk, ["consent"], now=NOW) == []


def test_static_lists_all_or_nothing_and_visibility(sales1: Any, marketing1: Any) -> None:
    mine = CustomerFactory(display_name="mine", owner=sales1)
    other = CustomerFactory(display_name="other")
    segment = save_segment(None, name="Fair visitors", kind="static", actor=sales1)
    with pytest.raises(ServiceError) as caught:
        add_static_members(segment.pk, [mine.pk, other.pk], actor=sales1)
    assert str(other.pk) in caught.value.message
    assert not SegmentMember.objects.exists()
    assert add_static_members(segment.pk, [mine.pk], actor=sales1) == 1
    assert add_static_members(segment.pk, [mine.pk], actor=sales1) == 0
    segment.refresh_from_db()
    assert segment.member_count == 1
    # Frozen: a rebuild does not touch a static list.
    assert rebuild_segment(segment.pk).members == 1
    remove_static_member(segment.pk, mine.pk, actor=sales1)
    assert not SegmentMember.objects.current().exists()


def test_parse_customer_ids_reports_bad_lines() -> None:
    ids, errors = parse_customer_ids("id,name\n12,Ali\n\n13\nabc,x\n")
    assert ids == [12, 13]
    assert errors == ["Line 5: “abc” is not a customer id."]


def test_click_stream_ingest_enters_the_identified_customer(
    marketing1: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from peyvand.tracking.models import TrackedSite
    from peyvand.tracking.schemas import BatchIn
    from peyvand.tracking.services import ingest_batch, issue_identify_token
    from tests.tracking.conftest import BROWSER, anonymous_id

    site = TrackedSite.objects.create(name="Shop")
    shopper = CustomerFactory(display_name="shopper")
    viewers = save_segment(
        None,
        name="Product viewers",
        rules={
            "match": "all",
            "children": [
                {
                    "field": "events.count",
                    "operator": "gte",
                    "value": 1,
                    "event_type": "product_view",
                    "days": 7,
                }
            ],
        },
        actor=marketing1,
    )
    anon = anonymous_id()
    token = issue_identify_token(site, shopper)
    with django_capture_on_commit_callbacks(execute=True):
        ingest_batch(
            site,
            BatchIn.model_validate(
                {"anonymous_id": anon, "events": [{"type": "identify", "token": token}]}
            ),
            user_agent=BROWSER,
        )
    assert not SegmentMember.objects.filter(segment=viewers).exists()
    with django_capture_on_commit_callbacks(execute=True):
        ingest_batch(
            site,
            BatchIn.model_validate(
                {"anonymous_id": anon, "events": [{"type": "product_view", "name": "TV"}]}
            ),
            user_agent=BROWSER,
        )
    assert SegmentMember.objects.current().filter(segment=viewers, customer=shopper).exists()
