"""CSV exports of the leads and opportunities a user may export (the role's scope for the
"export" action), with the lists' filters. Lead columns are the lead import's field names,
so an exported file imports back; every cell that a spreadsheet would run as a formula is
neutralised (DESIGN §8)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from peyvand.access.scopes import can, restrict
from peyvand.imports.export import neutralize
from peyvand.sales.access import live_leads, live_opportunities
from peyvand.sales.leads import UTM_FIELDS, lead_search
from peyvand.sales.models import Lead, Opportunity
from peyvand.sales.selectors import filter_opportunities

LEAD_COLUMNS = (
    "name",
    "company",
    "email",
    "phone",
    "source",
    "city",
    "language",
    "product",
    "notes",
    "referrer",
    *UTM_FIELDS,
    "id",
    "status",
    "owner",
    "score",
    "created_at",
)
OPPORTUNITY_COLUMNS = (
    "id",
    "title",
    "customer",
    "pipeline",
    "stage",
    "status",
    "amount",
    "currency",
    "expected_close_date",
    "next_step",
    "owner",
    "created_at",
)


def may_export(user: Any, object_type: str) -> bool:
    return can(user, object_type, "export")


def exportable_leads(user: Any, *, q: str = "", status: str = "") -> QuerySet[Lead]:
    leads = restrict(live_leads(), user, "export")
    if status:
        leads = leads.filter(status=status)
    if q.strip():
        leads = leads.filter(lead_search(q))
    return leads.select_related("source", "product", "owner").order_by("pk")


def lead_rows(leads: QuerySet[Lead]) -> Iterator[list[str]]:
    yield list(LEAD_COLUMNS)
    for lead in leads.iterator(chunk_size=2000):
        values = [
            lead.name,
            lead.company,
            lead.email,
            lead.phone,
            lead.source.code if lead.source else "",
            lead.city,
            lead.language,
            lead.product.sku if lead.product else "",
            lead.notes,
            lead.referrer,
            *(getattr(lead, key) for key in UTM_FIELDS),
            str(lead.pk),
            lead.status,
            lead.owner.get_username() if lead.owner else "",
            str(lead.score),
            timezone.localtime(lead.created_at).isoformat(),
        ]
        yield [neutralize(str(v)) for v in values]


def exportable_opportunities(user: Any, filters: dict[str, Any]) -> QuerySet[Opportunity]:
    deals = filter_opportunities(restrict(live_opportunities(), user, "export"), filters)
    return deals.select_related("customer", "pipeline", "stage", "owner").order_by("pk")


def opportunity_rows(deals: QuerySet[Opportunity]) -> Iterator[list[str]]:
    yield list(OPPORTUNITY_COLUMNS)
    for deal in deals.iterator(chunk_size=2000):
        values = [
            str(deal.pk),
            deal.title,
            deal.customer.display_name,
            deal.pipeline.name,
            deal.stage.name,
            deal.status,
            str(deal.amount.amount),
            str(deal.amount.currency),
            deal.expected_close_date.isoformat() if deal.expected_close_date else "",
            deal.next_step,
            deal.owner.get_username() if deal.owner else "",
            timezone.localtime(deal.created_at).isoformat(),
        ]
        yield [neutralize(v) for v in values]
