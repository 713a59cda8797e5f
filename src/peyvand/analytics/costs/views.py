"""The cost-to-serve report: who costs what to serve and keep, with the department rates."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from djmoney.money import Money

from peyvand.access.choices import ObjectType
from peyvand.access.scopes import can, is_manager
from peyvand.analytics.costs.forms import CostFilterForm, DepartmentRateForm
from peyvand.analytics.costs.selectors import (
    KINDS,
    CostSummary,
    cost_summary,
    department_rates,
    visible_costs,
)
from peyvand.analytics.costs.services import set_department_rate
from peyvand.analytics.tasks import refresh_costs
from peyvand.core.charts import Series, stacked_bar_chart
from peyvand.core.templatetags.peyvand import amount as amount_text

PAGE_SIZE = 50


def kind_names() -> dict[str, str]:
    return {
        "service": _("Service"),
        "marketing": _("Marketing"),
        "discounts": _("Discounts"),
        "retention": _("Retention"),
    }


def _chart(summary: CostSummary) -> Any:
    persian = (get_language() or "").startswith("fa")
    labels = [
        (d.name_fa if persian and d.name_fa else d.name) or _("No department")
        for d in summary.by_department
    ]
    names = kind_names()
    currency = settings.REPORTING_CURRENCY
    return stacked_bar_chart(
        _("Cost to serve by department"),
        labels,
        [Series(names[k], [d.costs[k] for d in summary.by_department]) for k in KINDS],
        description=_("What serving and keeping each department's customers cost, by kind."),
        value_text=lambda value: amount_text(Money(value, currency)),
    )


def _page(request: HttpRequest, rate_form: DepartmentRateForm, status: int = 200) -> HttpResponse:
    form = CostFilterForm(request.GET or None)
    department, order = None, "total"
    if form.is_valid():
        department, order = form.cleaned_data["department"], form.cleaned_data["order"]
    costs = visible_costs(request.user, department=department, order=order)
    summary = cost_summary(costs)
    page = Paginator(costs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "analytics/costs.html",
        {
            "form": form,
            "page": page,
            "summary": summary,
            "chart": _chart(summary),
            "kinds": kind_names(),
            "totals": [(kind_names()[k], summary.totals[k]) for k in KINDS],
            "currency": settings.REPORTING_CURRENCY,
            "manager": is_manager(request.user),
            "rates": department_rates(),
            "rate_form": rate_form,
        },
        status=status,
    )


def _require_viewer(request: HttpRequest) -> None:
    if not can(request.user, ObjectType.CUSTOMER, "view"):
        raise Http404


@login_required
@require_GET
def cost_report(request: HttpRequest) -> HttpResponse:
    _require_viewer(request)
    return _page(request, DepartmentRateForm(currency=settings.REPORTING_CURRENCY))


@login_required
@require_POST
def set_rate(request: HttpRequest) -> HttpResponse:
    if not is_manager(request.user):
        raise Http404
    form = DepartmentRateForm(request.POST, currency=settings.REPORTING_CURRENCY)
    if form.is_valid():
        try:
            set_department_rate(
                form.cleaned_data["department"],
                form.cleaned_data["hourly_rate"],
                actor=request.user,
            )
        except (PermissionDenied, ValidationError) as exc:
            form.add_error(None, exc.messages if isinstance(exc, ValidationError) else str(exc))
        else:
            messages.success(
                request, _("Rate saved. Recompute the costs to apply it to the report.")
            )
            return redirect("analytics:costs")
    return _page(request, form, status=400)


@login_required
@require_POST
def recompute(request: HttpRequest) -> HttpResponse:
    if not is_manager(request.user):
        raise Http404
    refresh_costs.enqueue()
    messages.success(request, _("The costs are being recomputed; reload the page in a moment."))
    return redirect("analytics:costs")
