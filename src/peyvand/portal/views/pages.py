"""The signed-in customer's pages. Every record is fetched through portal.selectors, scoped
to `request.portal_customer`; another customer's id answers 404."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.core.serializers.json import DjangoJSONEncoder
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import urlencode
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from peyvand.channels.choices import InteractionChannel
from peyvand.channels.views import serve_attachment
from peyvand.core.problems import ServiceError
from peyvand.portal import selectors, services
from peyvand.portal.forms import ProfileForm, ReplyForm, TicketForm
from peyvand.portal.models import ProductSubscription
from peyvand.portal.models.updates import UpdateChannel
from peyvand.portal.session import portal_login_required
from peyvand.service.access import get_public_article
from peyvand.service.choices import OPEN_TICKET_STATUSES
from peyvand.service.kb.selectors import suggest_public

PAGE_SIZE = 20


def _customer(request: HttpRequest) -> Any:
    return request.portal_customer  # type: ignore[attr-defined]


def _apply_errors(form: Any, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        for message in exc.messages:
            form.add_error(None, message)


@portal_login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    customer = _customer(request)
    context = {
        "open_tickets": selectors.my_tickets(customer)
        .filter(status__in=OPEN_TICKET_STATUSES)
        .count(),
        "recent_tickets": list(selectors.my_tickets(customer)[:3]),
        "recent_orders": list(selectors.my_orders(customer)[:3]),
        "agreements": selectors.my_agreements(customer).count(),
    }
    return render(request, "portal/home.html", context)


@portal_login_required
@require_GET
def ticket_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")[:200]
    qs = selectors.my_tickets(_customer(request), query=query)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "q": query, "query": urlencode({"q": query}) if query else ""}
    return render(request, "portal/tickets/list.html", context)


@portal_login_required
@require_http_methods(["GET", "POST"])
def ticket_detail(request: HttpRequest, pk: int) -> HttpResponse:
    customer = _customer(request)
    ticket = selectors.my_ticket(customer, pk)
    form = ReplyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.reply_to_ticket(customer, ticket, body=form.cleaned_data["body"])
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Your reply was sent."))
            return redirect("portal:ticket_detail", pk=ticket.pk)
    context = {"ticket": ticket, "thread": selectors.public_thread(ticket), "form": form}
    return render(request, "portal/tickets/detail.html", context)


@portal_login_required
@require_GET
def ticket_attachment(request: HttpRequest, pk: int, attachment_id: int) -> FileResponse:
    customer = _customer(request)
    ticket = selectors.my_ticket(customer, pk)
    return serve_attachment(selectors.my_attachment(customer, ticket, attachment_id))


@portal_login_required
@require_http_methods(["GET", "POST"])
def ticket_new(request: HttpRequest) -> HttpResponse:
    """Two steps: the customer describes the problem and is shown matching help articles;
    they then either say an article solved it (a deflection, no ticket) or open the ticket."""
    customer = _customer(request)
    form = TicketForm(request.POST or None)
    suggestions: list[Any] = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if "confirm" not in request.POST:
            text = f"{data['subject']} {data['description']}"
            suggestions = suggest_public(text, language=get_language())
        if not suggestions:
            try:
                ticket = services.open_portal_ticket(customer, **data)
            except ValidationError as exc:
                _apply_errors(form, exc)
            else:
                messages.success(request, _("Your ticket was opened. We will answer soon."))
                return redirect("portal:ticket_detail", pk=ticket.pk)
    return render(request, "portal/tickets/new.html", {"form": form, "suggestions": suggestions})


@portal_login_required
@require_POST
def ticket_deflected(request: HttpRequest, article_id: int) -> HttpResponse:
    services.count_deflection(get_public_article(article_id))
    messages.success(request, _("Glad it helped. No ticket was opened."))
    return redirect("portal:home")


@portal_login_required
@require_GET
def order_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.my_orders(_customer(request)), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "portal/orders/list.html", {"page": page})


@portal_login_required
@require_GET
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    order = selectors.my_order(_customer(request), pk)
    return render(request, "portal/orders/detail.html", {"order": order})


@portal_login_required
@require_GET
def quote_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.my_quotes(_customer(request)), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "portal/quotes/list.html", {"page": page})


@portal_login_required
@require_http_methods(["GET", "POST"])
def quote_detail(request: HttpRequest, pk: int) -> HttpResponse:
    customer = _customer(request)
    quote = selectors.my_quote(customer, pk)
    error = ""
    if request.method == "POST":
        try:
            order = services.accept_my_quote(customer, quote)
        except ServiceError as exc:
            error = str(exc)
        else:
            messages.success(
                request,
                _("Thank you: quote accepted, order %(number)s placed.") % {"number": order.number},
            )
            return redirect("portal:order_detail", pk=order.pk)
    return render(
        request,
        "portal/quotes/detail.html",
        {"quote": quote, "error": error},
        status=400 if error else 200,
    )


@portal_login_required
@require_GET
def agreement_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.my_agreements(_customer(request)), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = [
        (
            agreement,
            [InteractionChannel(c).label for c in agreement.channels if c in InteractionChannel],
        )
        for agreement in page.object_list
    ]
    return render(request, "portal/agreements.html", {"page": page, "rows": rows})


@portal_login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    customer = _customer(request)
    initial = {
        "first_name": customer.first_name,
        "last_name": customer.last_name,
        "preferred_language": customer.preferred_language,
        "preferred_channel": customer.preferred_channel,
    }
    form = ProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_profile(customer, **form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Your preferences were saved."))
            return redirect("portal:profile")
    context = {
        "form": form,
        "contact_points": customer.contact_points.order_by("kind", "pk"),
    }
    return render(request, "portal/profile.html", context)


@portal_login_required
@require_GET
def my_data(request: HttpRequest) -> HttpResponse:
    customer = _customer(request)
    body = json.dumps(
        selectors.my_data(customer), cls=DjangoJSONEncoder, ensure_ascii=False, indent=2
    )
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="my-data-{customer.pk}.json"'
    response["Cache-Control"] = "private, no-store"
    return response


@portal_login_required
@require_http_methods(["GET", "POST"])
def subscriptions(request: HttpRequest) -> HttpResponse:
    customer = _customer(request)
    products = selectors.products_to_follow(customer)
    if request.method == "POST":
        product = get_object_or_404(products, pk=request.POST.get("product"))
        try:
            services.set_subscription(
                customer,
                product=product,
                channel=request.POST.get("channel", ""),
                subscribed=request.POST.get("subscribed") == "1",
            )
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("Your subscriptions were saved."))
        return redirect("portal:subscriptions")
    mine = set(
        ProductSubscription.objects.filter(customer=customer).values_list("product_id", "channel")
    )
    page = Paginator(products, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [
        (
            product,
            [(value, label, (product.pk, value) in mine) for value, label in UpdateChannel.choices],
        )
        for product in page.object_list
    ]
    return render(request, "portal/subscriptions.html", {"page": page, "rows": rows})
