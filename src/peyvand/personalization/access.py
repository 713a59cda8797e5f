"""Who manages offers and policies: managers and the marketing department."""

from __future__ import annotations

from typing import Any

from django.http import Http404

from peyvand.access.scopes import is_manager

MARKETING = "marketing"


def can_manage_offers(user: Any) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return is_manager(user) or user.departments.filter(code=MARKETING).exists()


def require_offer_manager(user: Any) -> None:
    """404, like every page a user may not reach."""
    if not can_manage_offers(user):
        raise Http404
