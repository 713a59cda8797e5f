"""The periodic sales jobs run by the real database worker: lapsed quotes expire, renewal
reminders land on the desk, and a second run changes nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from peyvand.core.worker import PERIODIC_TASKS, enqueue_due
from peyvand.desk.models import Task
from peyvand.sales.choices import QuoteStatus
from tests.sales.quote_factories import make_contract, make_quote

SALES_JOBS = [p for p in PERIODIC_TASKS if p[0].startswith("peyvand.sales.tasks.")]


@pytest.mark.django_db(transaction=True)
def test_worker_expires_quotes_and_reminds_renewals(settings: Any, customer1: Any) -> None:
    settings.TASKS = {
        "default": {**settings.TASKS["default"], "BACKEND": "django_tasks_db.DatabaseBackend"}
    }
    today = timezone.localdate()
    lapsed = make_quote(
        customer1, issued_on=today - dt.timedelta(days=40), valid_until=today - dt.timedelta(days=1)
    )
    contract = make_contract(customer1, start_date=today - dt.timedelta(days=350))
    names = {path.rsplit(".", 1)[1] for path, _period in SALES_JOBS}
    assert {"expire_lapsed_quotes", "process_contract_renewals"} <= names
    for _run in range(2):
        enqueue_due({}, 0.0, SALES_JOBS)
        call_command("worker", "--batch")
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {"SUCCESSFUL"}
    lapsed.refresh_from_db()
    contract.refresh_from_db()
    assert lapsed.status == QuoteStatus.EXPIRED
    assert Task.objects.filter(customer=customer1).count() == 1
    assert contract.renewal_task_id is not None
