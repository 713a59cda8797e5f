"""Quote views: list, form (lines via HTMX), detail with its actions, print and PDF."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from peyvand.access.choices import ObjectType
from peyvand.access.scopes import can, get_for, restrict
from peyvand.catalog.forms import apply_service_error
from peyvand.core.problems import ServiceError
from peyvand.customers.models import Customer
from peyvand.sales import quotes as services
from peyvand.sales.access import (
    customers_for,
    get_opportunity_for,
    get_quote_for,
    live_contracts,
    live_orders,
    live_quotes,
)
from peyvand.sales.choices import OPEN_QUOTE_STATUSES, QuoteStatus
from peyvand.sales.models import Quote
from peyvand.sales.quote_forms import (
    QuoteFilterForm,
    QuoteForm,
    QuoteLineForm,
    QuoteLineFormSet,
    RejectQuoteForm,
    decimal_text,
    quote_product_choices,
)
from peyvand.sales.views.lines import extra_line

PAGE_SIZE = 25
# The customer 360 and opportunity pages show this many of each kind of document.
LATEST_DOCUMENTS = 5


@login_required
@require_GET
def quote_list(request: HttpRequest) -> HttpResponse:
    if not can(request.user, ObjectType.QUOTE, "view"):
        raise Http404
    filters = QuoteFilterForm(request.GET or None)
    quotes = restrict(live_quotes(), request.user).select_related("customer")
    if filters.is_valid() and filters.cleaned_data["status"]:
        quotes = quotes.filter(status=filters.cleaned_data["status"])
    page = Paginator(quotes.order_by("-issued_on", "-pk"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    query = urlencode([(k, v) for k, v in request.GET.items() if k != "page" and v])
    return render(
        request,
        "sales/quote_list.html",
        {"page": page, "filters": filters, "query": query, "filtered": bool(query)},
    )


def _apply_error(form: QuoteForm, formset: Any, error: ServiceError) -> None:
    """Service errors name "lines.<i>.<field>" for a line; show them on that line's field."""
    parts = (error.field or "").split(".")
    if len(parts) == 3 and parts[0] == "lines" and parts[1].isdigit():
        filled = [f for f in formset.forms if f.cleaned_data]
        index = int(parts[1])
        if index < len(filled):
            line_form = filled[index]
            line_form.add_error(parts[2] if parts[2] in line_form.fields else None, error.message)
            return
    apply_service_error(form, error)


def _lines(formset: Any) -> list[dict[str, Any]]:
    return [f.line() for f in formset.forms if f.cleaned_data]


