"""Who may manage tracked sites: managers and roles granted `tracking_site` (marketing)."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.shortcuts import get_object_or_404

from peyvand.access.scopes import can
from peyvand.tracking.models import TrackedSite

OBJECT_TYPE = TrackedSite.access_object_type


def require_tracking(user: Any, action: str = "view") -> None:
    """404 for a user whose roles give nothing on tracked sites: the screens do not exist
    for them."""
    if not can(user, OBJECT_TYPE, action):
        raise Http404


def get_site_for(user: Any, pk: Any, action: str = "view") -> TrackedSite:
    require_tracking(user, action)
    return get_object_or_404(TrackedSite, pk=pk)
