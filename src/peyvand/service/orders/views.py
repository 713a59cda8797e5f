"""Staff screens of service orders: the list, a technician's own orders, the order with its
materials, time and sign-off, a new order for a customer (optionally from a ticket), and
the card on the customer's 360 page."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from djmoney.money import Money

from peyvand.access.scopes import can, get_for
from peyvand.core.problems import ServiceError, add_form_errors
from peyvand.customers.access import get_customer_for
from peyvand.service.choices import SERVICE_ORDER_FLOW, ServiceOrderStatus
from peyvand.service.models import ServiceOrder
from peyvand.service.models.orders import SERVICE_ORDER_OBJECT_TYPE
from peyvand.service.orders import selectors, services
from peyvand.service.orders.forms import (
    LineForm,
    OrderFilterForm,
    OrderForm,
    ScheduleForm,
    SignOffForm,
    TimeForm,
)
from peyvand.service.tickets.selectors import tickets_visible_to

PAGE_SIZE = 25


def require_orders(user: object, action: str = "view") -> None:
    if not can(user, SERVICE_ORDER_OBJECT_TYPE, action):
        raise Http404


def _list(request: HttpRequest, *, mine: bool) -> HttpResponse:
    require_orders(request.user)
    form = OrderFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    qs = selectors.order_list(
        request.user,
        status=data.get("status") or "",
        technician_id=data["technician"].pk if data.get("technician") else None,
        since=data.get("since"),
        mine=mine,
    )
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "service/orders/list.html",
        {"form": form, "page": page, "mine": mine},
    )


@login_required
@require_GET
def order_list(request: HttpRequest) -> HttpResponse:
    return _list(request, mine=False)


@login_required
@require_GET
def my_orders(request: HttpRequest) -> HttpResponse:
    return _list(request, mine=True)


@login_required
@require_http_methods(["GET", "POST"])
def order_new(request: HttpRequest, customer_id: int) -> HttpResponse:
    require_orders(request.user, "add")
    customer = get_customer_for(request.user, customer_id)
    ticket = None
    if request.GET.get("ticket"):
        ticket = get_for(
            request.user,
            tickets_visible_to(request.user).filter(customer=customer),
            request.GET["ticket"],
        )
    initial: dict[str, Any] = {"title": ticket.subject if ticket else ""}
    if ticket is not None:
        initial["department"] = ticket.queue_id
    form = OrderForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            order = services.create_order(
                actor=request.user, customer=customer, ticket=ticket, **form.cleaned_data
            )
        except (ValidationError, ServiceError) as exc:
            add_form_errors(form, exc)
        else:
            messages.success(request, _("Service order created."))
            return redirect("service:order_detail", pk=order.pk)
    return render(
        request,
        "service/orders/new.html",
        {"form": form, "customer": customer, "ticket": ticket},
    )


def _detail_context(request: HttpRequest, order: ServiceOrder, **forms: Form) -> dict[str, Any]:
    window = {
        "window_start": timezone.localtime(order.window_start),
        "window_end": timezone.localtime(order.window_end),
    }
    return {
        "order": order,
        "lines": list(order.lines.select_related("product")),
        "time_entries": list(order.time_entries.select_related("user")),
        "next_statuses": [
            ServiceOrderStatus(s)
            for s in SERVICE_ORDER_FLOW[order.status]
            if s != ServiceOrderStatus.SIGNED_OFF
        ],
        "may_change": can(request.user, SERVICE_ORDER_OBJECT_TYPE, "change")
        and order.status not in services.FINAL_STATUSES,
        "schedule_form": forms.get("schedule")
        or ScheduleForm(initial={"technician": order.technician_id, **window}),
        "line_form": forms.get("line") or LineForm(initial={"currency": order.currency}),
        "time_form": forms.get("time") or TimeForm(),
        "signoff_form": forms.get("signoff") or SignOffForm(),
    }


@login_required
@require_GET
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    order = get_for(request.user, selectors.order_detail(request.user), pk)
    return render(request, "service/orders/detail.html", _detail_context(request, order))


FORMS = {"schedule": ScheduleForm, "line": LineForm, "time": TimeForm, "signoff": SignOffForm}


def _run(action: str, order: ServiceOrder, form: Form, request: HttpRequest) -> None:
    data, user = form.cleaned_data, request.user
    if action == "schedule":
        services.schedule(order, actor=user, **data)
    elif action == "line":
        cost = data["unit_cost"]
        services.add_line(
            order,
            actor=user,
            product=data["product"],
            description=data["description"],
            quantity=data["quantity"],
            unit_cost=None if cost is None else Money(cost, data["currency"]),
        )
    elif action == "time":
        services.add_time(order, actor=user, minutes=data["minutes"], note=data["note"])
    else:
        services.sign_off(
            order, actor=user, name=data["name"], signature=data["signature"], kind=data["kind"]
        )


@login_required
@require_POST
def order_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """One change from the order's page; a bad form shows the page again with its errors."""
    order = get_for(request.user, selectors.order_detail(request.user, "change"), pk, "change")
    if action == "status":
        try:
            services.set_status(order, actor=request.user, status=request.POST.get("status", ""))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Saved."))
        return redirect("service:order_detail", pk=order.pk)
    if action not in FORMS:
        raise Http404
    form = FORMS[action](request.POST)
    if form.is_valid():
        try:
            _run(action, order, form, request)
        except (ValidationError, ServiceError) as exc:
            add_form_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("service:order_detail", pk=order.pk)
    order.refresh_from_db()
    return render(
        request,
        "service/orders/detail.html",
        _detail_context(request, order, **{action: form}),
        status=400,
    )


@login_required
@require_GET
def customer_orders(request: HttpRequest, customer_id: int) -> HttpResponse:
    """The service-orders card of the 360 page (loaded by HTMX)."""
    require_orders(request.user)
    customer = get_customer_for(request.user, customer_id)
    return render(
        request,
        "service/orders/partials/customer_orders.html",
        {
            "customer": customer,
            "costs": selectors.customer_service_costs(customer, user=request.user),
            "may_add": can(request.user, SERVICE_ORDER_OBJECT_TYPE, "add"),
        },
    )
