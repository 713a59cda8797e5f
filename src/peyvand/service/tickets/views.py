"""Staff screens of tickets: the queue, opening a ticket for a customer, and the ticket
with its agreement, SLA clock and suggested articles beside it."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from peyvand.access.scopes import can, get_for
from peyvand.core.pagination import CappedPaginator
from peyvand.customers.access import get_customer_for
from peyvand.service.access import require_tickets
from peyvand.service.choices import TicketStatus
from peyvand.service.forms import TicketFilterForm, TicketForm
from peyvand.service.kb.selectors import suggest_for_text
from peyvand.service.models.tickets import TICKET_OBJECT_TYPE
from peyvand.service.tickets import selectors, services

PAGE_SIZE = 25


@login_required
@require_GET
def ticket_queue(request: HttpRequest) -> HttpResponse:
    require_tickets(request.user)
    form = TicketFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    qs = selectors.queue(
        request.user,
        queue_id=data["queue"].pk if data.get("queue") else None,
        mine=bool(data.get("mine")),
        breached=bool(data.get("breached")),
    )
    page = CappedPaginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(ticket, selectors.sla_state(ticket)) for ticket in page.object_list]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "service/tickets/queue.html",
        {"form": form, "page": page, "rows": rows, "query": query.urlencode()},
    )


@login_required
@require_http_methods(["GET", "POST"])
def ticket_new(request: HttpRequest, customer_id: int) -> HttpResponse:
    require_tickets(request.user, "add")
    customer = get_customer_for(request.user, customer_id)
    form = TicketForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            ticket = services.open_ticket(
                actor=request.user, customer=customer, **form.cleaned_data
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("Ticket opened."))
            return redirect("service:ticket_detail", pk=ticket.pk)
    return render(request, "service/tickets/new.html", {"form": form, "customer": customer})


@login_required
@require_GET
def ticket_detail(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = get_for(
        request.user,
        selectors.tickets_visible_to(request.user).select_related(
            "customer", "assignee", "queue", "agreement", "sla_policy"
        ),
        pk,
    )
    return render(
        request,
        "service/tickets/detail.html",
        {
            "ticket": ticket,
            "sla": selectors.sla_state(ticket),
            "statuses": [s for s in TicketStatus if s != ticket.status],
            "suggestions": suggest_for_text(request.user, f"{ticket.subject} {ticket.description}"),
            "may_change": can(request.user, TICKET_OBJECT_TYPE, "change"),
        },
    )


@login_required
@require_POST
def ticket_status(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = get_object_or_404(selectors.tickets_visible_to(request.user, "change"), pk=pk)
    try:
        if request.POST.get("action") == "responded":
            services.record_first_response(ticket, actor=request.user)
        else:
            services.set_status(ticket, actor=request.user, status=request.POST.get("status", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Saved."))
    return redirect("service:ticket_detail", pk=ticket.pk)
