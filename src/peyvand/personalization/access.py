"""Who manages offers and policies: managers and marketers."""

from __future__ import annotations

from typing import Any

from django.http import Http404

from peyvand.access.scopes import is_manager, roles_of

# The role that runs campaigns and offers (peyvand.access.defaults). Read from the roles
# already loaded for the scope checks, so the navigation costs no extra query.
MARKETER_ROLE = "marketer"


def can_manage_offers(user: Any) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return is_manager(user) or any(role.code == MARKETER_ROLE for role in roles_of(user))


def require_offer_manager(user: Any) -> None:
    """404, like every page a user may not reach."""
    if not can_manage_offers(user):
        raise Http404
