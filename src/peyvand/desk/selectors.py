"""Read side of the desk: the buckets of a queue and the counts of every desk."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, F, Q
from django.utils import timezone

from peyvand.access.models import Department, User
from peyvand.audit.models import ChangeLog
from peyvand.audit.timeline import summarise_change
from peyvand.desk.choices import OPEN_STATUSES
from peyvand.desk.models import Task
from peyvand.desk.querysets import local_day_bounds

# A desk page shows at most this many open tasks; the counts always cover all of them.
DESK_PAGE_SIZE = 200


@dataclass
class DeskCounts:
    open: int = 0
    overdue: int = 0
    today: int = 0
    reminders: int = 0


@dataclass
class Desk:
    overdue: list[Task] = field(default_factory=list)
    today: list[Task] = field(default_factory=list)
    upcoming: list[Task] = field(default_factory=list)
    undated: list[Task] = field(default_factory=list)
    counts: DeskCounts = field(default_factory=DeskCounts)

    @property
    def sections(self) -> list[tuple[str, list[Task]]]:
        return [
            ("overdue", self.overdue),
            ("today", self.today),
            ("upcoming", self.upcoming),
            ("undated", self.undated),
        ]

    @property
    def is_empty(self) -> bool:
        return self.counts.open == 0


def build_desk(tasks: Any, *, now: dt.datetime | None = None) -> Desk:
    """Split an (already authorised) task queryset into overdue / due today / upcoming /
    no due date, with counts: two queries whatever the size."""
    now = now or timezone.now()
    _, end_of_day = local_day_bounds(now)
    open_tasks = tasks.open()
    counts = open_tasks.aggregate(
        open=Count("pk"),
        overdue=Count("pk", filter=Q(due_at__lt=now)),
        today=Count("pk", filter=Q(due_at__gte=now, due_at__lt=end_of_day)),
        reminders=Count("pk", filter=Q(reminded_at__isnull=False)),
    )
    desk = Desk(counts=DeskCounts(**counts))
    rows = open_tasks.select_related("assignee", "department", "customer").order_by(
        F("due_at").asc(nulls_last=True), "-priority", "pk"
    )[:DESK_PAGE_SIZE]
    for task in rows:
        if task.due_at is None:
            desk.undated.append(task)
        elif task.due_at < now:
            desk.overdue.append(task)
        elif task.due_at < end_of_day:
            desk.today.append(task)
        else:
            desk.upcoming.append(task)
    return desk


def _desk_annotations(prefix: str, now: dt.datetime, extra: Q | None = None) -> dict[str, Any]:
    _, end_of_day = local_day_bounds(now)
    base = Q(**{f"{prefix}status__in": OPEN_STATUSES})
    if extra is not None:
        base &= extra
    return {
        "open_count": Count(f"{prefix}pk", filter=base),
        "overdue_count": Count(f"{prefix}pk", filter=base & Q(**{f"{prefix}due_at__lt": now})),
        "today_count": Count(
            f"{prefix}pk",
            filter=base & Q(**{f"{prefix}due_at__gte": now, f"{prefix}due_at__lt": end_of_day}),
        ),
    }


def all_desks(*, now: dt.datetime | None = None) -> tuple[list[Any], list[Any]]:
    """Every active user's and department's desk with its counts (for managers)."""
    now = now or timezone.now()
    users = sorted(
        User.objects.filter(is_active=True)
        .annotate(**_desk_annotations("tasks__", now))
        .order_by("first_name", "last_name", "username"),
        # The most overdue desks first: that is where a manager looks.
        key=lambda user: -getattr(user, "overdue_count", 0),
    )
    departments = list(
        Department.objects.filter(is_active=True)
        .annotate(
            **_desk_annotations("tasks__", now),
            queue_count=Count(
                "tasks__pk",
                filter=Q(tasks__status__in=OPEN_STATUSES, tasks__assignee__isnull=True),
            ),
        )
        .order_by("name")
    )
    return users, departments


def task_history(task: Task) -> list[tuple[ChangeLog, str]]:
    """The change-log rows of the task, oldest first, each with its one-line summary."""
    task_type = ContentType.objects.get_for_model(Task)
    rows = ChangeLog.objects.filter(content_type=task_type, object_id=str(task.pk)).order_by("seq")
    return [(row, summarise_change(row)) for row in rows]
