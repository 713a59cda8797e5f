"""Every state change of SMS: composing, sending (the outbox sender), caps, delivery reports,
inbound messages and opt-out keywords."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from peyvand.audit.services import record
from peyvand.channels.choices import Direction, InteractionChannel
from peyvand.channels.inbox import delivery
from peyvand.channels.inbox.choices import MessagePurpose, MessageStatus
from peyvand.channels.inbox.models import Conversation, Message
from peyvand.channels.inbox.services import (
    open_conversation,
    queue_message,
    receive_message,
    secret_conversation,
)
from peyvand.channels.sms.gateway import (
    GatewayConfig,
    GatewayError,
    HttpGateway,
    resolve_gateway,
)
from peyvand.channels.sms.models import SmsGateway
from peyvand.channels.sms.segments import count_segments
from peyvand.core.text import normalize_phone, normalize_text
from peyvand.customers.choices import Channel as ConsentChannel
from peyvand.customers.choices import ConsentPurpose, ConsentStatus, ContactKind
from peyvand.customers.models import ContactPoint, Customer
from peyvand.customers.services import set_consent
from peyvand.tracking.links import tracked_text

SMS = InteractionChannel.SMS
# Statuses of an outbound SMS that reached (or is reaching) the provider: they count to caps.
_SPENT = [MessageStatus.SENT, MessageStatus.DELIVERED, MessageStatus.FAILED]


class CapReached(delivery.PermanentFailure):
    """Sending would exceed a cap against SMS pumping; the message is kept, refused."""


# --- composing -------------------------------------------------------------


def primary_phone(customer: Customer) -> str:
    point = (
        ContactPoint.objects.filter(customer=customer, kind=ContactKind.PHONE)
        .exclude(normalized="")
        .order_by("-is_primary", "pk")
        .first()
    )
    return point.normalized if point else ""


def sms_conversation(customer: Customer | None, number: str) -> Conversation:
    """The customer's latest SMS conversation (or, for an unknown number, that number's),
    opened when there is none."""
    threads = Conversation.objects.filter(channel=SMS, sensitive=False)
    threads = (
        threads.filter(customer=customer)
        if customer
        else threads.filter(customer__isnull=True, external_key=number)
    )
    found = threads.order_by("-last_message_at", "-pk").first()
    return found or open_conversation(channel=SMS, customer=customer, external_key=number)


@transaction.atomic
def send_sms(
    customer: Customer,
    *,
    actor: Any,
    body: str,
    to: str = "",
    purpose: str = MessagePurpose.SERVICE,
    gateway: SmsGateway | None = None,
    secret: bool = False,
) -> Message:
    """Queue an SMS to the customer (to `to`, else their primary phone). The segment count
    is stored in the message's meta; consent and caps are checked by the outbox. A `secret`
    (a sign-in code) goes on the customer's hidden thread (see `queue_message`)."""
    errors: dict[str, list[str]] = {}
    number = normalize_phone(to) if to.strip() else primary_phone(customer)
    if not number:
        errors["to"] = [
            _("Enter a valid mobile number.")
            if to.strip()
            else _("This customer has no phone number.")
        ]
    body = body.strip()
    segments = count_segments(body)
    if not body:
        errors["body"] = [_("Write the message first.")]
    elif segments.segments > settings.PEYVAND_SMS_MAX_SEGMENTS:
        errors["body"] = [
            _("The message needs %(count)d parts; at most %(limit)d are allowed.")
            % {"count": segments.segments, "limit": settings.PEYVAND_SMS_MAX_SEGMENTS}
        ]
    config = resolve_gateway(gateway.pk if gateway else None)
    if config is None:
        errors["gateway"] = [_("No SMS gateway is configured.")]
    if errors:
        raise ValidationError(errors)
    assert config is not None
    meta = {"sms": segments.as_meta(), "gateway": config.key}
    conversation = (
        secret_conversation(customer, channel=SMS) if secret else sms_conversation(customer, number)
    )
    return queue_message(
        conversation,
        actor=actor,
        body=body,
        recipient=number,
        purpose=purpose,
        channel=SMS,
        sender=config.sender_id,
        meta=meta,
    )


