"""Who may read the attribution report and enter campaign costs: managers and roles
granted `attribution` (the marketer role by default). The figures are still computed only
from the customers each reader may see."""

from __future__ import annotations

from typing import Any

from django.http import Http404

from peyvand.access.scopes import can

OBJECT_TYPE = "attribution"


def require_attribution(user: Any, action: str = "view") -> None:
    """404 for a user whose roles give nothing here: the report does not exist for them."""
    if not can(user, OBJECT_TYPE, action):
        raise Http404
