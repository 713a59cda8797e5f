"""Writing what attribution reads: touches, conversions, campaign costs, control groups
and the set-based backfills from the click-stream and from orders.

Touches and conversions are append-only observations, like click-stream events: they do
not change a customer's record, so they write no change-log rows. Costs are business
figures staff enter and correct; they go through the audit log."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils.translation import gettext as _
from djmoney.money import Money

from peyvand.audit import services as audit
from peyvand.catalog.models import Currency
from peyvand.core.problems import ServiceError
from peyvand.customers.models import Customer
from peyvand.marketing.models import CampaignCost, Conversion, Touch
from peyvand.sales.choices import OrderStatus
from peyvand.sales.models import Order
from peyvand.tracking.models import Visitor, WebSession

# A web visit from a campaign link whose UTM medium is empty came from the web.
WEB_CHANNEL = "web"


def _first_error(exc: ValidationError) -> ServiceError:
    field, messages = next(iter(exc.message_dict.items()))
    return ServiceError(messages[0], field=field)


def record_touch(
    customer_id: int,
    *,
    at: dt.datetime,
    channel: str,
    campaign_key: str,
    variant: str | None = None,
    subject: str | None = None,
    offer: str | None = None,
    send_hour: int | None = None,
    segment: str | None = None,
    holdout: bool = False,
) -> Touch:
    """One customer met (or, `holdout`, was deliberately kept from) a campaign."""
    if not Customer.objects.filter(pk=customer_id).exists():
        raise ServiceError(_("There is no such customer."), field="customer_id", code="not_found")
    touch = Touch(
        customer_id=customer_id,
        at=at,
        channel=channel.strip().lower(),
        campaign_key=campaign_key.strip(),
        variant=variant or None,
        subject=subject or None,
        offer=offer or None,
        send_hour=send_hour,
        segment=segment or None,
        holdout=holdout,
    )
    try:
        touch.full_clean(exclude=["customer", "source_session"])
    except ValidationError as exc:
        raise _first_error(exc) from exc
    touch.save()
    return touch


def record_conversion(
    customer_id: int, *, at: dt.datetime, revenue: Money, order_id: int | None = None
) -> Conversion:
    """A purchase; one per order (recording an order again returns the first)."""
    if revenue.amount < 0:
        raise ServiceError(_("Revenue cannot be negative."), field="revenue")
    if order_id is not None:
        existing = Conversion.objects.filter(order_id=order_id).first()
        if existing is not None:
            return existing
    return Conversion.objects.create(
        customer_id=customer_id, at=at, revenue=revenue, order_id=order_id
    )


@transaction.atomic
def add_campaign_cost(
    *,
    campaign_key: str,
    amount: Decimal,
    currency: str,
    spent_on: dt.date,
    note: str = "",
    actor: Any,
) -> CampaignCost:
    """A campaign's cost; `currency` one of the catalog's (checked before a Money is made,
    which would fail on a code it does not know)."""
    key = campaign_key.strip()
    if not key:
        raise ServiceError(_("Name the campaign."), field="campaign_key")
    if amount <= 0:
        raise ServiceError(_("A cost must be more than zero."), field="amount")
    if not Currency.objects.filter(code=currency).exists():
        raise ServiceError(_("Unknown currency."), field="currency")
    cost = CampaignCost(
        campaign_key=key,
        amount=Money(amount, currency),
        spent_on=spent_on,
        note=note.strip(),
        created_by=actor,
    )
    try:
        cost.full_clean(exclude=["created_by"])
    except ValidationError as exc:
        raise _first_error(exc) from exc
    with audit.record(cost, actor=actor):
        cost.save()
    return cost


def in_holdout(campaign_key: str, customer_id: int, fraction: float) -> bool:
    """Whether this customer is in the campaign's control group. A hash of (campaign,
    customer) rather than a random draw: as random as a draw with respect to anything
    about the customer, and the same answer on every send and every worker."""
    digest = hashlib.sha256(f"{campaign_key}\0{customer_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < fraction


def split_holdout(
    campaign_key: str, customer_ids: Iterable[int], fraction: float
) -> tuple[list[int], list[int]]:
    """(treated, control): the audience of a campaign with `fraction` of it held out."""
    if not 0 <= fraction < 1:
        raise ServiceError(_("The holdout must be at least 0 % and under 100 %."), field="fraction")
    treated: list[int] = []
    control: list[int] = []
    for customer_id in customer_ids:
        (control if in_holdout(campaign_key, customer_id, fraction) else treated).append(
            customer_id
        )
    return treated, control


@dataclass
class Backfilled:
    touches: int
    conversions: int


def backfill() -> Backfilled:
    """Touches from the click-stream's campaign visits (a session whose landing URL had
    utm_campaign, its customer known then or stitched later) and conversions from
    confirmed and fulfilled orders; one INSERT … SELECT each, and what was already taken
    is skipped, so it can run again at any time."""
    touch, session, visitor = (
        Touch._meta.db_table,
        WebSession._meta.db_table,
        Visitor._meta.db_table,
    )
    conversion, order = Conversion._meta.db_table, Order._meta.db_table
    # Table names come from the models and every value is bound.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {touch}
              (customer_id, at, channel, campaign_key, variant, holdout, source_session_id)
            SELECT COALESCE(s.customer_id, v.customer_id), s.started_at,
                   COALESCE(NULLIF(LOWER(SUBSTR(s.utm_medium, 1, 32)), ''), %s),
                   s.utm_campaign, NULLIF(s.utm_content, ''), %s, s.id
            FROM {session} s JOIN {visitor} v ON v.id = s.visitor_id
            WHERE s.utm_campaign <> ''
              AND COALESCE(s.customer_id, v.customer_id) IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM {touch} t WHERE t.source_session_id = s.id)
            """,
            [WEB_CHANNEL, False],
        )
        touches = cursor.rowcount
        cursor.execute(
            f"""
            INSERT INTO {conversion} (customer_id, at, revenue, revenue_currency, order_id)
            SELECT o.customer_id, o.ordered_at, o.total, o.total_currency, o.id
            FROM {order} o
            WHERE o.status IN (%s, %s) AND o.deleted_at IS NULL
              AND NOT EXISTS (SELECT 1 FROM {conversion} c WHERE c.order_id = o.id)
            """,
            [OrderStatus.CONFIRMED.value, OrderStatus.FULFILLED.value],
        )
        conversions = cursor.rowcount
    return Backfilled(touches=max(touches, 0), conversions=max(conversions, 0))
