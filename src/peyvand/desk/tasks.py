"""Background jobs of the desk (django-tasks)."""

from __future__ import annotations

from django_tasks import task

from peyvand.desk.services import mark_due_reminders


@task()
def send_due_reminders() -> int:
    """Flag every open task whose reminder is due; returns how many were flagged."""
    return mark_due_reminders()
