"""Forecasts and sales analytics: the weighted pipeline, the forecast learned from closed
history (stage conversion rates and times to close) with its back-test, win rates, deal
sizes, sales cycles and targets. Every figure is in the reporting currency, each amount
converted at the rate of its own relevant day; every deal read goes through `restrict()`.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal, cast

import jdatetime
import numpy as np
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from peyvand.access.choices import ObjectType, Scope
from peyvand.access.models import Department, User
from peyvand.access.scopes import department_ids, scope_for
from peyvand.audit.services import record
from peyvand.catalog.money import RateBook, decimal_places, quantize
from peyvand.core.text import to_persian_digits
from peyvand.sales import deal_totals
from peyvand.sales.access import live_opportunities
from peyvand.sales.choices import OpportunityStatus, TargetPeriod
from peyvand.sales.models import ForecastModel, Pipeline, SalesTarget, StageHistory
from peyvand.sales.services import MAX_AMOUNT

Calendar = Literal["gregorian", "jalali"]
CALENDARS: tuple[Calendar, ...] = ("gregorian", "jalali")

# Weight, in deals, of a stage's static probability when too few closed deals are known:
# the learned rate starts at the static one and moves to the observed one as history grows.
PRIOR_DEALS = 5
# Times to close kept per stage: every sample up to this many, else as many quantiles.
KEPT_SAMPLES = 100
# Back-test: months of history before the first cut-off, and at most this many cut-offs.
TRAINING_MONTHS = 3
BACKTEST_CUTOFFS = 12
FORECAST_MONTHS = 6
SECONDS_PER_DAY = 86_400.0


def reporting_currency() -> str:
    return str(settings.REPORTING_CURRENCY)


def reader_calendar() -> Calendar:
    """Persian readers count months in the Jalali calendar, everyone else in the Gregorian."""
    return "jalali" if (get_language() or "en").startswith("fa") else "gregorian"


# --- calendar months and quarters -------------------------------------------------------


def month_start(day: dt.date, calendar: Calendar) -> dt.date:
    if calendar == "jalali":
        jday = jdatetime.date.fromgregorian(date=day)
        return jdatetime.date(jday.year, jday.month, 1).togregorian()
    return day.replace(day=1)


def add_months(start: dt.date, count: int, calendar: Calendar) -> dt.date:
    """The first day of the month `count` months after the month starting on `start`."""
    if calendar == "jalali":
        jday = jdatetime.date.fromgregorian(date=start)
        index = jday.year * 12 + jday.month - 1 + count
        return jdatetime.date(index // 12, index % 12 + 1, 1).togregorian()
    index = start.year * 12 + start.month - 1 + count
    return dt.date(index // 12, index % 12 + 1, 1)


def months_between(start: dt.date, end: dt.date, calendar: Calendar) -> list[dt.date]:
    """First days of every month from the one holding `start` to the one holding `end`."""
    months, current = [], month_start(start, calendar)
    while current <= end:
        months.append(current)
        current = add_months(current, 1, calendar)
    return months


def month_label(start: dt.date, calendar: Calendar) -> str:
    """ "Farvardin 1405" / "فروردین ۱۴۰۵" or "Mar 2026", in the reader's language."""
    fa = (get_language() or "en").startswith("fa")
    if calendar == "jalali":
        jday = jdatetime.date.fromgregorian(date=start)
        names = jdatetime.date.j_months_fa if fa else jdatetime.date.j_months_en
        label = f"{names[jday.month - 1]} {jday.year}"
    else:
        label = date_format(start, "M Y")
    return to_persian_digits(label) if fa else label


def period_bounds(period: str, on: dt.date, calendar: Calendar) -> tuple[dt.date, dt.date]:
    """First and last day of the month or quarter (in `calendar`) holding `on`."""
    start = month_start(on, calendar)
    length = 1
    if period == TargetPeriod.QUARTER:
        month = (
            jdatetime.date.fromgregorian(date=start).month if calendar == "jalali" else start.month
        )
        start = add_months(start, -((month - 1) % 3), calendar)
        length = 3
    return start, add_months(start, length, calendar) - dt.timedelta(days=1)


