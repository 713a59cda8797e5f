"""The attribution report: every model side by side, element effectiveness, holdout lifts
and ROI per campaign, over the touches and conversions of the customers the reader may see,
in the reporting currency."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal, cast

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from peyvand.catalog.money import RateBook
from peyvand.customers.models import Customer
from peyvand.marketing.attribution import effectiveness, models_math
from peyvand.marketing.attribution.effectiveness import Lift
from peyvand.marketing.attribution.models_math import Attribution, TooManyChannels
from peyvand.marketing.models import CampaignCost, Conversion, Touch

Dimension = Literal["campaign", "channel"]
DIMENSION_FIELD = {"campaign": "campaign_key", "channel": "channel"}
DEFAULT_PERIOD_DAYS = 90
DEFAULT_LOOKBACK_DAYS = 30
DEFAULT_WINDOW_DAYS = 14

# The order the page shows them in, heuristics first.
MODELS = {
    "first_touch": (gettext_lazy("First touch"), models_math.first_touch),
    "last_touch": (gettext_lazy("Last touch"), models_math.last_touch),
    "linear": (gettext_lazy("Linear"), models_math.linear),
    "position_based": (gettext_lazy("Position-based (40/20/40)"), models_math.position_based),
    "markov": (gettext_lazy("Markov removal effect"), models_math.markov),
    "shapley": (gettext_lazy("Shapley value"), models_math.shapley),
}
ELEMENT_NAMES = {
    "subject": gettext_lazy("Subject line"),
    "offer": gettext_lazy("Offer"),
    "channel": gettext_lazy("Channel"),
    "send_hour": gettext_lazy("Send hour"),
    "segment": gettext_lazy("Segment"),
    "variant": gettext_lazy("Variant"),
}


@dataclass
class RoiRow:
    key: str
    cost: Decimal
    revenue: dict[str, Decimal]

    def roi(self, model: str) -> float | None:
        """(attributed revenue − cost) / cost; None without a cost."""
        if not self.cost:
            return None
        return float((self.revenue.get(model, Decimal(0)) - self.cost) / self.cost)

    @property
    def ratios(self) -> list[float | None]:
        """ROI under each model, in the order of MODELS (the page's columns)."""
        return [self.roi(model) for model in MODELS]


@dataclass
class Report:
    since: dt.date
    until: dt.date
    lookback_days: int
    window_days: int
    dimension: Dimension
    currency: str
    paths: int = 0
    conversions: int = 0
    revenue: Decimal = Decimal(0)
    keys: list[str] = field(default_factory=list)
    models: dict[str, Attribution] = field(default_factory=dict)
    unavailable: dict[str, str] = field(default_factory=dict)
    effects: list[Lift] = field(default_factory=list)
    holdouts: list[Lift] = field(default_factory=list)
    roi: list[RoiRow] = field(default_factory=list)
    missing_rates: set[str] = field(default_factory=set)


def cents(value: float) -> Decimal:
    """A model's float credit as a decimal amount (two places, as money is stored)."""
    return Decimal(f"{value:.2f}")


def _start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def attribution_report(
    user: Any,
    *,
    since: dt.date | None = None,
    until: dt.date | None = None,
    lookback_days: int = DEFAULT_LOOKBACK_DAYS,
    window_days: int = DEFAULT_WINDOW_DAYS,
    dimension: Dimension = "campaign",
) -> Report:
    until = until or timezone.localdate()
    since = since or until - dt.timedelta(days=DEFAULT_PERIOD_DAYS)
    report = Report(
        since, until, lookback_days, window_days, dimension, settings.REPORTING_CURRENCY
    )
    begin, end = _start(since), _start(until + dt.timedelta(days=1))
    lookback, window = dt.timedelta(days=lookback_days), dt.timedelta(days=window_days)
    visible = Customer.objects.visible_to(user).values("pk")
    touches = list(
        Touch.objects.filter(customer__in=visible, at__gte=begin - lookback, at__lt=end)
        .values_list(
            "customer_id",
            "at",
            "campaign_key",
            "channel",
            "holdout",
            *effectiveness.ELEMENTS,
        )
        .order_by()
    )
    book = RateBook(report.currency)
    conversions = []
    for customer_id, at, amount, currency in (
        Conversion.objects.filter(
            customer__in=visible, at__gte=begin - lookback, at__lt=end + window
        )
        .values_list("customer_id", "at", "revenue", "revenue_currency")
        .order_by()
    ):
        # values_list() gives the bare Decimal, not Money.
        converted = book.convert(cast(Decimal, amount), currency, timezone.localdate(at))
        conversions.append((customer_id, at, float(converted or 0)))
    report.missing_rates = set(book.missing)

    column = 2 if dimension == "campaign" else 3
    # Control-group members were sent nothing: their touches earn no credit.
    paths = models_math.build_paths(
        ((t[0], t[1], t[column]) for t in touches if not t[4]),
        ((c, at, revenue) for c, at, revenue in conversions if at < end),
        lookback=lookback,
        end=end,
        since=begin,
    )
    _models(report, paths)
    # Exposures start in the period (a customer's first touch of a campaign within it) and
    # may convert up to the window after its end.
    exposures = effectiveness.exposures_from(
        (
            (t[0], t[1], t[2], dict(zip(effectiveness.ELEMENTS, t[5:], strict=True)), t[4])
            for t in touches
            if t[1] >= begin
        ),
        ((c, at) for c, at, _revenue in conversions if at >= begin),
        window=window,
    )
    report.effects = effectiveness.element_effects(exposures)
    report.holdouts = effectiveness.holdout_lifts(exposures)
    if dimension == "campaign":
        report.roi = _roi(report, book.fork())
    return report


def _models(report: Report, paths: list[models_math.Path]) -> None:
    report.paths = len(paths)
    converted = [p for p in paths if p.converted]
    report.conversions = len(converted)
    report.revenue = cents(sum(p.revenue for p in converted))
    for name, (_label, model) in MODELS.items():
        try:
            report.models[name] = model(paths)
        except TooManyChannels as exc:
            report.unavailable[name] = _(
                "Exact Shapley values are computed for at most %(limit)s campaigns or "
                "channels; this period has %(count)s. Narrow the period or group by channel."
            ) % {"limit": models_math.MAX_SHAPLEY_CHANNELS, "count": exc.count}
    totals: dict[str, float] = defaultdict(float)
    for result in report.models.values():
        for key, value in result.revenue.items():
            totals[key] += value
    report.keys = sorted(
        {key for result in report.models.values() for key in result.conversions},
        key=lambda key: (-totals[key], key),
    )


def _roi(report: Report, book: RateBook) -> list[RoiRow]:
    costs: dict[str, Decimal] = defaultdict(Decimal)
    for key, amount, currency, day in CampaignCost.objects.filter(
        spent_on__gte=report.since, spent_on__lte=report.until
    ).values_list("campaign_key", "amount", "amount_currency", "spent_on"):
        costs[key] += book.convert(cast(Decimal, amount), currency, day) or Decimal(0)
    report.missing_rates |= book.missing
    # Campaigns in the order of the models' charts (most credited first), then those
    # with only a cost.
    rank = {key: i for i, key in enumerate(report.keys)}
    keys = sorted(set(rank) | set(costs), key=lambda k: (rank.get(k, len(rank)), k))
    return [
        RoiRow(
            key=key,
            cost=costs.get(key, Decimal(0)),
            revenue={
                name: cents(result.revenue.get(key, 0.0)) for name, result in report.models.items()
            },
        )
        for key in keys
    ]
