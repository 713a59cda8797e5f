"""The unified inbox: every channel's open conversations in one list, one conversation with
its messages, reply box, notes, status, assignment, canned responses and the customer's 360
panel; the dead-letter list; the chat widgets.

Views parse, authorise and call services; live updates come over ws/inbox/ (see
`peyvand.channels.chat.consumers.AgentConsumer`)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from peyvand.access.choices import ObjectType
from peyvand.access.models import Department
from peyvand.access.scopes import can, department_ids, is_manager
from peyvand.channels.access import get_customer_for_interaction
from peyvand.channels.chat import services as chat
from peyvand.channels.chat.models import ChatWidget
from peyvand.channels.choices import InteractionChannel
from peyvand.channels.email.forms import ComposeEmailForm
from peyvand.channels.email.services import send_email
from peyvand.channels.inbox import delivery, selectors, services
from peyvand.channels.inbox.access import get_conversation_for
from peyvand.channels.inbox.choices import MessageStatus
from peyvand.channels.inbox.forms import (
    AssignForm,
    CannedResponseForm,
    ChatWidgetForm,
    InboxFilterForm,
    NoteForm,
    ReplyForm,
    StatusForm,
)
from peyvand.channels.inbox.models import Conversation, Message
from peyvand.core.problems import ServiceError
from peyvand.customers.models import Customer
from peyvand.customers.selectors import customer_360
from peyvand.desk.forms import apply_service_errors
from peyvand.service.models import Macro
from peyvand.service.tickets import macros
from peyvand.service.tickets.selectors import text_macros_for

PAGE_SIZE = 25


def _require_manager(request: HttpRequest) -> None:
    if not is_manager(request.user):
        raise Http404


def _errors(request: HttpRequest, exc: ValidationError | ServiceError) -> None:
    if isinstance(exc, ServiceError):
        messages.error(request, exc.message)
    else:
        messages.error(request, " ".join(exc.messages))


def _form_errors(request: HttpRequest, form: Any) -> None:
    for errors in form.errors.values():
        messages.error(request, " ".join(str(error) for error in errors))


def _departments_for(user: Any) -> Any:
    qs = Department.objects.filter(is_active=True)
    return qs if is_manager(user) else qs.filter(pk__in=department_ids(user))


@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    user = request.user
    filters = InboxFilterForm(request.GET or None, departments=_departments_for(user))
    data = filters.cleaned_data if filters.is_valid() else {}
    conversations = selectors.inbox_list(
        user,
        status=data.get("status", ""),
        channel=data.get("channel", ""),
        department=data.get("department"),
        who=data.get("who", ""),
    )
    page = Paginator(conversations, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    fragment = request.htmx  # type: ignore[attr-defined]
    template = "channels/inbox/partials/list_rows.html" if fragment else "channels/inbox/list.html"
    return render(
        request,
        template,
        {"filters": filters, "page": page, "query": query.urlencode()},
    )


def _canned_for(user: Any, conversation: Conversation) -> list[tuple[Macro, str]]:
    """The text-only macros (canned responses) with their placeholders filled for this
    conversation's customer."""
    return [
        (macro, macros.fill_macro(macro, customer=conversation.customer, actor=user))
        for macro in text_macros_for(user)
    ]


def _panel(user: Any, conversation: Conversation) -> dict[str, Any] | None:
    """The 360 panel, only for a customer the user may see on their own."""
    if conversation.customer_id is None:
        return None
    customer = Customer.objects.visible_to(user).alive().filter(pk=conversation.customer_id).first()
    if customer is None:
        return None
    return customer_360(customer, user=user)


