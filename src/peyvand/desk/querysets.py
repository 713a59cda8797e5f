from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.utils import timezone

from peyvand.access.scopes import VisibleQuerySet
from peyvand.desk.choices import OPEN_STATUSES


class TaskQuerySet(VisibleQuerySet):
    def open(self) -> Any:
        return self.filter(status__in=OPEN_STATUSES)

    def overdue(self) -> Any:
        return self.open().filter(due_at__lt=timezone.now())

    def on_desk_of(self, user: Any) -> Any:
        """A person's desk: assigned to them, or unassigned in one of their departments."""
        from peyvand.access.scopes import department_ids

        return self.filter(
            Q(assignee=user) | Q(assignee__isnull=True, department__in=department_ids(user))
        )
