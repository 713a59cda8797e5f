"""Web chat: visitors' messages, agents' live replies, identification and the offline path.

A visitor is a random id the widget keeps in the browser; their conversation is found by
`external_key` ("chat:<widget key>:<visitor id>"). Messages are idempotent per the id the
widget gives each one, so a resend after a dropped socket is stored once.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from peyvand.audit.services import record
from peyvand.channels.chat.models import ChatWidget
from peyvand.channels.chat.realtime import broadcast_message
from peyvand.channels.choices import InteractionChannel
from peyvand.channels.inbox import services as inbox
from peyvand.channels.inbox.choices import ConversationStatus
from peyvand.channels.inbox.models import Conversation, Message
from peyvand.customers.choices import ContactKind
from peyvand.customers.models import ContactPoint, Customer
from peyvand.customers.services import create_customer, normalize_contact
from peyvand.tracking.services import normalise_origin

IDENTIFY_SALT = "peyvand.chat.identify"
# Shorter than a whole email: a chat line is typed, not pasted from a document.
MAX_CHAT_CHARS = 4000
VISITOR_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def origin_allowed(widget: ChatWidget, origin: str, *, own_host: str) -> bool:
    """Browsers may open the chat from the widget's allowed origins and the CRM's own pages
    (the test page). No Origin header means no browser page (a script): allowed, like the
    tracking collector, since the widget key is public anyway."""
    if not origin:
        return True
    try:
        normalised = normalise_origin(origin)
    except Exception:
        return False
    return normalised in widget.allowed_origins or urlsplit(normalised).netloc == own_host


@transaction.atomic
def save_widget(widget: ChatWidget, *, origins: list[str], actor: Any) -> ChatWidget:
    cleaned = sorted({normalise_origin(origin) for origin in origins if origin.strip()})
    with record(widget, actor=actor):
        widget.allowed_origins = cleaned
        if widget.created_by_id is None and getattr(actor, "is_authenticated", False):
            widget.created_by = actor
        widget.full_clean()
        widget.save()
    return widget


def external_key(widget: ChatWidget, visitor_id: str) -> str:
    return f"chat:{widget.key}:{visitor_id}"


def check_visitor_id(visitor_id: str) -> str:
    if not VISITOR_ID.match(visitor_id or ""):
        raise ValidationError(_("The chat session is not valid; reload the page."))
    return visitor_id


def find_conversation(widget: ChatWidget, visitor_id: str) -> Conversation | None:
    """The visitor's latest conversation on this widget (closed ones start afresh)."""
    return (
        Conversation.objects.filter(external_key=external_key(widget, visitor_id))
        .exclude(status=ConversationStatus.CLOSED)
        .order_by("-pk")
        .first()
    )


def _clean_text(body: Any) -> str:
    text = str(body or "").strip()
    if not text:
        raise ValidationError(_("Write a message first."))
    if len(text) > MAX_CHAT_CHARS:
        raise ValidationError(
            _("The message is too long (%(length)d characters; at most %(limit)d).")
            % {"length": len(text), "limit": MAX_CHAT_CHARS}
        )
    return text


def store_visitor_line(
    widget: ChatWidget, visitor_id: str, *, body: Any, client_id: str, page: str = ""
) -> tuple[Message, bool]:
    """Store a visitor's line (opening their conversation on the first one); returns
    (message, created), committed unless the caller holds a transaction. The same
    `client_id` again returns the stored message. Tells no socket: the chat consumer
    announces the line itself once this returns, off the database thread."""
    check_visitor_id(visitor_id)
    if not CLIENT_ID.match(client_id or ""):
        raise ValidationError(_("The message has no valid id."))
    text = _clean_text(body)
    with transaction.atomic():
        conversation = find_conversation(widget, visitor_id)
        if conversation is None:
            conversation = inbox.open_conversation(
                channel=InteractionChannel.CHAT,
                subject=widget.name,
                department=widget.department,
                external_key=external_key(widget, visitor_id),
            )
        return inbox.receive_message(
            conversation,
            message_id=f"{external_key(widget, visitor_id)}:{client_id}",
            body=text,
            sender=_visitor_label(conversation),
            channel=InteractionChannel.CHAT,
            meta={"client": client_id, "page": page[:500]},
        )


@transaction.atomic
def visitor_says(
    widget: ChatWidget, visitor_id: str, *, body: Any, client_id: str, page: str = ""
) -> tuple[Message, bool]:
    """`store_visitor_line`, and the agents and the visitor's sockets are told after
    commit (the offline path and any caller outside the chat consumer)."""
    message, created = store_visitor_line(
        widget, visitor_id, body=body, client_id=client_id, page=page
    )
    if created:
        transaction.on_commit(lambda: broadcast_message(message))
    return message, created


def _visitor_label(conversation: Conversation) -> str:
    if conversation.customer_id is not None and conversation.customer is not None:
        return conversation.customer.display_name
    return "visitor"


