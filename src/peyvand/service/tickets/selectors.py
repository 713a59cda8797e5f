"""Read side of tickets: the queue a person works from and the panels beside a ticket."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from peyvand.access.scopes import department_ids, is_manager, restrict
from peyvand.channels.inbox import selectors as inbox_selectors
from peyvand.channels.inbox.models import Message
from peyvand.service.choices import OPEN_TICKET_STATUSES
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
