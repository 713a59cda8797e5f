"""The message outbox: claim a due message, hand it to its channel's sender, record the
outcome, retry with backoff, give up into the dead-letter list.

Exactly-once hinges on the sender calling `handed_over()` right before the step that cannot
be taken back (for SMTP: writing the final "." of DATA). That call commits the message as
sent, so a worker killed after it never sends the message again, and a worker killed before
it leaves a claim whose lease runs out, after which the message is sent again from the start.

A secret message (a sign-in code) loses its text in that same commit: the sender already
holds the bytes it is writing, and nothing of the code stays readable in the outbox. Before
the handover the text is kept, so transport errors are retried as usual.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any, Protocol

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from peyvand.access.scopes import is_manager
from peyvand.audit.services import record
from peyvand.channels.inbox.choices import MessageStatus
from peyvand.channels.inbox.models import Message
from peyvand.core.retry import MAX_ATTEMPTS, backoff

# How long a claimed message stays with its worker before another may take it over
# (PEYVAND_MESSAGE_LEASE_SECONDS overrides it).
LEASE = dt.timedelta(minutes=5)
# Messages one worker claims at once on a channel that sends in batches.
BATCH_CLAIM = 100


def lease() -> dt.timedelta:
    seconds = getattr(settings, "PEYVAND_MESSAGE_LEASE_SECONDS", None)
    return dt.timedelta(seconds=seconds) if seconds else LEASE


class PermanentFailure(Exception):
    """The message can never be delivered as it is (bad address, refused for good)."""


class Sender(Protocol):
    def __call__(self, message: Message, handed_over: Callable[[], None]) -> str:
        """Send the message; call `handed_over()` right before the irreversible step;
        return the provider's id for the message (or "")."""


SENDERS: dict[str, Sender] = {}
# Channels that send many messages over one connection: a factory of a context manager that
# opens the connection and yields a Sender bound to it, and what to prefetch for it.
SESSIONS: dict[str, tuple[Callable[[], AbstractContextManager[Sender]], tuple[str, ...]]] = {}


def register_sender(channel: str, sender: Sender) -> None:
    SENDERS[channel] = sender


def register_session(
    channel: str,
    session: Callable[[], AbstractContextManager[Sender]],
    *,
    prefetch: tuple[str, ...] = (),
) -> None:
    """Let the worker send the channel's due messages in batches over one connection."""
    SESSIONS[channel] = (session, prefetch)


@contextmanager
def _single(sender: Sender) -> Iterator[Sender]:
    yield sender


def _due(now: dt.datetime) -> Q:
    waiting = Q(status__in=[MessageStatus.QUEUED, MessageStatus.FAILED], next_attempt_at__lte=now)
    abandoned = Q(status=MessageStatus.SENDING, locked_until__lt=now)
    return waiting | abandoned


def claim(message_id: int) -> Message | None:
    """Take the message for this worker if it is due; None when it is not (already sent,
    held by another worker, not yet time)."""
    now = timezone.now()
    with transaction.atomic():
        message = (
            Message.objects.select_for_update(skip_locked=True)
            .select_related("conversation")
            .filter(_due(now), pk=message_id)
            .first()
        )
        if message is None:
            return None
        message.status, message.locked_until = MessageStatus.SENDING, now + lease()
        message.attempts += 1
        message.save(update_fields=["status", "locked_until", "attempts", "updated_at"])
    return message


def _forget_secret() -> dict[str, Any]:
    return {"subject": "", "body": "", "body_html": ""}


def mark_handed_over(message: Message) -> None:
    """Commit the message as sent (see the module docstring); idempotent. The in-memory
    message keeps its text for the sender."""
    now = timezone.now()
    forget: dict[str, Any] = {}
    if message.conversation.sensitive:
        forget = {**_forget_secret(), "meta": {**message.meta, "forgotten": True}}
    updated = Message.objects.filter(pk=message.pk, status=MessageStatus.SENDING).update(
        status=MessageStatus.SENT,
        sent_at=now,
        locked_until=None,
        last_error="",
        updated_at=now,
        **forget,
    )
    if updated and forget:
        message.meta = forget["meta"]
    message.status, message.sent_at = MessageStatus.SENT, now


