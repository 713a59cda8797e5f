"""Recommendation screens: the offline evaluation that chose the model (chart and table),
retraining (managers), and the per-customer lists loaded into the 360 page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from peyvand.access.scopes import is_manager
from peyvand.analytics.churn.selectors import score_of
from peyvand.analytics.churn.views import labelled, risk_text
from peyvand.analytics.models import RecommenderVersion
from peyvand.analytics.recommend.services import (
    MIN_PURCHASES,
    also_bought,
    current_model,
    recommendations_for,
)
from peyvand.analytics.tasks import retrain_recommender
from peyvand.catalog.models import Product
from peyvand.core.charts import Series, bar_chart
from peyvand.core.templatetags.peyvand import digits
from peyvand.customers.access import get_customer_for
from peyvand.sales.choices import OrderStatus
from peyvand.sales.models import OrderLine


def _three(value: float) -> str:
    return digits(f"{float(value):.3f}")


@login_required
@require_GET
def evaluation(request: HttpRequest) -> HttpResponse:
    model = current_model()
    rows = model.evaluation if model else []
    chart = (
        bar_chart(
            _("Offline evaluation per candidate"),
            # Numbers, not the long settings: the table beside the chart names each one.
            [digits(str(number)) for number in range(1, len(rows) + 1)],
            [
                Series(_("Precision@10"), [row["precision_at_10"] for row in rows]),
                Series(_("MAP@10"), [row["map_at_10"] for row in rows]),
                Series(_("nDCG@10"), [row["ndcg_at_10"] for row in rows]),
            ],
            description=_(
                "Each candidate trained on four fifths of the purchases and scored on the "
                "fifth held back; the best precision@10 is used."
            ),
            value_text=_three,
        )
        if rows
        else None
    )
    return render(
        request,
        "analytics/recommend/evaluation.html",
        {
            "model": model,
            "rows": rows,
            "chart": chart,
            "versions": RecommenderVersion.objects.defer("model")[:5],
            "min_purchases": MIN_PURCHASES,
            "may_retrain": is_manager(request.user),
        },
    )


@login_required
@require_POST
def retrain(request: HttpRequest) -> HttpResponse:
    if not is_manager(request.user):
        raise Http404
    retrain_recommender.enqueue()
    messages.success(
        request, _("Retraining started; the new evaluation appears here when it is done.")
    )
    return redirect("analytics:recommendations")


@login_required
@require_GET
def customer_insights(request: HttpRequest, pk: int) -> HttpResponse:
    """The 360 page's analytics card (loaded by htmx): churn risk with its drivers, the
    personal top-5, and what buyers of the customer's latest product also bought."""
    customer = get_customer_for(request.user, pk)
    score = score_of(customer)
    latest = (
        OrderLine.objects.filter(
            order__customer=customer, order__deleted_at__isnull=True, product__isnull=False
        )
        .exclude(order__status=OrderStatus.CANCELLED)
        .order_by("-order__ordered_at", "-pk")
        .values_list("product_id", flat=True)
        .first()
    )
    product = Product.objects.visible_to(request.user).filter(pk=latest).first() if latest else None
    return render(
        request,
        "analytics/partials/customer_insights.html",
        {
            "customer": customer,
            "score": score,
            "risk": risk_text(score.probability) if score else "",
            "drivers": labelled(score.drivers) if score else [],
            "recommendations": recommendations_for(customer, user=request.user, n=5),
            "product": product,
            "also_bought": also_bought(product, user=request.user, n=5) if product else [],
        },
    )
