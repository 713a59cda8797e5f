"""The attribution report page (marketing): the models side by side as charts, element
effectiveness and holdout lifts with their intervals, ROI per campaign, and the forms to
enter a campaign's cost and to backfill touches and conversions."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from djmoney.money import Money

from peyvand.access.scopes import can
from peyvand.core.charts import Series, bar_chart
from peyvand.core.problems import ServiceError
from peyvand.core.templatetags.peyvand import amount, digits
from peyvand.marketing.attribution.access import OBJECT_TYPE, require_attribution
from peyvand.marketing.attribution.forms import CampaignCostForm, ReportFilterForm
from peyvand.marketing.attribution.selectors import (
    ELEMENT_NAMES,
    MODELS,
    Report,
    attribution_report,
)
from peyvand.marketing.attribution.services import add_campaign_cost
from peyvand.marketing.attribution.tasks import backfill_task


def _charts(report: Report) -> dict[str, Any]:
    currency = report.currency
    series = [name for name in MODELS if name in report.models]

    def money(value: Any) -> str:
        return amount(Money(value, currency))

    def count(value: Any) -> str:
        return digits(f"{float(value):,.1f}")

    charts = {
        "conversions": bar_chart(
            _("Conversions credited, by model"),
            report.keys,
            [
                Series(
                    str(MODELS[name][0]),
                    [report.models[name].conversions.get(k, 0.0) for k in report.keys],
                )
                for name in series
            ],
            description=_("Each model shares the same conversions out among the campaigns."),
            value_text=count,
        ),
        "revenue": bar_chart(
            _("Revenue credited, by model"),
            report.keys,
            [
                Series(
                    str(MODELS[name][0]),
                    [report.models[name].revenue.get(k, 0.0) for k in report.keys],
                )
                for name in series
            ],
            description=_("In %(currency)s, each conversion at its day's exchange rate.")
            % {"currency": currency},
            value_text=money,
        ),
    }
    if report.roi:
        charts["roi"] = bar_chart(
            _("Cost and revenue per campaign"),
            [row.key for row in report.roi],
            [
                Series(_("Cost"), [row.cost for row in report.roi]),
                Series(
                    str(MODELS["markov"][0]), [row.revenue.get("markov", 0) for row in report.roi]
                ),
                Series(
                    str(MODELS["last_touch"][0]),
                    [row.revenue.get("last_touch", 0) for row in report.roi],
                ),
            ],
            description=_("Costs entered for the period against the revenue two models credit."),
            value_text=money,
        )
    return charts


def _page(request: HttpRequest, cost_form: CampaignCostForm, status: int = 200) -> HttpResponse:
    form = ReportFilterForm(request.GET or None)
    arguments: dict[str, Any] = {}
    if form.is_valid():
        arguments = form.report_arguments()
    elif form.is_bound:
        status = 400
    report = attribution_report(request.user, **arguments)
    return render(
        request,
        "marketing/attribution/report.html",
        {
            "form": form,
            "cost_form": cost_form,
            "report": report,
            "charts": _charts(report),
            "models": [(name, label) for name, (label, _m) in MODELS.items()],
            "element_names": ELEMENT_NAMES,
            "can_add": can(request.user, OBJECT_TYPE, "add"),
            "can_change": can(request.user, OBJECT_TYPE, "change"),
            "currency": settings.REPORTING_CURRENCY,
        },
        status=status,
    )


@login_required
@require_GET
def report(request: HttpRequest) -> HttpResponse:
    require_attribution(request.user)
    return _page(request, CampaignCostForm())


@login_required
@require_POST
def add_cost(request: HttpRequest) -> HttpResponse:
    require_attribution(request.user, "add")
    form = CampaignCostForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            add_campaign_cost(
                campaign_key=data["campaign_key"],
                amount=data["amount"],
                currency=data["currency"],
                spent_on=data["spent_on"],
                note=data["note"],
                actor=request.user,
            )
        except ServiceError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("Cost recorded."))
            return redirect("marketing:attribution")
    return _page(request, form, status=400)


@login_required
@require_POST
def backfill(request: HttpRequest) -> HttpResponse:
    require_attribution(request.user, "change")
    transaction.on_commit(lambda: backfill_task.enqueue())
    messages.success(
        request,
        _(
            "Touches from campaign visits and conversions from orders are being added in the background."
        ),
    )
    return redirect("marketing:attribution")
