"""Every state change on the desk: create, assign, complete, reopen, comment — audited."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from peyvand.access.choices import ObjectType
from peyvand.access.models import Department, User
from peyvand.access.scopes import can, department_ids
from peyvand.audit.services import record
from peyvand.customers.models import Customer
from peyvand.desk.access import ensure_task_access
from peyvand.desk.choices import OPEN_STATUSES, TaskStatus
from peyvand.desk.models import Task, TaskComment

MAX_DESCRIPTION_CHARS = 20_000
MAX_COMMENT_CHARS = 10_000


def _lands_elsewhere(actor: Any, assignee: Any, department: Department | None) -> bool:
    """Whether a task would go on a desk that is not the actor's own."""
    if assignee is not None:
        return assignee.pk != actor.pk
    return department is not None and department.pk not in department_ids(actor)


def _check_targets(
    errors: dict[str, list[str]], actor: Any, assignee: Any, department: Department | None
) -> None:
    if assignee is not None and not assignee.is_active:
        errors.setdefault("assignee", []).append(_("This user is not active."))
    if department is not None and not department.is_active:
        errors.setdefault("department", []).append(_("This department is not active."))
    if (
        actor is not None
        and _lands_elsewhere(actor, assignee, department)
        and not can(actor, ObjectType.TASK, "assign")
    ):
        field = "assignee" if assignee is not None else "department"
        errors.setdefault(field, []).append(_("You may not put tasks on someone else's desk."))


def _merge_model_errors(errors: dict[str, list[str]], task: Task) -> None:
    try:
        task.full_clean(exclude=["assignee", "department", "customer", "created_by"])
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)


@transaction.atomic
def create_task(
    *,
    actor: Any,
    title: str,
    description: str = "",
    kind: str = "todo",
    priority: int = 2,
    due_at: dt.datetime | None = None,
    remind_at: dt.datetime | None = None,
    assignee: User | None = None,
    department: Department | None = None,
    customer: Customer | None = None,
) -> Task:
    """Put a new task on a desk. With neither assignee nor department it lands on the
    actor's own desk. Raises ValidationError (per field) and writes nothing on bad input."""
    errors: dict[str, list[str]] = {}
    if actor is not None and not can(actor, ObjectType.TASK, "add"):
        errors.setdefault("__all__", []).append(_("You may not create tasks."))
    if assignee is None and department is None and actor is not None:
        assignee = actor
    _check_targets(errors, actor, assignee, department)
    if customer is not None and (
        customer.deleted_at is not None
        or (
            actor is not None
            and not Customer.objects.visible_to(actor).filter(pk=customer.pk).exists()
        )
    ):
        errors.setdefault("customer", []).append(_("Customer not found."))
    if len(description) > MAX_DESCRIPTION_CHARS:
        errors.setdefault("description", []).append(
            _("The description is too long (at most %(limit)d characters).")
            % {"limit": MAX_DESCRIPTION_CHARS}
        )
    task = Task(
        title=title.strip(),
        description=description,
        kind=kind,
        priority=priority,
        due_at=due_at,
        remind_at=remind_at,
        assignee=assignee,
        department=department,
        customer=customer,
        created_by=actor,
    )
    _merge_model_errors(errors, task)
    if errors:
        raise ValidationError(errors)
    with record(task, actor=actor):
        task.save()
    return task


def _locked(task: Task) -> Task:
    return Task.objects.select_for_update().get(pk=task.pk)


@transaction.atomic
def assign_task(
    task: Task, *, actor: Any, assignee: User | None = None, department: Department | None = None
) -> Task:
    """Move the task to a person's desk, or (assignee None) to a department's queue."""
    ensure_task_access(actor, task, "assign")
    locked = _locked(task)
    errors: dict[str, list[str]] = {}
    if assignee is None and department is None:
        errors["assignee"] = [_("Choose a person or a department.")]
    if assignee is not None and not assignee.is_active:
        errors.setdefault("assignee", []).append(_("This user is not active."))
    if department is not None and not department.is_active:
        errors.setdefault("department", []).append(_("This department is not active."))
    if errors:
        raise ValidationError(errors)
    with record(locked, actor=actor):
        locked.assignee = assignee
        if department is not None:
            locked.department = department
        locked.save(update_fields=["assignee", "department", "updated_at"])
    return locked


@transaction.atomic
def complete_task(task: Task, *, actor: Any) -> Task:
    """Mark the task done; completing a finished task changes nothing and logs nothing."""
    ensure_task_access(actor, task, "change")
    locked = _locked(task)
    if locked.status == TaskStatus.DONE:
        return locked
    with record(locked, actor=actor):
        locked.status = TaskStatus.DONE
        locked.completed_at = timezone.now()
        locked.save(update_fields=["status", "completed_at", "updated_at"])
    return locked


@transaction.atomic
def reopen_task(task: Task, *, actor: Any) -> Task:
    """Put a finished or cancelled task back on the desk; idempotent for open tasks."""
    ensure_task_access(actor, task, "change")
    locked = _locked(task)
    if locked.status in OPEN_STATUSES:
        return locked
    with record(locked, actor=actor):
        locked.status = TaskStatus.OPEN
        locked.completed_at = None
        locked.save(update_fields=["status", "completed_at", "updated_at"])
    return locked


@transaction.atomic
def comment_on_task(task: Task, *, actor: Any, body: str) -> TaskComment:
    ensure_task_access(actor, task, "change")
    body = body.strip()
    if not body:
        raise ValidationError({"body": [_("Write a comment first.")]})
    if len(body) > MAX_COMMENT_CHARS:
        raise ValidationError(
            {
                "body": [
                    _("The comment is too long (at most %(limit)d characters).")
                    % {"limit": MAX_COMMENT_CHARS}
                ]
            }
        )
    comment = TaskComment(task=task, author=actor, body=body)
    with record(comment, actor=actor, customer_id=task.customer_id):
        comment.save()
    return comment


def mark_due_reminders(now: dt.datetime | None = None) -> int:
    """Flag open tasks whose reminder time has passed. One UPDATE whose WHERE re-checks
    `reminded_at IS NULL`, so concurrent or repeated runs flag each task once."""
    now = now or timezone.now()
    return (
        Task.objects.open()
        .filter(remind_at__lte=now, reminded_at__isnull=True)
        .update(reminded_at=now)
    )
