"""The management dashboard: segments, CLV distribution, churn risk, revenue by channel and
campaign source and cost to serve, for a department and a period, every figure a chart."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from djmoney.money import Money

from peyvand.analytics.costs.views import kind_names
from peyvand.analytics.forms import OverviewFilterForm
from peyvand.analytics.overview import ManagementFigures, management_figures
from peyvand.analytics.revenue import DIRECT
from peyvand.core.charts import Series, bar_chart, compact_number
from peyvand.core.templatetags.peyvand import amount, digits
from peyvand.customers.access import require_action
from peyvand.sales.choices import OrderChannel


def _count(value: Any) -> str:
    return digits(f"{float(value):,.0f}")


def _charts(figures: ManagementFigures) -> dict[str, Any]:
    currency = settings.REPORTING_CURRENCY

    def money(value: Any) -> str:
        return amount(Money(value, currency))

    channels = dict(OrderChannel.choices)
    bands = {"low": _("Low"), "medium": _("Medium"), "high": _("High")}
    kinds = kind_names()
    return {
        "segments": bar_chart(
            _("Customers per segment"),
            [label for label, _n in figures.segments],
            [Series(_("Customers"), [n for _label, n in figures.segments])],
            description=_("RFM segments of the latest run."),
            value_text=_count,
        ),
        "clv": bar_chart(
            _("Distribution of lifetime value"),
            [digits(compact_number(edge)) for edge in figures.clv_edges],
            [Series(_("Customers"), figures.clv_counts)],
            description=_(
                "Customers by 12-month CLV, in %(currency)s; the last bar holds "
                "the top one per cent."
            )
            % {"currency": currency},
            value_text=_count,
        ),
        "churn": bar_chart(
            _("Churn risk"),
            [bands[name] for name in figures.churn_bands],
            [Series(_("Customers"), list(figures.churn_bands.values()))],
            description=_("Customers by the churn model's risk band (high: 60 % and more)."),
            value_text=_count,
        ),
        "channels": bar_chart(
            _("Revenue by channel"),
            [str(channels.get(name, name)) for name in figures.revenue.by_channel],
            [Series(_("Revenue"), list(figures.revenue.by_channel.values()))],
            description=_("Confirmed and fulfilled orders in the period, in %(currency)s.")
            % {"currency": currency},
            value_text=money,
        ),
        "sources": bar_chart(
            _("Revenue by campaign source"),
            [_("Direct") if name == DIRECT else name for name in figures.revenue.by_source],
            [Series(_("Revenue"), list(figures.revenue.by_source.values()))],
            description=_("The UTM source, else the lead source, of the lead each deal came from."),
            value_text=money,
        ),
        "costs": bar_chart(
            _("Cost to serve"),
            list(kinds.values()),
            [Series(_("Cost"), [figures.costs.totals[k] for k in kinds])],
            description=_("What serving and keeping these customers cost over the last year."),
            value_text=money,
        ),
    }


@login_required
@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    require_action(request.user, "view")
    form = OverviewFilterForm(request.GET or None)
    filters: dict[str, Any] = {}
    if form.is_valid():
        filters = {k: form.cleaned_data[k] for k in ("department", "since", "until")}
    figures = management_figures(request.user, **filters)
    return render(
        request,
        "analytics/overview.html",
        {
            "form": form,
            "figures": figures,
            "charts": _charts(figures),
            "currency": settings.REPORTING_CURRENCY,
        },
        status=400 if form.is_bound and not form.is_valid() else 200,
    )