def _form_page(
    request: HttpRequest, form: QuoteForm, formset: Any, customer: Customer, quote: Quote | None
) -> HttpResponse:
    return render(
        request,
        "sales/quote_form.html",
        {"form": form, "formset": formset, "customer": customer, "quote": quote},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def quote_create(request: HttpRequest) -> HttpResponse:
    if not can(request.user, ObjectType.QUOTE, "add"):
        raise Http404
    customer_id = request.GET.get("customer")
    opportunity = None
    if request.GET.get("opportunity"):
        opportunity = get_opportunity_for(request.user, request.GET["opportunity"])
        customer_id = str(opportunity.customer_id)
    if not customer_id:
        messages.info(request, _("Open a customer to draft a quote for them."))
        return redirect("customers:list")
    customer = get_for(
        request.user, customers_for(request.user, ObjectType.QUOTE, "add"), customer_id
    )
    form = QuoteForm(request.POST or None, initial={"currency": customer.currency})
    formset = QuoteLineFormSet(
        request.POST or None, prefix="lines", form_kwargs={"products": quote_product_choices()}
    )
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        data = form.cleaned_data
        try:
            quote = services.create_quote(
                actor=request.user,
                customer=customer,
                price_list=data["price_list"],
                currency=data["currency"] or None,
                opportunity=opportunity,
                valid_until=data["valid_until"],
                lines=_lines(formset),
                notes=data["notes"],
            )
        except ServiceError as exc:
            _apply_error(form, formset, exc)
        else:
            messages.success(request, _("Quote %(number)s drafted.") % {"number": quote.number})
            return redirect("sales:quote_detail", pk=quote.pk)
    return _form_page(request, form, formset, customer, None)


@login_required
@require_http_methods(["GET", "POST"])
def quote_edit(request: HttpRequest, pk: int) -> HttpResponse:
    quote = get_quote_for(request.user, pk, "change")
    if quote.status != QuoteStatus.DRAFT:
        messages.error(request, _("Only a draft quote can be changed."))
        return redirect("sales:quote_detail", pk=quote.pk)
    initial_lines = [
        {
            "product": line.product_id,
            "quantity": decimal_text(line.quantity),
            "discount_percent": decimal_text(line.discount_percent),
            "tax_percent": decimal_text(line.tax_percent),
        }
        for line in quote.lines.all()
    ]
    form = QuoteForm(
        request.POST or None,
        editing=True,
        initial={"valid_until": quote.valid_until.isoformat(), "notes": quote.notes},
    )
    formset = QuoteLineFormSet(
        request.POST or None,
        prefix="lines",
        initial=None if request.POST else initial_lines,
        form_kwargs={"products": quote_product_choices()},
    )
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        try:
            services.update_quote(
                quote,
                actor=request.user,
                lines=_lines(formset),
                valid_until=form.cleaned_data["valid_until"],
                notes=form.cleaned_data["notes"],
            )
        except ServiceError as exc:
            _apply_error(form, formset, exc)
        else:
            messages.success(request, _("Quote %(number)s saved.") % {"number": quote.number})
            return redirect("sales:quote_detail", pk=quote.pk)
    return _form_page(request, form, formset, quote.customer, quote)


@login_required
@require_GET
def quote_line(request: HttpRequest) -> HttpResponse:
    """One more empty line for the quote form (HTMX), and the formset's new line count."""
    if not can(request.user, ObjectType.QUOTE, "add"):
        raise Http404
    return extra_line(
        request, lambda prefix: QuoteLineForm(prefix=prefix, products=quote_product_choices())
    )


def _detail(request: HttpRequest, quote: Quote, status: int = 200, **extra: Any) -> HttpResponse:
    can_change = restrict(live_quotes(), request.user, "change").filter(pk=quote.pk).exists()
    return render(
        request,
        "sales/quote_detail.html",
        {
            "quote": quote,
            "lines": quote.lines.select_related("product"),
            "can_change": can_change,
            "is_draft": quote.status == QuoteStatus.DRAFT,
            "can_answer": can_change and quote.status == QuoteStatus.SENT,
            "can_reject": can_change and quote.status in OPEN_QUOTE_STATUSES,
            "reject_form": extra.get("reject_form") or RejectQuoteForm(),
        },
        status=status,
    )


@login_required
@require_GET
def quote_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, get_quote_for(request.user, pk))


def _act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    quote = get_quote_for(request.user, pk, "change")
    try:
        if action == "send":
            services.send_quote(quote, actor=request.user)
            messages.success(
                request, _("Quote %(number)s marked as sent.") % {"number": quote.number}
            )
        elif action == "accept":
            order = services.accept_quote(quote, actor=request.user)
            messages.success(
                request,
                _("Quote %(number)s accepted; order %(order)s created.")
                % {"number": quote.number, "order": order.number},
            )
            return redirect("sales:order_detail", pk=order.pk)
        else:
            form = RejectQuoteForm(request.POST)
            if not form.is_valid():
                return _detail(request, quote, status=400, reject_form=form)
            services.reject_quote(quote, actor=request.user, reason=form.cleaned_data["reason"])
            messages.success(request, _("Quote %(number)s rejected.") % {"number": quote.number})
    except ServiceError as exc:
        messages.error(request, exc.message)
    return redirect("sales:quote_detail", pk=quote.pk)


@login_required
@require_POST
def quote_send(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, "send")


