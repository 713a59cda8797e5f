"""Read side of the unified inbox: which conversations a user sees, the filtered list, the
desk counters."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from peyvand.access.choices import ObjectType
from peyvand.access.scopes import can, department_ids, is_manager
from peyvand.channels.inbox.choices import ConversationStatus, MessageStatus
from peyvand.channels.inbox.models import Conversation, Message
from peyvand.customers.models import Customer


def visible_conversations(user: Any) -> QuerySet[Conversation]:
    """Managers see every conversation; anyone else those assigned to them, those of their
    departments, and those of customers they may see. Nobody sees a customer's sensitive
    thread (their sign-in codes)."""
    qs = Conversation.objects.filter(sensitive=False)
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return qs.none()
    if is_manager(user):
        return qs
    condition = Q(assignee=user) | Q(department__in=department_ids(user))
    if can(user, ObjectType.INTERACTION, "view"):
        condition |= Q(customer__in=Customer.objects.visible_to(user).alive().values("pk"))
    return qs.filter(condition)


def awake(now: dt.datetime | None = None) -> Q:
    """Open conversations, and snoozed ones whose time has come (they wake on their own)."""
    now = now or timezone.now()
    return Q(status=ConversationStatus.OPEN) | Q(
        status=ConversationStatus.SNOOZED, snoozed_until__lte=now
    )


def inbox_list(
    user: Any,
    *,
    status: str = "",
    channel: str = "",
    department: Any = None,
    who: str = "",
) -> QuerySet[Conversation]:
    qs = visible_conversations(user).select_related("customer", "assignee", "department")
    if status == "all":
        pass
    elif status:
        qs = qs.filter(status=status)
    else:
        qs = qs.filter(awake() | Q(status=ConversationStatus.PENDING))
    if channel:
        qs = qs.filter(channel=channel)
    if department is not None:
        qs = qs.filter(department=department)
    if who == "mine":
        qs = qs.filter(assignee=user)
    elif who == "unassigned":
        qs = qs.filter(assignee__isnull=True)
    return qs.order_by("-last_message_at", "-pk")


def inbox_counts(user: Any) -> dict[str, int]:
    """The desk's counters, in one query: open conversations assigned to the user, open ones
    nobody holds yet (that the user sees), and messages that gave up (managers)."""
    counts = (
        visible_conversations(user)
        .filter(awake())
        .aggregate(
            mine=Count("pk", filter=Q(assignee=user)),
            unassigned=Count("pk", filter=Q(assignee__isnull=True)),
        )
    )
    result = {"mine": counts["mine"] or 0, "unassigned": counts["unassigned"] or 0, "dead": 0}
    if is_manager(user):
        result["dead"] = dead_letters().count()
    return result


def thread(conversation: Conversation) -> QuerySet[Message]:
    return conversation.messages.select_related("author").order_by("created_at", "pk")


def dead_letters() -> QuerySet[Message]:
    return (
        # A secret that gave up has lost its text and is not sent again.
        Message.objects.filter(status=MessageStatus.DEAD)
        .filter(conversation__sensitive=False)
        .select_related("conversation", "conversation__customer")
        .order_by("-updated_at", "-pk")
    )
