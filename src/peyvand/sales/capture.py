"""`capture_lead`: the one way a lead enters Peyvand, whatever the channel (staff form,
import, API, web-to-lead form, inbound email, chat). It validates, assigns (assignment
rules, else round robin), scores (rules + learned model), sets the first-response deadline,
writes the lead once with its audit row, and reports possible duplicates."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from peyvand.access.models import Department
from peyvand.audit.services import record
from peyvand.catalog.models import Product
from peyvand.sales import events
from peyvand.sales.assignment import Assigner, choose_owner
from peyvand.sales.choices import LeadChannel, LeadStatus
from peyvand.sales.leads import Duplicates, build_lead, find_duplicates
from peyvand.sales.models import Lead, LeadSource, WebForm
from peyvand.sales.scoring import score_lead
from peyvand.sales.sla import response_deadline


@transaction.atomic
def capture_lead(
    *,
    actor: Any,
    channel: str = LeadChannel.MANUAL,
    name: str = "",
    company: str = "",
    email: str = "",
    phone: str = "",
    source: LeadSource | None = None,
    status: str = LeadStatus.NEW,
    owner: Any = None,
    department: Department | None = None,
    assign: bool = False,
    referrer: str = "",
    notes: str = "",
    city: str = "",
    language: str = "",
    product: Product | None = None,
    web_form: WebForm | None = None,
    assigner: Assigner | None = None,
    report_duplicates: bool = True,
    **utm: str,
) -> tuple[Lead, Duplicates]:
    """Record a lead and report the customers and open leads it may duplicate (the lead is
    created either way: a person decides). Without an `owner` and with `assign`, the
    assignment rules choose one, else round robin in `department`. Raises ValidationError
    naming every bad field, or ServiceError when nobody can take the lead; nothing is
    written then (actor None: a public channel, recorded as the system). Bulk channels
    (imports) pass one `assigner` for many leads, and `report_duplicates=False` when they
    do their own duplicate check and would discard the report."""
    lead = build_lead(
        name=name,
        company=company,
        email=email,
        phone=phone,
        source=source,
        status=status,
        referrer=referrer,
        notes=notes,
        city=city,
        language=language,
        product=product,
        **utm,
    )
    lead.channel = channel
    lead.web_form = web_form
    lead.owner, lead.department = owner, department
    if owner is None and assign:
        assignment = (
            assigner.choose(lead, department=department)
            if assigner is not None
            else choose_owner(lead, department=department)
        )
        lead.owner, lead.department = assignment.owner, assignment.department
    score_lead(lead)
    lead.created_at = timezone.now()
    lead.respond_by = response_deadline(source, lead.created_at)
    with record(lead, actor=actor):
        lead.save()
    events.lead_created(lead)
    if not report_duplicates:
        return lead, Duplicates()
    duplicates = find_duplicates(email=lead.email, phone=lead.phone, actor=actor, exclude=lead)
    return lead, duplicates
