"""Lead sources: where leads come from, and how fast each source's leads must be answered
(`response_hours`, read by `sla.response_deadline` when a lead is captured)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from peyvand.audit.services import record
from peyvand.core.text import normalize_text
from peyvand.sales.choices import OPEN_LEAD_STATUSES
from peyvand.sales.models import LeadSource

# A first response may be asked for within a month at most; longer is not a first response.
MAX_RESPONSE_HOURS = 24 * 30


def lead_sources() -> QuerySet[LeadSource]:
    """Every source with its count of open leads, active ones first."""
    return LeadSource.objects.annotate(
        open_leads=Count(
            "leads",
            filter=Q(leads__status__in=OPEN_LEAD_STATUSES, leads__deleted_at__isnull=True),
        )
    ).order_by("-is_active", "name", "pk")


@transaction.atomic
def save_lead_source(
    source: LeadSource | None,
    *,
    actor: Any,
    name: str,
    name_fa: str = "",
    code: str = "",
    is_active: bool = True,
    response_hours: int | None = None,
) -> LeadSource:
    """Create a source (`source` None) or change one, audited. The code is fixed once the
    source exists: imports, the API and web forms refer to it. Names must differ from
    other sources' names (imports find a source by its name). Raises ValidationError per
    field; nothing is written then. Leads already captured keep their deadline."""
    errors: dict[str, list[str]] = {}
    name, name_fa = " ".join((name or "").split()), " ".join((name_fa or "").split())
    if source is None:
        source = LeadSource(code=(code or "").strip().lower())
    else:
        source = LeadSource.objects.select_for_update().get(pk=source.pk)
    if response_hours is not None and not 1 <= response_hours <= MAX_RESPONSE_HOURS:
        errors["response_hours"] = [
            _("Give a number of hours from 1 to %(max)d, or leave it empty for the default.")
            % {"max": MAX_RESPONSE_HOURS}
        ]
    others = LeadSource.objects.exclude(pk=source.pk)
    taken = {normalize_text(n) for pair in others.values_list("name", "name_fa") for n in pair if n}
    for field, value in (("name", name), ("name_fa", name_fa)):
        if value and normalize_text(value) in taken:
            errors[field] = [_("Another lead source has this name.")]
    with record(source, actor=actor):
        source.name, source.name_fa = name, name_fa
        source.is_active, source.response_hours = is_active, response_hours
        try:
            source.full_clean()
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                errors.setdefault(field, messages)
        if errors:
            raise ValidationError(errors)
        source.save()
    return source