def _rounder() -> Callable[[Decimal], Decimal]:
    """Rounding to the reporting currency's decimals, looked up once per report; a partial,
    not a closure, so the reports that keep it can be cached (pickled)."""
    currency = reporting_currency()
    return functools.partial(quantize, currency=currency, places=decimal_places(currency))


class ReportContext:
    """What the reports of one page for one reader read alike, read once for all of them
    rather than once per report: the reporting currency's decimals, the exchange rates,
    owners' and departments' names, the reader's deals hidden from every report."""

    def __init__(self, user: Any) -> None:
        self.user = user
        self.currency = reporting_currency()
        self._rates = RateBook(self.currency)
        self._rounding: Callable[[Decimal], Decimal] | None = None
        self._names: dict[type[Any], dict[int | None, str]] = {
            User: {None: _("No owner")},
            Department: {None: _("No department")},
        }
        self.hidden = deal_totals.HiddenDeals(user)

    @classmethod
    def of(cls, user: Any, context: ReportContext | None) -> ReportContext:
        if context is None:
            return cls(user)
        if context.user != user:
            raise ValueError("The report context was made for another reader.")
        return context

    def book(self) -> RateBook:
        """A rate book of its own (its own `missing`), sharing the rates read so far."""
        return self._rates.fork()

    def rounding(self) -> Callable[[Decimal], Decimal]:
        if self._rounding is None:
            self._rounding = _rounder()
        return self._rounding

    def _named(self, model: type[Any], ids: Iterable[int | None]) -> dict[int | None, str]:
        names = self._names[model]
        wanted = {pk for pk in ids if pk not in names}
        if wanted:
            rows = model._default_manager.filter(pk__in=wanted)
            if model is User:
                rows = rows.only("username", "first_name", "last_name")
            names.update((row.pk, str(row)) for row in rows)
        return names

    def owner_names(self, ids: Iterable[int | None]) -> dict[int | None, str]:
        return self._named(User, ids)

    def department_names(self, ids: Iterable[int | None]) -> dict[int | None, str]:
        return self._named(Department, ids)


# --- weighted pipeline ---------------------------------------------------------------


@dataclass
class PipelineMonth:
    start: dt.date
    label: str
    count: int = 0
    total: Decimal = Decimal(0)
    weighted: Decimal = Decimal(0)
    by_owner: dict[int | None, Decimal] = field(default_factory=dict)


@dataclass
class PipelineOwner:
    owner_id: int | None
    name: str
    count: int = 0
    total: Decimal = Decimal(0)
    weighted: Decimal = Decimal(0)


@dataclass
class WeightedPipeline:
    currency: str
    calendar: Calendar
    months: list[PipelineMonth]
    owners: list[PipelineOwner]
    undated: PipelineOwner
    missing_rates: list[str]

    @property
    def weighted(self) -> Decimal:
        return sum((m.weighted for m in self.months), Decimal(0)) + self.undated.weighted


