"""REST endpoints of the desk app, mounted by peyvand.config.api at /tasks."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from peyvand.access.choices import Action, ApiScope, ObjectType
from peyvand.access.scopes import get_for
from peyvand.core.api.access import (
    active_department,
    active_user,
    optionally_referenced,
    require_action,
)
from peyvand.core.api.auth import api_user, require_scope
from peyvand.core.api.pagination import Ordering, PageParams, paginate
from peyvand.core.api.schemas import CustomerRef, DepartmentRef, InputSchema, UserRef
from peyvand.customers.models import Customer
from peyvand.desk.access import get_task_for
from peyvand.desk.choices import OPEN_STATUSES, TaskKind, TaskPriority, TaskStatus
from peyvand.desk.models import Task
from peyvand.desk.services import assign_task, complete_task, create_task, reopen_task

router = Router(tags=["tasks"])

ORDERING = Ordering("created_at", descending=True)


class TaskOut(Schema):
    id: int
    title: str
    description: str
    kind: str
    status: str
    priority: int = Field(description="1 low, 2 normal, 3 high, 4 urgent.")
    due_at: dt.datetime | None
    remind_at: dt.datetime | None
    assignee: UserRef | None
    department: DepartmentRef | None
    customer: CustomerRef | None
    created_at: dt.datetime
    updated_at: dt.datetime
    completed_at: dt.datetime | None


class TaskPage(Schema):
    items: list[TaskOut]
    next_cursor: str | None


class TaskFilters(PageParams):
    status: TaskStatus | None = None
    open: bool | None = Field(None, description="Only open and in-progress (true) tasks.")
    assignee: int | None = Field(None, description="User id of the assignee.")
    department: int | None = Field(None, description="Department id.")
    customer: int | None = Field(None, description="Customer id.")
    due_before: dt.datetime | None = None


class TaskIn(InputSchema):
    title: str = Field(min_length=1, max_length=255)
    description: str = Field("", max_length=20_000)
    kind: TaskKind = TaskKind.TODO
    priority: TaskPriority = TaskPriority.NORMAL
    due_at: dt.datetime | None = None
    remind_at: dt.datetime | None = None
    assignee: int | None = Field(
        None, description="User id; with neither assignee nor department the task is yours."
    )
    department: int | None = Field(None, description="Department id, for a department queue.")
    customer: int | None = Field(None, description="The customer the task concerns.")


class TaskPatch(InputSchema):
    """Assign (assignee and/or department) and/or move the task to done or back to open."""

    assignee: int | None = Field(None, description="User id; null sends the task to the queue.")
    department: int | None = Field(None, description="Department id.")
    status: Literal["done", "open"] | None = Field(None, description="Complete or reopen.")


def _tasks(request: HttpRequest, action: str = Action.VIEW) -> Any:
    return Task.objects.visible_to(api_user(request), action).select_related(
        "assignee", "department", "customer"
    )


@router.get("", response=TaskPage, summary="List tasks")
@require_scope(ApiScope.TASKS_READ)
def list_tasks(request: HttpRequest, filters: Query[TaskFilters]) -> Any:
    """Tasks the caller may see, newest first, cursor-paginated."""
    qs = _tasks(request)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.open is not None:
        qs = qs.open() if filters.open else qs.exclude(status__in=OPEN_STATUSES)
    if filters.assignee is not None:
        qs = qs.filter(assignee_id=filters.assignee)
    if filters.department is not None:
        qs = qs.filter(department_id=filters.department)
    if filters.customer is not None:
        qs = qs.filter(customer_id=filters.customer)
    if filters.due_before is not None:
        qs = qs.filter(due_at__lt=filters.due_before)
    return paginate(qs, filters, ORDERING)


@router.post("", response={201: TaskOut}, summary="Create a task")
@require_scope(ApiScope.TASKS_WRITE)
def create_task_endpoint(request: HttpRequest, payload: TaskIn) -> Status[Task]:
    user = api_user(request)
    require_action(user, ObjectType.TASK, Action.ADD)
    task = create_task(
        actor=user,
        title=payload.title,
        description=payload.description,
        kind=payload.kind,
        priority=payload.priority,
        due_at=payload.due_at,
        remind_at=payload.remind_at,
        assignee=optionally_referenced(payload.assignee, active_user, "assignee"),
        department=optionally_referenced(payload.department, active_department, "department"),
        customer=optionally_referenced(
            payload.customer, lambda pk: get_for(user, Customer.objects.alive(), pk), "customer"
        ),
    )
    return Status(201, task)


@router.get("/{task_id}", response=TaskOut, summary="Read a task")
@require_scope(ApiScope.TASKS_READ)
def read_task(request: HttpRequest, task_id: int) -> Task:
    return get_task_for(api_user(request), task_id)


@router.patch("/{task_id}", response=TaskOut, summary="Assign, complete or reopen a task")
@require_scope(ApiScope.TASKS_WRITE)
def update_task(request: HttpRequest, task_id: int, payload: TaskPatch) -> Task:
    """Send `assignee` and/or `department` to reassign; `status` "done" completes the task,
    "open" reopens it. Each step is its own audited service call."""
    user = api_user(request)
    given = payload.model_fields_set
    task = get_task_for(user, task_id, Action.CHANGE)
    if given & {"assignee", "department"}:
        task = assign_task(
            task,
            actor=user,
            assignee=optionally_referenced(payload.assignee, active_user, "assignee"),
            department=optionally_referenced(payload.department, active_department, "department"),
        )
    if payload.status == "done":
        task = complete_task(task, actor=user)
    elif payload.status == "open":
        task = reopen_task(task, actor=user)
    return get_task_for(user, task.pk)
