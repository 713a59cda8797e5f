"""Every state change of conversations and messages.

Inbound messages are stored once per `message_id` (a redelivery returns the stored one);
outbound ones are queued here, in the caller's transaction, and sent after commit by
`peyvand.channels.inbox.delivery`. Each customer-bound message is also an `Interaction`, so
the timeline shows every channel in one place.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from peyvand.audit.services import record
from peyvand.channels.choices import Direction
from peyvand.channels.inbox.choices import ConversationStatus, MessagePurpose, MessageStatus
from peyvand.channels.inbox.models import Conversation, Message
from peyvand.channels.models import Interaction
from peyvand.customers.choices import ConsentPurpose, ConsentStatus
from peyvand.customers.models import Consent, Customer

MAX_BODY_CHARS = 100_000


def new_message_id(domain: str = "peyvand.local") -> str:
    """A globally unique id in RFC 5322 Message-ID form (without the angle brackets)."""
    return f"{uuid.uuid4().hex}@{domain}"


def may_send(customer: Customer | None, *, channel: str, purpose: str) -> bool:
    """Whether a message of `purpose` may go to the customer on `channel`.

    Marketing needs a consent granted on that channel; a service message goes unless the
    customer withdrew service messages on that channel.
    """
    if customer is None:
        return purpose == MessagePurpose.SERVICE
    consent = (
        Consent.objects.filter(customer=customer, channel=channel, purpose=purpose)
        .values_list("status", flat=True)
        .first()
    )
    if purpose == MessagePurpose.MARKETING or purpose == ConsentPurpose.MARKETING:
        return consent == ConsentStatus.GRANTED
    return consent != ConsentStatus.WITHDRAWN


@transaction.atomic
def open_conversation(
    *,
    channel: str,
    customer: Customer | None = None,
    subject: str = "",
    department: Any = None,
    assignee: Any = None,
    external_key: str = "",
    actor: Any = None,
) -> Conversation:
    conversation = Conversation(
        customer=customer,
        channel=channel,
        subject=subject[:255],
        department=department,
        assignee=assignee,
        external_key=external_key,
    )
    with record(conversation, actor=actor, customer_id=customer.pk if customer else None):
        conversation.save()
    return conversation


# What an audit row of a secret message keeps of it: a fingerprint, never the code.
SECRET_FIELDS = ("subject", "body", "body_html")


@transaction.atomic
def secret_conversation(customer: Customer | None, *, channel: str) -> Conversation:
    """The customer's one hidden thread on `channel` for secret messages, so sign-ins add
    no conversation of their own and nothing of them reaches a staff view. Without a
    customer: the one hidden thread of secrets to addresses not on file (a double opt-in
    confirmation to a new subscriber)."""
    found = (
        Conversation.objects.filter(customer=customer, channel=channel, sensitive=True)
        .order_by("pk")
        .first()
    )
    if found is not None:
        return found
    conversation = Conversation(customer=customer, channel=channel, sensitive=True)
    with record(conversation, actor=None, customer_id=customer.pk if customer else None):
        conversation.save()
    return conversation


def _log_on_timeline(message: Message, *, occurred_at: dt.datetime, agent: Any) -> None:
    customer_id = message.conversation.customer_id
    if customer_id is None:
        return
    message.interaction = Interaction.objects.create(
        customer_id=customer_id,
        channel=message.channel,
        direction=message.direction,
        agent=agent,
        occurred_at=occurred_at,
        subject=message.subject,
        body=message.body,
        external_id=message.message_id[:255],
    )


def _touch(conversation: Conversation, when: dt.datetime, *, reopen: bool) -> None:
    fields: dict[str, Any] = {"last_message_at": when, "updated_at": timezone.now()}
    if reopen:
        fields["status"] = ConversationStatus.OPEN
        fields["snoozed_until"] = None
    Conversation.objects.filter(pk=conversation.pk).update(**fields)
    for name, value in fields.items():
        setattr(conversation, name, value)


def _check_body(body: str) -> None:
    if len(body) > MAX_BODY_CHARS:
        raise ValidationError(
            {
                "body": _("The text is too long (%(length)d characters; at most %(limit)d).")
                % {"length": len(body), "limit": MAX_BODY_CHARS}
            }
        )


def receive_message(
    conversation: Conversation,
    *,
    message_id: str,
    body: str,
    sender: str = "",
    recipient: str = "",
    subject: str = "",
    body_html: str = "",
    in_reply_to: str = "",
    references: str = "",
    occurred_at: dt.datetime | None = None,
    meta: dict[str, Any] | None = None,
    channel: str | None = None,
) -> tuple[Message, bool]:
    """Store an inbound message; returns (message, created). A message whose `message_id`
    is already stored is not stored again, whichever conversation it was offered to.
    `body_html` must already be sanitised. Reopens a closed or snoozed conversation."""
    when = occurred_at or timezone.now()
    message = Message(
        conversation=conversation,
        channel=channel or conversation.channel,
        direction=Direction.INBOUND,
        sender=sender[:320],
        recipient=recipient[:320],
        subject=subject[:255],
        body=body[:MAX_BODY_CHARS],
        body_html=body_html,
        message_id=message_id,
        in_reply_to=in_reply_to[:255],
        references=references,
        status=MessageStatus.RECEIVED,
        meta=meta or {},
    )
    try:
        with transaction.atomic():
            _log_on_timeline(message, occurred_at=when, agent=None)
            message.save()
            _touch(conversation, when, reopen=conversation.status != ConversationStatus.OPEN)
    except IntegrityError:
        # Stored already (a redelivery, or two deliveries racing): the unique message_id
        # says so, rather than a query before every insert.
        return Message.objects.get(message_id=message_id), False
    return message, True


@transaction.atomic
def queue_message(
    conversation: Conversation,
    *,
    actor: Any,
    body: str,
    recipient: str,
    subject: str = "",
    body_html: str = "",
    purpose: str = MessagePurpose.SERVICE,
    channel: str | None = None,
    sender: str = "",
    message_id: str | None = None,
    in_reply_to: str = "",
    references: str = "",
    meta: dict[str, Any] | None = None,
) -> Message:
    """Queue an outbound message in the caller's transaction; the worker sends it after
    commit. Without consent for `purpose` on the channel it is kept as `suppressed` and never
    sent, so the record shows what was withheld and why. A message on a `secret_conversation`
    is a secret: never on the timeline, and always sent (the customer asked for it this
    minute; withheld, they could not sign in)."""
    _check_body(body)
    secret = conversation.sensitive
    channel = channel or conversation.channel
    if not recipient.strip():
        raise ValidationError({"recipient": _("Say where the message should go.")})
    allowed = secret or may_send(conversation.customer, channel=channel, purpose=purpose)
    now = timezone.now()
    author = actor if getattr(actor, "is_authenticated", False) else None
    message = Message(
        conversation=conversation,
        channel=channel,
        direction=Direction.OUTBOUND,
        purpose=purpose,
        author=author,
        sender=sender[:320],
        recipient=recipient[:320],
        subject=subject[:255],
        body=body,
        body_html=body_html,
        message_id=message_id or new_message_id(),
        in_reply_to=in_reply_to[:255],
        references=references,
        status=MessageStatus.QUEUED if allowed else MessageStatus.SUPPRESSED,
        next_attempt_at=now if allowed else None,
        last_error=""
        if allowed
        else _("The customer has not consented to this on %(channel)s.") % {"channel": channel},
        meta=meta or {},
    )
    if secret:
        message.audit_redacted_fields = SECRET_FIELDS  # type: ignore[attr-defined]
    else:
        _log_on_timeline(message, occurred_at=now, agent=author)
    customer_id = conversation.customer_id
    with record(message, actor=actor, customer_id=customer_id):
        message.save()
    _touch(conversation, now, reopen=False)
    if allowed:
        from peyvand.channels.tasks import deliver_message

        transaction.on_commit(lambda: deliver_message.enqueue(message.pk))
    return message


@transaction.atomic
def add_note(conversation: Conversation, *, actor: Any, body: str) -> Message:
    """An internal note: seen by colleagues in the inbox, never sent, not on the timeline."""
    _check_body(body)
    if not body.strip():
        raise ValidationError({"body": _("Write the note first.")})
    message = Message(
        conversation=conversation,
        channel=conversation.channel,
        direction=Direction.INTERNAL,
        author=actor,
        body=body,
        message_id=new_message_id(),
        status=MessageStatus.NOTE,
    )
    with record(message, actor=actor, customer_id=conversation.customer_id):
        message.save()
    return message


@transaction.atomic
def set_status(
    conversation: Conversation,
    *,
    actor: Any,
    status: str,
    snoozed_until: dt.datetime | None = None,
) -> Conversation:
    if status not in ConversationStatus.values:
        raise ValidationError({"status": _("Choose a status.")})
    if status == ConversationStatus.SNOOZED and (
        snoozed_until is None or snoozed_until <= timezone.now()
    ):
        raise ValidationError({"snoozed_until": _("Snooze until a time in the future.")})
    locked = Conversation.objects.select_for_update().get(pk=conversation.pk)
    with record(locked, actor=actor, customer_id=locked.customer_id):
        locked.status = status
        locked.snoozed_until = snoozed_until if status == ConversationStatus.SNOOZED else None
        locked.save(update_fields=["status", "snoozed_until", "updated_at"])
    return locked


@transaction.atomic
def assign(
    conversation: Conversation, *, actor: Any, assignee: Any = None, department: Any = None
) -> Conversation:
    """Hand the conversation to a person and/or a department (a transfer)."""
    locked = Conversation.objects.select_for_update().get(pk=conversation.pk)
    with record(locked, actor=actor, customer_id=locked.customer_id):
        locked.assignee = assignee
        if department is not None:
            locked.department = department
        locked.save(update_fields=["assignee", "department", "updated_at"])
    return locked


@transaction.atomic
def link_customer(conversation: Conversation, *, customer: Customer, actor: Any) -> Conversation:
    """Attach a conversation that started anonymously (a chat visitor) to the customer it
    turned out to be, and put its earlier messages on that customer's timeline."""
    locked = Conversation.objects.select_for_update().get(pk=conversation.pk)
    if locked.customer_id == customer.pk:
        return locked
    if locked.customer_id is not None:
        raise ValidationError(_("This conversation already belongs to another customer."))
    with record(locked, actor=actor, customer_id=customer.pk):
        locked.customer = customer
        locked.save(update_fields=["customer", "updated_at"])
    for message in locked.messages.filter(interaction__isnull=True).exclude(
        status=MessageStatus.NOTE
    ):
        _log_on_timeline(message, occurred_at=message.created_at, agent=message.author)
        message.save(update_fields=["interaction", "updated_at"])
    return locked


@transaction.atomic
def store_sent_message(
    conversation: Conversation,
    *,
    actor: Any,
    body: str,
    sender: str = "",
    recipient: str = "",
    meta: dict[str, Any] | None = None,
    delivered: bool = False,
) -> Message:
    """An outbound message that was delivered the moment it was written (a chat reply over
    an open socket): stored as sent and put on the timeline, never queued. `delivered` when
    the reader reads it where it is stored (a reply on the customer portal)."""
    _check_body(body)
    if not body.strip():
        raise ValidationError({"body": _("Write the reply first.")})
    now = timezone.now()
    author = actor if getattr(actor, "is_authenticated", False) else None
    message = Message(
        conversation=conversation,
        channel=conversation.channel,
        direction=Direction.OUTBOUND,
        author=author,
        sender=sender[:320],
        recipient=recipient[:320],
        body=body,
        message_id=new_message_id(),
        status=MessageStatus.DELIVERED if delivered else MessageStatus.SENT,
        sent_at=now,
        meta=meta or {},
    )
    _log_on_timeline(message, occurred_at=now, agent=author)
    with record(message, actor=actor, customer_id=conversation.customer_id):
        message.save()
    _touch(conversation, now, reopen=conversation.status == ConversationStatus.CLOSED)
    return message
