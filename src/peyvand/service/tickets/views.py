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
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from peyvand.access.scopes import can
from peyvand.channels.inbox.choices import MessageStatus
from peyvand.core.pagination import CappedPaginator
from peyvand.core.problems import add_form_errors
from peyvand.customers.access import get_customer_for
from peyvand.service.access import get_ticket_for, require_tickets
from peyvand.service.choices import TicketStatus
from peyvand.service.forms import (
    MacroApplyForm,
    MacroForm,
    TicketChangeForm,
    TicketFilterForm,
    TicketForm,
    TicketMergeForm,
    TicketNoteForm,
    TicketReplyForm,
    TicketSplitForm,
)
from peyvand.service.kb.selectors import suggest_for_text
from peyvand.service.models import Macro
from peyvand.service.models.tickets import TICKET_OBJECT_TYPE
from peyvand.service.tickets import csat, macros, selectors, services

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


def _detail(
    request: HttpRequest,
    ticket: Any,
    *,
    reply_form: TicketReplyForm | None = None,
    note_form: TicketNoteForm | None = None,
    merge_form: TicketMergeForm | None = None,
    split_form: TicketSplitForm | None = None,
    change_form: TicketChangeForm | None = None,
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
            "macro_form": MacroApplyForm(macros=_macros_for(request.user, ticket)),
            "merge_form": merge_form or TicketMergeForm(),
            "change_form": change_form
            or TicketChangeForm(initial={"priority": ticket.priority, "queue": ticket.queue_id}),
            "split_form": split_form or TicketSplitForm(messages=selectors.splittable(ticket)),
            "related": selectors.related(ticket),
            "watchers": selectors.watchers(ticket),
        },
        status=status,
    )


def _macros_for(user: Any, ticket: Any) -> Any:
    return selectors.macros_for(user, language=services.customer_language(ticket.customer))


@login_required
@require_GET
def ticket_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, get_ticket_for(request.user, pk))


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
            add_form_errors(form, exc)
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
            add_form_errors(form, exc)
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


@login_required
@require_POST
def ticket_change(request: HttpRequest, pk: int) -> HttpResponse:
    """Another priority or queue; the SLA targets follow the policy that now applies."""
    ticket = get_ticket_for(request.user, pk, "change")
    form = TicketChangeForm(request.POST)
    if form.is_valid():
        before = ticket.sla_policy_id
        try:
            ticket = services.change_ticket(
                ticket,
                actor=request.user,
                priority=form.cleaned_data["priority"],
                queue=form.cleaned_data["queue"],
            )
        except ValidationError as exc:
            add_form_errors(form, exc)
        else:
            if ticket.sla_policy_id != before:
                messages.success(
                    request, _("Saved. The due times now follow the service level that applies.")
                )
            else:
                messages.success(request, _("Saved."))
            if not selectors.tickets_visible_to(request.user).filter(pk=ticket.pk).exists():
                return redirect("service:ticket_queue")
            return redirect("service:ticket_detail", pk=ticket.pk)
    return _detail(request, get_ticket_for(request.user, pk), change_form=form, status=400)


