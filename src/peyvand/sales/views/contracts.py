"""Contract views: list, renewals due, form (from a customer or an order), detail with renew
and cancel."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from peyvand.access.choices import ObjectType
from peyvand.access.scopes import can, get_for, restrict
from peyvand.catalog.forms import apply_service_error
from peyvand.core.problems import ServiceError
from peyvand.sales import contracts as services
from peyvand.sales.access import customers_for, get_contract_for, get_order_for, live_contracts
from peyvand.sales.choices import ContractStatus
from peyvand.sales.models import Contract, Quote
from peyvand.sales.quote_forms import (
    CancelContractForm,
    ContractFilterForm,
    ContractForm,
    RenewContractForm,
    decimal_text,
)

PAGE_SIZE = 25


def _list_page(request: HttpRequest, contracts: Any, template: str, **extra: Any) -> HttpResponse:
    page = Paginator(contracts, PAGE_SIZE).get_page(request.GET.get("page"))
    query = urlencode([(k, v) for k, v in request.GET.items() if k != "page" and v])
    return render(request, template, {"page": page, "query": query, **extra})


@login_required
@require_GET
def contract_list(request: HttpRequest) -> HttpResponse:
    if not can(request.user, ObjectType.CONTRACT, "view"):
        raise Http404
    filters = ContractFilterForm(request.GET or None)
    contracts = restrict(live_contracts(), request.user).select_related("customer")
    if filters.is_valid() and filters.cleaned_data["status"]:
        contracts = contracts.filter(status=filters.cleaned_data["status"])
    return _list_page(
        request,
        contracts.order_by("-start_date", "-pk"),
        "sales/contract_list.html",
        filters=filters,
        filtered=bool(request.GET.get("status")),
    )


@login_required
@require_GET
def renewals(request: HttpRequest) -> HttpResponse:
    if not can(request.user, ObjectType.CONTRACT, "view"):
        raise Http404
    return _list_page(
        request,
        services.renewals_due(request.user),
        "sales/renewals.html",
        days=services.RENEWALS_AHEAD_DAYS,
        today=timezone.localdate(),
    )


@login_required
@require_http_methods(["GET", "POST"])
def contract_create(request: HttpRequest) -> HttpResponse:
    if not can(request.user, ObjectType.CONTRACT, "add"):
        raise Http404
    order = get_order_for(request.user, request.GET["order"]) if request.GET.get("order") else None
    customer_id = order.customer_id if order is not None else request.GET.get("customer")
    if not customer_id:
        messages.info(request, _("Open a customer or an order to start a contract."))
        return redirect("customers:list")
    customer = get_for(
        request.user, customers_for(request.user, ObjectType.CONTRACT, "add"), customer_id
    )
    today = timezone.localdate()
    initial: dict[str, Any] = {
        "currency": customer.currency,
        "start_date": today.isoformat(),
        "end_date": (today + dt.timedelta(days=364)).isoformat(),
    }
    if order is not None:
        initial.update(
            title=_("Contract for order %(number)s") % {"number": order.number},
            value=decimal_text(order.total.amount),
            currency=str(order.total.currency),
        )
    form = ContractForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            contract = services.create_contract(
                actor=request.user,
                customer=customer,
                order=order,
                quote=Quote.objects.filter(order=order).first() if order is not None else None,
                **data,
            )
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(
                request, _("Contract %(number)s created.") % {"number": contract.number}
            )
            return redirect("sales:contract_detail", pk=contract.pk)
    return render(
        request,
        "sales/contract_form.html",
        {"form": form, "customer": customer, "order": order},
        status=400 if request.method == "POST" else 200,
    )


def _detail(
    request: HttpRequest, contract: Contract, status: int = 200, **forms: Any
) -> HttpResponse:
    can_change = restrict(live_contracts(), request.user, "change").filter(pk=contract.pk).exists()
    return render(
        request,
        "sales/contract_detail.html",
        {
            "contract": contract,
            "renewal": Contract.objects.filter(previous=contract).first(),
            "can_renew": can_change
            and contract.status in {ContractStatus.ACTIVE, ContractStatus.EXPIRED},
            "can_cancel": can_change and contract.status == ContractStatus.ACTIVE,
            "renew_form": forms.get("renew_form") or RenewContractForm(),
            "cancel_form": forms.get("cancel_form") or CancelContractForm(),
        },
        status=status,
    )


@login_required
@require_GET
def contract_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, get_contract_for(request.user, pk))


@login_required
@require_POST
def contract_renew(request: HttpRequest, pk: int) -> HttpResponse:
    contract = get_contract_for(request.user, pk, "change")
    form = RenewContractForm(request.POST)
    if form.is_valid():
        try:
            renewal = services.renew_contract(
                contract,
                actor=request.user,
                end_date=form.cleaned_data["end_date"],
                value=form.cleaned_data["value"],
            )
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(
                request, _("Renewed as contract %(number)s.") % {"number": renewal.number}
            )
            return redirect("sales:contract_detail", pk=renewal.pk)
    return _detail(request, contract, status=400, renew_form=form)


@login_required
@require_POST
def contract_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    contract = get_contract_for(request.user, pk, "change")
    form = CancelContractForm(request.POST)
    if form.is_valid():
        try:
            services.cancel_contract(
                contract, actor=request.user, reason=form.cleaned_data["reason"]
            )
        except ServiceError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request, _("Contract %(number)s cancelled.") % {"number": contract.number}
            )
        return redirect("sales:contract_detail", pk=contract.pk)
    return _detail(request, contract, status=400, cancel_form=form)
