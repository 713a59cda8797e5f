"""Template tags for the service department's parts of other apps' pages: the desk's card
of tickets about to miss, or past, their SLA targets."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

from peyvand.access.scopes import can, is_manager
from peyvand.service.models.tickets import TICKET_OBJECT_TYPE
from peyvand.service.tickets.selectors import sla_alerts

register = template.Library()


@register.inclusion_tag("service/tickets/partials/sla_alerts.html")
def sla_warnings(user: Any, department: Any = None, person: Any = None) -> dict[str, Any]:
    """On a department's desk its queue's tickets; on a person's desk the tickets assigned
    to them (`person`, when a manager looks at someone's desk); a manager's own desk shows
    every ticket. Nothing for staff without ticket rights."""
    if not can(user, TICKET_OBJECT_TYPE, "view"):
        return {"alerts": None}
    if department is not None:
        alerts = sla_alerts(user, department=department)
    elif person is not None:
        alerts = sla_alerts(user, assignee=person)
    else:
        alerts = sla_alerts(user, assignee=None if is_manager(user) else user)
    return {"alerts": alerts, "now": timezone.now()}
