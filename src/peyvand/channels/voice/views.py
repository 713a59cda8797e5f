"""Phone screens (the call log form, click-to-call via the PBX) and the PBX's signed webhook."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from peyvand.channels.access import get_customer_for_interaction
from peyvand.channels.sms.signing import BadSignature, verify
from peyvand.channels.sms.views import MAX_WEBHOOK_BYTES, _apply_errors, _invalid, _payload
from peyvand.channels.voice.forms import CallLogForm, ClickToCallForm
from peyvand.channels.voice.services import click_to_call, handle_call_event, log_call
from peyvand.core.problems import problem


@login_required
@require_http_methods(["GET", "POST"])
def call_log(request: HttpRequest, customer_pk: int) -> HttpResponse:
    customer = get_customer_for_interaction(request.user, customer_pk, "add")
    form = CallLogForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                log_call(
                    customer,
                    actor=request.user,
                    direction=data["direction"],
                    outcome=data["outcome"],
                    duration_seconds=data["duration"],
                    notes=data["notes"],
                )
            except ValidationError as exc:
                _apply_errors(form, exc)
            else:
                messages.success(request, _("Call logged."))
                return redirect("customers:detail", customer.pk)
    return render(
        request, "voice/call_log.html", {"customer": customer, "form": form}, status=status
    )


@login_required
@require_POST
def call_via_pbx(request: HttpRequest) -> HttpResponse:
    form = ClickToCallForm(request.POST)
    target = request.POST.get("next", "/")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}):
        target = "/"
    if not form.is_valid():
        messages.error(request, _("Enter a valid phone number."))
        return redirect(target)
    try:
        click_to_call(actor=request.user, number=form.cleaned_data["number"])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Your phone will ring; pick it up to be connected."))
    return redirect(target)


@csrf_exempt
@require_POST
def telephony_hook(request: HttpRequest) -> HttpResponse:
    """A call event from the PBX: {"event": "ringing"|"answered"|"ended", "call_id", "from",
    "to", "agent"?, "direction"?, "duration"?, "outcome"?}, signed like the SMS webhooks."""
    if len(request.body) > MAX_WEBHOOK_BYTES:
        return problem(request, 413, _("The request is too large."))
    try:
        verify(request, settings.PEYVAND_VOICE_WEBHOOK_SECRET)
    except BadSignature as exc:
        return problem(request, 401, _("Bad signature."), detail=str(exc))
    try:
        call = handle_call_event(_payload(request))
    except ValueError:
        return problem(request, 400, _("The body is not valid JSON."))
    except ValidationError as exc:
        return _invalid(request, exc)
    return JsonResponse(
        {
            "call_id": call.call_id,
            "state": call.state,
            "customer": call.customer_id,
            "interaction": call.interaction_id,
        }
    )
