"""SMS screens (gateways for managers, the compose box) and the providers' signed webhooks."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from peyvand.access.scopes import is_manager
from peyvand.channels.access import get_customer_for_interaction
from peyvand.channels.inbox.models import Message
from peyvand.channels.sms.forms import SmsComposeForm, SmsGatewayForm
from peyvand.channels.sms.gateway import GatewayConfig, resolve_gateway
from peyvand.channels.sms.models import SmsGateway
from peyvand.channels.sms.segments import count_segments
from peyvand.channels.sms.services import (
    apply_delivery_report,
    primary_phone,
    receive_sms,
    save_gateway,
    send_sms,
)
from peyvand.channels.sms.signing import BadSignature, verify
from peyvand.core.problems import problem

MAX_WEBHOOK_BYTES = 64 * 1024


def _require_manager(request: HttpRequest) -> None:
    if not is_manager(request.user):
        raise Http404


def _apply_errors(form: Any, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


@login_required
@require_http_methods(["GET", "POST"])
def gateways(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    _require_manager(request)
    instance = get_object_or_404(SmsGateway, pk=pk) if pk else SmsGateway()
    form = SmsGatewayForm(request.POST or None, instance=instance)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                save_gateway(form.instance, actor=request.user)
            except ValidationError as exc:
                _apply_errors(form, exc)
            except PermissionDenied:
                raise Http404 from None
            else:
                messages.success(request, _("SMS gateway saved."))
                return redirect("interactions:sms_gateways")
    return render(
        request,
        "sms/gateways.html",
        {
            "form": form,
            "editing": instance if instance.pk else None,
            "gateways": SmsGateway.objects.all(),
            "default_config": resolve_gateway("default"),
            "hook_base": request.build_absolute_uri("/interactions/sms/hooks/"),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def compose(request: HttpRequest, customer_pk: int) -> HttpResponse:
    customer = get_customer_for_interaction(request.user, customer_pk, "add")
    form = SmsComposeForm(request.POST or None, initial={"to": primary_phone(customer)})
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                message = send_sms(customer, actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                _apply_errors(form, exc)
            else:
                if message.status == "suppressed":
                    messages.warning(request, message.last_error)
                else:
                    messages.success(request, _("SMS queued for sending."))
                return redirect("customers:detail", customer.pk)
    body = form.data.get("body", "") if form.is_bound else ""
    recent = Message.objects.filter(
        conversation__customer=customer, conversation__sensitive=False, channel="sms"
    ).order_by("-created_at", "-pk")[:10]
    return render(
        request,
        "sms/compose.html",
        {
            "customer": customer,
            "form": form,
            "segments": count_segments(body),
            "recent": recent,
            "max_segments": settings.PEYVAND_SMS_MAX_SEGMENTS,
        },
        status=status,
    )


# --- webhooks ------------------------------------------------------------------


def _payload(request: HttpRequest) -> dict[str, Any]:
    if request.content_type == "application/json":
        data = json.loads(request.body or b"{}")
        if not isinstance(data, dict):
            raise ValueError("not an object")
        return data
    return {key: request.POST.get(key, "") for key in request.POST}


def _first(data: dict[str, Any], *names: str) -> str:
    for name in names:
        value = data.get(name)
        if value not in (None, ""):
            return str(value)
    return ""


def _verified(request: HttpRequest, key: str) -> tuple[GatewayConfig | None, HttpResponse | None]:
    if len(request.body) > MAX_WEBHOOK_BYTES:
        return None, problem(request, 413, _("The request is too large."))
    config = resolve_gateway(key)
    if config is None:
        return None, problem(request, 404, _("No such SMS gateway."))
    try:
        verify(request, config.webhook_secret)
    except BadSignature as exc:
        return None, problem(request, 401, _("Bad signature."), detail=str(exc))
    return config, None


def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = [
        {"field": field, "message": message}
        for field, messages_ in exc.message_dict.items()
        for message in messages_
    ]
    return problem(request, 422, _("The request is not valid."), errors=errors)


@csrf_exempt
@require_POST
def hook_status(request: HttpRequest, key: str) -> HttpResponse:
    """A delivery report: {"id": provider id, "status": "delivered" | "failed" …}."""
    config, refusal = _verified(request, key)
    if refusal is not None:
        return refusal
    assert config is not None
    try:
        data = _payload(request)
        provider_id = _first(data, "id", "message_id", "messageId", "MessageSid")
        status = _first(data, "status", "MessageStatus", "state")
        if not provider_id or not status:
            raise ValidationError({"id": _("Give the message id and its status.")})
        message = apply_delivery_report(
            config, provider_id=provider_id, status=status, error=_first(data, "error", "reason")
        )
    except ValueError:
        return problem(request, 400, _("The body is not valid JSON."))
    except ValidationError as exc:
        return _invalid(request, exc)
    if message is None:
        return problem(request, 404, _("No message has this id."))
    return JsonResponse({"id": provider_id, "status": message.status})


@csrf_exempt
@require_POST
def hook_inbound(request: HttpRequest, key: str) -> HttpResponse:
    """An inbound SMS: {"id": provider id, "from": number, "to": number, "text": text}."""
    config, refusal = _verified(request, key)
    if refusal is not None:
        return refusal
    assert config is not None
    try:
        data = _payload(request)
        message, created = receive_sms(
            config,
            provider_id=_first(data, "id", "message_id", "messageId", "MessageSid"),
            sender=_first(data, "from", "sender", "From", "msisdn"),
            recipient=_first(data, "to", "To", "receiver"),
            text=_first(data, "text", "body", "Body", "message"),
        )
    except ValueError:
        return problem(request, 400, _("The body is not valid JSON."))
    except ValidationError as exc:
        return _invalid(request, exc)
    return JsonResponse(
        {
            "message": message.message_id,
            "created": created,
            "opt_out": bool(message.meta.get("opt_out")),
        },
        status=201 if created else 200,
    )
