"""Recording touches, conversions and costs; the control-group split; the set-based
backfill from the click-stream and orders; the report read over the database."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from djmoney.money import Money

from peyvand.audit.models import ChangeLog
from peyvand.catalog.models import ExchangeRate
from peyvand.core.problems import ServiceError
from peyvand.marketing.attribution.selectors import attribution_report
from peyvand.marketing.attribution.services import (
    add_campaign_cost,
    backfill,
    in_holdout,
    record_conversion,
    record_touch,
    split_holdout,
)
from peyvand.marketing.models import CampaignCost, Conversion, Touch
from peyvand.sales.models import Order
from peyvand.tracking.models import TrackedSite, Visitor, WebSession
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_record_touch_normalises_and_validates() -> None:
    customer = CustomerFactory()
    touch = record_touch(
        customer.pk,
        at=timezone.now(),
        channel=" Email ",
        campaign_key=" nowruz-1405 ",
        subject="Spring <b>sale</b>",
        send_hour=9,
        offer="",
    )
    touch.refresh_from_db()
    assert (touch.channel, touch.campaign_key, touch.offer) == ("email", "nowruz-1405", None)
    assert touch.subject == "Spring <b>sale</b>"
    with pytest.raises(ServiceError) as bad_hour:
        record_touch(customer.pk, at=timezone.now(), channel="sms", campaign_key="x", send_hour=24)
    assert bad_hour.value.field == "send_hour"
    with pytest.raises(ServiceError):
        record_touch(customer.pk, at=timezone.now(), channel="", campaign_key="x")
    with pytest.raises(ServiceError):
        record_touch(999_999, at=timezone.now(), channel="sms", campaign_key="x")
    assert Touch.objects.count() == 1


def test_record_conversion_once_per_order(sales1: Any) -> None:
    customer = CustomerFactory(owner=sales1)
    order = Order.objects.create(number="A1", customer=customer, total=Money(500, "IRR"))
    first = record_conversion(
        customer.pk, at=timezone.now(), revenue=order.total, order_id=order.pk
    )
    again = record_conversion(
        customer.pk, at=timezone.now(), revenue=order.total, order_id=order.pk
    )
    assert first.pk == again.pk and Conversion.objects.count() == 1
    with pytest.raises(ServiceError):
        record_conversion(customer.pk, at=timezone.now(), revenue=Money(-1, "IRR"))


def test_campaign_cost_is_audited_and_validated(marketing1: Any) -> None:
    cost = add_campaign_cost(
        campaign_key="nowruz",
        amount=Decimal(1500000),
        currency="IRR",
        spent_on=dt.date(2026, 3, 1),
        note="SMS gateway",
        actor=marketing1,
    )
    log = ChangeLog.objects.get(object_id=str(cost.pk), content_type__model="campaigncost")
    assert log.action == "create" and log.actor == marketing1
    for kwargs, field in [
        ({"campaign_key": " ", "amount": Decimal(1), "currency": "IRR"}, "campaign_key"),
        ({"campaign_key": "x", "amount": Decimal(0), "currency": "IRR"}, "amount"),
        ({"campaign_key": "x", "amount": Decimal(1), "currency": "XYZ"}, "currency"),
    ]:
        with pytest.raises(ServiceError) as caught:
            add_campaign_cost(spent_on=dt.date(2026, 3, 1), actor=marketing1, **kwargs)
        assert caught.value.field == field
    assert CampaignCost.objects.count() == 1


def test_holdout_split_is_stable_and_about_the_fraction() -> None:
    ids = list(range(1, 20_001))
    treated, control = split_holdout("spring", ids, 0.1)
    assert sorted(treated + control) == ids
    assert 1800 < len(control) < 2200
    assert split_holdout("spring", ids, 0.1) == (treated, control)
    # Another campaign holds out other people.
    _other_treated, other_control = split_holdout("autumn", ids, 0.1)
    assert len(set(control) & set(other_control)) < 400
    assert all(in_holdout("spring", i, 0.1) for i in control[:50])
    assert split_holdout("spring", ids, 0) == (ids, [])
    with pytest.raises(ServiceError):
        split_holdout("spring", ids, 1.0)


def test_backfill_from_campaign_visits_and_orders(sales1: Any) -> None:
    """Sessions with utm_campaign and a known (or later stitched) customer become touches;
    a session without a campaign or without a customer does not; confirmed orders become
    conversions, cancelled ones do not; running it again adds nothing."""
    site = TrackedSite.objects.create(name="Shop")
    known, stitched = CustomerFactory(owner=sales1), CustomerFactory(owner=sales1)
    start = timezone.now() - dt.timedelta(days=3)

    def session(anonymous_id: str, customer: Any, visitor_customer: Any, **utm: str) -> WebSession:
        visitor = Visitor.objects.create(
            site=site, anonymous_id=anonymous_id, customer=visitor_customer
        )
        return WebSession.objects.create(
            site=site,
            visitor=visitor,
            customer=customer,
            started_at=start,
            last_event_at=start,
            **utm,
        )

    tagged = session("a1", known, known, utm_campaign="nowruz", utm_medium="Email", utm_content="B")
    later = session("a2", None, stitched, utm_campaign="nowruz")
    session("a3", known, known)  # no campaign
    session("a4", None, None, utm_campaign="nowruz")  # nobody known
    confirmed = Order.objects.create(number="O1", customer=known, total=Money("12.50", "USD"))
    cancelled = Order.objects.create(
        number="O2", customer=known, total=Money(9, "IRR"), status="cancelled"
    )
    result = backfill()
    assert (result.touches, result.conversions) == (2, 1)
    touches = {t.source_session_id: t for t in Touch.objects.all()}
    assert set(touches) == {tagged.pk, later.pk}
    assert touches[tagged.pk].channel == "email" and touches[tagged.pk].variant == "B"
    assert touches[later.pk].customer_id == stitched.pk and touches[later.pk].channel == "web"
    assert touches[later.pk].variant is None and not touches[later.pk].holdout
    conversion = Conversion.objects.get()
    assert conversion.order_id == confirmed.pk and conversion.revenue == Money("12.50", "USD")
    assert not Conversion.objects.filter(order=cancelled).exists()
    again = backfill()
    assert (again.touches, again.conversions) == (0, 0)
    assert Touch.objects.count() == 2 and Conversion.objects.count() == 1


def test_report_over_the_database(manager: Any, sales1: Any) -> None:
    """Two customers of sales1 and one of someone else:
      c1: email (day −20) → sms (day −10) → buys 10 USD on day −5 (rate 500 000 → 5 000 000 IRR)
      c2: sms (day −8) → buys 1 000 000 IRR on day −2
      c3 (not sales1's): email (day −3), no purchase
    Last touch: sms gets both conversions, 6 000 000. First touch: email 5 000 000, sms
    1 000 000. sales1 sees the same paths (c3 has no conversion, so it changes no credit)
    but one path fewer. Costs: email 2 000 000 → last-touch ROI −100 %, first-touch +150 %."""
    now = timezone.now()
    ExchangeRate.objects.create(
        base_id="USD",
        quote_id="IRR",
        date=timezone.localdate() - dt.timedelta(days=60),
        rate=500000,
    )
    c1, c2 = CustomerFactory(owner=sales1), CustomerFactory(owner=sales1)
    c3 = CustomerFactory()
    for customer, days, channel in [
        (c1, 20, "email"),
        (c1, 10, "sms"),
        (c2, 8, "sms"),
        (c3, 3, "email"),
    ]:
        record_touch(
            customer.pk, at=now - dt.timedelta(days=days), channel=channel, campaign_key=channel
        )
    record_conversion(c1.pk, at=now - dt.timedelta(days=5), revenue=Money(10, "USD"))
    record_conversion(c2.pk, at=now - dt.timedelta(days=2), revenue=Money(1_000_000, "IRR"))
    add_campaign_cost(
        campaign_key="email",
        amount=Decimal(2_000_000),
        currency="IRR",
        spent_on=timezone.localdate(),
        actor=manager,
    )
    report = attribution_report(manager)
    assert (report.paths, report.conversions, report.revenue) == (3, 2, Decimal("6000000.00"))
    assert report.models["last_touch"].revenue == {"sms": pytest.approx(6_000_000)}
    assert report.models["first_touch"].revenue == pytest.approx(
        {"email": 5_000_000, "sms": 1_000_000}
    )
    for name in ("linear", "position_based", "markov", "shapley"):
        assert sum(report.models[name].revenue.values()) == pytest.approx(6_000_000), name
    roi = {row.key: row for row in report.roi}
    assert roi["email"].cost == Decimal(2_000_000)
    assert roi["email"].roi("last_touch") == pytest.approx(-1.0)
    assert roi["email"].roi("first_touch") == pytest.approx(1.5)
    assert roi["sms"].roi("markov") is None
    assert not report.missing_rates
    assert attribution_report(sales1).paths == 2
    by_channel = attribution_report(manager, dimension="channel")
    assert by_channel.roi == [] and set(by_channel.keys) == {"email", "sms"}
    # A currency with no rate is named, its revenue counted as zero.
    record_conversion(c2.pk, at=now - dt.timedelta(days=1), revenue=Money(5, "EUR"))
    assert attribution_report(manager).missing_rates == {"EUR"}
