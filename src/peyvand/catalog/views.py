"""Views of the catalog app: parse, authorise through access helpers, call services, render."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from peyvand.access.choices import ObjectType
from peyvand.access.scopes import can
from peyvand.catalog import services
from peyvand.catalog.forms import (
    CurrencyForm,
    ExchangeRateForm,
    PriceItemForm,
    PriceListForm,
    ProductForm,
    RateImportForm,
    apply_service_error,
)
from peyvand.catalog.importer import import_exchange_rates_csv
from peyvand.catalog.models import Currency, ExchangeRate, PriceList, Product
from peyvand.core.problems import ServiceError

PAGE_SIZE = 25


def _require(request: HttpRequest, action: str) -> None:
    # Catalog screens a user may not use answer like a missing page, as records do.
    if not can(request.user, ObjectType.PRODUCT, action):
        raise Http404


def _search_variants(q: str) -> set[str]:
    # Persian typed on an Arabic keyboard: ي/ك are the same letters as ی/ک to the reader.
    return {q, q.replace("ي", "ی").replace("ك", "ک")}


@login_required
def product_list(request: HttpRequest) -> HttpResponse:
    _require(request, "view")
    q = request.GET.get("q", "").strip()
    products = Product.objects.alive()
    if q:
        condition = Q()
        for variant in _search_variants(q):
            condition |= (
                Q(sku__icontains=variant)
                | Q(name__icontains=variant)
                | Q(name_fa__icontains=variant)
                | Q(category__icontains=variant)
            )
        products = products.filter(condition)
    page = Paginator(products.order_by("name", "pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "catalog/product_list.html",
        {
            "page": page,
            "q": q,
            "query": urlencode({"q": q}) if q else "",
            "can_add": can(request.user, ObjectType.PRODUCT, "add"),
            "can_change": can(request.user, ObjectType.PRODUCT, "change"),
        },
    )


def _product_values(form: ProductForm) -> dict[str, Any]:
    data = dict(form.cleaned_data)
    data["name_fa"] = data.get("name_fa") or ""
    return data


@login_required
@require_http_methods(["GET", "POST"])
def product_create(request: HttpRequest) -> HttpResponse:
    _require(request, "add")
    form = ProductForm(request.POST or None, initial={"currency": "IRR", "is_active": True})
    if request.method == "POST" and form.is_valid():
        try:
            product = services.create_product(actor=request.user, **_product_values(form))
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("Product %(name)s created.") % {"name": product.name})
            return redirect("catalog:product_list")
    status = 400 if form.errors else 200
    return render(request, "catalog/product_form.html", {"form": form}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def product_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, "change")
    product = get_object_or_404(Product.objects.alive(), pk=pk)
    initial = {
        "sku": product.sku,
        "name": product.name,
        "name_fa": product.name_fa,
        "category": product.category,
        "description": product.description,
        "unit_price": product.unit_price.amount,
        "currency": str(product.unit_price.currency),
        "stock": product.stock,
        "is_active": product.is_active,
    }
    form = ProductForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_product(product, actor=request.user, **_product_values(form))
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("Product %(name)s saved.") % {"name": product.name})
            return redirect("catalog:product_list")
    status = 400 if form.errors else 200
    return render(
        request, "catalog/product_form.html", {"form": form, "product": product}, status=status
    )


@login_required
@require_http_methods(["GET", "POST"])
def price_list_list(request: HttpRequest) -> HttpResponse:
    _require(request, "view")
    can_add = can(request.user, ObjectType.PRODUCT, "add")
    form = PriceListForm(request.POST or None, initial={"currency": "IRR"}) if can_add else None
    if request.method == "POST":
        if form is None:
            raise Http404
        if form.is_valid():
            try:
                price_list = services.create_price_list(actor=request.user, **form.cleaned_data)
            except ServiceError as exc:
                apply_service_error(form, exc)
            else:
                return redirect("catalog:price_list_detail", pk=price_list.pk)
    lists = PriceList.objects.select_related("currency").order_by("name")
    return render(
        request,
        "catalog/price_list_list.html",
        {"price_lists": lists, "form": form},
        status=400 if form is not None and form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def price_list_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, "view")
    price_list = get_object_or_404(PriceList.objects.select_related("currency"), pk=pk)
    form = None
    if can(request.user, ObjectType.PRODUCT, "change"):
        choices = list(Product.objects.sellable().order_by("name").values_list("pk", "name"))
        form = PriceItemForm(request.POST or None, products=choices)
    if request.method == "POST":
        if form is None:
            raise Http404
        if form.is_valid():
            product = get_object_or_404(Product.objects.alive(), pk=form.cleaned_data["product"])
            try:
                services.set_price(
                    price_list,
                    product,
                    actor=request.user,
                    price=form.cleaned_data["price"],
                    min_quantity=form.cleaned_data["min_quantity"],
                )
            except ServiceError as exc:
                apply_service_error(form, exc)
            else:
                messages.success(request, _("Price saved."))
                return redirect("catalog:price_list_detail", pk=price_list.pk)
    items = price_list.items.select_related("product").order_by("product__name", "min_quantity")
    return render(
        request,
        "catalog/price_list_detail.html",
        {"price_list": price_list, "items": items, "form": form},
        status=400 if form is not None and form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def currency_list(request: HttpRequest) -> HttpResponse:
    _require(request, "view")
    can_add = can(request.user, ObjectType.PRODUCT, "add")
    form = CurrencyForm(request.POST or None) if can_add else None
    if request.method == "POST":
        if form is None:
            raise Http404
        if form.is_valid():
            try:
                currency = services.add_currency(actor=request.user, **form.cleaned_data)
            except ServiceError as exc:
                apply_service_error(form, exc)
            else:
                messages.success(request, _("Currency %(code)s added.") % {"code": currency.code})
                return redirect("catalog:currency_list")
    return render(
        request,
        "catalog/currency_list.html",
        {"currencies": Currency.objects.order_by("code"), "form": form},
        status=400 if form is not None and form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def rate_list(request: HttpRequest) -> HttpResponse:
    _require(request, "view")
    can_change = can(request.user, ObjectType.PRODUCT, "change")
    form = ExchangeRateForm(request.POST or None) if can_change else None
    if request.method == "POST":
        if form is None:
            raise Http404
        if form.is_valid():
            try:
                services.record_exchange_rate(actor=request.user, **form.cleaned_data)
            except ServiceError as exc:
                apply_service_error(form, exc)
            else:
                messages.success(request, _("Exchange rate saved."))
                return redirect("catalog:rate_list")
    rates = ExchangeRate.objects.order_by("-date", "base_id", "quote_id")
    currency = request.GET.get("currency", "").strip().upper()
    if currency:
        rates = rates.filter(Q(base_id=currency) | Q(quote_id=currency))
    page = Paginator(rates, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "catalog/rate_list.html",
        {
            "page": page,
            "form": form,
            "currency": currency,
            "query": urlencode({"currency": currency}) if currency else "",
            "currencies": Currency.objects.order_by("code").values_list("code", flat=True),
            "can_import": can_change,
        },
        status=400 if form is not None and form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def rate_import(request: HttpRequest) -> HttpResponse:
    _require(request, "change")
    form = RateImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        report = import_exchange_rates_csv(
            form.cleaned_data["file"], actor=request.user, dry_run=form.cleaned_data["dry_run"]
        )
        if report.ok and not report.dry_run:
            messages.success(
                request, _("%(count)s exchange rates imported.") % {"count": report.created}
            )
            return redirect("catalog:rate_list")
    status = 400 if form.errors or (report is not None and not report.ok) else 200
    return render(
        request, "catalog/rate_import.html", {"form": form, "report": report}, status=status
    )
