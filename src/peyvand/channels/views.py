"""Views of the channels app: parse, authorise through access helpers, call services, render."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from peyvand.channels.access import (
    get_attachment_for,
    get_customer_for_interaction,
    get_interaction_for,
    may_touch_interactions_of,
)
from peyvand.channels.downloads import attachment_response
from peyvand.channels.forms import InteractionForm
from peyvand.channels.models import InteractionAttachment
from peyvand.channels.services import log_interaction
from peyvand.desk.forms import apply_service_errors


def _form_context(form: InteractionForm, customer: Any, **extra: Any) -> dict[str, Any]:
    return {"form": form, "customer": customer, **extra}


@login_required
@require_http_methods(["GET", "POST"])
def interaction_new(request: HttpRequest) -> HttpResponse:
    """The "log an interaction" form for one customer: a fragment under HTMX (embedded on
    the customer page), a page of its own otherwise."""
    customer = get_customer_for_interaction(
        request.user, request.GET.get("customer") or request.POST.get("customer"), "add"
    )
    template = (
        "interactions/partials/form.html"
        if request.htmx  # type: ignore[attr-defined]
        else "interactions/new.html"
    )
    if request.method == "GET":
        return render(request, template, _form_context(InteractionForm(), customer))
    form = InteractionForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        minutes = data["duration_minutes"]
        try:
            interaction = log_interaction(
                actor=request.user,
                customer=customer,
                channel=data["channel"],
                direction=data["direction"],
                subject=data["subject"],
                body=data["body"],
                occurred_at=data["occurred_at"],
                duration_seconds=minutes * 60 if minutes is not None else None,
                attachments=data["attachments"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            if not request.htmx:  # type: ignore[attr-defined]
                return redirect("interactions:detail", pk=interaction.pk)
            response = render(
                request,
                template,
                _form_context(InteractionForm(), customer, created=interaction),
            )
            # The customer page listens for this to refresh its timeline.
            response["HX-Trigger"] = "interactionLogged"
            return response
    return render(request, template, _form_context(form, customer))


@login_required
@require_GET
def interaction_detail(request: HttpRequest, pk: int) -> HttpResponse:
    interaction = get_interaction_for(request.user, pk)
    return render(
        request,
        "interactions/detail.html",
        {
            "interaction": interaction,
            "attachments": interaction.attachments.order_by("pk"),
            "can_change": may_touch_interactions_of(request.user, interaction.customer, "change"),
        },
    )


@login_required
@require_GET
def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    """Always a download, never rendered by the browser: what a customer sent us may be
    hostile, and our origin must not serve it as a page."""
    return serve_attachment(get_attachment_for(request.user, pk))


def serve_attachment(attachment: InteractionAttachment) -> FileResponse:
    """The download response for an attachment the caller was allowed to fetch (staff
    here, the customer's own on the portal)."""
    return attachment_response(
        attachment.file, filename=attachment.filename, content_type=attachment.content_type
    )
