"""Calls: logged by an agent (the call log form) or reported by the PBX (ringing → screen pop
on the agents' screens; ended → an interaction on the customer's timeline, once per call id)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from peyvand.access.models import User
from peyvand.channels.choices import Direction, InteractionChannel
from peyvand.channels.models import Interaction
from peyvand.channels.services import log_interaction
from peyvand.channels.sms.gateway import GatewayConfig, GatewayError, HttpGateway
from peyvand.channels.sms.services import customer_for_number
from peyvand.channels.sms.signing import signed_headers
from peyvand.channels.voice.choices import CallOutcome, CallState
from peyvand.channels.voice.models import Call
from peyvand.core.text import normalize_phone
from peyvand.customers.models import Customer

AGENTS_GROUP = "voice.agents"
MAX_DURATION_SECONDS = 24 * 3600


def user_group(user_id: int) -> str:
    return f"voice.user.{user_id}"


def call_subject(outcome: str, direction: str) -> str:
    label = CallOutcome(outcome).label if outcome in CallOutcome.values else outcome
    if direction == Direction.OUTBOUND:
        return _("Outgoing call: %(outcome)s") % {"outcome": label}
    return _("Incoming call: %(outcome)s") % {"outcome": label}


def log_call(
    customer: Customer,
    *,
    actor: Any,
    direction: str,
    outcome: str,
    duration_seconds: int | None,
    notes: str = "",
    occurred_at: dt.datetime | None = None,
) -> Interaction:
    """A call the agent logs by hand: an interaction of channel phone with its outcome."""
    errors: dict[str, list[str]] = {}
    if outcome not in CallOutcome.values:
        errors["outcome"] = [_("Choose how the call went.")]
    if direction not in (Direction.INBOUND, Direction.OUTBOUND):
        errors["direction"] = [_("Choose incoming or outgoing.")]
    if duration_seconds is not None and not 0 <= duration_seconds <= MAX_DURATION_SECONDS:
        errors["duration"] = [_("A call lasts between 0 seconds and 24 hours.")]
    if errors:
        raise ValidationError(errors)
    return log_interaction(
        actor=actor,
        customer=customer,
        channel=InteractionChannel.PHONE,
        direction=direction,
        subject=call_subject(outcome, direction),
        body=notes,
        occurred_at=occurred_at,
        duration_seconds=duration_seconds,
    )


# --- the PBX's events ---------------------------------------------------------

EVENTS = ("ringing", "answered", "ended")


def _agent(payload: dict[str, Any]) -> User | None:
    name = str(payload.get("agent") or "").strip()
    if not name:
        return None
    return User.objects.filter(username=name, is_active=True).first()


def pop_payload(call: Call) -> dict[str, Any]:
    return {
        "type": "voice.pop",
        "call_id": call.call_id,
        "number": call.caller,
        "customer_id": call.customer_id,
        "agent_id": call.agent_id,
    }


def announce(call: Call) -> None:
    """Send the screen pop to the agent the call rings for, or to every agent; each agent's
    socket shows the customer only if that agent may see them."""
    layer = get_channel_layer()
    if layer is None:
        return
    group = user_group(call.agent_id) if call.agent_id else AGENTS_GROUP
    async_to_sync(layer.group_send)(group, pop_payload(call))


def handle_call_event(payload: dict[str, Any]) -> Call:
    """Apply one PBX event. Idempotent per call id: a repeated event changes nothing more."""
    event = str(payload.get("event") or "").strip().lower()
    call_id = str(payload.get("call_id") or "").strip()[:128]
    errors: dict[str, list[str]] = {}
    if event not in EVENTS:
        errors["event"] = [_("Unknown call event.")]
    if not call_id:
        errors["call_id"] = [_("The event has no call id.")]
    direction = str(payload.get("direction") or Direction.INBOUND)
    if direction not in (Direction.INBOUND, Direction.OUTBOUND):
        errors["direction"] = [_("Choose incoming or outgoing.")]
    if errors:
        raise ValidationError(errors)
    caller = normalize_phone(str(payload.get("from") or "")) or str(payload.get("from") or "")
    callee = normalize_phone(str(payload.get("to") or "")) or str(payload.get("to") or "")
    customer_number = caller if direction == Direction.INBOUND else callee
    with transaction.atomic():
        call = Call.objects.select_for_update().filter(call_id=call_id).first()
        created = call is None
        if call is None:
            call = Call(
                call_id=call_id,
                direction=direction,
                caller=caller[:32],
                callee=callee[:32],
                customer=customer_for_number(customer_number) if customer_number else None,
                agent=_agent(payload),
                started_at=timezone.now(),
            )
            try:
                with transaction.atomic():
                    call.save()
            except IntegrityError:
                call = Call.objects.select_for_update().get(call_id=call_id)
                created = False
        if call.agent_id is None:
            call.agent = _agent(payload)
        if event == "answered" and call.state == CallState.RINGING:
            call.state = CallState.ANSWERED
        if event == "ended" and call.state != CallState.ENDED:
            _end(call, payload)
        call.save()
    if event == "ringing" and created:
        transaction.on_commit(lambda: announce(call))
    return call


def _end(call: Call, payload: dict[str, Any]) -> None:
    outcome = str(payload.get("outcome") or "")
    if outcome not in CallOutcome.values:
        outcome = (
            CallOutcome.ANSWERED if call.state == CallState.ANSWERED else CallOutcome.NO_ANSWER
        )
    try:
        duration = max(0, min(int(payload.get("duration") or 0), MAX_DURATION_SECONDS))
    except (TypeError, ValueError):
        duration = 0
    call.state, call.outcome, call.duration_seconds = CallState.ENDED, outcome, duration
    call.ended_at = timezone.now()
    if call.customer_id is not None:
        call.interaction = Interaction.objects.create(
            customer_id=call.customer_id,
            channel=InteractionChannel.PHONE,
            direction=call.direction,
            agent=call.agent,
            occurred_at=call.started_at or call.ended_at,
            subject=call_subject(outcome, call.direction),
            body=_("Number: %(number)s")
            % {"number": call.caller if call.direction == Direction.INBOUND else call.callee},
            duration_seconds=duration,
            external_id=f"call:{call.call_id}"[:255],
        )


# --- click-to-call ------------------------------------------------------------


def click_to_call(*, actor: Any, number: str) -> None:
    """Ask the PBX to ring the agent's phone and then dial `number`."""
    url = settings.PEYVAND_VOICE_CLICK_TO_CALL_URL
    if not url:
        raise ValidationError(_("Calling through the PBX is not configured."))
    e164 = normalize_phone(number)
    if not e164:
        raise ValidationError({"number": _("Enter a valid phone number.")})
    body = json.dumps(
        {"agent": actor.username, "extension": getattr(actor, "phone", ""), "number": e164}
    )
    secret = settings.PEYVAND_VOICE_WEBHOOK_SECRET
    headers = {"Content-Type": "application/json"}
    if secret:
        headers.update(signed_headers(secret, body.encode()))
    try:
        HttpGateway(GatewayConfig(key="pbx", name="pbx", url=url)).post_raw(body.encode(), headers)
    except (OSError, GatewayError, ValidationError) as exc:
        raise ValidationError(
            _("The PBX did not take the call: %(error)s") % {"error": exc}
        ) from exc
