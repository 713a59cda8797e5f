"""First-response SLA of leads: the deadline a new lead gets, the breached leads a desk
shows, and the escalation of each breached lead to its department's manager (once)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from peyvand.access.models import Department, User
from peyvand.access.scopes import restrict
from peyvand.audit.services import record
from peyvand.desk.choices import TaskKind, TaskPriority
from peyvand.desk.services import create_task
from peyvand.sales.access import live_leads
from peyvand.sales.choices import LeadStatus
from peyvand.sales.models import Lead, LeadSource

# One run escalates at most this many leads; the next run takes the rest.
ESCALATION_BATCH = 500


def response_hours(source: LeadSource | None) -> int:
    if source is not None and source.response_hours:
        return source.response_hours
    return int(settings.PEYVAND_LEAD_RESPONSE_HOURS)


def response_deadline(source: LeadSource | None, created_at: dt.datetime) -> dt.datetime:
    return created_at + dt.timedelta(hours=response_hours(source))


def breached_condition(now: dt.datetime | None = None) -> Q:
    """New leads nobody has answered, past their first-response deadline."""
    return Q(
        status=LeadStatus.NEW,
        first_response_at__isnull=True,
        respond_by__lt=now or timezone.now(),
    )


def breached(now: dt.datetime | None = None) -> QuerySet[Lead]:
    return live_leads().filter(breached_condition(now))


def breached_leads_for(user: Any, *, limit: int = 50) -> list[Lead]:
    """The breached leads on the user's own desk (the leads they own), oldest deadline first."""
    leads = restrict(breached(), user).filter(owner=user)
    return list(leads.select_related("source").order_by("respond_by", "pk")[:limit])


def department_manager(department: Department | None) -> User | None:
    """Who a breached lead is escalated to: a manager of its department, else any manager."""
    managers = User.objects.filter(is_active=True, roles__is_manager=True).order_by("pk")
    if department is not None:
        own = managers.filter(departments=department).first()
        if own is not None:
            return own
    return managers.first()


def _escalate(lead_id: int, now: dt.datetime) -> bool:
    with transaction.atomic():
        # The conditional claim makes concurrent or repeated runs escalate each lead once.
        claimed = (
            breached(now)
            .filter(pk=lead_id, sla_escalated_at__isnull=True)
            .select_for_update()
            .first()
        )
        if claimed is None:
            return False
        manager = department_manager(claimed.department)
        with record(claimed, actor=None):
            claimed.sla_escalated_at = now
            claimed.save(update_fields=["sla_escalated_at", "updated_at"])
        with override(getattr(manager, "language", "") or settings.LANGUAGE_CODE):
            create_task(
                actor=None,
                title=_("No first response to lead %(lead)s within %(hours)s hours")
                % {"lead": claimed, "hours": response_hours(claimed.source)},
                description=_("Owner: %(owner)s. Deadline for the first response was %(deadline)s.")
                % {
                    "owner": claimed.owner or _("nobody"),
                    "deadline": timezone.localtime(claimed.respond_by).strftime("%Y-%m-%d %H:%M")
                    if claimed.respond_by
                    else "",
                },
                kind=TaskKind.FOLLOW_UP,
                priority=TaskPriority.HIGH,
                assignee=manager,
                department=claimed.department,
                due_at=now,
            )
    return True


def escalate_breached_leads(now: dt.datetime | None = None) -> int:
    """Put a desk task on the department manager's desk for every breached lead not yet
    escalated; returns how many were escalated by this run."""
    now = now or timezone.now()
    ids = list(
        breached(now)
        .filter(sla_escalated_at__isnull=True)
        .order_by("respond_by", "pk")
        .values_list("pk", flat=True)[:ESCALATION_BATCH]
    )
    return sum(_escalate(pk, now) for pk in ids)