# --- sending -----------------------------------------------------------------


def _spent_since(since: dt.datetime, message: Message) -> Any:
    sent = Q(status__in=_SPENT, sent_at__gte=since)
    in_flight = Q(status=MessageStatus.SENDING)
    return (
        Message.objects.filter(channel=SMS, direction=Direction.OUTBOUND)
        .filter(sent | in_flight)
        .exclude(pk=message.pk)
    )


def check_caps(message: Message, number: str) -> None:
    """Refuse a send that would exceed the per-number or the overall hourly cap: a form
    abused to pump SMS to premium numbers costs at most that much."""
    since = timezone.now() - dt.timedelta(hours=1)
    per_number = settings.PEYVAND_SMS_MAX_PER_NUMBER_PER_HOUR
    per_hour = settings.PEYVAND_SMS_MAX_PER_HOUR
    spent = _spent_since(since, message)
    if per_number and spent.filter(recipient=number).count() >= per_number:
        raise CapReached(
            _("Refused: %(limit)d SMS to %(number)s in the past hour is the limit per number.")
            % {"limit": per_number, "number": number}
        )
    if per_hour and spent.count() >= per_hour:
        raise CapReached(
            _("Refused: %(limit)d SMS in the past hour is the overall limit.") % {"limit": per_hour}
        )


def gateway_for(config: GatewayConfig) -> HttpGateway:
    return HttpGateway(config)


def sms_sender(message: Message, handed_over: Callable[[], None]) -> str:
    """The outbox sender of channel "sms" (see `peyvand.channels.inbox.delivery`)."""
    config = resolve_gateway(message.meta.get("gateway"))
    if config is None:
        raise delivery.PermanentFailure(_("No active SMS gateway for this message."))
    number = normalize_phone(message.recipient)
    if not number:
        raise delivery.PermanentFailure(
            _("Not a valid mobile number: %(number)s") % {"number": message.recipient}
        )
    try:
        check_caps(message, number)
    except CapReached:
        Message.objects.filter(pk=message.pk).update(meta={**message.meta, "refused": "cap"})
        raise
    try:
        return gateway_for(config).send(
            to=number,
            text=tracked_text(message),
            reference=message.message_id,
            handed_over=handed_over,
        )
    except GatewayError as exc:
        if exc.permanent:
            raise delivery.PermanentFailure(str(exc)) from exc
        raise


def register() -> None:
    delivery.register_sender(SMS, sms_sender)


# --- delivery reports --------------------------------------------------------

DELIVERED_WORDS = {"delivered", "delivrd", "success", "successful", "ok", "2"}
FAILED_WORDS = {
    "failed",
    "undelivered",
    "undeliv",
    "undeliverable",
    "rejected",
    "rejectd",
    "expired",
    "error",
    "blocked",
    "4",
    "5",
}


def apply_delivery_report(
    config: GatewayConfig, *, provider_id: str, status: str, error: str = ""
) -> Message | None:
    """Mark the outbound SMS with this provider id delivered or failed; None when no such
    message exists. A report for a state already recorded changes nothing; "delivered" is
    final (a late "failed" does not undo it)."""
    word = status.strip().lower()
    if word in DELIVERED_WORDS:
        new_status = MessageStatus.DELIVERED
    elif word in FAILED_WORDS:
        new_status = MessageStatus.FAILED
    else:
        raise ValidationError({"status": _("Unknown delivery status: %(s)s") % {"s": status[:40]}})
    with transaction.atomic():
        message = (
            Message.objects.select_for_update()
            .filter(channel=SMS, direction=Direction.OUTBOUND, provider_id=provider_id)
            .exclude(provider_id="")
            .filter(Q(meta__gateway=config.key) | ~Q(meta__has_key="gateway"))
            .first()
        )
        if message is None:
            return None
        if message.status in (new_status, MessageStatus.DELIVERED):
            return message
        message.status = new_status
        # A failure reported by the carrier is not retried by the outbox: the text may well
        # have been charged; staff resend it deliberately.
        message.next_attempt_at = None
        if new_status == MessageStatus.FAILED:
            message.last_error = (_("The provider reports: %(status)s") % {"status": status})[
                :200
            ] + (f" — {error[:500]}" if error else "")
        message.meta = {
            **message.meta,
            "report": {"status": status[:40], "at": timezone.now().isoformat()},
        }
        message.save(
            update_fields=["status", "next_attempt_at", "last_error", "meta", "updated_at"]
        )
    return message


