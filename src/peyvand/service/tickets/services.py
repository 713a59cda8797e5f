"""Every state change of tickets: open (with the agreement and SLA that apply), reply,
wait on the customer (the clock stops), resume, solve, close, and the breach scan that
warns before a target is missed and escalates to the manager's desk when it is.

Functions take `now` so the clock is the caller's: the worker passes the real time, tests
move it themselves.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import CharField, F, Q, Value
from django.db.models.functions import Cast, Concat, Left
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from peyvand.access.models import Department
from peyvand.audit.choices import ChangeAction
from peyvand.audit.services import Change, record, snapshot, write_changes
from peyvand.channels.chat import services as chat
from peyvand.channels.choices import InteractionChannel
from peyvand.channels.email.services import email_address_of, send_email
from peyvand.channels.inbox.choices import MessageStatus
from peyvand.channels.inbox.models import Conversation, Message
from peyvand.channels.inbox.services import add_note, open_conversation, store_sent_message
from peyvand.channels.sms.services import send_sms
from peyvand.customers.models import Customer
from peyvand.service.choices import ACTIVE_TICKET_STATUSES, TicketPriority, TicketStatus
from peyvand.service.models import ServiceAgreement, SlaPolicy, Ticket, TicketWatcher
from peyvand.service.sla import BusinessClock
from peyvand.service.tickets import csat

ESCALATION_DEPARTMENT = "management"


def _now(now: dt.datetime | None) -> dt.datetime:
    return now or timezone.now()


def agreement_for(
    customer: Customer, *, on: dt.date, product: Any = None, channel: str = ""
) -> ServiceAgreement | None:
    """The customer's agreement in force that covers this product and channel and still
    has incidents left; the one ending last wins."""
    candidates = ServiceAgreement.objects.filter(
        customer=customer, starts_on__lte=on, ends_on__gte=on
    ).filter(Q(incidents_allowed__isnull=True) | Q(incidents_used__lt=F("incidents_allowed")))
    for agreement in candidates.prefetch_related("products").order_by("-ends_on", "pk"):
        covered = list(agreement.products.all())
        if covered and (product is None or product not in covered):
            continue
        if agreement.channels and channel and channel not in agreement.channels:
            continue
        return agreement
    return None


def policy_for(
    priority: int, agreement: ServiceAgreement | None, queue: Department | None = None
) -> SlaPolicy | None:
    if agreement is not None:
        return agreement.sla_policy
    return (
        SlaPolicy.objects.filter(is_active=True)
        .filter(Q(priority=priority) | Q(priority__isnull=True))
        .filter(Q(queue=queue) | Q(queue__isnull=True))
        .select_related("calendar")
        .order_by(
            F("queue").desc(nulls_last=True),
            F("priority").desc(nulls_last=True),
            "position",
            "pk",
        )
        .first()
    )


@transaction.atomic
def open_ticket(
    *,
    actor: Any,
    customer: Customer,
    subject: str,
    queue: Department,
    description: str = "",
    channel: str = "portal",
    priority: int = TicketPriority.NORMAL,
    product: Any = None,
    category: str = "",
    conversation: Any = None,
    now: dt.datetime | None = None,
) -> Ticket:
    """Open a ticket under the agreement that covers it (using one of its incidents) and
    start its SLA clock. Raises ValidationError per field and writes nothing when wrong."""
    when = _now(now)
    errors: dict[str, list[str]] = {}
    subject = (subject or "").strip()
    if not subject:
        errors["subject"] = [_("Say what the ticket is about.")]
    elif len(subject) > 255:
        errors["subject"] = [_("Keep the subject under 255 characters.")]
    if priority not in TicketPriority.values:
        errors["priority"] = [_("Choose a priority.")]
    if customer.deleted_at is not None:
        errors["customer"] = [_("This customer is in the recycle bin.")]
    if errors:
        raise ValidationError(errors)
    agreement = agreement_for(customer, on=when.date(), product=product, channel=channel)
    policy = policy_for(priority, agreement, queue)
    ticket = Ticket(
        customer=customer,
        subject=subject,
        description=description,
        channel=channel,
        queue=queue,
        product=product,
        category=category,
        priority=priority,
        agreement=agreement,
        sla_policy=policy,
        conversation=conversation,
    )
    if policy is not None:
        clock = BusinessClock(policy.calendar)
        ticket.first_response_due = clock.add(when, policy.first_response_minutes * 60)
        ticket.resolution_due = clock.add(when, policy.resolution_minutes * 60)
    with record(ticket, actor=actor, customer_id=customer.pk):
        ticket.save()
    if agreement is not None:
        ServiceAgreement.objects.filter(pk=agreement.pk).update(
            incidents_used=F("incidents_used") + 1
        )
    return ticket


def _locked(ticket: Ticket) -> Ticket:
    # Only the ticket row is locked: PostgreSQL cannot lock the nullable side of the join.
    return (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("sla_policy__calendar")
        .get(pk=ticket.pk)
    )


@transaction.atomic
def record_first_response(ticket: Ticket, *, actor: Any, now: dt.datetime | None = None) -> Ticket:
    """An agent answered the customer: the first-response target is met (or was missed)."""
    locked = _locked(ticket)
    if locked.first_responded_at is not None:
        return locked
    with record(locked, actor=actor, customer_id=locked.customer_id):
        locked.first_responded_at = _now(now)
        if locked.status == TicketStatus.NEW:
            locked.status = TicketStatus.OPEN
        locked.save(update_fields=["first_responded_at", "status", "updated_at"])
    return locked


@transaction.atomic
def set_status(
    ticket: Ticket, *, actor: Any, status: str, now: dt.datetime | None = None
) -> Ticket:
    """Move the ticket; waiting on the customer stops the SLA clock, any other open status
    starts it again with the business time that was left."""
    if status not in TicketStatus.values:
        raise ValidationError({"status": _("Choose a status.")})
    when = _now(now)
    locked = _locked(ticket)
    if locked.status == status:
        return locked
    if locked.status == TicketStatus.CLOSED:
        raise ValidationError(_("A closed ticket cannot be changed; open a new one."))
    clock = BusinessClock(locked.sla_policy.calendar) if locked.sla_policy else None
    with record(locked, actor=actor, customer_id=locked.customer_id):
        if status == TicketStatus.PENDING and clock is not None and locked.paused_at is None:
            locked.paused_at = when
            locked.response_left_seconds = (
                clock.between(when, locked.first_response_due)
                if locked.first_response_due and locked.first_responded_at is None
                else None
            )
            locked.resolution_left_seconds = (
                clock.between(when, locked.resolution_due) if locked.resolution_due else None
            )
        elif locked.paused_at is not None and status != TicketStatus.PENDING:
            if clock is not None:
                if locked.response_left_seconds is not None:
                    locked.first_response_due = clock.add(when, locked.response_left_seconds)
                if locked.resolution_left_seconds is not None:
                    locked.resolution_due = clock.add(when, locked.resolution_left_seconds)
            locked.paused_at = None
            locked.response_left_seconds = locked.resolution_left_seconds = None
            locked.warned_at = None
        if status == TicketStatus.SOLVED:
            locked.resolved_at = when
        elif status in ACTIVE_TICKET_STATUSES:
            locked.resolved_at = None
        previous, locked.status = locked.status, status
        locked.save()
    finished = (TicketStatus.SOLVED, TicketStatus.CLOSED)
    if status in finished and previous not in finished:
        csat.send_survey(locked, actor=actor)
    notify_watchers(
        locked,
        actor=actor,
        title=lambda: (
            _("Ticket #%(number)s is now: %(status)s")
            % {"number": locked.pk, "status": locked.get_status_display()}
        ),
    )
    return locked


# Escalations are written this many tickets at a time: the ids of one statement stay
# well under SQLite's bound-parameter limit.
ESCALATION_CHUNK = 900


def _formatted(template: str, **parts: Any) -> Any:
    """A `%(name)s` translation rendered in SQL: each placeholder becomes the given
    expression (cast to text), the text between stays as it was translated."""
    pieces: list[Any] = []
    for index, piece in enumerate(re.split(r"%\((\w+)\)s", template)):
        if index % 2:
            pieces.append(Cast(parts[piece], output_field=CharField()))
        elif piece:
            pieces.append(Value(piece))
    return Left(Concat(*pieces, output_field=CharField()), 255)


def _escalate(ticket_ids: list[int], *, target: str, department: Department, when: Any) -> None:
    """One approval task on the escalation desk per ticket, written by INSERT … SELECT so
    no ticket passes through Python."""
    from peyvand.desk.choices import TaskKind, TaskPriority, TaskStatus
    from peyvand.desk.models import Task

    title = _formatted(
        _("SLA missed (%(target)s): #%(id)s %(subject)s").replace("%(target)s", target),
        id=F("pk"),
        subject=F("subject"),
    )
    rows = {
        "created_at": Value(when),
        "updated_at": Value(when),
        "title": title,
        "description": Value(""),
        "kind": Value(TaskKind.APPROVAL.value),
        "status": Value(TaskStatus.OPEN.value),
        "priority": Value(TaskPriority.URGENT.value),
        "due_at": Value(when),
        "department_id": Value(department.pk),
        "customer_id": F("customer_id"),
    }
    column_of = {field.attname: str(field.column) for field in Task._meta.concrete_fields}
    columns = ", ".join(connection.ops.quote_name(column_of[name]) for name in rows)
    select = (
        Ticket.objects.filter(pk__in=ticket_ids)
        .order_by()
        .annotate(**{f"escalation_{name}": value for name, value in rows.items()})
        .values_list(*(f"escalation_{name}" for name in rows))
    )
    sql, params = select.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {Task._meta.db_table} ({columns}) {sql}", params)


def _flag(missed: Any, flag: str) -> list[int]:
    """Set `flag` on every ticket of `missed` and return their ids, in one statement
    (UPDATE … RETURNING, PostgreSQL and SQLite 3.35+), so exactly the tickets flagged are
    escalated, without a separate locking pass."""
    quote = connection.ops.quote_name
    meta = Ticket._meta
    pk, column = quote(str(meta.pk.column)), quote(str(meta.get_field(flag).column))  # type: ignore[union-attr]
    select, params = missed.order_by().values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {quote(meta.db_table)} SET {column} = %s WHERE {pk} IN ({select}) "
            f"RETURNING {pk}",
            [True, *params],
        )
        return sorted(row[0] for row in cursor.fetchall())


def _warn_threshold(policy: SlaPolicy) -> dt.timedelta:
    if policy.warn_at_percent is not None:
        return dt.timedelta(
            minutes=policy.resolution_minutes * (100 - policy.warn_at_percent) / 100
        )
    return dt.timedelta(minutes=policy.warn_before_minutes)


def scan_breaches(now: dt.datetime | None = None) -> dict[str, int]:
    """Flag every running ticket past a target and escalate each to the management desk;
    mark those about to breach so the desk warns. Set-based: the ids past a target are read
    from its partial index, then per chunk of them one UPDATE … RETURNING flags them and
    one INSERT … SELECT writes their escalations; no ticket passes through Python."""
    when = _now(now)
    running = Q(status__in=ACTIVE_TICKET_STATUSES)
    targets = (
        (
            "response",
            "response_breached",
            _("first response"),
            Q(
                response_breached=False,
                first_responded_at__isnull=True,
                first_response_due__lt=when,
            ),
        ),
        (
            "resolution",
            "resolution_breached",
            _("resolution"),
            Q(resolution_breached=False, resolution_due__lt=when),
        ),
    )
    result: dict[str, int] = {}
    with transaction.atomic():
        management = Department.objects.filter(code=ESCALATION_DEPARTMENT).first()
        for key, flag, target, missed in targets:
            candidates = list(
                Ticket.objects.filter(running, missed).order_by("pk").values_list("pk", flat=True)
            )
            result[key] = 0
            for start in range(0, len(candidates), ESCALATION_CHUNK):
                # The condition is checked again as the rows are flagged: a ticket answered
                # since it was read is left alone.
                chunk = candidates[start : start + ESCALATION_CHUNK]
                ids = _flag(Ticket.objects.filter(running, missed, pk__in=chunk), flag)
                if management is not None and ids:
                    _escalate(ids, target=target, department=management, when=when)
                result[key] += len(ids)
        warned = 0
        for policy in SlaPolicy.objects.only(
            "pk", "warn_before_minutes", "warn_at_percent", "resolution_minutes"
        ):
            warned += Ticket.objects.filter(
                running,
                sla_policy_id=policy.pk,
                resolution_breached=False,
                warned_at__isnull=True,
                resolution_due__gte=when,
                resolution_due__lt=when + _warn_threshold(policy),
            ).update(warned_at=when)
    return {**result, "warned": warned}


# --- the ticket's thread: public replies and internal notes -----------------------------

REPLY_CHANNELS = (InteractionChannel.EMAIL, InteractionChannel.SMS, InteractionChannel.CHAT)


def ticket_thread(ticket: Ticket, *, actor: Any) -> Conversation:
    """The ticket's conversation, opened on first use for a ticket that came in by phone,
    portal or the API: answers to those go by email, the channel every customer has."""
    if ticket.conversation_id is not None:
        return Conversation.objects.select_related("customer").get(pk=ticket.conversation_id)
    channel = ticket.channel if ticket.channel in REPLY_CHANNELS else InteractionChannel.EMAIL
    conversation = open_conversation(
        channel=channel,
        customer=ticket.customer,
        subject=ticket.subject,
        department=ticket.queue,
        actor=actor,
    )
    Ticket.objects.filter(pk=ticket.pk).update(conversation=conversation)
    ticket.conversation = conversation
    return conversation


def customer_language(customer: Customer) -> str:
    language = customer.preferred_language or ""
    return language if language in ("en", "fa") else "fa"


def reply_subject(ticket: Ticket) -> str:
    """The subject of every email about the ticket, in the customer's language; the ticket
    number in it lets the customer (and us) tell threads apart."""
    with translation.override(customer_language(ticket.customer)):
        return _("[Ticket #%(number)s] %(subject)s") % {
            "number": ticket.pk,
            "subject": ticket.subject,
        }


@transaction.atomic
def reply_to_customer(
    ticket: Ticket,
    *,
    actor: Any,
    body: str,
    status: str = "",
    now: dt.datetime | None = None,
) -> Message:
    """Send a public reply on the ticket's channel, in the customer's language; it goes on
    the customer's timeline and counts as the first response. A customer who withdrew
    service messages on that channel gets nothing: the reply is kept as not sent and the
    first-response target is left open. `status` moves the ticket in the same step (most
    often to waiting on the customer)."""
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": _("Write the reply first.")})
    locked = _locked(ticket)
    if locked.status == TicketStatus.CLOSED:
        raise ValidationError(_("A closed ticket cannot be changed; open a new one."))
    conversation = ticket_thread(locked, actor=actor)
    if conversation.channel == InteractionChannel.CHAT:
        message = chat.send_reply(conversation, actor=actor, body=body)
    elif conversation.channel == InteractionChannel.PORTAL:
        message = _reply_on_portal(locked, conversation, actor=actor, body=body)
    elif conversation.channel == InteractionChannel.SMS:
        message = send_sms(locked.customer, actor=actor, body=body)
    else:
        message = send_email(
            conversation,
            actor=actor,
            body=body,
            subject=reply_subject(locked),
            language=customer_language(locked.customer),
        )
    if message.status != MessageStatus.SUPPRESSED:
        locked = record_first_response(locked, actor=actor, now=now)
        notify_watchers(
            locked,
            actor=actor,
            title=lambda: (
                _("Ticket #%(number)s: a reply was sent to the customer") % {"number": locked.pk}
            ),
        )
    if status:
        set_status(locked, actor=actor, status=status, now=now)
    return message


# Marks the email that tells a customer of a reply on the portal: the reply itself is the
# portal message, so the portal's ticket page leaves the notice out.
PORTAL_NOTICE = "portal_notice"


def portal_ticket_url(ticket: Ticket) -> str:
    return f"{settings.PEYVAND_PUBLIC_URL}{reverse('portal:ticket_detail', args=[ticket.pk])}"


def _reply_on_portal(
    ticket: Ticket, conversation: Conversation, *, actor: Any, body: str
) -> Message:
    """A reply on a ticket the customer opened on the portal is delivered there (they read
    it on the ticket page); an email in their language tells them it is waiting, when they
    have an address (and have not withdrawn service email, see `queue_message`)."""
    message = store_sent_message(conversation, actor=actor, body=body, delivered=True)
    if not email_address_of(ticket.customer):
        return message
    language = customer_language(ticket.customer)
    with translation.override(language):
        text = _(
            "We answered your ticket #%(number)s:\n\n%(reply)s\n\n"
            "Read the whole conversation and answer on the customer portal: %(link)s"
        ) % {"number": ticket.pk, "reply": body, "link": portal_ticket_url(ticket)}
    try:
        notice = send_email(
            conversation,
            actor=actor,
            body=text,
            subject=reply_subject(ticket),
            language=language,
        )
    except ValidationError:
        # No sending identity set up: the reply stands on the portal all the same.
        return message
    Message.objects.filter(pk=notice.pk).update(meta={**notice.meta, PORTAL_NOTICE: True})
    return message


@transaction.atomic
def add_internal_note(ticket: Ticket, *, actor: Any, body: str) -> Message:
    """A note for colleagues: shown on the ticket page, never sent, never on the customer's
    timeline."""
    locked = _locked(ticket)
    return add_note(ticket_thread(locked, actor=actor), actor=actor, body=(body or "").strip())


def customer_answered(message: Message) -> Ticket | None:
    """The customer wrote on a ticket's conversation: a ticket waiting on them (or solved)
    is open again and its SLA clock runs from where it stopped."""
    ticket = Ticket.objects.filter(conversation_id=message.conversation_id).first()
    if ticket is None or ticket.status not in (TicketStatus.PENDING, TicketStatus.SOLVED):
        return ticket
    return set_status(ticket, actor=None, status=TicketStatus.OPEN, now=message.created_at)


@transaction.atomic
def change_ticket(
    ticket: Ticket,
    *,
    actor: Any,
    priority: int | None = None,
    queue: Department | None = None,
    now: dt.datetime | None = None,
) -> Ticket:
    """Re-prioritise the ticket or hand it to another queue. When that brings another SLA
    policy, its targets replace the old ones (see `_retarget`); a breach already recorded
    stays recorded."""
    if priority is not None and priority not in TicketPriority.values:
        raise ValidationError({"priority": _("Choose a priority.")})
    locked = _locked(ticket)
    if locked.status == TicketStatus.CLOSED:
        raise ValidationError(_("A closed ticket cannot be changed; open a new one."))
    with record(locked, actor=actor, customer_id=locked.customer_id):
        if priority is not None:
            locked.priority = priority
        if queue is not None:
            locked.queue = queue
        policy = policy_for(locked.priority, locked.agreement, locked.queue)
        if policy != locked.sla_policy:
            _retarget(locked, policy, when=_now(now))
        locked.save()
    return locked


def _retarget(ticket: Ticket, policy: SlaPolicy | None, *, when: dt.datetime) -> None:
    """Hold the ticket to `policy` from its start: the business time its clock has run so
    far (the old target less what was left of it, so pauses do not count) is taken off the
    new target. A target already passed gets its due time in the past, where the new
    target ran out, and the breach scan flags it."""
    old = ticket.sla_policy
    ticket.sla_policy = policy
    ticket.warned_at = None
    if policy is None:
        ticket.first_response_due = ticket.resolution_due = None
        ticket.response_left_seconds = ticket.resolution_left_seconds = None
        return
    old_clock = BusinessClock(old.calendar) if old is not None else None
    clock = BusinessClock(policy.calendar)
    paused = ticket.paused_at is not None

    def elapsed(target_minutes: int, due: dt.datetime | None, left: int | None) -> int:
        # With no policy before, the clock never stopped: it ran from the ticket's start.
        if old_clock is None or due is None:
            return clock.between(ticket.created_at, when)
        if paused and left is not None:
            return target_minutes * 60 - left
        if due >= when:
            return target_minutes * 60 - old_clock.between(when, due)
        return target_minutes * 60 + old_clock.between(due, when)

    def retimed(seconds_left: int) -> dt.datetime:
        if seconds_left >= 0:
            return clock.add(ticket.paused_at or when, seconds_left)
        return clock.subtract(ticket.paused_at or when, -seconds_left)

    if ticket.first_responded_at is None:
        left = policy.first_response_minutes * 60 - elapsed(
            old.first_response_minutes if old else 0,
            ticket.first_response_due,
            ticket.response_left_seconds,
        )
        ticket.first_response_due = retimed(left)
        if paused:
            ticket.response_left_seconds = max(0, left)
    left = policy.resolution_minutes * 60 - elapsed(
        old.resolution_minutes if old else 0,
        ticket.resolution_due,
        ticket.resolution_left_seconds,
    )
    ticket.resolution_due = retimed(left)
    if paused:
        ticket.resolution_left_seconds = max(0, left)


# --- merge and split --------------------------------------------------------------------


@transaction.atomic
def merge_tickets(duplicate: Ticket, *, into: Ticket, actor: Any) -> Ticket:
    """Fold a duplicate into another ticket of the same customer: its messages and notes
    move to that ticket's thread, and it is closed with a link to where it went."""
    if duplicate.pk == into.pk:
        raise ValidationError({"into": _("A ticket cannot be merged into itself.")})
    first, second = sorted([duplicate.pk, into.pk])
    # Both rows locked in id order, so two merges of the same pair cannot deadlock.
    locked = {t.pk: t for t in (_locked(Ticket(pk=first)), _locked(Ticket(pk=second)))}
    source, target = locked[duplicate.pk], locked[into.pk]
    if source.customer_id != target.customer_id:
        raise ValidationError(
            {"into": _("Only tickets of the same customer can be merged; this one is another customer's.")}
        )  # fmt: skip
    if TicketStatus.CLOSED in (source.status, target.status):
        raise ValidationError({"into": _("A closed ticket cannot be merged.")})
    if source.conversation_id is not None:
        thread = ticket_thread(target, actor=actor)
        moved = list(Message.objects.filter(conversation_id=source.conversation_id))
        before = [snapshot(message) for message in moved]
        # One statement for the whole thread, so its audit rows are written explicitly.
        Message.objects.filter(pk__in=[m.pk for m in moved]).update(
            conversation=thread, updated_at=timezone.now()
        )
        for message in moved:
            message.conversation = thread
        write_changes(
            [
                Change(ChangeAction.UPDATE, message, old, snapshot(message), source.customer_id)
                for message, old in zip(moved, before, strict=True)
            ],
            actor=actor,
        )
    add_note(
        ticket_thread(target, actor=actor),
        actor=actor,
        body=_("Ticket #%(number)s (%(subject)s) was merged into this one.")
        % {"number": source.pk, "subject": source.subject},
    )
    with record(source, actor=actor, customer_id=source.customer_id):
        source.merged_into = target
        source.save(update_fields=["merged_into", "updated_at"])
    set_status(source, actor=actor, status=TicketStatus.CLOSED)
    return target


