"""Forecast endpoints, mounted by peyvand.config.api at /forecast: the weighted pipeline,
the learned forecast with its back-test summary, and sales analytics. Every figure covers
only the deals the caller may see."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from pydantic import model_validator

from peyvand.access.choices import Action, ApiScope, ObjectType, Scope
from peyvand.access.scopes import scope_for
from peyvand.core.api.access import require_action
from peyvand.core.api.auth import api_user, require_scope
from peyvand.core.problems import ServiceError
from peyvand.sales.forecast import (
    FORECAST_MONTHS,
    SalesStats,
    add_months,
    forecast,
    month_start,
    sales_analytics,
    weighted_pipeline,
)
from peyvand.sales.forecast_forms import MAX_RANGE_DAYS
from peyvand.sales.models import Pipeline
from peyvand.sales.opportunities import ensure_default_pipeline
from peyvand.sales.services import NotFound

router = Router(tags=["forecast"])

CalendarName = Literal["gregorian", "jalali"]


def _decimal(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


class ForecastParams(Schema):
    pipeline: int | None = Field(None, description="Pipeline id; the default pipeline if empty.")
    calendar: CalendarName = Field("gregorian", description="Months of which calendar.")
    months: int = Field(FORECAST_MONTHS, ge=1, le=24, description="Months ahead, this one first.")


class AnalyticsParams(Schema):
    pipeline: int | None = Field(None, description="Pipeline id; every pipeline if empty.")
    calendar: CalendarName = "gregorian"
    start: dt.date | None = Field(None, description="Closed on or after; default 12 months back.")
    end: dt.date | None = Field(None, description="Closed on or before; default today.")

    @model_validator(mode="after")
    def _range(self) -> AnalyticsParams:
        if self.start and self.end:
            if self.end < self.start:
                raise ValueError(_("The end is before the start."))
            if (self.end - self.start).days > MAX_RANGE_DAYS:
                raise ValueError(_("Choose a range of at most three years."))
        return self


class PipelineMonthOut(Schema):
    month: dt.date = Field(description="First day of the month (in the chosen calendar).")
    label: str
    count: int
    total: str = Field(description="Open amount, reporting currency, decimal string.")
    weighted: str = Field(description="Σ amount × stage win probability.")
    by_owner: dict[str, str] = Field(description="Weighted amount per owner id ('none': no owner).")


class PipelineOwnerOut(Schema):
    owner: int | None
    name: str
    count: int
    total: str
    weighted: str


class StageRateOut(Schema):
    stage: int
    name: str
    static_probability: int = Field(description="The stage's configured win probability, %.")
    learned_probability: float = Field(description="P(won | the deal was in this stage), %.")
    closed_deals: int = Field(description="Closed deals that reached the stage.")
    median_days_to_win: float | None


class ForecastMonthOut(Schema):
    month: dt.date
    label: str
    learned: str = Field(description="Expected won amount from the learned rates.")
    static: str = Field(description="The same timing with the static stage probabilities.")


class ErrorsOut(Schema):
    wape: float | None = Field(description="Σ|forecast − actual| ÷ Σ actual.")
    mae: float | None = Field(description="Mean |forecast − actual|, reporting currency.")
    mape: float | None = Field(description="Mean |forecast − actual| ÷ actual, months with sales.")
    bias: float | None = Field(description="(Σ forecast − Σ actual) ÷ Σ actual.")


class BacktestOut(Schema):
    cutoffs: int = Field(description="Past month starts each forecast the following month.")
    learned: ErrorsOut
    static: ErrorsOut


class LearnedForecastOut(Schema):
    computed_at: dt.datetime
    closed_deals: int
    months: list[ForecastMonthOut]
    stages: list[StageRateOut]
    backtest: BacktestOut = Field(
        description="Company-wide rolling-origin back-test of the method (errors only)."
    )


class ForecastOut(Schema):
    currency: str = Field(description="The reporting currency every amount is in.")
    pipeline: int
    calendar: CalendarName
    weighted_total: str
    months: list[PipelineMonthOut]
    owners: list[PipelineOwnerOut]
    undated: PipelineOwnerOut = Field(description="Open deals without an expected close date.")
    forecast: LearnedForecastOut | None = Field(description="Null until a model was learned.")
    missing_rates: list[str] = Field(description="Currencies left out for want of a rate.")


class StatsOut(Schema):
    key: str | None = Field(description="Month (first day), owner id or department id.")
    label: str
    won: int
    lost: int
    win_rate: float | None
    won_amount: str
    average_deal: str | None
    average_cycle_days: float | None = Field(description="Creation to won close, in days.")


class AnalyticsOut(Schema):
    currency: str
    calendar: CalendarName
    start: dt.date
    end: dt.date
    total: StatsOut
    months: list[StatsOut]
    owners: list[StatsOut]
    departments: list[StatsOut]
    missing_rates: list[str]


def _pipeline(pk: int | None) -> Pipeline:
    if pk is None:
        return ensure_default_pipeline()
    pipeline = Pipeline.objects.filter(pk=pk, is_active=True).first()
    if pipeline is None:
        raise NotFound(_("Pipeline not found."), field="pipeline", code="not_found")
    return pipeline


def _stats(stats: SalesStats) -> dict[str, Any]:
    return {
        "key": None if stats.key is None else str(stats.key),
        "label": stats.label,
        "won": stats.won,
        "lost": stats.lost,
        "win_rate": stats.win_rate,
        "won_amount": str(stats.won_amount),
        "average_deal": _decimal(stats.average_deal),
        "average_cycle_days": stats.average_cycle_days,
    }


def _owner(owner: Any) -> dict[str, Any]:
    return {
        "owner": owner.owner_id,
        "name": owner.name,
        "count": owner.count,
        "total": str(owner.total),
        "weighted": str(owner.weighted),
    }


def _errors(data: dict[str, Any] | None, with_amounts: bool) -> dict[str, Any]:
    data = data or {}
    errors = {key: data.get(key) for key in ("wape", "mae", "mape", "bias")}
    if not with_amounts:
        errors["mae"] = None
    return errors


@router.get("", response=ForecastOut, summary="Weighted pipeline and forecast")
@require_scope(ApiScope.FORECAST_READ)
def read_forecast(request: HttpRequest, params: Query[ForecastParams]) -> dict[str, Any]:
    """The caller's visible open deals of a pipeline: amount × stage probability by month of
    expected close date and by owner, and the forecast from stage conversion rates learned
    from closed history, with the back-test errors of that method."""
    user = api_user(request)
    require_action(user, ObjectType.OPPORTUNITY, Action.VIEW)
    pipeline = _pipeline(params.pipeline)
    today = timezone.localdate()
    first = month_start(today, params.calendar)
    end = add_months(first, params.months, params.calendar) - dt.timedelta(days=1)
    report = weighted_pipeline(
        user, pipeline=pipeline, start=first, end=end, calendar=params.calendar, today=today
    )
    learned = forecast(user, pipeline=pipeline, calendar=params.calendar, months=params.months)
    learned_out = None
    # MAE is an amount over everyone's deals: only for who may see them all.
    everything = scope_for(user, ObjectType.OPPORTUNITY, Action.VIEW) == Scope.ALL
    if learned is not None:
        backtest = learned.model.backtest
        learned_out = {
            "computed_at": learned.model.computed_at,
            "closed_deals": learned.model.closed_deals,
            "months": [
                {
                    "month": m.start,
                    "label": m.label,
                    "learned": str(m.learned),
                    "static": str(m.static),
                }
                for m in learned.months
            ],
            "stages": [
                {
                    "stage": row["stage"].pk,
                    "name": str(row["stage"]),
                    "static_probability": row["static"],
                    "learned_probability": row["learned"],
                    "closed_deals": row["reached"],
                    "median_days_to_win": row["median_days"],
                }
                for row in learned.stages
            ],
            "backtest": {
                "cutoffs": len(backtest.get("cutoffs", [])),
                "learned": _errors(backtest.get("learned"), everything),
                "static": _errors(backtest.get("static"), everything),
            },
        }
    return {
        "currency": report.currency,
        "pipeline": pipeline.pk,
        "calendar": params.calendar,
        "weighted_total": str(report.weighted),
        "months": [
            {
                "month": m.start,
                "label": m.label,
                "count": m.count,
                "total": str(m.total),
                "weighted": str(m.weighted),
                "by_owner": {
                    "none" if k is None else str(k): str(v) for k, v in m.by_owner.items()
                },
            }
            for m in report.months
        ],
        "owners": [_owner(o) for o in report.owners],
        "undated": _owner(report.undated),
        "forecast": learned_out,
        "missing_rates": sorted(
            set(report.missing_rates) | set(learned.missing_rates if learned else [])
        ),
    }


@router.get("/analytics", response=AnalyticsOut, summary="Sales analytics")
@require_scope(ApiScope.FORECAST_READ)
def read_analytics(request: HttpRequest, params: Query[AnalyticsParams]) -> dict[str, Any]:
    """Win rate, average won deal and sales cycle of the caller's visible deals closed in
    the range: in total, per month (the trend), per owner and per department."""
    user = api_user(request)
    require_action(user, ObjectType.OPPORTUNITY, Action.VIEW)
    pipeline = _pipeline(params.pipeline) if params.pipeline is not None else None
    today = timezone.localdate()
    end = params.end or today
    start = params.start or add_months(month_start(end, params.calendar), -11, params.calendar)
    if start > end:
        raise ServiceError(_("The end is before the start."), field="end")
    report = sales_analytics(
        user, start=start, end=end, calendar=params.calendar, pipeline=pipeline
    )
    return {
        "currency": report.currency,
        "calendar": report.calendar,
        "start": report.start,
        "end": report.end,
        "total": _stats(report.total),
        "months": [{**_stats(m), "key": m.key.isoformat()} for m in report.months],
        "owners": [_stats(s) for s in report.owners],
        "departments": [_stats(s) for s in report.departments],
        "missing_rates": report.missing_rates,
    }
