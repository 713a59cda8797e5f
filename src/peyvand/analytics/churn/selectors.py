"""Reads of churn scores, always through what the user may see."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, F, IntegerField, QuerySet
from django.db.models.functions import Cast, Floor, Least

from peyvand.analytics.models import ChurnScore
from peyvand.customers.models import Customer


def visible_scores(user: Any) -> QuerySet[ChurnScore]:
    customers = Customer.objects.visible_to(user).alive()
    return (
        ChurnScore.objects.filter(customer__in=customers)
        .select_related("customer")
        .order_by("-probability", "customer_id")
    )


# Where the churn probability turns from one band into the next; eligibility rules, the
# profile and the management dashboard speak in bands, not probabilities.
BAND_EDGES = ((0.6, "high"), (0.3, "medium"), (0.0, "low"))


def risk_band(probability: float) -> str:
    return next(band for edge, band in BAND_EDGES if probability >= edge)


def risk_buckets(user: Any) -> list[int]:
    """Customers per tenth of risk (0–10 %, …, 90–100 %)."""
    counts = dict(
        visible_scores(user)
        # Floor, not a cast: PostgreSQL rounds a float cast to integer, SQLite truncates.
        .annotate(band=Cast(Least(Floor(F("probability") * 10), 9), IntegerField()))
        .values_list("band")
        .annotate(n=Count("pk"))
        .values_list("band", "n")
    )
    return [counts.get(band, 0) for band in range(10)]


def score_of(customer: Customer) -> ChurnScore | None:
    return ChurnScore.objects.filter(customer=customer).first()
