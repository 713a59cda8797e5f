"""Churn screens: the at-risk list with each customer's top drivers and the model's
holdout report, retraining (managers), and the risk card loaded into the 360 page."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from peyvand.access.scopes import is_manager
from peyvand.analytics.churn import selectors
from peyvand.analytics.churn.features import feature_label
from peyvand.analytics.churn.services import MIN_PER_CLASS, current_model, history
from peyvand.analytics.models import ChurnModelVersion
from peyvand.analytics.tasks import retrain_churn_model
from peyvand.core.charts import Series, bar_chart
from peyvand.core.templatetags.peyvand import digits

PAGE_SIZE = 25


def _percent(value: Any) -> str:
    return digits(f"{float(value):.0f}%")


def risk_text(probability: float) -> str:
    return _percent(probability * 100)


def labelled(drivers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**d, "label": feature_label(d["feature"])} for d in drivers]


@login_required
@require_GET
def at_risk(request: HttpRequest) -> HttpResponse:
    """Customers the user may see, riskiest first, with why."""
    scores = selectors.visible_scores(request.user)
    page = Paginator(scores, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [
        {"score": s, "risk": risk_text(s.probability), "drivers": labelled(s.drivers)}
        for s in page.object_list
    ]
    buckets = selectors.risk_buckets(request.user)
    chart = bar_chart(
        _("Customers by churn risk"),
        [f"{_percent(low)}–{_percent(low + 10)}" for low in range(0, 100, 10)],
        [Series(_("Customers"), buckets)],
        description=_("How many of the customers you may see fall in each band of risk."),
        value_text=digits,
    )
    model = current_model()
    return render(
        request,
        "analytics/churn/at_risk.html",
        {
            "page": page,
            "rows": rows,
            "chart": chart if any(buckets) else None,
            "model": model,
            "drivers": [
                {**d, "label": feature_label(d["column"])}
                for d in (model.report.get("top_drivers", []) if model else [])
            ],
            "versions": ChurnModelVersion.objects.defer("model")[:5],
            # Reads every buyer's id: only worth it for the empty state's explanation.
            "history": history() if model is None else None,
            "min_per_class": MIN_PER_CLASS,
            "may_retrain": is_manager(request.user),
        },
    )


@login_required
@require_POST
def retrain(request: HttpRequest) -> HttpResponse:
    if not is_manager(request.user):
        raise Http404
    if not history().enough:
        messages.error(request, _("Too little history to learn from yet."))
    else:
        retrain_churn_model.enqueue()
        messages.success(
            request, _("Retraining started; the new version appears here when it is done.")
        )
    return redirect("analytics:churn")