def send_reply(conversation: Conversation, *, actor: Any, body: str) -> Message:
    """An agent's answer in a chat: stored as sent and pushed to the visitor's socket."""
    if conversation.channel != InteractionChannel.CHAT:
        raise ValidationError(_("This conversation is not a chat."))
    with transaction.atomic():
        message = inbox.store_sent_message(
            conversation,
            actor=actor,
            body=body,
            sender=actor.get_full_name() or actor.get_username(),
        )
        transaction.on_commit(lambda: broadcast_message(message))
    return message


def history(conversation: Conversation | None, *, limit: int = 100) -> list[Message]:
    """What the visitor sees again after a reload: their lines and the agents' answers."""
    if conversation is None:
        return []
    rows = (
        conversation.messages.exclude(status__in=["note", "suppressed"])
        .select_related("author")
        .order_by("-created_at", "-pk")[:limit]
    )
    return list(reversed(rows))


# --- identification ---------------------------------------------------------------------


def issue_identify_token(widget: ChatWidget, customer: Customer) -> str:
    """What a page that knows its visitor (a signed-in portal page) puts in the widget's
    data-identity attribute; good for this widget only."""
    return signing.dumps({"w": widget.key, "c": customer.pk}, salt=IDENTIFY_SALT)


def customer_of_token(widget: ChatWidget, token: str) -> Customer:
    try:
        claim = signing.loads(
            token, salt=IDENTIFY_SALT, max_age=settings.PEYVAND_TRACKING_TOKEN_AGE
        )
    except signing.BadSignature as exc:
        raise ValidationError(_("The identify token is not valid.")) from exc
    if not isinstance(claim, dict) or claim.get("w") != widget.key:
        raise ValidationError(_("The identify token is not valid."))
    customer = Customer.objects.alive().filter(pk=claim.get("c")).first()
    if customer is None:
        raise ValidationError(_("The identify token is not valid."))
    return customer


def customer_for_email(widget: ChatWidget, email: str, *, language: str = "fa") -> Customer:
    """The customer with this address, or a new one: a visitor who leaves an email becomes
    a customer. ValidationError for an address that is not one."""
    try:
        _value, normalized = normalize_contact(ContactKind.EMAIL, email)
    except ValidationError as exc:
        raise ValidationError(_("Enter a valid email address.")) from exc
    point = (
        ContactPoint.objects.filter(
            kind=ContactKind.EMAIL, normalized=normalized, customer__deleted_at__isnull=True
        )
        .select_related("customer")
        .order_by("customer_id")
        .first()
    )
    if point is not None:
        return point.customer
    return create_customer(
        actor=None,
        display_name=normalized,
        preferred_language=language if language in ("en", "fa") else "fa",
        preferred_channel=ContactKind.EMAIL,
        department=widget.department,
        contact_points=[{"kind": ContactKind.EMAIL, "value": normalized, "is_primary": True}],
    )


@transaction.atomic
def identify(conversation: Conversation, customer: Customer, *, how: str) -> Conversation:
    """Attach the visitor's conversation to a customer (its transcript goes onto their
    timeline) and say in a note how the visitor was recognised."""
    linked = inbox.link_customer(conversation, customer=customer, actor=None)
    if how == "email":
        inbox.add_note(
            linked,
            actor=None,
            body=_("The visitor gave this email address; it has not been verified."),
        )
    return linked


@transaction.atomic
def continue_by_email(
    widget: ChatWidget, visitor_id: str, *, email: str, body: Any, client_id: str, language: str
) -> Conversation:
    """Nobody is there to answer: keep the visitor's message, make them a customer by their
    address, and turn the conversation into an email thread answered from the inbox."""
    customer = customer_for_email(widget, email, language=language)
    message, _created = visitor_says(widget, visitor_id, body=body, client_id=client_id)
    conversation = Conversation.objects.select_related("customer").get(pk=message.conversation_id)
    if conversation.customer_id is None:
        conversation = identify(conversation, customer, how="email")
    elif conversation.customer_id != customer.pk:
        raise ValidationError(_("This conversation already belongs to another customer."))
    with record(conversation, actor=None, customer_id=conversation.customer_id):
        conversation.channel = InteractionChannel.EMAIL
        conversation.save(update_fields=["channel", "updated_at"])
    return conversation


def contact_address(conversation: Conversation) -> str:
    """Where an email or SMS reply goes: the customer's primary address for the channel."""
    if conversation.customer_id is None:
        return ""
    kind = ContactKind.PHONE if conversation.channel in ("sms", "phone") else ContactKind.EMAIL
    point = (
        ContactPoint.objects.filter(customer_id=conversation.customer_id, kind=kind)
        .order_by("-is_primary", "pk")
        .values_list("value", flat=True)
        .first()
    )
    return point or ""
