"""First-response SLA: breached leads, the escalation job (once, audited), the desk."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from peyvand.access.models import Department
from peyvand.audit.models import ChangeLog
from peyvand.core.worker import PERIODIC_TASKS
from peyvand.desk.models import Task
from peyvand.sales.leads import set_lead_status
from peyvand.sales.models import Lead
from peyvand.sales.sla import breached, escalate_breached_leads
from peyvand.sales.tasks import escalate_lead_sla
from tests.sales.pipeline_factories import make_lead


def _late(lead: Lead, hours: int = 1) -> Lead:
    Lead.objects.filter(pk=lead.pk).update(respond_by=timezone.now() - dt.timedelta(hours=hours))
    lead.refresh_from_db()
    return lead


def test_only_unanswered_new_leads_past_their_deadline_are_breached(sales1: Any) -> None:
    late = _late(make_lead(sales1, email="late@example.com"))
    answered = _late(make_lead(sales1, email="answered@example.com"))
    set_lead_status(answered, "contacted", actor=sales1)
    make_lead(sales1, email="fresh@example.com")  # deadline still ahead
    assert list(breached()) == [late]
    assert late.sla_breached


def test_escalation_puts_one_task_on_the_managers_desk_once(sales1: Any, manager: Any) -> None:
    lead = _late(make_lead(sales1, name="Waiting Lead", email="w@example.com"))
    assert escalate_lead_sla.enqueue().return_value == 1
    [task] = Task.objects.all()
    assert task.assignee == manager
    assert task.department == Department.objects.get(code="sales")
    assert "Waiting Lead" in task.title
    lead.refresh_from_db()
    assert lead.sla_escalated_at is not None
    log = ChangeLog.objects.filter(
        content_type=ContentType.objects.get_for_model(Lead), object_id=str(lead.pk)
    ).latest("seq")
    assert log.after["sla_escalated_at"] is not None
    # Idempotent: later runs escalate nothing more.
    assert escalate_breached_leads() == 0
    assert escalate_breached_leads(timezone.now() + dt.timedelta(days=2)) == 0
    assert Task.objects.count() == 1


def test_escalation_job_is_periodic() -> None:
    assert "peyvand.sales.tasks.escalate_lead_sla" in dict(PERIODIC_TASKS)
    assert "peyvand.sales.tasks.retrain_lead_scoring" in dict(PERIODIC_TASKS)


def test_breached_leads_show_red_on_the_owners_desk_only(
    sales1: Any, sales2: Any, client_for: Any
) -> None:
    _late(make_lead(sales1, name="Sara's <b>late</b> lead", email="l@example.com"))
    page = client_for(sales1).get("/").content.decode()
    assert "Leads waiting for a first response" in page
    assert "Sara&#x27;s &lt;b&gt;late&lt;/b&gt; lead" in page
    other = client_for(sales2).get("/").content.decode()
    assert "late</b>" not in other and "Sara&#x27;s" not in other
