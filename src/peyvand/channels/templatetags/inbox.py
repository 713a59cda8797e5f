from __future__ import annotations

from typing import Any

from django import template

from peyvand.channels.inbox.selectors import inbox_counts as select_inbox_counts

register = template.Library()


@register.inclusion_tag("channels/inbox/partials/desk_counts.html")
def inbox_counts(user: Any) -> dict[str, Any]:
    """The inbox's counters on the desk: open conversations of mine, nobody's, and (for
    managers) messages that gave up."""
    return {"counts": select_inbox_counts(user), "user": user}