def weighted_pipeline(
    user: Any,
    *,
    pipeline: Pipeline,
    start: dt.date,
    end: dt.date,
    calendar: Calendar = "gregorian",
    today: dt.date | None = None,
    context: ReportContext | None = None,
) -> WeightedPipeline:
    """Open deals the user may see, amount × stage win probability, by month of expected
    close date (in `calendar`) and by owner; deals without a date are counted apart and
    converted at today's rate. Three queries plus one per currency, whatever the deal count
    (fewer when `context` already read them for another report of the page)."""
    today = today or timezone.localdate()
    context = ReportContext.of(user, context)
    currency = context.currency
    book = context.book()
    months = {
        m: PipelineMonth(m, month_label(m, calendar)) for m in months_between(start, end, calendar)
    }
    starts = sorted(months)
    owners: dict[int | None, PipelineOwner] = {}
    undated = PipelineOwner(None, _("No expected close date"))
    rows = deal_totals.open_by_close_rows(
        user,
        pipeline.pk,
        starts[0] if starts else start,
        end,
        months=(starts, currency),
        hidden=context.hidden,
    )
    for row in rows:
        day = row["expected_close_date"]
        amount = book.convert(row["total"], row["amount_currency"], day or today)
        if amount is None:
            continue
        weighted = amount * row["stage__win_probability"] / 100
        owner = owners.setdefault(row["owner_id"], PipelineOwner(row["owner_id"], ""))
        owner.count += row["n"]
        owner.total += amount
        owner.weighted += weighted
        if day is None:
            bucket: PipelineOwner | PipelineMonth = undated
        else:
            bucket = months[starts[bisect.bisect_right(starts, day) - 1]]
            bucket.by_owner[row["owner_id"]] = (
                bucket.by_owner.get(row["owner_id"], Decimal(0)) + weighted
            )
        bucket.count += row["n"]
        bucket.total += amount
        bucket.weighted += weighted
    names = context.owner_names(owners)
    for owner in owners.values():
        owner.name = names.get(owner.owner_id, "")
    rounding = context.rounding()
    everything: list[PipelineMonth | PipelineOwner] = [*months.values(), *owners.values(), undated]
    for rounded in everything:
        rounded.total, rounded.weighted = rounding(rounded.total), rounding(rounded.weighted)
    return WeightedPipeline(
        currency=currency,
        calendar=calendar,
        months=[months[m] for m in starts],
        owners=sorted(owners.values(), key=lambda o: (-o.weighted, o.name)),
        undated=undated,
        missing_rates=sorted(book.missing),
    )


# --- learning from closed history ----------------------------------------------------


@dataclass
class Deal:
    """One deal of the history, as the estimator needs it: when it entered each stage,
    when and how it closed, its amount."""

    pk: int
    created: float  # days since the epoch
    closed: float | None
    won: bool
    amount: Decimal
    currency: str
    visits: list[tuple[int, float]]  # (stage id, entered), in order


def _days(moment: dt.datetime) -> float:
    return moment.timestamp() / SECONDS_PER_DAY


