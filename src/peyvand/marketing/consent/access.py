"""Who may manage the suppression list: managers and roles granted `suppression`
(marketing); everyone else gets 404, as if the screens did not exist."""

from __future__ import annotations

from typing import Any

from django.http import Http404

from peyvand.access.scopes import can

OBJECT_TYPE = "suppression"


def require_suppressions(user: Any, action: str = "view") -> None:
    if not can(user, OBJECT_TYPE, action):
        raise Http404
