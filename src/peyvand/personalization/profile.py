"""The real-time profile: what the bandit and the eligibility rules know about a customer.

A profile is a flat dict assembled from feature providers. A provider is a function
`provider(customer_ids) -> {customer_id: {feature: value}}` that answers for many customers
in a few queries; other apps add theirs with one `register_provider(...)` line (RFM segment,
CLV, churn risk band, click-stream counts), and the profile works without them.

Values are strings (categorical), numbers, booleans or lists of ids (owned products);
`engine.features` turns them into VW features.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from django.db.models import Count, Max, Q, Sum
from django.utils import timezone

Features = dict[str, Any]
Provider = Callable[[Sequence[int]], dict[int, Features]]

PROVIDERS: list[Provider] = []

# "Never ordered" or "never visited" must sort as long ago, not as yesterday: the recency
# of a customer without orders or visits.
LONG_AGO_DAYS = 9999.0


def register_provider(provider: Provider) -> Provider:
    """Add a provider (usable as a decorator); registering one twice is a no-op."""
    if provider not in PROVIDERS:
        PROVIDERS.append(provider)
    return provider


@register_provider
def customer_features(customer_ids: Sequence[int]) -> dict[int, Features]:
    from peyvand.customers.models import Customer

    now = timezone.now()
    rows = Customer.objects.filter(pk__in=customer_ids).values_list(
        "pk", "preferred_language", "preferred_channel", "kind", "created_at"
    )
    return {
        pk: {
            "language": language,
            "preferred_channel": channel or "none",
            "party": kind,
            "tenure_days": round((now - created).total_seconds() / 86_400, 1),
        }
        for pk, language, channel, kind, created in rows
    }


@register_provider
def order_features(customer_ids: Sequence[int]) -> dict[int, Features]:
    """Recency, frequency and money (in the reporting currency) of counted orders."""
    from django.conf import settings

    from peyvand.catalog.money import RateBook
    from peyvand.sales.choices import OrderStatus
    from peyvand.sales.models import Order, OrderLine

    counted = [OrderStatus.CONFIRMED, OrderStatus.FULFILLED]
    now = timezone.now()
    book = RateBook(str(settings.REPORTING_CURRENCY))
    out: dict[int, Features] = {
        pk: {"frequency": 0, "monetary": 0.0, "recency_days": LONG_AGO_DAYS, "owned_products": []}
        for pk in customer_ids
    }
    totals = (
        Order.objects.filter(deleted_at__isnull=True)
        .filter(customer_id__in=customer_ids, status__in=counted)
        .values("customer_id", "total_currency")
        .annotate(n=Count("pk"), amount=Sum("total"), last=Max("ordered_at"))
    )
    today = dt.date.today()
    for row in totals:
        features = out[row["customer_id"]]
        features["frequency"] += row["n"]
        # Converted at today's rate: the profile ranks customers now, it is not a ledger.
        value = book.convert(row["amount"] or Decimal(0), row["total_currency"], today)
        features["monetary"] = round(features["monetary"] + float(value or 0), 2)
        days = round((now - row["last"]).total_seconds() / 86_400, 1)
        features["recency_days"] = min(features["recency_days"], days)
    owned = (
        OrderLine.objects.filter(
            order__customer_id__in=customer_ids,
            order__status__in=counted,
            order__deleted_at__isnull=True,
            product_id__isnull=False,
        )
        .values_list("order__customer_id", "product_id")
        .distinct()
    )
    for customer_id, product_id in owned:
        out[customer_id]["owned_products"].append(product_id)
    return out


@register_provider
def interaction_features(customer_ids: Sequence[int]) -> dict[int, Features]:
    """Interactions per channel in the last 30 and 90 days, and in total."""
    from peyvand.channels.models import Interaction

    now = timezone.now()
    since_30, since_90 = now - dt.timedelta(days=30), now - dt.timedelta(days=90)
    out: dict[int, Features] = defaultdict(lambda: {"interactions_30d": 0, "interactions_90d": 0})
    rows = (
        Interaction.objects.filter(deleted_at__isnull=True)
        .filter(customer_id__in=customer_ids, occurred_at__gte=since_90)
        .values("customer_id", "channel")
        .annotate(n90=Count("pk"), n30=Count("pk", filter=Q(occurred_at__gte=since_30)))
    )
    for row in rows:
        features = out[row["customer_id"]]
        features["interactions_30d"] += row["n30"]
        features["interactions_90d"] += row["n90"]
        features[f"{row['channel']}_30d"] = row["n30"]
        features[f"{row['channel']}_90d"] = row["n90"]
    return {pk: dict(out[pk]) for pk in customer_ids}


@register_provider
def task_features(customer_ids: Sequence[int]) -> dict[int, Features]:
    from peyvand.desk.choices import OPEN_STATUSES
    from peyvand.desk.models import Task

    counts = dict(
        Task.objects.filter(customer_id__in=customer_ids, status__in=OPEN_STATUSES)
        .values("customer_id")
        .annotate(n=Count("pk"))
        .values_list("customer_id", "n")
    )
    return {pk: {"open_tasks": counts.get(pk, 0)} for pk in customer_ids}


@register_provider
def clickstream_features(customer_ids: Sequence[int]) -> dict[int, Features]:
    """Recent behaviour on the website (tracking app): bots are already left out there."""
    from peyvand.tracking.selectors import recent_activity

    now = timezone.now()
    return {
        pk: {
            "web_sessions_30d": summary.sessions_30d,
            "web_page_views_30d": summary.page_views_30d,
            "web_cart_adds_30d": summary.cart_adds_30d,
            "days_since_visit": round((now - summary.last_visit).total_seconds() / 86_400, 1)
            if summary.last_visit
            else LONG_AGO_DAYS,
        }
        for pk, summary in recent_activity(customer_ids).items()
    }


@register_provider
def churn_features(customer_ids: Sequence[int]) -> dict[int, Features]:
    """The churn model's latest risk (analytics app); customers it has not scored have none."""
    from peyvand.analytics.churn.selectors import risk_band
    from peyvand.analytics.models import ChurnScore

    return {
        pk: {"churn_risk": probability, "churn_risk_band": risk_band(probability)}
        for pk, probability in ChurnScore.objects.filter(customer_id__in=customer_ids).values_list(
            "customer_id", "probability"
        )
    }


def build_profiles(customer_ids: Sequence[int]) -> dict[int, Features]:
    """Profiles of many customers: each provider runs once for all of them."""
    profiles: dict[int, Features] = {pk: {} for pk in customer_ids}
    for provider in PROVIDERS:
        for pk, features in provider(customer_ids).items():
            if pk in profiles:
                profiles[pk].update(features)
    return profiles


def build_profile(customer: Any) -> Features:
    return build_profiles([customer.pk])[customer.pk]
