"""CSV downloads of the lead and opportunity lists, with the lists' filters; only what
the user may export, and 404 for whoever may not export at all."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, StreamingHttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from peyvand.access.choices import ObjectType
from peyvand.imports.export import csv_stream
from peyvand.sales.exports import (
    exportable_leads,
    exportable_opportunities,
    lead_rows,
    may_export,
    opportunity_rows,
)
from peyvand.sales.forms import LeadFilterForm, OpportunityFilterForm


def _csv(rows: Iterable[list[str]], name: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(csv_stream(rows), content_type="text/csv; charset=utf-8")
    filename = f"{name}-{timezone.localdate().isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@require_GET
def lead_export(request: HttpRequest) -> StreamingHttpResponse:
    if not may_export(request.user, ObjectType.LEAD):
        raise Http404
    filters = LeadFilterForm(request.GET)
    data = filters.cleaned_data if filters.is_valid() else {}
    leads = exportable_leads(request.user, q=data.get("q", ""), status=data.get("status", ""))
    return _csv(lead_rows(leads), "leads")


@login_required
@require_GET
def opportunity_export(request: HttpRequest) -> StreamingHttpResponse:
    if not may_export(request.user, ObjectType.OPPORTUNITY):
        raise Http404
    filters = OpportunityFilterForm(request.GET)
    data = filters.cleaned_data if filters.is_valid() else {}
    return _csv(opportunity_rows(exportable_opportunities(request.user, data)), "opportunities")
