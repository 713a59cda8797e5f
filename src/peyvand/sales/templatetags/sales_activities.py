"""`{% activity_panel lead %}`: the activity list and its plan/log buttons on a lead or
opportunity page, so those pages need no extra view context."""

from __future__ import annotations

from typing import Any

from django import template

from peyvand.sales.views.activities import panel_context

register = template.Library()


@register.inclusion_tag("sales/partials/activities.html", takes_context=True)
def activity_panel(context: dict[str, Any], subject: Any) -> dict[str, Any]:
    request = context["request"]
    return panel_context(request.user, subject) | {
        "request": request,
        "csrf_token": context.get("csrf_token"),
    }
