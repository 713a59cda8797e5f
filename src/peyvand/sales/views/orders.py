"""Order views: parse, authorise through access helpers, call services, render."""

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
from peyvand.access.scopes import can, restrict
from peyvand.catalog.forms import apply_service_error
from peyvand.catalog.models import Product
from peyvand.core.problems import ServiceError
from peyvand.sales import services
from peyvand.sales.access import get_order_customer_for, get_order_for, live_orders
from peyvand.sales.choices import OrderStatus
from peyvand.sales.forms import (
    LineFormSet,
    OrderFilterForm,
    OrderForm,
    OrderLineForm,
    PaymentForm,
)
from peyvand.sales.selectors import balance, with_paid_totals
from peyvand.sales.views.lines import extra_line

PAGE_SIZE = 25


def _noon(day: dt.date | None) -> dt.datetime | None:
    # A date typed by a person means that day where they are; noon keeps it there in any zone.
    if day is None:
        return None
    return timezone.make_aware(dt.datetime.combine(day, dt.time(12)))


@login_required
@require_GET
def order_list(request: HttpRequest) -> HttpResponse:
    if not can(request.user, ObjectType.ORDER, "view"):
        raise Http404
    filters = OrderFilterForm(request.GET or None)
    orders = restrict(live_orders(), request.user).select_related("customer")
    if filters.is_valid():
        data = filters.cleaned_data
        if data["status"]:
            orders = orders.filter(status=data["status"])
        if data["currency"]:
            orders = orders.filter(total_currency=data["currency"])
        if data["date_from"]:
            orders = orders.filter(ordered_at__date__gte=data["date_from"])
        if data["date_to"]:
            orders = orders.filter(ordered_at__date__lte=data["date_to"])
    page = Paginator(with_paid_totals(orders).order_by("-ordered_at", "-pk"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = [(order, balance(order)) for order in page.object_list]
    query = urlencode([(k, v) for k, v in request.GET.items() if k != "page" and v])
    return render(
        request,
        "sales/order_list.html",
        {"page": page, "rows": rows, "filters": filters, "query": query, "filtered": bool(query)},
    )


def _product_choices() -> list[tuple[int, str]]:
    return [
        (pk, f"{sku} · {name}")
        for pk, sku, name in Product.objects.sellable()
        .order_by("name")
        .values_list("pk", "sku", "name")
    ]


def _apply_order_error(form: OrderForm, formset: Any, error: ServiceError) -> None:
    """Service errors name "lines.<i>.<field>" for a line; show them on that line's field."""
    parts = (error.field or "").split(".")
    if len(parts) == 3 and parts[0] == "lines" and parts[1].isdigit():
        forms_with_data = [f for f in formset.forms if f.cleaned_data]
        index = int(parts[1])
        if index < len(forms_with_data):
            line_form = forms_with_data[index]
            line_form.add_error(parts[2] if parts[2] in line_form.fields else None, error.message)
            return
    apply_service_error(form, error)


@login_required
@require_http_methods(["GET", "POST"])
def order_create(request: HttpRequest) -> HttpResponse:
    if not can(request.user, ObjectType.ORDER, "add"):
        raise Http404
    customer_id = request.GET.get("customer")
    if not customer_id:
        messages.info(request, _("Open a customer to place an order for them."))
        return redirect("customers:list")
    customer = get_order_customer_for(request.user, customer_id, "add")
    choices = _product_choices()
    form = OrderForm(request.POST or None, initial={"currency": customer.currency})
    formset = LineFormSet(request.POST or None, prefix="lines", form_kwargs={"products": choices})
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        currency = form.cleaned_data["currency"]
        line_forms = [f for f in formset.forms if f.cleaned_data]
        products = Product.objects.sellable().in_bulk(
            [f.cleaned_data["product"] for f in line_forms if f.cleaned_data.get("product")]
        )
        try:
            lines = []
            for index, line_form in enumerate(line_forms):
                try:
                    lines.append(line_form.line(currency, products))
                except ServiceError as exc:
                    raise ServiceError(exc.message, field=f"lines.{index}.{exc.field}") from exc
            order = services.create_order(
                actor=request.user,
                customer=customer,
                currency=currency,
                lines=lines,
                ordered_at=_noon(form.cleaned_data["ordered_on"]),
                channel=form.cleaned_data["channel"],
                external_ref=form.cleaned_data["external_ref"],
                notes=form.cleaned_data["notes"],
            )
        except ServiceError as exc:
            _apply_order_error(form, formset, exc)
        else:
            messages.success(request, _("Order %(number)s created.") % {"number": order.number})
            return redirect("sales:order_detail", pk=order.pk)
    invalid = request.method == "POST"
    return render(
        request,
        "sales/order_form.html",
        {"form": form, "formset": formset, "customer": customer},
        status=400 if invalid else 200,
    )


@login_required
@require_GET
def order_line(request: HttpRequest) -> HttpResponse:
    """One more empty line for the order form (HTMX), and the formset's new line count."""
    if not can(request.user, ObjectType.ORDER, "add"):
        raise Http404
    return extra_line(
        request, lambda prefix: OrderLineForm(prefix=prefix, products=_product_choices())
    )


def _detail(
    request: HttpRequest, order: Any, payment_form: PaymentForm | None, status: int = 200
) -> HttpResponse:
    can_change = restrict(live_orders(), request.user, "change").filter(pk=order.pk).exists()
    open_order = order.status != OrderStatus.CANCELLED
    if payment_form is None and can_change and open_order:
        payment_form = PaymentForm()
    return render(
        request,
        "sales/order_detail.html",
        {
            "order": order,
            "lines": order.lines.select_related("product"),
            "payments": order.payments.order_by("paid_at", "pk"),
            "balance": balance(order),
            # A refused payment keeps its form (and error) even if the order was just cancelled.
            "payment_form": payment_form if can_change and (open_order or status != 200) else None,
            "can_cancel": can_change and order.status in {OrderStatus.DRAFT, OrderStatus.CONFIRMED},
            "can_contract": open_order and can(request.user, ObjectType.CONTRACT, "add"),
        },
        status=status,
    )


@login_required
@require_GET
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, get_order_for(request.user, pk), None)


@login_required
@require_POST
def order_pay(request: HttpRequest, pk: int) -> HttpResponse:
    order = get_order_for(request.user, pk, "change")
    form = PaymentForm(request.POST)
    if form.is_valid():
        try:
            services.record_payment(
                order,
                actor=request.user,
                amount=form.cleaned_data["amount"],
                method=form.cleaned_data["method"],
                paid_at=_noon(form.cleaned_data["paid_on"]),
                reference=form.cleaned_data["reference"],
            )
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("Payment recorded."))
            return redirect("sales:order_detail", pk=order.pk)
    return _detail(request, order, form, status=400)


@login_required
@require_POST
def order_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    order = get_order_for(request.user, pk, "change")
    try:
        services.cancel_order(order, actor=request.user)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Order %(number)s cancelled.") % {"number": order.number})
    return redirect("sales:order_detail", pk=order.pk)
