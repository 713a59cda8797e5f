"""Template tags other apps use to show sales on their pages (the desk's breached leads)."""

from __future__ import annotations

from typing import Any

from django import template

from peyvand.sales.sla import breached_leads_for

register = template.Library()


@register.inclusion_tag("sales/partials/breached_leads.html")
def breached_leads(user: Any) -> dict[str, Any]:
    """The user's own leads past their first-response deadline, for the top of their desk."""
    return {"leads": breached_leads_for(user)}