@login_required
@require_POST
def ticket_apply_macro(request: HttpRequest, pk: int) -> HttpResponse:
    """Make the macro's changes and show the page with its text in the reply box, for the
    agent to read, edit and send."""
    ticket = get_ticket_for(request.user, pk, "change")
    form = MacroApplyForm(request.POST, macros=_macros_for(request.user, ticket))
    if not form.is_valid():
        messages.error(request, _("Choose a macro."))
        return redirect("service:ticket_detail", pk=ticket.pk)
    try:
        ticket, text = macros.apply_macro(ticket, form.cleaned_data["macro"], actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("service:ticket_detail", pk=ticket.pk)
    visible = selectors.tickets_visible_to(request.user).filter(pk=ticket.pk).exists()
    if not visible:
        messages.success(request, _("The macro moved the ticket to a queue you do not work."))
        return redirect("service:ticket_queue")
    return _detail(
        request,
        get_ticket_for(request.user, pk),
        reply_form=TicketReplyForm(initial={"body": text}),
    )


def _require_macros(user: Any) -> None:
    # Whoever answers tickets may write macros for everyone to use.
    require_tickets(user, "change")


@login_required
@require_http_methods(["GET", "POST"])
def macro_list(request: HttpRequest) -> HttpResponse:
    _require_macros(request.user)
    form = MacroForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            macros.save_macro(Macro(), actor=request.user, **form.values())
        except ValidationError as exc:
            add_form_errors(form, exc)
        else:
            messages.success(request, _("Macro saved."))
            return redirect("service:macro_list")
    page = Paginator(selectors.macros_for(request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = [(macro, macros.may_edit_macro(request.user, macro)) for macro in page.object_list]
    return render(
        request,
        "service/tickets/macros.html",
        {"form": form, "page": page, "rows": rows, "tokens": macros.MACRO_TOKENS},
        status=400 if form.errors else 200,
    )


def _own_macro(request: HttpRequest, pk: int) -> Macro:
    _require_macros(request.user)
    macro = get_object_or_404(selectors.macros_for(request.user), pk=pk)
    if not macros.may_edit_macro(request.user, macro):
        raise Http404
    return macro


@login_required
@require_http_methods(["GET", "POST"])
def macro_edit(request: HttpRequest, pk: int) -> HttpResponse:
    macro = _own_macro(request, pk)
    form = MacroForm(request.POST or None, instance=macro)
    if request.method == "POST" and form.is_valid():
        try:
            macros.save_macro(macro, actor=request.user, **form.values())
        except ValidationError as exc:
            add_form_errors(form, exc)
        else:
            messages.success(request, _("Macro saved."))
            return redirect("service:macro_list")
    return render(
        request,
        "service/tickets/macro_form.html",
        {"form": form, "macro": macro},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def macro_delete(request: HttpRequest, pk: int) -> HttpResponse:
    macros.delete_macro(_own_macro(request, pk), actor=request.user)
    messages.success(request, _("Macro removed."))
    return redirect("service:macro_list")


@login_required
@require_POST
def ticket_merge(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = get_ticket_for(request.user, pk, "change")
    form = TicketMergeForm(request.POST)
    if form.is_valid():
        into = (
            selectors.tickets_visible_to(request.user, "change")
            .filter(pk=form.cleaned_data["into"])
            .first()
        )
        if into is None:
            form.add_error("into", _("There is no ticket with this number that you may change."))
        else:
            try:
                target = services.merge_tickets(ticket, into=into, actor=request.user)
            except ValidationError as exc:
                add_form_errors(form, exc)
            else:
                messages.success(request, _("Ticket merged."))
                return redirect("service:ticket_detail", pk=target.pk)
    return _detail(request, ticket, merge_form=form, status=400)


@login_required
@require_POST
def ticket_split(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = get_ticket_for(request.user, pk, "change")
    form = TicketSplitForm(request.POST, messages=selectors.splittable(ticket))
    if form.is_valid():
        try:
            child = services.split_ticket(
                ticket,
                message=form.cleaned_data["message"],
                subject=form.cleaned_data["subject"],
                actor=request.user,
            )
        except ValidationError as exc:
            add_form_errors(form, exc)
        else:
            messages.success(request, _("A new ticket was opened from the message."))
            return redirect("service:ticket_detail", pk=child.pk)
    return _detail(request, ticket, split_form=form, status=400)


@login_required
@require_POST
def ticket_watch(request: HttpRequest, pk: int) -> HttpResponse:
    """Follow the ticket (or stop): anyone who may see it may watch it."""
    ticket = get_ticket_for(request.user, pk)
    if request.POST.get("action") == "unwatch":
        services.unwatch_ticket(ticket, user=request.user)
        messages.success(request, _("You no longer watch this ticket."))
    else:
        services.watch_ticket(ticket, user=request.user)
        messages.success(
            request, _("You watch this ticket: replies and status changes reach your desk.")
        )
    return redirect("service:ticket_detail", pk=ticket.pk)


@require_http_methods(["GET", "POST"])
def csat_survey(request: HttpRequest, token: str) -> HttpResponse:
    """The customer's side of the survey: no sign-in, the signed link is the key; shown in
    the customer's language."""
    try:
        ticket = csat.ticket_for_token(token)
    except ValidationError as exc:
        return render(request, "service/tickets/csat.html", {"error": exc.messages[0]}, status=404)
    language = services.customer_language(ticket.customer)
    translation.activate(language)
    request.LANGUAGE_CODE = language
    context: dict[str, Any] = {"ticket": ticket, "scores": range(1, 6)}
    if ticket.csat_answered_at is not None:
        context["done"] = True
    elif request.method == "POST":
        try:
            csat.answer_survey(
                token, score=request.POST.get("score"), comment=request.POST.get("comment", "")
            )
        except ValidationError as exc:
            context["errors"] = exc.messages
            context["comment"] = request.POST.get("comment", "")
            return render(request, "service/tickets/csat.html", context, status=400)
        context["done"] = True
    return render(request, "service/tickets/csat.html", context)
