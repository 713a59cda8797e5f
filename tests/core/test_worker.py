from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from peyvand.core.worker import PERIODIC_TASKS, enqueue_due
from peyvand.desk.models import Task


@pytest.mark.django_db
def test_clock_enqueues_each_periodic_job_once_per_period() -> None:
    last_run: dict[str, float] = {}
    assert enqueue_due(last_run, 1000.0) == [path for path, _ in PERIODIC_TASKS]
    assert enqueue_due(last_run, 1001.0) == []
    period = dict(PERIODIC_TASKS)["peyvand.desk.tasks.send_due_reminders"]
    due_again = [path for path, every in PERIODIC_TASKS if every <= period]
    assert "peyvand.desk.tasks.send_due_reminders" in due_again
    assert enqueue_due(last_run, 1000.0 + period) == due_again
    assert len(due_again) < len(PERIODIC_TASKS)


@pytest.mark.django_db(transaction=True)
def test_database_worker_runs_the_reminder_job(settings, sales1) -> None:
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }
    due = Task.objects.create(
        title="Call back", assignee=sales1, remind_at=timezone.now() - dt.timedelta(minutes=1)
    )
    later = Task.objects.create(
        title="Later", assignee=sales1, remind_at=timezone.now() + dt.timedelta(days=1)
    )
    # Only the desk's job: other apps' periodic jobs are tested with their apps.
    enqueue_due({}, 0.0, [p for p in PERIODIC_TASKS if p[0].startswith("peyvand.desk.")])
    assert DBTaskResult.objects.filter(status="READY").count() == 1
    call_command("worker", "--batch")
    due.refresh_from_db()
    later.refresh_from_db()
    assert due.reminded_at is not None
    assert later.reminded_at is None
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"
