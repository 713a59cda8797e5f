"""Fetch-and-authorise for tasks: 404 for missing *and* not yours."""

from __future__ import annotations

from typing import Any

from django.http import Http404

from peyvand.access.models import Department
from peyvand.access.scopes import department_ids, is_manager
from peyvand.desk.models import Task


def get_task_for(user: Any, pk: Any, action: str = "view") -> Task:
    try:
        return (
            Task.objects.visible_to(user, action)
            .select_related("assignee", "department", "customer", "created_by")
            .get(pk=pk)
        )
    except (Task.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def ensure_task_access(user: Any, task: Task, action: str) -> None:
    """Services call this with the acting user; `None` is the system (jobs, imports)."""
    if user is None:
        return
    if not Task.objects.visible_to(user, action).filter(pk=task.pk).exists():
        raise Http404


def get_department_for(user: Any, code: str) -> Department:
    """A department desk is open to its members and to managers."""
    try:
        department = Department.objects.get(code=code, is_active=True)
    except Department.DoesNotExist as exc:
        raise Http404 from exc
    if not is_manager(user) and department.pk not in department_ids(user):
        raise Http404
    return department
