"""Opportunity list and table, and the create/edit form: parse, authorise, call services."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from peyvand.access.choices import ObjectType
from peyvand.access.scopes import get_for, restrict
from peyvand.catalog.forms import apply_service_error
from peyvand.core.problems import ServiceError
from peyvand.customers.models import Customer
from peyvand.sales.access import get_opportunity_for, live_opportunities
from peyvand.sales.forms import OpportunityFilterForm, OpportunityForm
from peyvand.sales.opportunities import create_opportunity, update_opportunity
from peyvand.sales.selectors import filter_opportunities, totals_by_currency
from peyvand.sales.views.pipeline import PAGE_SIZE, _apply_validation_error, _require

# Sort keys offered as column headers; the primary key breaks ties so pages are stable.
SORTS = {
    "title": "title",
    "customer": "customer__display_name",
    "stage": "stage__position",
    "amount": "amount",
    "close": "expected_close_date",
    "owner": "owner__first_name",
    "created": "created_at",
}
DEFAULT_SORT = "-created"


@login_required
@require_GET
def opportunity_list(request: HttpRequest) -> HttpResponse:
    _require(request.user, ObjectType.OPPORTUNITY, "view")
    filters = OpportunityFilterForm(request.GET or None)
    deals = restrict(live_opportunities(), request.user)
    if filters.is_valid():
        deals = filter_opportunities(deals, filters.cleaned_data)
    elif filters.is_bound:
        deals = deals.none()
    sort = request.GET.get("sort") or DEFAULT_SORT
    key = sort.removeprefix("-")
    if key not in SORTS:
        sort, key = DEFAULT_SORT, DEFAULT_SORT.removeprefix("-")
    sign = "-" if sort.startswith("-") else ""
    ordered = deals.select_related("customer", "pipeline", "stage", "owner").order_by(
        f"{sign}{SORTS[key]}", f"{sign}pk"
    )
    page = Paginator(ordered, PAGE_SIZE).get_page(request.GET.get("page"))
    layout = "cards" if request.GET.get("layout") == "cards" else "table"
    kept = [(k, v) for k, v in request.GET.items() if k not in ("page", "sort") and v]
    return render(
        request,
        "sales/opportunity_list.html",
        {
            "page": page,
            "filters": filters,
            "query": urlencode([*kept, ("sort", sort)]),
            "sort_query": urlencode(kept),
            "sort": sort,
            "layout": layout,
            "layout_query": urlencode(
                [(k, v) for k, v in request.GET.items() if k not in ("page", "layout") and v]
            ),
            "filtered": bool([k for k, _v in kept if k != "layout"]),
            "totals": totals_by_currency(deals),
            "columns": [
                ("title", _("Opportunity")),
                ("customer", _("Customer")),
                ("stage", _("Stage")),
                ("amount", _("Amount")),
                ("close", _("Expected close date")),
                ("owner", _("Owner")),
            ],
        },
    )


def _form_data(form: OpportunityForm) -> dict[str, Any]:
    data = form.cleaned_data
    return {
        "title": data["title"],
        "amount": data["amount"] if data["amount"] is not None else 0,
        "currency": data["currency"],
        "expected_close_date": data["expected_close_date"],
        "next_step": data["next_step"],
        "competitors": list(data["competitors"]),
        "products": list(data["products"]),
    }


@login_required
@require_http_methods(["GET", "POST"])
def opportunity_create(request: HttpRequest) -> HttpResponse:
    _require(request.user, ObjectType.OPPORTUNITY, "add")
    customer_id = request.GET.get("customer")
    if not customer_id:
        messages.info(request, _("Open a customer to add an opportunity for them."))
        return redirect("customers:list")
    customer = get_for(request.user, Customer.objects.filter(deleted_at__isnull=True), customer_id)
    form = OpportunityForm(
        request.POST or None, pipelines=True, initial={"currency": customer.currency}
    )
    if request.method == "POST" and form.is_valid():
        try:
            opportunity = create_opportunity(
                actor=request.user,
                customer=customer,
                pipeline=form.cleaned_data["pipeline"],
                **_form_data(form),
            )
        except ValidationError as exc:
            _apply_validation_error(form, exc)
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("Opportunity %(title)s created.") % {"title": opportunity})
            return redirect("sales:opportunity_detail", pk=opportunity.pk)
    return render(
        request,
        "sales/opportunity_form.html",
        {"form": form, "customer": customer, "opportunity": None},
        status=400 if form.is_bound else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def opportunity_edit(request: HttpRequest, pk: int) -> HttpResponse:
    opportunity = get_opportunity_for(request.user, pk, "change")
    initial = {
        "title": opportunity.title,
        "amount": opportunity.amount.amount,
        "currency": str(opportunity.amount.currency),
        "expected_close_date": opportunity.expected_close_date,
        "next_step": opportunity.next_step,
        "competitors": list(opportunity.competitors.all()),
        "products": list(opportunity.products.all()),
    }
    form = OpportunityForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            update_opportunity(opportunity, actor=request.user, **_form_data(form))
        except ValidationError as exc:
            _apply_validation_error(form, exc)
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("Opportunity saved."))
            return redirect("sales:opportunity_detail", pk=opportunity.pk)
    return render(
        request,
        "sales/opportunity_form.html",
        {"form": form, "customer": opportunity.customer, "opportunity": opportunity},
        status=400 if form.is_bound else 200,
    )