@transaction.atomic
def split_ticket(ticket: Ticket, *, message: Message, actor: Any, subject: str = "") -> Ticket:
    """Take one message off the ticket into a new child ticket of the same customer, queue
    and priority (with its own thread and SLA clock)."""
    locked = _locked(ticket)
    if locked.conversation_id is None or message.conversation_id != locked.conversation_id:
        raise ValidationError({"message": _("Choose a message of this ticket.")})
    if message.direction == "internal":
        raise ValidationError({"message": _("An internal note cannot become a ticket.")})
    conversation = open_conversation(
        channel=message.channel,
        customer=locked.customer,
        subject=(subject or message.subject or locked.subject)[:255],
        department=locked.queue,
        actor=actor,
    )
    child = open_ticket(
        actor=actor,
        customer=locked.customer,
        subject=subject or message.subject or locked.subject,
        description=message.body[:20_000],
        queue=locked.queue,
        channel=locked.channel,
        priority=locked.priority,
        product=locked.product,
        category=locked.category,
        conversation=conversation,
    )
    with record(child, actor=actor, customer_id=child.customer_id):
        child.parent = locked
        child.save(update_fields=["parent", "updated_at"])
    with record(message, actor=actor, customer_id=child.customer_id):
        message.conversation = conversation
        message.save(update_fields=["conversation", "updated_at"])
    return child


