"""The analytics screen: RFM segment sizes and movement, CLV per segment, and how well the
CLV model fits (calibration vs holdout), with charts; managers may recompute now."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from djmoney.money import Money

from peyvand.access.scopes import is_manager
from peyvand.analytics.models import Segment
from peyvand.analytics.selectors import (
    latest_fit,
    latest_run,
    segment_history,
    segment_movement,
    segment_summary,
)
from peyvand.analytics.tasks import schedule_refresh
from peyvand.core.charts import Series, bar_chart, line_chart, stacked_bar_chart
from peyvand.core.templatetags.peyvand import amount, digits, jdate
from peyvand.customers.access import require_action


def _count(value: Any) -> str:
    return digits(f"{float(value):,.0f}")


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    user = request.user
    require_action(user, "view")
    run, fit = latest_run(), latest_fit()
    summary = segment_summary(user)
    history = segment_history(user)
    labels = [str(row["label"]) for row in summary]
    currency = fit.currency if fit else (run.currency if run else "")
    charts: dict[str, Any] = {
        "sizes": bar_chart(
            _("Customers per segment"),
            labels,
            [Series(_("Customers"), [row["customers"] for row in summary])],
            description=_("How many customers each RFM segment holds in the latest run."),
            value_text=_count,
        ),
        "movement": stacked_bar_chart(
            _("Segments over time"),
            [jdate(r.as_of) for r in history["runs"]],
            [Series(str(segment.label), history["series"][segment.value]) for segment in Segment],
            description=_("Segment sizes in each of the last RFM runs, oldest first."),
            value_text=_count,
        ),
        "clv": bar_chart(
            _("Mean lifetime value per segment"),
            labels,
            [Series(_("Mean CLV"), [row["clv_mean"] for row in summary])],
            description=_("Average 12-month CLV of the customers in each segment."),
            value_text=lambda v: amount(Money(v, currency)) if currency else digits(v),
        ),
    }
    if fit is not None and fit.curve.get("weeks"):
        curve = fit.curve
        charts["fit"] = line_chart(
            _("Cumulative repeat purchases: actual and model"),
            [digits(w) for w in curve["weeks"]],
            [
                Series(_("Actual"), curve["actual"]),
                Series(_("BG/NBD forecast"), curve["predicted"]),
            ],
            description=_(
                "Weeks since the first order. The model was fitted on the first %(weeks)s weeks "
                "(calibration); the weeks after that are a holdout it did not see."
            )
            % {"weeks": digits(curve["calibration_weeks"])},
            value_text=_count,
        )
    return render(
        request,
        "analytics/dashboard.html",
        {
            "run": run,
            "fit": fit,
            "summary": summary,
            "movement": segment_movement(user),
            "charts": charts,
            "currency": currency,
            "can_refresh": is_manager(user),
        },
    )


@login_required
@require_POST
def refresh(request: HttpRequest) -> HttpResponse:
    """Managers: recompute RFM and CLV now (debounced like the after-order trigger)."""
    require_action(request.user, "view")
    if not is_manager(request.user):
        raise Http404
    if schedule_refresh():
        messages.success(request, _("Recomputation queued; the figures update when it finishes."))
    else:
        messages.info(request, _("A recomputation is already queued."))
    return redirect("analytics:dashboard")
