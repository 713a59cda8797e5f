"""The CRM's churn features per customer, as of a moment: what the model learns from and
scores with. Values come from SQL aggregates (orders, interactions) plus custom fields; the
pipeline infers their types itself, so a custom field added tomorrow becomes a feature
without code.

The label "churned" is no order within the horizon (settings.CHURN_HORIZON_DAYS). Training
looks back from a cut-off one horizon ago: features use only what happened before it, the
label what happened after, so the model never sees the future it predicts.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Count, Max, Min, Q
from django.utils.translation import gettext as _

from peyvand.catalog.money import RateBook
from peyvand.channels.choices import Direction, InteractionChannel
from peyvand.channels.models import Interaction
from peyvand.customers.models import Customer
from peyvand.sales.choices import OrderStatus
from peyvand.sales.models import Order

# Spend and contact windows: the last quarter against the one before it.
WINDOW_DAYS = 90
CUSTOM_PREFIX = "custom_"
INTERACTION_PREFIX = "contacts_"


def _orders() -> Any:
    return Order.objects.filter(deleted_at__isnull=True).exclude(status=OrderStatus.CANCELLED)


def customers_with_orders_before(moment: dt.datetime) -> list[int]:
    return list(
        _orders()
        .filter(ordered_at__lt=moment)
        .order_by()
        .values_list("customer_id", flat=True)
        .distinct()
    )


def ordered_between(start: dt.datetime, end: dt.datetime) -> set[int]:
    return set(
        _orders()
        .filter(ordered_at__gte=start, ordered_at__lt=end)
        .order_by()  # the default ordering would join DISTINCT and repeat customers
        .values_list("customer_id", flat=True)
        .distinct()
    )


def _days(delta: dt.timedelta) -> float:
    return max(delta.total_seconds() / 86400, 0.0)


def feature_rows(customer_ids: list[int], moment: dt.datetime) -> dict[int, dict[str, Any]]:
    """One dict of raw feature values per customer, counting only what happened before
    `moment`."""
    if not customer_ids:
        return {}
    window = dt.timedelta(days=WINDOW_DAYS)
    rows: dict[int, dict[str, Any]] = {}
    profiles = Customer.objects.filter(pk__in=customer_ids).values_list(
        "pk", "kind", "preferred_channel", "created_at", "custom"
    )
    for pk, kind, channel, created, custom in profiles:
        row: dict[str, Any] = {
            "kind": kind,
            "preferred_channel": channel or "none",
            "tenure_days": _days(moment - created),
        }
        for key, value in (custom or {}).items():
            if isinstance(value, str | int | float | bool):
                row[f"{CUSTOM_PREFIX}{key}"] = value
        rows[pk] = row
    before = _orders().filter(customer_id__in=customer_ids, ordered_at__lt=moment)
    stats = before.values("customer_id").annotate(
        first=Min("ordered_at"),
        last=Max("ordered_at"),
        n=Count("pk"),
        recent=Count("pk", filter=Q(ordered_at__gte=moment - window)),
    )
    for stat in stats:
        row = rows[stat["customer_id"]]
        row["recency_days"] = _days(moment - stat["last"])
        row["frequency"] = stat["n"]
        row["orders_last_quarter"] = stat["recent"]
        # A customer's age is their first order when they were imported after buying.
        row["tenure_days"] = max(row["tenure_days"], _days(moment - stat["first"]))
    spend: dict[int, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    book = RateBook(settings.REPORTING_CURRENCY)
    recent_orders = before.filter(ordered_at__gte=moment - 2 * window).values_list(
        "customer_id", "ordered_at", "total", "total_currency"
    )
    for customer_id, at, amount, currency in recent_orders.iterator(chunk_size=5000):
        value = book.convert(amount, currency, at.date())
        if value is not None:
            spend[customer_id][0 if at >= moment - window else 1] += value
    for pk, row in rows.items():
        row.setdefault("recency_days", None)
        row.setdefault("frequency", 0)
        row.setdefault("orders_last_quarter", 0)
        last, previous = spend[pk] if pk in spend else (Decimal(0), Decimal(0))
        row["spend_last_quarter"] = float(last)
        row["spend_trend"] = float(last - previous)
        for channel in InteractionChannel.values:
            row[f"{INTERACTION_PREFIX}{channel}"] = 0
        row["contacts_inbound"] = 0
    contacts = (
        Interaction.objects.filter(
            deleted_at__isnull=True,
            customer_id__in=customer_ids,
            occurred_at__lt=moment,
            occurred_at__gte=moment - window,
        )
        .values("customer_id", "channel")
        .annotate(n=Count("pk"), inbound=Count("pk", filter=Q(direction=Direction.INBOUND)))
    )
    for contact in contacts:
        row = rows[contact["customer_id"]]
        row[f"{INTERACTION_PREFIX}{contact['channel']}"] = contact["n"]
        row["contacts_inbound"] += contact["inbound"]
    return rows


def feature_label(name: str) -> str:
    """What a feature is called on the screens, in the user's language."""
    if name.startswith(CUSTOM_PREFIX):
        return _("Custom field: %(name)s") % {"name": name.removeprefix(CUSTOM_PREFIX)}
    if name.startswith(INTERACTION_PREFIX) and name != "contacts_inbound":
        channel = name.removeprefix(INTERACTION_PREFIX)
        label = dict(InteractionChannel.choices).get(channel, channel)
        return _("Contacts by %(channel)s (last 90 days)") % {"channel": label}
    labels = {
        "kind": _("Customer type"),
        "preferred_channel": _("Preferred channel"),
        "tenure_days": _("Time as a customer"),
        "recency_days": _("Days since the last order"),
        "frequency": _("Number of orders"),
        "orders_last_quarter": _("Orders in the last 90 days"),
        "spend_last_quarter": _("Spend in the last 90 days"),
        "spend_trend": _("Spend trend (last 90 days against the 90 before)"),
        "contacts_inbound": _("Contacts started by the customer (last 90 days)"),
    }
    return labels.get(name, name)