def _moment(days: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(days * SECONDS_PER_DAY, tz=dt.UTC)


def load_history(pipeline: Pipeline) -> list[Deal]:
    """Every live deal of the pipeline with its stage history: two queries. Company-wide on
    purpose: conversion rates are learned from everyone's deals, and only rates (never a
    deal) leave the model."""
    deals: dict[int, Deal] = {}
    for pk, created, closed, status, amount, currency in (
        live_opportunities()
        .filter(pipeline=pipeline)
        .values_list("pk", "created_at", "closed_at", "status", "amount", "amount_currency")
    ):
        deals[pk] = Deal(
            pk,
            _days(created),
            _days(closed) if closed is not None and status != OpportunityStatus.OPEN else None,
            status == OpportunityStatus.WON,
            cast(Decimal, amount),  # values_list() gives the bare Decimal, not Money
            currency,
            [],
        )
    for opportunity_id, stage_id, at in (
        StageHistory.objects.filter(opportunity__pipeline=pipeline)
        .order_by("opportunity_id", "at", "pk")
        .values_list("opportunity_id", "to_stage_id", "at")
    ):
        deal = deals.get(opportunity_id)
        if deal is not None:
            deal.visits.append((stage_id, _days(at)))
    return list(deals.values())


@dataclass
class StageRate:
    reached: int
    won: int
    p_won: float
    days: list[float]  # days from entering the stage to a won close, sorted (or quantiles)

    def as_json(self) -> dict[str, Any]:
        return {"reached": self.reached, "won": self.won, "p_won": self.p_won, "days": self.days}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> StageRate:
        return cls(data["reached"], data["won"], data["p_won"], data["days"])


def _kept(samples: list[float]) -> list[float]:
    samples.sort()
    if len(samples) <= KEPT_SAMPLES:
        return [round(s, 2) for s in samples]
    # Equal-mass quantiles stand in for the samples: the same distribution, bounded size.
    levels = (np.arange(KEPT_SAMPLES) + 0.5) / KEPT_SAMPLES
    return [round(float(q), 2) for q in np.quantile(samples, levels)]


def estimate_rates(
    deals: Sequence[Deal], *, before: float, static: dict[int, int]
) -> dict[int, StageRate]:
    """For each open stage: P(won | the deal was in that stage) and the days from entering
    it to a won close, from the deals closed before `before` (days since the epoch)."""
    reached: dict[int, int] = defaultdict(int)
    won: dict[int, int] = defaultdict(int)
    days: dict[int, list[float]] = defaultdict(list)
    for deal in deals:
        if deal.closed is None or deal.closed >= before:
            continue
        entered: dict[int, float] = {}
        for stage_id, at in deal.visits:
            if stage_id in static:
                entered[stage_id] = at  # the last entry counts when a deal came back
        for stage_id, at in entered.items():
            reached[stage_id] += 1
            if deal.won:
                won[stage_id] += 1
                days[stage_id].append(max(deal.closed - at, 0.0))
    return {
        stage_id: StageRate(
            reached[stage_id],
            won[stage_id],
            (won[stage_id] + PRIOR_DEALS * probability / 100) / (reached[stage_id] + PRIOR_DEALS),
            _kept(days[stage_id]),
        )
        for stage_id, probability in static.items()
    }


def close_month_shares(
    samples: Sequence[float], entered: np.ndarray, now: float, bounds: np.ndarray
) -> np.ndarray:
    """For deals that entered a stage at `entered` (days) and are still open at `now`: the
    share of each month (bounds: month starts, then the end) in which they close, given
    the stage's times to close and that they have not closed yet. A deal older than every
    sample is overdue and counted in the first month. Rows: deals, columns: months."""
    shares = np.zeros((len(entered), len(bounds) - 1))
    if not len(entered):
        return shares
    days = np.asarray(samples, dtype=float)
    if not len(days):
        shares[:, 0] = 1.0
        return shares
    closes = entered[:, None] + days[None, :]
    alive = closes > now
    remaining = alive.sum(axis=1)
    month = np.searchsorted(bounds, closes, side="right") - 1
    inside = alive & (month >= 0) & (month < len(bounds) - 1)
    rows = np.broadcast_to(np.arange(len(entered))[:, None], closes.shape)
    np.add.at(shares, (rows[inside], month[inside]), 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = np.where(remaining[:, None] > 0, shares / remaining[:, None], 0.0)
    shares[remaining == 0, 0] = 1.0
    return shares


def _forecast_months(
    groups: dict[int, tuple[list[float], list[Decimal]]],
    rates: dict[int, float],
    samples: Mapping[int, Sequence[float]],
    now: float,
    bounds: np.ndarray,
) -> np.ndarray:
    """Expected won amount per month: Σ amount × P(won | stage) × P(closes that month)."""
    total = np.zeros(len(bounds) - 1)
    for stage_id, (entered, amounts) in groups.items():
        if stage_id not in rates:
            continue
        shares = close_month_shares(samples[stage_id], np.asarray(entered), now, bounds)
        total += rates[stage_id] * (np.asarray(amounts, dtype=float) @ shares)
    return total


def _stage_at(deal: Deal, moment: float) -> tuple[int, float] | None:
    current = None
    for stage_id, at in deal.visits:
        if at >= moment:
            break
        current = (stage_id, at)
    return current


def _ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


def backtest(
    deals: Sequence[Deal],
    *,
    static: dict[int, int],
    cutoffs: Sequence[dt.date],
    calendar: Calendar,
    book: RateBook,
) -> dict[str, Any]:
    """Rolling origin: at each cut-off, learn from the deals closed before it, forecast
    the won amount of the following month from the deals open at it, and compare with what
    was actually won that month; the static stage probabilities are scored the same way.
    Errors: WAPE = Σ|F − A| / ΣA, MAE = mean |F − A|, MAPE = mean |F − A| / A (A > 0)."""
    rows = []
    zone = timezone.get_current_timezone()
    for cutoff in cutoffs:
        following = add_months(cutoff, 1, calendar)
        start = _days(dt.datetime.combine(cutoff, dt.time.min, tzinfo=zone))
        end = _days(dt.datetime.combine(following, dt.time.min, tzinfo=zone))
        learned = estimate_rates(deals, before=start, static=static)
        groups: dict[int, tuple[list[float], list[Decimal]]] = defaultdict(lambda: ([], []))
        actual = 0.0
        for deal in deals:
            if deal.won and deal.closed is not None and start <= deal.closed < end:
                value = book.convert(deal.amount, deal.currency, _moment(deal.closed).date())
                actual += float(value or 0)
            if deal.created >= start or (deal.closed is not None and deal.closed < start):
                continue
            position = _stage_at(deal, start)
            if position is None or position[0] not in static:
                continue
            value = book.convert(deal.amount, deal.currency, cutoff)
            if value is None:
                continue
            entered, amounts = groups[position[0]]
            entered.append(position[1])
            amounts.append(value)
        bounds = np.array([start, end])
        samples = {s: r.days for s, r in learned.items()}
        forecast = _forecast_months(
            groups, {s: r.p_won for s, r in learned.items()}, samples, start, bounds
        )
        baseline = _forecast_months(
            groups, {s: p / 100 for s, p in static.items()}, samples, start, bounds
        )
        rows.append(
            {
                "month": cutoff.isoformat(),
                "actual": round(actual, 2),
                "forecast": round(float(forecast[0]), 2),
                "static": round(float(baseline[0]), 2),
            }
        )
    return {
        "cutoffs": rows,
        "learned": _errors(rows, "forecast"),
        "static": _errors(rows, "static"),
    }


def _errors(rows: list[dict[str, Any]], key: str) -> dict[str, float | None]:
    if not rows:
        return {"wape": None, "mae": None, "mape": None, "bias": None}
    gaps = [abs(r[key] - r["actual"]) for r in rows]
    actual = sum(r["actual"] for r in rows)
    relative = [abs(r[key] - r["actual"]) / r["actual"] for r in rows if r["actual"] > 0]
    return {
        "wape": _ratio(sum(gaps), actual),
        "mae": sum(gaps) / len(gaps),
        "mape": sum(relative) / len(relative) if relative else None,
        "bias": _ratio(sum(r[key] for r in rows) - actual, actual),
    }


def backtest_cutoffs(
    deals: Sequence[Deal], *, now: dt.datetime, calendar: Calendar
) -> list[dt.date]:
    """Month starts from TRAINING_MONTHS after the first close to the last complete month."""
    closes = [deal.closed for deal in deals if deal.closed is not None]
    if not closes:
        return []
    first = month_start(
        _moment(min(closes)).astimezone(timezone.get_current_timezone()).date(), calendar
    )
    last = add_months(month_start(timezone.localtime(now).date(), calendar), -1, calendar)
    months = months_between(add_months(first, TRAINING_MONTHS, calendar), last, calendar)
    return months[-BACKTEST_CUTOFFS:]


def _static_probabilities(pipeline: Pipeline) -> dict[int, int]:
    return dict(
        pipeline.stages.filter(is_won=False, is_lost=False).values_list("pk", "win_probability")
    )


def refresh_forecast_model(
    pipeline: Pipeline, *, now: dt.datetime | None = None, calendar: Calendar = "gregorian"
) -> ForecastModel:
    """Learn the pipeline's stage rates from all its closed deals and back-test the method;
    stores a new model row (older ones are kept for comparison, the latest is used)."""
    now = now or timezone.now()
    deals = load_history(pipeline)
    static = _static_probabilities(pipeline)
    rates = estimate_rates(deals, before=_days(now), static=static)
    result = backtest(
        deals,
        static=static,
        cutoffs=backtest_cutoffs(deals, now=now, calendar=calendar),
        calendar=calendar,
        book=RateBook(reporting_currency()),
    )
    result["currency"] = reporting_currency()
    result["calendar"] = calendar
    return ForecastModel.objects.create(
        pipeline=pipeline,
        computed_at=now,
        closed_deals=sum(
            1 for deal in deals if deal.closed is not None and deal.closed < _days(now)
        ),
        stages={str(stage_id): rate.as_json() for stage_id, rate in rates.items()},
        backtest=result,
    )


def latest_model(pipeline: Pipeline) -> ForecastModel | None:
    return ForecastModel.objects.filter(pipeline=pipeline).order_by("-computed_at", "-pk").first()


@dataclass
class ForecastMonth:
    start: dt.date
    label: str
    learned: Decimal
    static: Decimal


@dataclass
class Forecast:
    currency: str
    model: ForecastModel
    months: list[ForecastMonth]
    stages: list[dict[str, Any]]
    missing_rates: list[str]


def forecast(
    user: Any,
    *,
    pipeline: Pipeline,
    calendar: Calendar = "gregorian",
    months: int = FORECAST_MONTHS,
    now: dt.datetime | None = None,
    context: ReportContext | None = None,
) -> Forecast | None:
    """What the user's visible open deals are expected to win in each of the next months,
    from the latest learned model (None until one was computed), beside the same timing
    with the static stage probabilities. One query for the deals, grouped by stage and day."""
    model = latest_model(pipeline)
    if model is None:
        return None
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    context = ReportContext.of(user, context)
    currency = context.currency
    book = context.book()
    learned = {int(k): StageRate.from_json(v) for k, v in model.stages.items()}
    starts = [add_months(month_start(today, calendar), i, calendar) for i in range(months + 1)]
    zone = timezone.get_current_timezone()
    bounds = np.array([_days(dt.datetime.combine(d, dt.time.min, tzinfo=zone)) for d in starts])
    groups: dict[int, tuple[list[float], list[Decimal]]] = defaultdict(lambda: ([], []))
    for row in deal_totals.stage_entry_rows(
        user, pipeline.pk, list(learned), hidden=context.hidden
    ):
        value = book.convert(row["total"], row["amount_currency"], today)
        if value is None:
            continue
        entered, amounts = groups[row["stage_id"]]
        entered.append(_days(dt.datetime.combine(row["day"], dt.time(12), tzinfo=zone)))
        amounts.append(value)
    samples = {s: r.days for s, r in learned.items()}
    rounding = context.rounding()
    stages = {stage.pk: stage for stage in pipeline.stages.filter(pk__in=list(learned))}
    values = _forecast_months(
        groups, {s: r.p_won for s, r in learned.items()}, samples, _days(now), bounds
    )
    static = _forecast_months(
        groups,
        {s: stages[s].win_probability / 100 for s in learned if s in stages},
        samples,
        _days(now),
        bounds,
    )
    return Forecast(
        currency=currency,
        model=model,
        months=[
            ForecastMonth(
                start,
                month_label(start, calendar),
                rounding(Decimal(str(values[i]))),
                rounding(Decimal(str(static[i]))),
            )
            for i, start in enumerate(starts[:-1])
        ],
        stages=[
            {
                "stage": stage,
                "static": stage.win_probability,
                "learned": round(learned[stage.pk].p_won * 100, 1),
                "reached": learned[stage.pk].reached,
                "won": learned[stage.pk].won,
                "median_days": round(float(np.median(learned[stage.pk].days)), 1)
                if learned[stage.pk].days
                else None,
            }
            for stage in sorted(stages.values(), key=lambda s: (s.position, s.pk))
        ],
        missing_rates=sorted(book.missing),
    )


# --- analytics ------------------------------------------------------------------------


@dataclass
class SalesStats:
    key: Any
    label: str
    won: int = 0
    lost: int = 0
    won_amount: Decimal = Decimal(0)
    cycle_days: float = 0.0  # summed over won deals
    rounding: Callable[[Decimal], Decimal] = field(default=lambda value: value, repr=False)

    @property
    def closed(self) -> int:
        return self.won + self.lost

    @property
    def win_rate(self) -> float | None:
        return self.won / self.closed if self.closed else None

    @property
    def average_deal(self) -> Decimal | None:
        return self.rounding(self.won_amount / self.won) if self.won else None

    @property
    def average_cycle_days(self) -> float | None:
        return round(self.cycle_days / self.won, 1) if self.won else None

    def add(self, *, won: bool, count: int, amount: Decimal, cycle: dt.timedelta) -> None:
        if won:
            self.won += count
            self.won_amount += amount
            self.cycle_days += cycle.total_seconds() / SECONDS_PER_DAY
        else:
            self.lost += count


@dataclass
class SalesAnalytics:
    currency: str
    calendar: Calendar
    start: dt.date
    end: dt.date
    total: SalesStats
    months: list[SalesStats]
    owners: list[SalesStats]
    departments: list[SalesStats]
    missing_rates: list[str]


def sales_analytics(
    user: Any,
    *,
    start: dt.date,
    end: dt.date,
    calendar: Calendar = "gregorian",
    pipeline: Pipeline | None = None,
    context: ReportContext | None = None,
) -> SalesAnalytics:
    """Win rate, average won deal and sales cycle (creation to won close) of the deals the
    user may see that closed between `start` and `end`, in total, per month (the trend),
    per owner and per department. Won amounts are converted at their close date."""
    context = ReportContext.of(user, context)
    currency = context.currency
    book = context.book()
    total = SalesStats(None, _("All"))
    months = {
        m: SalesStats(m, month_label(m, calendar)) for m in months_between(start, end, calendar)
    }
    starts = sorted(months)
    owners: dict[int | None, SalesStats] = {}
    departments: dict[int | None, SalesStats] = {}
    for row in deal_totals.closed_rows(
        user,
        start,
        end,
        pipeline_id=pipeline.pk if pipeline is not None else None,
        months=(starts, currency),
        hidden=context.hidden,
    ):
        won = row["status"] == OpportunityStatus.WON
        amount = Decimal(0)
        if won:
            converted = book.convert(row["total"], row["amount_currency"], row["day"])
            if converted is None:
                continue
            amount = converted
        month = months[starts[bisect.bisect_right(starts, row["day"]) - 1]]
        owner = owners.setdefault(row["owner_id"], SalesStats(row["owner_id"], ""))
        department = departments.setdefault(
            row["department_id"], SalesStats(row["department_id"], "")
        )
        for stats in (total, month, owner, department):
            stats.add(won=won, count=row["n"], amount=amount, cycle=row["cycle"] or dt.timedelta())
    owner_names = context.owner_names(owners)
    for stats in owners.values():
        stats.label = owner_names.get(stats.key, "")
    department_names = context.department_names(departments)
    for stats in departments.values():
        stats.label = department_names.get(stats.key, "")
    rounding = context.rounding()
    for stats in [total, *months.values(), *owners.values(), *departments.values()]:
        stats.won_amount = rounding(stats.won_amount)
        stats.rounding = rounding
    return SalesAnalytics(
        currency=currency,
        calendar=calendar,
        start=start,
        end=end,
        total=total,
        months=[months[m] for m in starts],
        owners=sorted(owners.values(), key=lambda s: (-s.won_amount, s.label)),
        departments=sorted(departments.values(), key=lambda s: (-s.won_amount, s.label)),
        missing_rates=sorted(book.missing),
    )


# --- targets ------------------------------------------------------------------------


@transaction.atomic
def set_sales_target(
    *,
    actor: Any,
    period: str,
    on: dt.date,
    amount: Decimal,
    calendar: Calendar,
    user: Any = None,
    department: Department | None = None,
) -> SalesTarget:
    """The target of a rep or a department for the month or quarter (in `calendar`)
    holding `on`; setting it again for the same period changes the amount."""
    errors: dict[str, list[str]] = {}
    if (user is None) == (department is None):
        errors["user"] = [_("Choose a sales rep or a department, not both.")]
    if period not in TargetPeriod.values:
        errors["period"] = [_("Choose a month or a quarter.")]
    if not isinstance(amount, Decimal) or not amount.is_finite() or amount <= 0:
        errors["amount"] = [_("The target must be more than zero.")]
    elif amount >= MAX_AMOUNT:
        errors["amount"] = [_("This amount is too large.")]
    if errors:
        raise ValidationError(errors)
    starts_on, ends_on = period_bounds(period, on, calendar)
    target = (
        SalesTarget.objects.select_for_update()
        .filter(user=user, department=department, starts_on=starts_on, ends_on=ends_on)
        .first()
    ) or SalesTarget(user=user, department=department, starts_on=starts_on, ends_on=ends_on)
    with record(target, actor=actor):
        target.period = period
        target.amount = _rounder()(amount)
        target.currency = reporting_currency()
        target.save()
    return target


@transaction.atomic
def delete_sales_target(target: SalesTarget, *, actor: Any) -> None:
    with record(target, actor=actor, action="delete"):
        target.delete()


def visible_targets(viewer: Any) -> Any:
    """Managers see every target; a rep their own, and their departments' when their role
    reaches the department's deals (an own-scope rep could not check those figures)."""
    targets = SalesTarget.objects.select_related("user", "department")
    scope = scope_for(viewer, ObjectType.OPPORTUNITY, "view")
    if scope == Scope.ALL:
        return targets
    condition = Q(user=viewer)
    if scope == Scope.DEPARTMENT:
        condition |= Q(department__in=department_ids(viewer))
    return targets.filter(condition)


@dataclass
class Attainment:
    target: SalesTarget
    won: Decimal

    @property
    def ratio(self) -> float:
        return float(self.won / self.target.amount)


def attainment(
    viewer: Any, *, start: dt.date, end: dt.date, context: ReportContext | None = None
) -> list[Attainment]:
    """Targets overlapping start..end with the amount won in each one's period (deals the
    viewer may see, converted at their close date): three queries plus one per currency
    (fewer when `context` already read them for another report of the page)."""
    targets = list(
        visible_targets(viewer)
        .filter(starts_on__lte=end, ends_on__gte=start)
        .order_by("starts_on", "department_id", "user_id", "pk")
    )
    if not targets:
        return []
    context = ReportContext.of(viewer, context)
    book = context.book()
    rows = deal_totals.closed_rows(
        viewer,
        min(t.starts_on for t in targets),
        max(t.ends_on for t in targets),
        statuses=[OpportunityStatus.WON],
        owners=[t.user_id for t in targets if t.user_id],
        departments=[t.department_id for t in targets if t.department_id],
        hidden=context.hidden,
    )
    converted = [
        (row["owner_id"], row["department_id"], row["day"], value)
        for row in rows
        if (value := book.convert(row["total"], row["amount_currency"], row["day"])) is not None
    ]
    result, rounding = [], context.rounding()
    for target in targets:
        won = sum(
            (
                value
                for owner_id, department_id, day, value in converted
                if target.starts_on <= day <= target.ends_on
                and (
                    owner_id == target.user_id
                    if target.user_id
                    else department_id == target.department_id
                )
            ),
            Decimal(0),
        )
        result.append(Attainment(target, rounding(won)))
    return result