def mark_failed(message: Message, error: str, *, permanent: bool = False) -> None:
    now = timezone.now()
    secret = message.conversation.sensitive
    # A secret whose text went with the handover cannot be sent again; the customer asks
    # for a new code instead.
    forgotten = secret and message.meta.get("forgotten", False)
    dead = permanent or forgotten or message.attempts >= MAX_ATTEMPTS
    message.status = MessageStatus.DEAD if dead else MessageStatus.FAILED
    message.next_attempt_at = None if dead else now + backoff(message.attempts)
    message.last_error, message.locked_until, message.sent_at = error[:2000], None, None
    fields = ["status", "next_attempt_at", "last_error", "locked_until", "sent_at", "updated_at"]
    if dead and secret:
        for name, value in _forget_secret().items():
            setattr(message, name, value)
        fields += list(_forget_secret())
    message.save(update_fields=fields)


def deliver(message_id: int) -> str:
    """Send one message if it is due; returns its status afterwards."""
    message = claim(message_id)
    if message is None:
        return Message.objects.filter(pk=message_id).values_list("status", flat=True).first() or ""
    sender = SENDERS.get(message.channel)
    if sender is None:
        mark_failed(message, f"no sender for channel {message.channel!r}", permanent=True)
        return message.status
    _send(message, sender)
    return message.status


def _send(message: Message, sender: Sender) -> None:
    try:
        provider_id = sender(message, lambda: mark_handed_over(message))
    except PermanentFailure as exc:
        mark_failed(message, str(exc), permanent=True)
    except Exception as exc:  # any transport error is retried, not raised
        mark_failed(message, f"{type(exc).__name__}: {exc}")
    else:
        mark_handed_over(message)
        if provider_id:
            Message.objects.filter(pk=message.pk).update(provider_id=provider_id[:255])
            message.provider_id = provider_id


def claim_batch(channel: str, limit: int = BATCH_CLAIM) -> list[Message]:
    """Take up to `limit` due messages of the channel for this worker, oldest first. On
    PostgreSQL rows another worker is claiming are skipped (FOR UPDATE SKIP LOCKED); SQLite
    serialises the claim through its IMMEDIATE transaction."""
    now = timezone.now()
    with transaction.atomic():
        ids = list(
            Message.objects.select_for_update(skip_locked=True)
            .filter(_due(now), channel=channel)
            .order_by("next_attempt_at", "pk")
            .values_list("pk", flat=True)[:limit]
        )
        if not ids:
            return []
        Message.objects.filter(pk__in=ids).update(
            status=MessageStatus.SENDING,
            locked_until=now + lease(),
            attempts=F("attempts") + 1,
            updated_at=now,
        )
    _, prefetch = SESSIONS.get(channel, (None, ()))
    return list(
        Message.objects.filter(pk__in=ids)
        .select_related("conversation")
        .prefetch_related(*prefetch)
        .order_by("next_attempt_at", "pk")
    )


def deliver_batch(channel: str, *, max_messages: int = 5000) -> int:
    """Send the channel's due messages, a claimed batch at a time over one connection, until
    none is due or `max_messages` were tried; each is committed as sent at its handover.
    Returns how many were tried."""
    session, _ = SESSIONS.get(channel, (None, ()))
    single = SENDERS.get(channel)
    if session is None and single is None:
        return 0
    tried = 0
    with session() if session is not None else _single(single) as sender:  # type: ignore[arg-type]
        while tried < max_messages:
            batch = claim_batch(channel, min(BATCH_CLAIM, max_messages - tried))
            if not batch:
                break
            for message in batch:
                _send(message, sender)
            tried += len(batch)
    return tried


def due_messages(limit: int = 500) -> list[int]:
    return list(
        Message.objects.filter(_due(timezone.now()))
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )


@transaction.atomic
def replay(message: Message, *, actor: Any) -> Message:
    """Send a message from the dead-letter list again, from the start; managers only."""
    if not is_manager(actor):
        raise PermissionDenied(_("Only a manager may resend undeliverable messages."))
    locked = Message.objects.select_for_update().get(pk=message.pk)
    if locked.conversation.sensitive:
        raise ValidationError(
            _("A sign-in code is not sent again; the customer asks for a new one.")
        )
    if locked.status != MessageStatus.DEAD:
        raise ValidationError(_("Only messages that gave up can be sent again."))
    with record(locked, actor=actor, customer_id=locked.conversation.customer_id):
        locked.status, locked.attempts = MessageStatus.QUEUED, 0
        locked.next_attempt_at, locked.last_error = timezone.now(), ""
        locked.save(
            update_fields=["status", "attempts", "next_attempt_at", "last_error", "updated_at"]
        )
    from peyvand.channels.tasks import deliver_message

    transaction.on_commit(lambda: deliver_message.enqueue(locked.pk))
    return locked
