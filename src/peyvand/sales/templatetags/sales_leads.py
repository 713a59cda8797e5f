"""Template tags for lead pages and for other apps showing sales on theirs (the desk's
breached leads)."""

from __future__ import annotations

from typing import Any

from django import template

from peyvand.imports.choices import ImportKind
from peyvand.imports.kinds import may_import
from peyvand.sales.exports import may_export
from peyvand.sales.sla import breached_leads_for

register = template.Library()


@register.inclusion_tag("sales/partials/breached_leads.html")
def breached_leads(user: Any) -> dict[str, Any]:
    """The user's own leads past their first-response deadline, for the top of their desk."""
    return {"leads": breached_leads_for(user)}


@register.simple_tag
def may_import_leads(user: Any) -> bool:
    return may_import(user, ImportKind.LEADS)


@register.simple_tag
def may_export_sales(user: Any, object_type: str) -> bool:
    """Whether the user may download the lead or opportunity list ("lead", "opportunity")."""
    return may_export(user, object_type)
