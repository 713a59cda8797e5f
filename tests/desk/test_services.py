from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone

from peyvand.access.models import Department
from peyvand.audit.models import ChangeLog
from peyvand.desk.models import Task, TaskComment
from peyvand.desk.services import (
    assign_task,
    comment_on_task,
    complete_task,
    create_task,
    reopen_task,
)
from peyvand.desk.tasks import send_due_reminders

pytestmark = pytest.mark.django_db


def _task_rows(task: Task) -> list[str]:
    return list(
        ChangeLog.objects.filter(content_type__model="task", object_id=str(task.pk))
        .order_by("seq")
        .values_list("action", flat=True)
    )


def test_create_task_lands_on_the_actors_desk_and_is_audited(
    sales1: Any, customer_of_sales1: Any
) -> None:
    task = create_task(actor=sales1, title="  Call Ali  ", customer=customer_of_sales1)
    assert task.title == "Call Ali"
    assert task.assignee == sales1
    assert task.created_by == sales1
    row = ChangeLog.objects.get(content_type__model="task")
    assert (row.action, row.customer_id, row.actor_id) == (
        "create",
        customer_of_sales1.pk,
        sales1.pk,
    )


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"title": "   "}, "title"),
        ({"title": "x" * 256}, "title"),
        ({"title": "ok", "kind": "nap"}, "kind"),
        ({"title": "ok", "priority": 9}, "priority"),
        ({"title": "ok", "description": "x" * 20_001}, "description"),
    ],
)
def test_bad_input_writes_nothing(sales1: Any, kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as exc:
        create_task(actor=sales1, **kwargs)
    assert field in exc.value.message_dict
    assert not Task.objects.exists()
    assert not ChangeLog.objects.exists()


def test_a_customer_the_actor_cannot_see_is_refused(sales2: Any, customer_of_sales1: Any) -> None:
    with pytest.raises(ValidationError) as exc:
        create_task(actor=sales2, title="Peek", customer=customer_of_sales1)
    assert "customer" in exc.value.message_dict
    assert not Task.objects.exists()


def test_putting_work_on_another_desk_needs_the_assign_grant(marketing1: Any, sales1: Any) -> None:
    with pytest.raises(ValidationError) as exc:
        create_task(actor=marketing1, title="For sales", assignee=sales1)
    assert "assignee" in exc.value.message_dict
    sales = Department.objects.get(code="sales")
    with pytest.raises(ValidationError):
        create_task(actor=marketing1, title="For sales", department=sales)
    own = create_task(
        actor=marketing1, title="Mine", department=Department.objects.get(code="marketing")
    )
    assert own.assignee is None
    assert not Task.objects.filter(title="For sales").exists()


def test_assign_moves_the_task_and_is_audited(sales1: Any, sales2: Any) -> None:
    task = create_task(actor=sales1, title="Hand over")
    moved = assign_task(task, actor=sales1, assignee=sales2)
    assert moved.assignee == sales2
    row = ChangeLog.objects.filter(action="update").get()
    assert (row.before["assignee_id"], row.after["assignee_id"]) == (sales1.pk, sales2.pk)


def test_assign_to_nobody_without_department_is_refused(sales1: Any) -> None:
    task = create_task(actor=sales1, title="Hand over")
    with pytest.raises(ValidationError):
        assign_task(task, actor=sales1)
    task.refresh_from_db()
    assert task.assignee == sales1


def test_assign_is_404_without_the_grant_or_out_of_scope(
    sales1: Any, sales2: Any, marketing1: Any
) -> None:
    mine = create_task(actor=marketing1, title="Marketing work")
    with pytest.raises(Http404):
        assign_task(mine, actor=marketing1, assignee=sales1)
    theirs = create_task(actor=sales1, title="Sales1 work")
    with pytest.raises(Http404):
        assign_task(theirs, actor=sales2, assignee=sales2)
    theirs.refresh_from_db()
    assert theirs.assignee == sales1


def test_complete_is_idempotent(sales1: Any) -> None:
    task = create_task(actor=sales1, title="Finish")
    done = complete_task(task, actor=sales1)
    again = complete_task(task, actor=sales1)
    assert done.status == again.status == "done"
    assert again.completed_at == done.completed_at
    assert _task_rows(task) == ["create", "update"]


def test_reopen_then_complete_again(sales1: Any) -> None:
    task = complete_task(create_task(actor=sales1, title="Again"), actor=sales1)
    reopened = reopen_task(task, actor=sales1)
    assert (reopened.status, reopened.completed_at) == ("open", None)
    reopen_task(reopened, actor=sales1)
    assert _task_rows(task) == ["create", "update", "update"]


def test_another_rep_cannot_act_on_someone_elses_task(sales1: Any, sales2: Any) -> None:
    task = create_task(actor=sales1, title="Private")
    for action in (complete_task, reopen_task):
        with pytest.raises(Http404):
            action(task, actor=sales2)
    with pytest.raises(Http404):
        comment_on_task(task, actor=sales2, body="hi")
    task.refresh_from_db()
    assert task.status == "open"
    assert not TaskComment.objects.exists()


def test_department_queue_is_worked_by_its_members(sales1: Any, sales2: Any, service1: Any) -> None:
    sales = Department.objects.get(code="sales")
    queued = create_task(actor=sales1, title="Anyone in sales", department=sales)
    assert queued.assignee is None
    picked = assign_task(queued, actor=sales2, assignee=sales2)
    assert picked.assignee == sales2
    with pytest.raises(Http404):
        complete_task(create_task(actor=sales1, title="Queue", department=sales), actor=service1)


def test_comments_are_audited_with_the_customer(sales1: Any, customer_of_sales1: Any) -> None:
    task = create_task(actor=sales1, title="Discuss", customer=customer_of_sales1)
    comment = comment_on_task(task, actor=sales1, body="  Spoke to them  ")
    assert comment.body == "Spoke to them"
    row = ChangeLog.objects.get(content_type__model="taskcomment")
    assert row.customer_id == customer_of_sales1.pk
    with pytest.raises(ValidationError):
        comment_on_task(task, actor=sales1, body="   ")
    assert TaskComment.objects.count() == 1


def test_reminders_are_flagged_once(sales1: Any) -> None:
    past = timezone.now() - dt.timedelta(minutes=5)
    due = create_task(actor=sales1, title="Due", remind_at=past)
    later = create_task(
        actor=sales1, title="Later", remind_at=timezone.now() + dt.timedelta(days=1)
    )
    finished = complete_task(create_task(actor=sales1, title="Done", remind_at=past), actor=sales1)
    assert send_due_reminders.call() == 1
    due.refresh_from_db()
    first_flag = due.reminded_at
    assert first_flag is not None
    assert send_due_reminders.call() == 0
    due.refresh_from_db()
    assert due.reminded_at == first_flag
    later.refresh_from_db()
    finished.refresh_from_db()
    assert later.reminded_at is None and finished.reminded_at is None


def test_reminder_job_runs_through_the_task_backend(sales1: Any) -> None:
    task = create_task(actor=sales1, title="Due", remind_at=timezone.now() - dt.timedelta(hours=1))
    result = send_due_reminders.enqueue()
    assert result.return_value == 1
    task.refresh_from_db()
    assert task.reminded_at is not None
