"""Managers' screens for inbound email: mailboxes with their sync state, their settings and
routing rules, "sync now", and the list of emails that could not be parsed."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from peyvand.access.scopes import is_manager
from peyvand.channels.email.inbound.forms import MailboxForm, MailboxRuleFormSet
from peyvand.channels.email.inbound.ingest import KEPT_RAW, retry_raw
from peyvand.channels.email.inbound.models import Mailbox, RawInboundEmail
from peyvand.channels.email.inbound.services import MAILBOX_FIELDS, save_mailbox
from peyvand.desk.forms import apply_service_errors

PAGE_SIZE = 50


def _require_manager(request: HttpRequest) -> None:
    # Mailbox settings hold credentials and unparsed mail may hold anyone's data.
    if not is_manager(request.user):
        raise Http404


@login_required
@require_GET
def mailbox_list(request: HttpRequest) -> HttpResponse:
    _require_manager(request)
    mailboxes = Mailbox.objects.select_related("department").order_by("name", "pk")
    unparsed = RawInboundEmail.objects.filter(message__isnull=True).count()
    return render(
        request,
        "interactions/mailboxes/list.html",
        {"mailboxes": mailboxes, "unparsed_count": unparsed},
    )


@login_required
@require_http_methods(["GET", "POST"])
def mailbox_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    _require_manager(request)
    mailbox = get_object_or_404(Mailbox, pk=pk) if pk is not None else Mailbox()
    form = MailboxForm(request.POST or None, instance=mailbox)
    rules = MailboxRuleFormSet(request.POST or None, instance=mailbox, prefix="rules")
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid() and rules.is_valid():
            data = form.cleaned_data
            changed = [
                f.instance for f in rules.forms if f.has_changed() and f not in rules.deleted_forms
            ]
            try:
                saved = save_mailbox(
                    mailbox,
                    actor=request.user,
                    password=data["password"],
                    rules=changed,
                    deleted_rules=[f.instance for f in rules.deleted_forms],
                    **{name: data[name] for name in MAILBOX_FIELDS},
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)  # type: ignore[arg-type]
            else:
                messages.success(request, _("Mailbox saved."))
                return redirect("interactions:mailbox_edit", pk=saved.pk)
    return render(
        request,
        "interactions/mailboxes/edit.html",
        {
            "form": form,
            "rules": rules,
            "mailbox": mailbox if mailbox.pk else None,
            "webhook_url": request.build_absolute_uri(
                reverse("api:receive_email", kwargs={"key": mailbox.webhook_key})
            )
            if mailbox.pk
            else "",
        },
        status=status,
    )


@login_required
@require_POST
def mailbox_sync(request: HttpRequest, pk: int) -> HttpResponse:
    """Runs the sync on the worker: an IMAP server may take minutes to answer."""
    _require_manager(request)
    mailbox = get_object_or_404(Mailbox, pk=pk)
    if not mailbox.polls_imap:
        messages.error(request, _("This mailbox has no IMAP server to sync with."))
    else:
        from peyvand.channels.email.inbound.tasks import sync_mailbox

        transaction.on_commit(lambda: sync_mailbox.enqueue(mailbox.pk))
        messages.success(
            request, _("Sync of “%(name)s” started; refresh to see the result.") % {"name": mailbox}
        )
    return redirect("interactions:mailboxes")


@login_required
@require_GET
def unparsed_list(request: HttpRequest) -> HttpResponse:
    _require_manager(request)
    kept = (
        RawInboundEmail.objects.filter(message__isnull=True)
        .select_related("mailbox")
        .defer("raw")
        .order_by("-created_at", "-pk")
    )
    page = Paginator(kept, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "interactions/mailboxes/unparsed.html", {"page": page})


@login_required
@require_GET
def unparsed_download(request: HttpRequest, pk: int) -> HttpResponse:
    """The bytes as they arrived, as a download that no browser renders."""
    _require_manager(request)
    kept = get_object_or_404(RawInboundEmail, pk=pk)
    response = HttpResponse(bytes(kept.raw), content_type="application/octet-stream")
    response["Content-Disposition"] = f'attachment; filename="unparsed-{kept.pk}.eml"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def unparsed_retry(request: HttpRequest, pk: int) -> HttpResponse:
    _require_manager(request)
    kept = get_object_or_404(RawInboundEmail, pk=pk, message__isnull=True)
    result = retry_raw(kept)
    if result.status == KEPT_RAW:
        messages.error(request, _("The email still cannot be read; it stays in this list."))
    else:
        messages.success(request, _("The email was imported."))
    return redirect("interactions:mailbox_unparsed")
