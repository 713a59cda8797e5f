"""A customer's timeline: interactions, orders, tasks and changes, newest first.

Each source is read with one bounded query (at most `limit` rows older than the cursor),
already sorted by time, and the sorted streams are merged lazily; `before` (the `at` of the
last entry shown) fetches the next page. A page never splits entries that share one instant
(one request writes several change rows at the same `at`): the last instant of a page is
always shown whole, so `before` can be a bare time and still lose nothing.
"""

from __future__ import annotations

import datetime as dt
import heapq
import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import Exists
from django.urls import reverse
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from peyvand.access.scopes import can
from peyvand.audit.choices import ChangeAction
from peyvand.audit.models import ChangeLog
from peyvand.audit.services import diff
from peyvand.channels.models import Interaction
from peyvand.core.templatetags.peyvand import amount
from peyvand.customers.models import Customer
from peyvand.desk.models import Task, TaskComment
from peyvand.sales.models import Order

BODY_PREVIEW_CHARS = 280


@dataclass
class TimelineEntry:
    kind: str
    at: dt.datetime
    title: str
    body: str
    channel: str
    direction: str
    actor: str
    url: str


# Rows sharing the last instant of a page that are fetched whole; far above any real burst.
SAME_INSTANT_CAP = 1000


def _bounded(
    qs: models.QuerySet[Any], field: str, before: dt.datetime | None, exactly: dt.datetime | None
) -> Any:
    if exactly is not None:
        return qs.filter(**{field: exactly})
    return qs.filter(**{f"{field}__lt": before}) if before is not None else qs


def _interactions(
    customer: Customer, user: Any, limit: int, before: Any, exactly: Any = None
) -> Iterator[TimelineEntry]:
    qs = (
        Interaction.objects.visible_to(user)
        .filter(customer=customer, deleted_at__isnull=True)
        .select_related("agent")
        .order_by("-occurred_at", "-pk")
    )
    for row in _bounded(qs, "occurred_at", before, exactly)[:limit]:
        yield TimelineEntry(
            kind="interaction",
            at=row.occurred_at,
            title=row.subject or row.get_channel_display(),
            body=Truncator(row.body).chars(BODY_PREVIEW_CHARS),
            channel=row.channel,
            direction=row.direction,
            actor=str(row.agent) if row.agent is not None else "",
            url=reverse("interactions:detail", args=[row.pk]),
        )


def _orders(
    customer: Customer, user: Any, limit: int, before: Any, exactly: Any = None
) -> Iterator[TimelineEntry]:
    qs = (
        Order.objects.visible_to(user)
        .filter(customer=customer, deleted_at__isnull=True)
        .select_related("created_by")
        .order_by("-ordered_at", "-pk")
    )
    for row in _bounded(qs, "ordered_at", before, exactly)[:limit]:
        yield TimelineEntry(
            kind="order",
            at=row.ordered_at,
            title=_("Order %(number)s") % {"number": row.number},
            body=f"{row.get_status_display()} · {amount(row.total)}",
            channel="",
            direction="",
            actor=str(row.created_by) if row.created_by is not None else "",
            url=reverse("sales:order_detail", args=[row.pk]),
        )


def _tasks(
    customer: Customer, user: Any, limit: int, before: Any, exactly: Any = None
) -> Iterator[TimelineEntry]:
    qs = (
        Task.objects.visible_to(user)
        .filter(customer=customer)
        .select_related("created_by")
        .order_by("-created_at", "-pk")
    )
    for row in _bounded(qs, "created_at", before, exactly)[:limit]:
        yield TimelineEntry(
            kind="task",
            at=row.created_at,
            title=row.title,
            body=row.get_status_display(),
            channel="",
            direction="",
            actor=str(row.created_by) if row.created_by is not None else "",
            url=reverse("desk:task_detail", args=[row.pk]),
        )


def _web_sessions(
    customer: Customer, user: Any, limit: int, before: Any, exactly: Any = None
) -> Iterator[TimelineEntry]:
    # One entry per website visit, never per page view; the customer gate keeps the
    # visits of a customer the user may not see out, in the same query.
    from peyvand.tracking.selectors import customer_sessions, session_summary, session_title

    qs = customer_sessions(customer.pk).filter(
        Exists(Customer.objects.visible_to(user).filter(pk=customer.pk))
    )
    for row in _bounded(qs, "started_at", before, exactly)[:limit]:
        yield TimelineEntry(
            kind="visit",
            at=row.started_at,
            title=session_title(row),
            body=session_summary(row),
            channel="",
            direction="",
            actor="",
            url="",
        )


def _message_engagement(
    customer: Customer, user: Any, limit: int, before: Any, exactly: Any = None
) -> Iterator[TimelineEntry]:
    # The first open and the first click of each message, never every repeat; the customer
    # gate keeps those of a customer the user may not see out, in the same query.
    from peyvand.tracking.selectors import customer_message_events, message_event_title

    qs = customer_message_events(customer.pk).filter(
        Exists(Customer.objects.visible_to(user).filter(pk=customer.pk))
    )
    for row in _bounded(qs, "at", before, exactly)[:limit]:
        yield TimelineEntry(
            kind="engagement",
            at=row.at,
            title=message_event_title(row),
            body="",
            channel=row.message.channel,
            direction="",
            actor="",
            url="",
        )


