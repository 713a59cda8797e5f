"""The message outbox: claim a due message, hand it to its channel's sender, record the
outcome, retry with backoff, give up into the dead-letter list.

Exactly-once hinges on the sender calling `handed_over()` right before the step that cannot
be taken back (for SMTP: writing the final "." of DATA). That call commits the message as
sent, so a worker killed after it never sends the message again, and a worker killed before
it leaves a claim whose lease runs out, after which the message is sent again from the start.

A channel that sends in batches hands over a group at a time: its sender brings several
messages to the brink at once (SMTP: one connection each, every one waiting for its ".") and
calls `handed_over(ready)` once, one commit for the group, before taking the last step for
all of them.

A secret message (a sign-in code) loses its text in that same commit: the sender already
holds the bytes it is writing, and nothing of the code stays readable in the outbox. Before
the handover the text is kept, so transport errors are retried as usual.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any, Protocol

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q, prefetch_related_objects
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
BATCH_CLAIM = 400


def lease() -> dt.timedelta:
    seconds = getattr(settings, "PEYVAND_MESSAGE_LEASE_SECONDS", None)
    return dt.timedelta(seconds=seconds) if seconds else LEASE


class PermanentFailure(Exception):
    """The message can never be delivered as it is (bad address, refused for good)."""


class Sender(Protocol):
    def __call__(self, message: Message, handed_over: Callable[[], None]) -> str:
        """Send the message; call `handed_over()` right before the irreversible step;
        return the provider's id for the message (or "")."""


# What a group sender reports per message: the provider's id ("" if none), or why it failed.
Outcome = str | Exception


class GroupSender(Protocol):
    def __call__(
        self, messages: Sequence[Message], handed_over: Callable[[Sequence[Message]], None]
    ) -> list[Outcome]:
        """Send the messages; call `handed_over(ready)` once, right before the irreversible
        step of those still on course; return one outcome per message, in order."""


# A gate looks at messages a worker just claimed and names those that must not go after
# all (pk -> reason), e.g. marketing whose customer unsubscribed after it was queued.
Gate = Callable[[Sequence[Message]], dict[int, str]]
GATES: list[Gate] = []

SENDERS: dict[str, Sender] = {}
# Channels that send many messages over their connections: a factory of a context manager
# that opens them and yields a GroupSender bound to them, and what to prefetch for it.
SESSIONS: dict[str, tuple[Callable[[], AbstractContextManager[GroupSender]], tuple[str, ...]]] = {}


def register_sender(channel: str, sender: Sender) -> None:
    SENDERS[channel] = sender


def register_gate(gate: Gate) -> None:
    if gate not in GATES:
        GATES.append(gate)


def _withhold(messages: Sequence[Message]) -> list[Message]:
    """The claimed messages that may still go; the others are marked suppressed, with why."""
    held: dict[int, str] = {}
    for gate in GATES:
        held.update(gate(messages))
    for message in messages:
        if message.pk in held:
            message.status, message.next_attempt_at = MessageStatus.SUPPRESSED, None
            message.locked_until, message.last_error = None, held[message.pk][:2000]
            message.save(
                update_fields=[
                    "status",
                    "next_attempt_at",
                    "locked_until",
                    "last_error",
                    "updated_at",
                ]
            )
    return [m for m in messages if m.pk not in held]


def register_session(
    channel: str,
    session: Callable[[], AbstractContextManager[GroupSender]],
    *,
    prefetch: tuple[str, ...] = (),
) -> None:
    """Let the worker send the channel's due messages in batches over reused connections."""
    SESSIONS[channel] = (session, prefetch)


def one_at_a_time(sender: Sender) -> GroupSender:
    """A group sender for a channel whose transport takes one message at a time: each is
    handed over (and committed) on its own."""

    def send(
        messages: Sequence[Message], handed_over: Callable[[Sequence[Message]], None]
    ) -> list[Outcome]:
        outcomes: list[Outcome] = []
        for message in messages:
            try:
                outcomes.append(sender(message, functools.partial(handed_over, [message])))
            except Exception as exc:  # recorded per message, as a lone send would be
                outcomes.append(exc)
        return outcomes

    return send


@contextmanager
def _single(sender: Sender) -> Iterator[GroupSender]:
    yield one_at_a_time(sender)


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