@login_required
@require_GET
def conversation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    conversation = get_conversation_for(user, pk)
    may_act = can(user, ObjectType.INTERACTION, "add")
    return render(
        request,
        "channels/inbox/detail.html",
        {
            "conversation": conversation,
            "thread": selectors.thread(conversation),
            "reply_form": ReplyForm(),
            "note_form": NoteForm(),
            "status_form": StatusForm(
                initial={
                    "status": conversation.status,
                    "snoozed_until": conversation.snoozed_until,
                }
            ),
            "assign_form": AssignForm(initial={"assignee": conversation.assignee_id}),
            "canned": _canned_for(user, conversation),
            "panel": _panel(user, conversation),
            "may_act": may_act,
            "may_assign": can(user, ObjectType.INTERACTION, "change"),
            "recipient": ""
            if conversation.channel == InteractionChannel.CHAT
            else chat.contact_address(conversation),
        },
    )


def _message_fragment(request: HttpRequest, message: Message) -> HttpResponse:
    return render(request, "channels/inbox/partials/message.html", {"message": message})


@login_required
@require_POST
def conversation_reply(request: HttpRequest, pk: int) -> HttpResponse:
    conversation = get_conversation_for(request.user, pk, "add")
    form = ReplyForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect("interactions:inbox:detail", pk=pk)
    body = form.cleaned_data["body"]
    try:
        if conversation.channel == InteractionChannel.CHAT:
            message = chat.send_reply(conversation, actor=request.user, body=body)
        else:
            message = services.queue_message(
                conversation,
                actor=request.user,
                body=body,
                recipient=chat.contact_address(conversation),
                subject=conversation.subject,
                channel=conversation.channel,
            )
    except ValidationError as exc:
        if request.htmx:  # type: ignore[attr-defined]
            return render(
                request,
                "channels/inbox/partials/errors.html",
                {"errors": exc.messages},
                status=400,
            )
        _errors(request, exc)
        return redirect("interactions:inbox:detail", pk=pk)
    if request.htmx:  # type: ignore[attr-defined]
        return _message_fragment(request, message)
    return redirect("interactions:inbox:detail", pk=pk)


@login_required
@require_POST
def conversation_note(request: HttpRequest, pk: int) -> HttpResponse:
    conversation = get_conversation_for(request.user, pk, "add")
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            services.add_note(conversation, actor=request.user, body=form.cleaned_data["body"])
        except ValidationError as exc:
            _errors(request, exc)
    else:
        _form_errors(request, form)
    return redirect("interactions:inbox:detail", pk=pk)


@login_required
@require_POST
def conversation_status(request: HttpRequest, pk: int) -> HttpResponse:
    conversation = get_conversation_for(request.user, pk, "add")
    form = StatusForm(request.POST)
    if form.is_valid():
        try:
            services.set_status(
                conversation,
                actor=request.user,
                status=form.cleaned_data["status"],
                snoozed_until=form.cleaned_data["snoozed_until"],
            )
        except ValidationError as exc:
            _errors(request, exc)
        else:
            messages.success(request, _("Status changed."))
    else:
        _form_errors(request, form)
    return redirect("interactions:inbox:detail", pk=pk)


@login_required
@require_POST
def conversation_assign(request: HttpRequest, pk: int) -> HttpResponse:
    conversation = get_conversation_for(request.user, pk, "change")
    form = AssignForm(request.POST)
    if form.is_valid():
        services.assign(
            conversation,
            actor=request.user,
            assignee=form.cleaned_data["assignee"],
            department=form.cleaned_data["department"],
        )
        messages.success(request, _("Conversation handed over."))
        if get_conversation_visible(request.user, pk):
            return redirect("interactions:inbox:detail", pk=pk)
        return redirect("interactions:inbox:list")
    _form_errors(request, form)
    return redirect("interactions:inbox:detail", pk=pk)