def _ideas(
    customer: Customer, user: Any, limit: int, before: Any, exactly: Any = None
) -> Iterator[TimelineEntry]:
    # The ideas the customer proposed on the community board and the ones they voted for:
    # what they asked the product team for, in their own words.
    from peyvand.portal.community.selectors import customer_ideas

    linked = can(user, "idea", "view")
    gate = Exists(Customer.objects.visible_to(user).filter(pk=customer.pk))
    ideas = customer_ideas(customer.pk).filter(gate).order_by("-created_at", "-pk")
    for row in _bounded(ideas, "created_at", before, exactly)[:limit]:
        yield TimelineEntry(
            kind="idea",
            at=row.created_at,
            title=_("Proposed: %(title)s") % {"title": row.title},
            body=f"{row.product} · {row.get_status_display()}",
            channel="",
            direction="",
            actor="",
            url=reverse("community:idea", args=[row.pk]) if linked else "",
        )


def _idea_votes(
    customer: Customer, user: Any, limit: int, before: Any, exactly: Any = None
) -> Iterator[TimelineEntry]:
    from peyvand.portal.community.selectors import customer_idea_votes

    linked = can(user, "idea", "view")
    gate = Exists(Customer.objects.visible_to(user).filter(pk=customer.pk))
    votes = customer_idea_votes(customer.pk).filter(gate).order_by("-created_at", "-pk")
    for row in _bounded(votes, "created_at", before, exactly)[:limit]:
        yield TimelineEntry(
            kind="idea",
            at=row.created_at,
            title=_("Voted for: %(title)s") % {"title": row.idea.title},
            body=row.idea.get_status_display(),
            channel="",
            direction="",
            actor="",
            url=reverse("community:idea", args=[row.idea_id]) if linked else "",
        )


def _field_label(model: type[models.Model] | None, attname: str) -> str:
    if model is None:
        return attname
    name = attname.removesuffix("_id")
    try:
        return str(getattr(model._meta.get_field(name), "verbose_name", attname))
    except FieldDoesNotExist:
        return attname


def summarise_change(row: ChangeLog) -> str:
    """ "Changed: field1, field2" for updates; the action and the object otherwise."""
    model = ContentType.objects.get_for_id(row.content_type_id).model_class()
    if row.action == ChangeAction.UPDATE:
        fields = [_field_label(model, key) for key in diff(row.before, row.after)]
        return _("Changed: %(fields)s") % {"fields": ", ".join(fields)}
    return f"{row.get_action_display()}: {row.object_repr}"


def _changes(
    customer: Customer, user: Any, limit: int, before: Any, exactly: Any = None
) -> Iterator[TimelineEntry]:
    # Task rows are left out: tasks appear as their own entries, and a task on this
    # customer may lie outside the user's task scope. The customer gate keeps the whole
    # history of a customer the user may not see out, in the same single query. Customers
    # merged into this one keep their change rows under their own id; they are its history too.
    # Ideas and idea votes appear as their own entries; only later changes of an idea (its
    # status, decided by staff) are told as changes.
    from peyvand.portal.models import Idea, IdeaVote

    hidden_types = ContentType.objects.get_for_models(Task, TaskComment).values()
    own_entries = ContentType.objects.get_for_models(Idea, IdeaVote).values()
    merged_ids = Customer.objects.filter(merged_into=customer.pk).values("pk")
    qs = (
        ChangeLog.objects.filter(
            models.Q(customer_id=customer.pk) | models.Q(customer_id__in=merged_ids),
            Exists(Customer.objects.visible_to(user).filter(pk=customer.pk)),
        )
        .exclude(content_type__in=list(hidden_types))
        .exclude(content_type__in=list(own_entries), action=ChangeAction.CREATE)
        .order_by("-at", "-seq")
    )
    for row in _bounded(qs, "at", before, exactly)[:limit]:
        model = ContentType.objects.get_for_id(row.content_type_id).model_class()
        yield TimelineEntry(
            kind="change",
            at=row.at,
            title=summarise_change(row),
            body=str(model._meta.verbose_name) if model is not None else "",
            channel="",
            direction="",
            actor=row.actor_name,
            url="",
        )


def customer_timeline(
    customer: Customer, *, user: Any, limit: int = 50, before: dt.datetime | None = None
) -> list[TimelineEntry]:
    """The newest `limit` entries of the customer's timeline older than `before`, as
    `user` may see them."""
    sources = (
        _interactions,
        _orders,
        _tasks,
        _changes,
        _web_sessions,
        _message_engagement,
        _ideas,
        _idea_votes,
    )
    # One row more than a page from each source: if the row after the page shares the page's
    # last instant, the page would split that instant and it is fetched whole instead.
    streams: Iterable[Iterator[TimelineEntry]] = [
        source(customer, user, limit + 1, before) for source in sources
    ]
    merged = heapq.merge(*streams, key=lambda entry: entry.at, reverse=True)
    page = list(itertools.islice(merged, limit))
    following = next(merged, None)
    if not page or following is None or following.at != page[-1].at:
        return page
    last = page[-1].at
    same_instant = heapq.merge(
        *[source(customer, user, SAME_INSTANT_CAP, None, last) for source in sources],
        key=lambda entry: entry.at,
        reverse=True,
    )
    return [entry for entry in page if entry.at != last] + list(same_instant)