def mark_handed_over(messages: Sequence[Message]) -> None:
    """Commit the messages as sent, in one statement (see the module docstring); idempotent.
    A secret message also loses its text in that commit (one statement each: their meta
    differs; they are rare); the in-memory messages keep their text for the sender."""
    if not messages:
        return
    now = timezone.now()
    sent = {
        "status": MessageStatus.SENT,
        "sent_at": now,
        "locked_until": None,
        "last_error": "",
        "updated_at": now,
    }
    plain = [m.pk for m in messages if not m.conversation.sensitive]
    Message.objects.filter(pk__in=plain, status=MessageStatus.SENDING).update(**sent)
    for message in messages:
        if message.conversation.sensitive:
            meta = {**message.meta, "forgotten": True}
            updated = Message.objects.filter(pk=message.pk, status=MessageStatus.SENDING).update(
                **sent, **_forget_secret(), meta=meta
            )
            if updated:
                message.meta = meta
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
    if not _withhold([message]):
        return message.status
    sender = SENDERS.get(message.channel)
    if sender is None:
        mark_failed(message, f"no sender for channel {message.channel!r}", permanent=True)
        return message.status
    _send(message, sender)
    return message.status


def _send(message: Message, sender: Sender) -> None:
    try:
        provider_id = sender(message, lambda: mark_handed_over([message]))
    except Exception as exc:  # any transport error is recorded (and retried), not raised
        _record(message, exc)
    else:
        _record(message, provider_id)


def _send_group(messages: Sequence[Message], sender: GroupSender) -> None:
    for message, outcome in zip(messages, sender(messages, mark_handed_over), strict=True):
        _record(message, outcome)


def _record(message: Message, outcome: Outcome) -> None:
    if isinstance(outcome, PermanentFailure):
        mark_failed(message, str(outcome), permanent=True)
    elif isinstance(outcome, Exception):
        mark_failed(message, f"{type(outcome).__name__}: {outcome}")
    else:
        # A sender that never called handed_over() (nothing irreversible to guard) is done.
        if message.status != MessageStatus.SENT:
            mark_handed_over([message])
        if outcome:
            Message.objects.filter(pk=message.pk).update(provider_id=outcome[:255])
            message.provider_id = outcome


def claim_batch(channel: str, limit: int = BATCH_CLAIM) -> list[Message]:
    """Take up to `limit` due messages of the channel for this worker, oldest first. On
    PostgreSQL rows another worker is claiming are skipped (FOR UPDATE SKIP LOCKED); SQLite
    serialises the claim through its IMMEDIATE transaction. The rows are read once, in the
    locking query, and marked with one UPDATE."""
    now = timezone.now()
    until = now + lease()
    with transaction.atomic():
        batch = list(
            Message.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("conversation")
            .filter(_due(now), channel=channel)
            .order_by("next_attempt_at", "pk")[:limit]
        )
        if not batch:
            return []
        Message.objects.filter(pk__in=[m.pk for m in batch]).update(
            status=MessageStatus.SENDING,
            locked_until=until,
            attempts=F("attempts") + 1,
            updated_at=now,
        )
    for message in batch:
        message.status, message.locked_until = MessageStatus.SENDING, until
        message.attempts += 1
        message.updated_at = now
    _, prefetch = SESSIONS.get(channel, (None, ()))
    if prefetch:
        prefetch_related_objects(batch, *prefetch)
    return batch


def deliver_batch(channel: str, *, max_messages: int = 5000) -> int:
    """Send the channel's due messages, a claimed batch at a time over reused connections,
    until none is due or `max_messages` were tried; each group of a batch is committed as
    sent at its handover. Returns how many were tried."""
    session, _ = SESSIONS.get(channel, (None, ()))
    single = SENDERS.get(channel)
    if session is None and single is None:
        return 0
    tried = 0
    with session() if session is not None else _single(single) as sender:  # type: ignore[arg-type]
        while tried < max_messages:
            claimed = claim_batch(channel, min(BATCH_CLAIM, max_messages - tried))
            if not claimed:
                break
            tried += len(claimed)
            batch = _withhold(claimed)
            if batch:
                _send_group(batch, sender)
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