# --- inbound -----------------------------------------------------------------

_PUNCTUATION = re.compile(r"[^\w\s]", re.UNICODE)


def _keywords() -> set[str]:
    return {normalize_text(word).replace(" ", "") for word in settings.PEYVAND_SMS_OPT_OUT_KEYWORDS}


def opt_out_keyword(text: str) -> str:
    """The opt-out keyword the message consists of ("" when it is not an opt-out): the whole
    text, or its first word in a text of at most two words, after Persian/Arabic letter and
    digit normalisation, case folding and without punctuation."""
    key = _PUNCTUATION.sub(" ", normalize_text(text)).split()
    if not key:
        return ""
    keywords = _keywords()
    candidates = ["".join(key)] + ([key[0]] if len(key) <= 2 else [])
    for candidate in candidates:
        if candidate in keywords:
            return candidate
    return ""


def customer_for_number(number: str) -> Customer | None:
    point = (
        ContactPoint.objects.filter(
            kind=ContactKind.PHONE, normalized=number, customer__deleted_at__isnull=True
        )
        .select_related("customer")
        .order_by("-is_primary", "pk")
        .first()
    )
    return point.customer if point else None


def receive_sms(
    config: GatewayConfig,
    *,
    provider_id: str,
    sender: str,
    text: str,
    recipient: str = "",
    received_at: dt.datetime | None = None,
) -> tuple[Message, bool]:
    """Store an inbound SMS on the sender's SMS conversation (matched by the E.164 phone
    contact point); an opt-out keyword withdraws the customer's marketing consent on SMS."""
    number = normalize_phone(sender)
    if not number:
        raise ValidationError({"from": _("The sender is not a valid phone number.")})
    if not provider_id.strip():
        raise ValidationError({"id": _("The message has no id.")})
    message_id = f"sms.{config.key}.{provider_id.strip()}"[:255]
    keyword = opt_out_keyword(text)
    with transaction.atomic():
        customer = customer_for_number(number)
        conversation = sms_conversation(customer, number)
        meta: dict[str, Any] = {"sms": count_segments(text).as_meta(), "gateway": config.key}
        if keyword:
            meta["opt_out"] = keyword
        message, created = receive_message(
            conversation,
            message_id=message_id,
            body=text,
            sender=number,
            recipient=recipient,
            occurred_at=received_at,
            meta=meta,
            channel=SMS,
        )
        if created and keyword and customer is not None:
            set_consent(
                customer,
                actor=None,
                channel=ConsentChannel.SMS,
                purpose=ConsentPurpose.MARKETING,
                status=ConsentStatus.WITHDRAWN,
                source=(
                    _("SMS keyword %(word)s from %(number)s") % {"word": keyword, "number": number}
                )[:120],
            )
    return message, created


# --- gateways (managers' screen) ---------------------------------------------


@transaction.atomic
def save_gateway(gateway: SmsGateway, *, actor: Any) -> SmsGateway:
    """Create or change a gateway, audited; at most one is the default."""
    from django.core.exceptions import PermissionDenied

    from peyvand.access.scopes import is_manager

    if not is_manager(actor):
        raise PermissionDenied(_("Only a manager may configure SMS gateways."))
    with record(gateway, actor=actor, stored=gateway.pk is not None):
        gateway.full_clean()
        gateway.save()
    if gateway.is_default:
        SmsGateway.objects.exclude(pk=gateway.pk).filter(is_default=True).update(is_default=False)
    return gateway
