"""The sales dashboard (weighted pipeline, forecast, analytics, attainment, with charts)
and the managers' targets screen: parse, authorise, call the forecast services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from djmoney.money import Money

from peyvand.access.choices import ObjectType, Scope
from peyvand.access.scopes import is_manager, scope_for
from peyvand.core.charts import Series, bar_chart, line_chart, stacked_bar_chart
from peyvand.core.templatetags.peyvand import amount as amount_text
from peyvand.core.templatetags.peyvand import digits
from peyvand.sales.forecast import (
    FORECAST_MONTHS,
    Forecast,
    ReportContext,
    SalesAnalytics,
    WeightedPipeline,
    add_months,
    attainment,
    delete_sales_target,
    forecast,
    month_start,
    reader_calendar,
    sales_analytics,
    set_sales_target,
    visible_targets,
    weighted_pipeline,
)
from peyvand.sales.forecast_forms import DashboardFilterForm, SalesTargetForm
from peyvand.sales.models import Pipeline
from peyvand.sales.opportunities import ensure_default_pipeline
from peyvand.sales.report_cache import cached
from peyvand.sales.tasks import refresh_forecasts
from peyvand.sales.views.pipeline import _apply_validation_error, _require

ANALYTICS_MONTHS = 12


def _money(currency: str) -> Any:
    return lambda value: amount_text(Money(value, currency))


def _percent(value: Any) -> str:
    return digits(f"{float(value):.0f}%")


def _days(value: Any) -> str:
    return digits(_("%(days)s days") % {"days": f"{float(value):.1f}"})


def _pipeline_charts(report: WeightedPipeline) -> Any:
    owners = [o for o in report.owners if any(m.by_owner.get(o.owner_id) for m in report.months)]
    return stacked_bar_chart(
        _("Weighted pipeline by expected close month"),
        [m.label for m in report.months],
        [
            Series(o.name, [m.by_owner.get(o.owner_id, Decimal(0)) for m in report.months])
            for o in owners
        ],
        description=_(
            "Amount × stage win probability of the open deals, in %(currency)s, by month of "
            "expected close date, one segment per owner."
        )
        % {"currency": report.currency},
        value_text=_money(report.currency),
    )


def _forecast_chart(result: Forecast) -> Any:
    return bar_chart(
        _("Forecast won amount by month"),
        [m.label for m in result.months],
        [
            Series(_("Learned from history"), [m.learned for m in result.months]),
            Series(_("Static stage probabilities"), [m.static for m in result.months]),
        ],
        description=_(
            "Expected won amount in %(currency)s: stage conversion rates and times to close "
            "learned from closed deals, beside the same timing with the static probabilities."
        )
        % {"currency": result.currency},
        value_text=_money(result.currency),
    )


def _analytics_charts(report: SalesAnalytics) -> dict[str, Any]:
    labels = [m.label for m in report.months]
    return {
        "won": bar_chart(
            _("Won amount by month"),
            labels,
            [Series(_("Won"), [m.won_amount for m in report.months])],
            description=_("Won deals by close month, in %(currency)s.")
            % {"currency": report.currency},
            value_text=_money(report.currency),
        ),
        "win_rate": line_chart(
            _("Win rate by month"),
            labels,
            [
                Series(
                    _("Win rate"),
                    [None if m.win_rate is None else m.win_rate * 100 for m in report.months],
                )
            ],
            description=_("Won ÷ closed deals, per close month, in percent."),
            value_text=_percent,
        ),
        "cycle": line_chart(
            _("Sales cycle by month"),
            labels,
            [Series(_("Average days to win"), [m.average_cycle_days for m in report.months])],
            description=_("Average days from creating a deal to winning it, per close month."),
            value_text=_days,
        ),
    }


def _dashboard_pipeline(request: HttpRequest, form: DashboardFilterForm) -> Pipeline:
    chosen = form.cleaned_data.get("pipeline") if form.is_valid() else None
    listed = next((pipeline for pipeline in form.pipelines if pipeline.is_default), None)
    return chosen or listed or ensure_default_pipeline()


def _drawn(chart: Any) -> SafeString:
    return format_html("{}", chart)


def _dashboard_reports(
    user: Any, pipeline: Pipeline, *, start: dt.date, end: dt.date, calendar: Any, today: dt.date
) -> dict[str, Any]:
    """Every figure and chart of the dashboard: aggregates over every open deal and the
    closed history, so the view caches them (`report_cache`) until a deal changes. One
    context for all of them: each rate, name and correction is read once for the page."""
    this_month = month_start(today, calendar)
    context = ReportContext(user)
    report = weighted_pipeline(
        user,
        pipeline=pipeline,
        start=this_month,
        end=add_months(this_month, FORECAST_MONTHS, calendar) - dt.timedelta(days=1),
        calendar=calendar,
        today=today,
        context=context,
    )
    learned = forecast(user, pipeline=pipeline, calendar=calendar, context=context)
    analytics = sales_analytics(
        user, start=start, end=end, calendar=calendar, pipeline=pipeline, context=context
    )
    # Charts are cached drawn: their number formatters are closures, which do not pickle.
    charts = {name: _drawn(chart) for name, chart in _analytics_charts(analytics).items()}
    return {
        "report": report,
        "pipeline_chart": _drawn(_pipeline_charts(report)),
        "forecast": learned,
        "forecast_chart": _drawn(_forecast_chart(learned)) if learned is not None else None,
        # Deal-level back-test figures are company-wide: only for who sees every deal.
        "backtest_rows": [
            {**row, "month": dt.date.fromisoformat(row["month"])}
            for row in learned.model.backtest.get("cutoffs", [])
        ]
        if learned is not None and can_see_everything(user)
        else [],
        "analytics": analytics,
        "charts": charts,
        "attainment": attainment(user, start=start, end=end, context=context),
        "missing_rates": sorted(set(report.missing_rates) | set(analytics.missing_rates)),
    }


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    _require(request.user, ObjectType.OPPORTUNITY, "view")
    form = DashboardFilterForm(request.GET or None)
    pipeline = _dashboard_pipeline(request, form)
    calendar = reader_calendar()
    today = timezone.localdate()
    start = add_months(month_start(today, calendar), 1 - ANALYTICS_MONTHS, calendar)
    end = today
    if form.is_valid():
        start = form.cleaned_data["start"] or start
        end = form.cleaned_data["end"] or end
        if end < start:
            start, end = end, start
    user = request.user
    reports = cached(
        "dashboard",
        user,
        [pipeline.pk, start, end, calendar, today],
        lambda: _dashboard_reports(
            user, pipeline, start=start, end=end, calendar=calendar, today=today
        ),
    )
    return render(
        request,
        "sales/dashboard.html",
        {
            "form": form,
            "pipeline": pipeline,
            **reports,
            "start": start,
            "end": end,
            "can_refresh": is_manager(user),
            "can_set_targets": is_manager(user),
        },
        status=200 if form.is_valid() or not form.is_bound else 400,
    )


def can_see_everything(user: Any) -> bool:
    return scope_for(user, ObjectType.OPPORTUNITY, "view") == Scope.ALL


@login_required
@require_POST
def dashboard_refresh(request: HttpRequest) -> HttpResponse:
    """Managers relearn the forecast now instead of waiting for the nightly job."""
    if not is_manager(request.user):
        raise Http404
    form = DashboardFilterForm(request.POST)
    pipeline = _dashboard_pipeline(request, form)
    refresh_forecasts.enqueue(pipeline.pk)
    messages.success(request, _("The forecast is being recomputed; reload the page in a moment."))
    return redirect(f"{reverse('sales:dashboard')}?pipeline={pipeline.pk}")


def _targets_page(
    request: HttpRequest, form: SalesTargetForm, *, status: int = 200
) -> HttpResponse:
    today = timezone.localdate()
    rows = attainment(
        request.user,
        start=add_months(today, -12, "gregorian"),
        end=add_months(today, 12, "gregorian"),
    )
    return render(
        request,
        "sales/targets.html",
        {
            "form": form,
            "rows": sorted(rows, key=lambda a: (-a.target.starts_on.toordinal(), a.target.pk)),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def targets(request: HttpRequest) -> HttpResponse:
    if not is_manager(request.user):
        raise Http404
    form = SalesTargetForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                target = set_sales_target(
                    actor=request.user,
                    user=data["user"],
                    department=data["department"],
                    period=data["period"],
                    on=data["on"],
                    amount=data["amount"],
                    calendar=reader_calendar(),
                )
            except ValidationError as exc:
                _apply_validation_error(form, exc)
            else:
                messages.success(
                    request,
                    _("Target saved for %(target)s.")
                    % {"target": target.user or target.department},
                )
                return redirect("sales:targets")
        return _targets_page(request, form, status=400)
    return _targets_page(request, form)


@login_required
@require_POST
def target_delete(request: HttpRequest, pk: int) -> HttpResponse:
    if not is_manager(request.user):
        raise Http404
    target = get_object_or_404(visible_targets(request.user), pk=pk)
    delete_sales_target(target, actor=request.user)
    messages.success(request, _("Target removed."))
    return redirect("sales:targets")