@login_required
@require_POST
def quote_accept(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, "accept")


@login_required
@require_POST
def quote_reject(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, "reject")


def _printable(quote: Quote, *, stylesheet: str) -> str:
    """The quote as a standalone page in the CUSTOMER's language (not the reader's)."""
    language = quote.customer.preferred_language or "fa"
    with translation.override(language):
        return render_to_string(
            "sales/quote_print.html",
            {
                "quote": quote,
                "lines": quote.lines.select_related("product"),
                "rtl": language.startswith("fa"),
                "language": language,
                "stylesheet": stylesheet,
            },
        )


@login_required
@require_GET
def quote_print(request: HttpRequest, pk: int) -> HttpResponse:
    quote = get_quote_for(request.user, pk)
    return HttpResponse(_printable(quote, stylesheet=static("peyvand/css/quote_print.css")))


@login_required
@require_GET
def quote_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The print page through WeasyPrint (Pango shapes the Persian text); the stylesheet
    and its fonts are read from the static files on disk, so no request leaves the process."""
    quote = get_quote_for(request.user, pk)
    try:
        from weasyprint import HTML  # imported here: loading Pango costs ~0.3 s at startup
    except (ImportError, OSError):
        # WeasyPrint loads Pango and HarfBuzz from the system; without them (a machine set
        # up with pip alone) the print page still works, so say so instead of failing.
        messages.error(
            request,
            _(
                "PDFs cannot be made on this server: the system libraries Pango and HarfBuzz "
                "are missing. Use the print page and your browser's “Save as PDF”."
            ),
        )
        return redirect("sales:quote_detail", pk=quote.pk)
    stylesheet = finders.find("peyvand/css/quote_print.css")
    pdf = HTML(string=_printable(quote, stylesheet=f"file://{stylesheet}")).write_pdf()
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{quote.number}.pdf"'
    return response


@login_required
@require_GET
def customer_documents(request: HttpRequest, pk: int) -> HttpResponse:
    """The customer 360's sales card (loaded by HTMX): latest quotes, orders and contracts
    the reader may see, and the buttons to start new ones."""
    customer = get_for(request.user, Customer.objects.alive(), pk)
    user = request.user
    return render(
        request,
        "sales/partials/customer_documents.html",
        {
            "customer": customer,
            "quotes": list(
                restrict(live_quotes(), user)
                .filter(customer=customer)
                .order_by("-issued_on", "-pk")[:LATEST_DOCUMENTS]
            ),
            "orders": list(
                restrict(live_orders(), user)
                .filter(customer=customer)
                .order_by("-ordered_at", "-pk")[:LATEST_DOCUMENTS]
            ),
            "contracts": list(
                restrict(live_contracts(), user)
                .filter(customer=customer)
                .order_by("-start_date", "-pk")[:LATEST_DOCUMENTS]
            ),
            "can_quote": customers_for(user, ObjectType.QUOTE, "add")
            .filter(pk=customer.pk)
            .exists(),
            "can_order": customers_for(user, ObjectType.ORDER, "add")
            .filter(pk=customer.pk)
            .exists(),
            "can_contract": customers_for(user, ObjectType.CONTRACT, "add")
            .filter(pk=customer.pk)
            .exists(),
        },
    )


@login_required
@require_GET
def opportunity_quotes(request: HttpRequest, pk: int) -> HttpResponse:
    """The opportunity page's quotes card (loaded by HTMX)."""
    opportunity = get_opportunity_for(request.user, pk)
    quotes = (
        restrict(live_quotes(), request.user)
        .filter(opportunity=opportunity)
        .order_by("-issued_on", "-pk")
    )
    can_quote = (
        customers_for(request.user, ObjectType.QUOTE, "add")
        .filter(pk=opportunity.customer_id)
        .exists()
    )
    return render(
        request,
        "sales/partials/opportunity_quotes.html",
        {"opportunity": opportunity, "quotes": list(quotes), "can_quote": can_quote},
    )
