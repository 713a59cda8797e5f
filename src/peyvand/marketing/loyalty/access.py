"""Who manages the programme: managers and roles granted `loyalty` (marketing). A
customer's points are shown to whoever may see that customer; staff adjust them with
`loyalty` change."""

from __future__ import annotations

from typing import Any

from django.http import Http404

from peyvand.access.scopes import can
from peyvand.marketing.models import LoyaltyProgramme

OBJECT_TYPE = LoyaltyProgramme.access_object_type


def require_loyalty(user: Any, action: str = "view") -> None:
    """404 for a user whose roles give nothing on the programme: the screens do not exist."""
    if not can(user, OBJECT_TYPE, action):
        raise Http404
