"""Who may see and manage segments: managers and roles granted `segment` (marketing).

Segments are shared by the team that manages them; the customers in them are still only
the ones each reader may see (`Customer.objects.visible_to`)."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.shortcuts import get_object_or_404

from peyvand.access.scopes import can
from peyvand.marketing.models import Campaign, Segment

OBJECT_TYPE = Segment.access_object_type


def require_segments(user: Any, action: str = "view") -> None:
    """404 for a user whose roles give nothing on segments: the screens do not exist for them."""
    if not can(user, OBJECT_TYPE, action):
        raise Http404


def get_segment_for(user: Any, pk: Any, action: str = "view") -> Segment:
    require_segments(user, action)
    return get_object_or_404(Segment, pk=pk)


def require_campaigns(user: Any, action: str = "view") -> None:
    """404 for a user whose roles give nothing on campaigns (the marketing screens)."""
    if not can(user, Campaign.access_object_type, action):
        raise Http404


def get_campaign_for(user: Any, pk: Any, action: str = "view") -> Campaign:
    require_campaigns(user, action)
    return get_object_or_404(Campaign.objects.select_related("segment", "identity"), pk=pk)