@login_required
@require_http_methods(["GET", "POST"])
def compose_email(request: HttpRequest) -> HttpResponse:
    """A new email from the inbox: find the customer, pick one of their addresses, write (or
    choose a template), attach, and queue it through the outbox like every other email."""
    user = request.user
    if "customer" not in request.GET:
        q = request.GET.get("q", "").strip()
        page = None
        if q:
            found = Customer.objects.visible_to(user).alive().search(q).order_by("display_name")
            page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
        return render(request, "channels/inbox/compose.html", {"q": q, "page": page})
    customer = get_customer_for_interaction(user, request.GET["customer"], "add")
    form = ComposeEmailForm(request.POST or None, request.FILES or None, customer=customer)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                message = send_email(
                    customer,
                    actor=user,
                    template=data["template"],
                    subject=data["subject"],
                    body=data["body"],
                    identity=data["identity"],
                    attachments=data["attachments"],
                    purpose=data["purpose"],
                    to=data["to"].value,
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                if message.status == MessageStatus.SUPPRESSED:
                    messages.warning(
                        request, _("Not sent: %(reason)s") % {"reason": message.last_error}
                    )
                else:
                    messages.success(request, _("The email is queued for sending."))
                if get_conversation_visible(user, message.conversation_id):
                    return redirect("interactions:inbox:detail", pk=message.conversation_id)
                return redirect("interactions:inbox:list")
    return render(
        request,
        "channels/inbox/compose.html",
        {"customer": customer, "form": form, "submit": _("Queue the email")},
        status=status,
    )


def get_conversation_visible(user: Any, pk: int) -> bool:
    return selectors.visible_conversations(user).filter(pk=pk).exists()


@login_required
@require_http_methods(["GET", "POST"])
def canned_responses(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = CannedResponseForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if not can(user, ObjectType.INTERACTION, "add"):
            raise PermissionDenied
        status = 400
        department = form.cleaned_data.get("department") if form.is_valid() else None
        if (
            department is not None
            and not is_manager(user)
            and department.pk not in department_ids(user)
        ):
            form.add_error("department", _("Choose one of your departments."))
        if form.is_valid():
            try:
                macros.save_macro(Macro(), actor=user, **form.cleaned_data)
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(request, _("Canned response saved."))
                return redirect("interactions:inbox:canned")
    responses = [(m, macros.may_edit_macro(user, m)) for m in text_macros_for(user)]
    return render(
        request,
        "channels/inbox/canned.html",
        {"form": form, "responses": responses},
        status=status,
    )


@login_required
@require_POST
def canned_delete(request: HttpRequest, pk: int) -> HttpResponse:
    response = get_object_or_404(text_macros_for(request.user), pk=pk)
    if not macros.may_edit_macro(request.user, response):
        raise Http404
    macros.delete_macro(response, actor=request.user)
    messages.success(request, _("Canned response removed."))
    return redirect("interactions:inbox:canned")


@login_required
@require_GET
def dead_letters(request: HttpRequest) -> HttpResponse:
    _require_manager(request)
    page = Paginator(selectors.dead_letters(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "channels/inbox/dead_letters.html", {"page": page})


@login_required
@require_POST
def dead_letter_replay(request: HttpRequest, pk: int) -> HttpResponse:
    _require_manager(request)
    message = get_object_or_404(Message, pk=pk)
    try:
        delivery.replay(message, actor=request.user)
    except (PermissionDenied, ValidationError) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    else:
        messages.success(request, _("The message is queued again."))
    return redirect("interactions:inbox:dead_letters")


@login_required
@require_http_methods(["GET", "POST"])
def chat_widgets(request: HttpRequest) -> HttpResponse:
    _require_manager(request)
    form = ChatWidgetForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                chat.save_widget(
                    ChatWidget(name=data["name"], department=data["department"]),
                    origins=data["origins"].splitlines(),
                    actor=request.user,
                )
            except ServiceError as exc:
                form.add_error("origins", exc.message)
            else:
                messages.success(request, _("Chat widget saved."))
                return redirect("interactions:inbox:widgets")
    return render(
        request,
        "channels/inbox/widgets.html",
        {"form": form, "widgets": ChatWidget.objects.select_related("department")},
        status=status,
    )


@login_required
@require_GET
def chat_test_page(request: HttpRequest, pk: int) -> HttpResponse:
    """A page with nothing but the widget's script tag: try the chat as a visitor would."""
    _require_manager(request)
    widget = get_object_or_404(ChatWidget, pk=pk)
    return render(request, "channels/inbox/chat_test_page.html", {"widget": widget})
