"""Revenue by sales channel and by the campaign that brought the deal, in the reporting
currency, over the orders the reader may see."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from peyvand.analytics.revenue import DIRECT, revenue_split
from peyvand.catalog.models import ExchangeRate
from peyvand.sales.leads import convert_lead
from peyvand.sales.models import Order
from peyvand.sales.quotes import accept_quote, send_quote
from peyvand.sales.services import create_order
from tests.factories import CustomerFactory
from tests.sales.pipeline_factories import make_lead
from tests.sales.quote_factories import make_quote

pytestmark = pytest.mark.django_db


def _order(customer: Any, actor: Any, currency: str, price: str, channel: str) -> Order:
    return create_order(
        actor=actor,
        customer=customer,
        currency=currency,
        channel=channel,
        lines=[
            {
                "product": None,
                "description": "x",
                "quantity": Decimal(1),
                "unit_price": Decimal(price),
            }
        ],
    )


def test_revenue_splits_by_channel_and_campaign(sales1: Any, sales2: Any, manager: Any) -> None:
    ExchangeRate.objects.create(
        base_id="USD",
        quote_id="IRR",
        date=timezone.localdate() - dt.timedelta(days=30),
        rate=Decimal(500000),
    )
    lead = make_lead(sales1, utm_source="instagram", utm_campaign="nowruz")
    customer, deal = convert_lead(lead, actor=sales1, title="From Instagram")
    quote = send_quote(make_quote(customer, actor=sales1, opportunity=deal), actor=sales1)
    from_campaign = accept_quote(quote, actor=sales1)
    walk_in = CustomerFactory(owner=sales1)
    _order(walk_in, sales1, "USD", "10", "web")  # 5,000,000 IRR
    _order(walk_in, sales1, "IRR", "700000", "phone")
    theirs = CustomerFactory(owner=sales2)
    _order(theirs, sales2, "IRR", "123", "store")
    cancelled = _order(walk_in, sales1, "IRR", "999", "web")
    Order.objects.filter(pk=cancelled.pk).update(status="cancelled")

    mine = revenue_split(Order.objects.visible_to(sales1))
    campaign_total = from_campaign.total.amount
    assert mine.by_channel == {
        "web": Decimal(5_000_000),
        "phone": Decimal(700_000),
        "sales": campaign_total,
    }
    assert mine.by_source == {DIRECT: Decimal(5_700_000), "instagram": campaign_total}
    assert sum(mine.by_channel.values()) == sum(mine.by_source.values())
    everyone = revenue_split(Order.objects.visible_to(manager))
    assert everyone.by_channel["store"] == Decimal(123)
    recent = revenue_split(
        Order.objects.visible_to(manager), since=timezone.localdate() + dt.timedelta(days=1)
    )
    assert recent.by_channel == {}


def test_an_unknown_channel_is_refused(sales1: Any) -> None:
    from peyvand.core.problems import ServiceError

    with pytest.raises(ServiceError) as caught:
        _order(CustomerFactory(owner=sales1), sales1, "IRR", "1", "carrier-pigeon")
    assert caught.value.field == "channel" and not Order.objects.exists()
