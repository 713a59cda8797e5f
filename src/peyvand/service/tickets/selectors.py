"""Read side of tickets: the queue a person works from and the panels beside a ticket."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from peyvand.access.scopes import department_ids, is_manager, restrict
from peyvand.channels.inbox import selectors as inbox_selectors
from peyvand.channels.inbox.models import Message
from peyvand.service.choices import ACTIVE_TICKET_STATUSES, OPEN_TICKET_STATUSES
from peyvand.service.models import Macro, Ticket


def tickets_visible_to(user: Any, action: str = "view") -> QuerySet[Ticket]:
    return restrict(Ticket.objects.all(), user, action)


def queue(
    user: Any,
    *,
    queue_id: int | None = None,
    mine: bool = False,
    breached: bool = False,
    include_closed: bool = False,
) -> QuerySet[Ticket]:
    """Open tickets the user may see, soonest resolution due first (the partial index
    `ticket_queue_due` serves a queue's page)."""
    qs = tickets_visible_to(user).select_related("customer", "assignee", "queue")
    if not include_closed:
        qs = qs.filter(status__in=OPEN_TICKET_STATUSES)
    if queue_id:
        qs = qs.filter(queue_id=queue_id)
    if mine:
        qs = qs.filter(assignee=user)
    if breached:
        qs = qs.filter(resolution_breached=True)
    return qs.order_by("resolution_due", "pk").defer("description")


def sla_state(ticket: Ticket, now: dt.datetime | None = None) -> str:
    """ "breached", "warning", "paused", "met" or "running", for the badge beside a ticket."""
    now = now or timezone.now()
    if ticket.resolution_breached or ticket.response_breached:
        return "breached"
    if ticket.paused_at is not None:
        return "paused"
    if ticket.resolved_at is not None:
        return "met"
    if ticket.warned_at is not None:
        return "warning"
    return "running"


# The desk card lists this many tickets; its counts cover all of them.
ALERT_ROWS = 10


@dataclass
class SlaAlert:
    ticket: Ticket
    breached: bool
    # The target the alert is about: the resolution due time, or the first-response one
    # when only that was missed.
    due: dt.datetime | None


@dataclass
class SlaAlerts:
    rows: list[SlaAlert] = field(default_factory=list)
    warning: int = 0
    breached: int = 0


def sla_alerts(
    user: Any, *, assignee: Any = None, department: Any = None, limit: int = ALERT_ROWS
) -> SlaAlerts:
    """Running tickets that missed a target or are about to (the breach scan set
    `warned_at`), the missed ones first, for a desk: `assignee`'s tickets, `department`'s
    queue, or every ticket the user sees (a manager's own desk). Two queries."""
    qs = tickets_visible_to(user).filter(
        Q(warned_at__isnull=False) | Q(response_breached=True) | Q(resolution_breached=True),
        status__in=ACTIVE_TICKET_STATUSES,
    )
    if assignee is not None:
        qs = qs.filter(assignee=assignee)
    if department is not None:
        qs = qs.filter(queue=department)
    missed = Q(response_breached=True) | Q(resolution_breached=True)
    counts = qs.aggregate(breached=Count("pk", filter=missed), total=Count("pk"))
    alerts = SlaAlerts(breached=counts["breached"], warning=counts["total"] - counts["breached"])
    rows = (
        qs.select_related("customer")
        .only(
            "subject",
            "customer__display_name",
            "first_response_due",
            "resolution_due",
            "response_breached",
            "resolution_breached",
        )
        .order_by("-resolution_breached", "-response_breached", "resolution_due", "pk")[:limit]
    )
    for ticket in rows:
        breached = ticket.response_breached or ticket.resolution_breached
        only_response = ticket.response_breached and not ticket.resolution_breached
        due = ticket.first_response_due if only_response else ticket.resolution_due
        alerts.rows.append(SlaAlert(ticket, breached, due))
    return alerts


def thread(ticket: Ticket) -> list[Message]:
    """The ticket's messages oldest first: the customer's, the public replies and the
    internal notes (the template marks which is which)."""
    conversation = ticket.conversation
    if conversation is None:
        return []
    return list(inbox_selectors.thread(conversation))


def macros_for(user: Any, *, language: str | None = None) -> QuerySet[Macro]:
    """The macros the user may pick: everyone's, and their own queues' (a manager: all)."""
    qs = Macro.objects.select_related("department", "set_queue", "created_by")
    if not is_manager(user):
        qs = qs.filter(Q(department__isnull=True) | Q(department__in=department_ids(user)))
    if language:
        qs = qs.filter(language=language)
    return qs


def text_macros_for(user: Any) -> QuerySet[Macro]:
    """The macros that only write text (they change no ticket): the inbox's canned
    responses, usable on any conversation."""
    return (
        macros_for(user)
        .exclude(body="")
        .filter(set_status="", set_priority__isnull=True, set_queue__isnull=True)
    )


def splittable(ticket: Ticket) -> QuerySet[Message]:
    """The messages of the ticket that can become a ticket of their own (not the notes)."""
    if ticket.conversation_id is None:
        return Message.objects.none()
    return Message.objects.filter(conversation_id=ticket.conversation_id).exclude(
        direction="internal"
    )


def related(ticket: Ticket) -> dict[str, Any]:
    """Parent, children and merged duplicates, for the panel on the ticket page."""
    return {
        "children": list(ticket.children.only("pk", "subject", "status")),
        "merged": list(ticket.merged.only("pk", "subject")),
    }


def watchers(ticket: Ticket) -> list[Any]:
    return [w.user for w in ticket.watchers.select_related("user")]