# --- watchers -----------------------------------------------------------------------------


@transaction.atomic
def watch_ticket(ticket: Ticket, *, user: Any) -> TicketWatcher:
    watcher, _created = TicketWatcher.objects.get_or_create(ticket=ticket, user=user)
    return watcher


@transaction.atomic
def unwatch_ticket(ticket: Ticket, *, user: Any) -> None:
    TicketWatcher.objects.filter(ticket=ticket, user=user).delete()


def notify_watchers(ticket: Ticket, *, actor: Any, title: Callable[[], str]) -> int:
    """A follow-up on the desk of each watcher but the one who made the change, its title
    (`title()`, called in the watcher's language) linking back to the ticket."""
    from peyvand.access.models import User
    from peyvand.desk.choices import TaskKind
    from peyvand.desk.models import Task

    watchers = User.objects.filter(watched_tickets__ticket=ticket, is_active=True)
    if getattr(actor, "pk", None) is not None:
        watchers = watchers.exclude(pk=actor.pk)
    link = reverse("service:ticket_detail", args=[ticket.pk])
    tasks = []
    for user in watchers.only("pk", "language"):
        with translation.override(user.language or "fa"):
            tasks.append(
                Task(
                    title=f"{title()} — {ticket.subject}"[:255],
                    description=link,
                    kind=TaskKind.FOLLOW_UP,
                    assignee=user,
                    customer_id=ticket.customer_id,
                    due_at=timezone.now(),
                )
            )
    Task.objects.bulk_create(tasks)
    return len(tasks)
