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

from peyvand.core import prepared

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


def _customer_row_features(
    language: str, channel: str, kind: str, created: dt.datetime, now: dt.datetime
) -> Features:
    return {
        "language": language,
        "preferred_channel": channel or "none",
        "party": kind,
        "tenure_days": round((now - created).total_seconds() / 86_400, 1),
    }


@register_provider
def customer_features(customer_ids: Sequence[int]) -> dict[int, Features]:
    from peyvand.customers.models import Customer

    now = timezone.now()
    rows = Customer.objects.filter(pk__in=customer_ids).values_list(
        "pk", "preferred_language", "preferred_channel", "kind", "created_at"
    )
    return {
        pk: _customer_row_features(language, channel, kind, created, now)
        for pk, language, channel, kind, created in rows
    }


def _order_totals(customer_ids: Sequence[int]) -> Any:
    from peyvand.sales.choices import OrderStatus
    from peyvand.sales.models import Order

    return (
        Order.objects.filter(deleted_at__isnull=True)
        .filter(
            customer_id__in=customer_ids,
            status__in=[OrderStatus.CONFIRMED, OrderStatus.FULFILLED],
        )
        .order_by()
        .values("customer_id", "total_currency")
        .annotate(n=Count("pk"), amount=Sum("total"), last=Max("ordered_at"))
        .values_list("customer_id", "total_currency", "n", "amount", "last")
    )


def _owned_products(customer_ids: Sequence[int]) -> Any:
    from peyvand.sales.choices import OrderStatus
    from peyvand.sales.models import OrderLine

    return (
        OrderLine.objects.filter(
            order__customer_id__in=customer_ids,
            order__status__in=[OrderStatus.CONFIRMED, OrderStatus.FULFILLED],
            order__deleted_at__isnull=True,
            product_id__isnull=False,
        )
        .order_by()
        .values_list("order__customer_id", "product_id")
        .distinct()
    )


@register_provider
def order_features(customer_ids: Sequence[int]) -> dict[int, Features]:
    """Recency, frequency and money (in the reporting currency) of counted orders."""
    from django.conf import settings

    from peyvand.catalog.money import RateBook

    now = timezone.now()
    book = RateBook(str(settings.REPORTING_CURRENCY))
    out: dict[int, Features] = {
        pk: {"frequency": 0, "monetary": 0.0, "recency_days": LONG_AGO_DAYS, "owned_products": []}
        for pk in customer_ids
    }
    today = dt.date.today()
    for customer_id, currency, n, amount, last in prepared.rows(_order_totals, customer_ids):
        features = out[customer_id]
        features["frequency"] += n
        # Converted at today's rate: the profile ranks customers now, it is not a ledger.
        value = book.convert(amount or Decimal(0), currency, today)
        features["monetary"] = round(features["monetary"] + float(value or 0), 2)
        days = round((now - last).total_seconds() / 86_400, 1)
        features["recency_days"] = min(features["recency_days"], days)
    for customer_id, product_id in prepared.rows(_owned_products, customer_ids):
        out[customer_id]["owned_products"].append(product_id)
    return out


def _interaction_counts(
    customer_ids: Sequence[int], since_30: dt.datetime, since_90: dt.datetime
) -> Any:
    from peyvand.channels.models import Interaction

    return (
        Interaction.objects.filter(deleted_at__isnull=True)
        .filter(customer_id__in=customer_ids, occurred_at__gte=since_90)
        .order_by()
        .values("customer_id", "channel")
        .annotate(n90=Count("pk"), n30=Count("pk", filter=Q(occurred_at__gte=since_30)))
        .values_list("customer_id", "channel", "n90", "n30")
    )


@register_provider
def interaction_features(customer_ids: Sequence[int]) -> dict[int, Features]:
    """Interactions per channel in the last 30 and 90 days, and in total."""
    now = timezone.now()
    since_30, since_90 = now - dt.timedelta(days=30), now - dt.timedelta(days=90)
    out: dict[int, Features] = defaultdict(lambda: {"interactions_30d": 0, "interactions_90d": 0})
    for customer_id, channel, n90, n30 in prepared.rows(
        _interaction_counts, customer_ids, since_30, since_90
    ):
        features = out[customer_id]
        features["interactions_30d"] += n30
        features["interactions_90d"] += n90
        features[f"{channel}_30d"] = n30
        features[f"{channel}_90d"] = n90
    return {pk: dict(out[pk]) for pk in customer_ids}


def _open_tasks(customer_ids: Sequence[int]) -> Any:
    from peyvand.desk.choices import OPEN_STATUSES
    from peyvand.desk.models import Task

    return (
        Task.objects.filter(customer_id__in=customer_ids, status__in=OPEN_STATUSES)
        .order_by()
        .values("customer_id")
        .annotate(n=Count("pk"))
        .values_list("customer_id", "n")
    )


@register_provider
def task_features(customer_ids: Sequence[int]) -> dict[int, Features]:
    counts = dict(prepared.rows(_open_tasks, customer_ids))
    return {pk: {"open_tasks": counts.get(pk, 0)} for pk in customer_ids}


@register_provider
def clickstream_features(customer_ids: Sequence[int]) -> dict[int, Features]:
    """Recent behaviour on the website (tracking app): bots are already left out there."""
    from peyvand.tracking.selectors import activity_counts

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
        for pk, summary in activity_counts(customer_ids).items()
    }


def _churn_scores(customer_ids: Sequence[int]) -> Any:
    from peyvand.analytics.models import ChurnScore

    return (
        ChurnScore.objects.filter(customer_id__in=customer_ids)
        .order_by()
        .values_list("customer_id", "probability")
    )


@register_provider
def churn_features(customer_ids: Sequence[int]) -> dict[int, Features]:
    """The churn model's latest risk (analytics app); customers it has not scored have none."""
    from peyvand.analytics.churn.selectors import risk_band

    return {
        pk: {"churn_risk": probability, "churn_risk_band": risk_band(probability)}
        for pk, probability in prepared.rows(_churn_scores, customer_ids)
    }


def build_profiles(
    customer_ids: Sequence[int], *, skip: Sequence[Provider] = ()
) -> dict[int, Features]:
    """Profiles of many customers: each provider (but those in `skip`) runs once for all."""
    profiles: dict[int, Features] = {pk: {} for pk in customer_ids}
    for provider in PROVIDERS:
        if provider in skip:
            continue
        for pk, features in provider(customer_ids).items():
            if pk in profiles:
                profiles[pk].update(features)
    return profiles


def build_profile(customer: Any) -> Features:
    """One customer's profile. The customer's own columns come from the instance the caller
    already holds (loaded by the access helper a moment ago), which saves a query."""
    loaded = customer.__dict__
    if all(name in loaded for name in _CUSTOMER_COLUMNS):
        own = _customer_row_features(
            customer.preferred_language,
            customer.preferred_channel,
            customer.kind,
            customer.created_at,
            timezone.now(),
        )
        profile = build_profiles([customer.pk], skip=[customer_features])[customer.pk]
        return {**own, **profile}
    return build_profiles([customer.pk])[customer.pk]


_CUSTOMER_COLUMNS = ("preferred_language", "preferred_channel", "kind", "created_at")
