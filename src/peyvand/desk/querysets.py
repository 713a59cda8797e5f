from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q
from django.utils import timezone

from peyvand.access.choices import ObjectType, Scope
from peyvand.access.scopes import VisibleQuerySet, department_ids, scope_for
from peyvand.desk.choices import OPEN_STATUSES


def local_day_bounds(now: dt.datetime | None = None) -> tuple[dt.datetime, dt.datetime]:
    """Start and end of today in the site's time zone: "due today" is a local notion."""
    local = timezone.localtime(now or timezone.now())
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return start, start + dt.timedelta(days=1)


class TaskQuerySet(VisibleQuerySet):
    def visible_to(self, user: Any, action: str = "view") -> Any:
        """Tasks the user may act on: those their role's scope reaches, plus the unassigned
        queue of their own departments (a department desk is worked by its members) and
        the tasks they created themselves."""
        scope = scope_for(user, ObjectType.TASK, action)
        granted = super().visible_to(user, action)
        if scope in (Scope.ALL, Scope.NONE):
            return granted
        return granted | self.filter(
            Q(assignee__isnull=True, department__in=department_ids(user)) | Q(created_by=user)
        )

    def open(self) -> Any:
        return self.filter(status__in=OPEN_STATUSES)

    def overdue(self) -> Any:
        return self.open().filter(due_at__lt=timezone.now())

    def on_desk_of(self, user: Any) -> Any:
        """A person's desk: assigned to them, or unassigned in one of their departments."""
        return self.filter(
            Q(assignee=user) | Q(assignee__isnull=True, department__in=department_ids(user))
        )

    def on_department_desk(self, department: Any) -> Any:
        return self.filter(department=department)
