"""Staff screens of tickets: the queue, opening a ticket for a customer, and the ticket
with its agreement, SLA clock and suggested articles beside it."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from peyvand.access.scopes import can
from peyvand.channels.inbox.choices import MessageStatus
from peyvand.customers.access import get_customer_for
from peyvand.service.access import get_ticket_for
from peyvand.service.choices import TicketStatus
from peyvand.service.forms import TicketFilterForm, TicketForm, TicketNoteForm, TicketReplyForm
from peyvand.service.kb.selectors import suggest_for_text
from peyvand.service.models.tickets import TICKET_OBJECT_TYPE
from peyvand.service.tickets import selectors, services

PAGE_SIZE = 25


def _require(user: object, action: str = "view") -> None:
    if not can(user, TICKET_OBJECT_TYPE, action):
        raise Http404


@login_required
@require_GET
def ticket_queue(request: HttpRequest) -> HttpResponse:
    _require(request.user)
    form = TicketFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    qs = selectors.queue(
        request.user,
        queue_id=data["queue"].pk if data.get("queue") else None,
        mine=bool(data.get("mine")),
        breached=bool(data.get("breached")),
    )
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(ticket, selectors.sla_state(ticket)) for ticket in page.object_list]
    return render(request, "service/tickets/queue.html", {"form": form, "page": page, "rows": rows})


@login_required
@require_http_methods(["GET", "POST"])
def ticket_new(request: HttpRequest, customer_id: int) -> HttpResponse:
    _require(request.user, "add")
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


def _detail(
    request: HttpRequest,
    ticket: Any,
    *,
    reply_form: TicketReplyForm | None = None,
    note_form: TicketNoteForm | None = None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "service/tickets/detail.html",
        {
            "ticket": ticket,
            "sla": selectors.sla_state(ticket),
            "statuses": [s for s in TicketStatus if s != ticket.status],
            "suggestions": suggest_for_text(request.user, f"{ticket.subject} {ticket.description}"),
            "may_change": can(request.user, TICKET_OBJECT_TYPE, "change"),
            "thread": selectors.thread(ticket),
            "reply_form": reply_form or TicketReplyForm(),
            "note_form": note_form or TicketNoteForm(),
        },
        status=status,
    )


@login_required
@require_GET
def ticket_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, get_ticket_for(request.user, pk))


def _add_errors(form: Any, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


@login_required
@require_POST
def ticket_reply(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = get_ticket_for(request.user, pk, "change")
    form = TicketReplyForm(request.POST)
    if form.is_valid():
        try:
            message = services.reply_to_customer(
                ticket,
                actor=request.user,
                body=form.cleaned_data["body"],
                status=form.cleaned_data["status"],
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            if message.status == MessageStatus.SUPPRESSED:
                messages.warning(
                    request,
                    _("The customer does not accept messages on this channel: the reply was "
                      "kept on the ticket but not sent."),
                )  # fmt: skip
            else:
                messages.success(request, _("Reply sent."))
            return redirect("service:ticket_detail", pk=ticket.pk)
    return _detail(request, get_ticket_for(request.user, pk), reply_form=form, status=400)


@login_required
@require_POST
def ticket_note(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = get_ticket_for(request.user, pk, "change")
    form = TicketNoteForm(request.POST)
    if form.is_valid():
        try:
            services.add_internal_note(ticket, actor=request.user, body=form.cleaned_data["body"])
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Note added."))
            return redirect("service:ticket_detail", pk=ticket.pk)
    return _detail(request, get_ticket_for(request.user, pk), note_form=form, status=400)


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
