"""What default roles gain when a migration adds an object type (access/defaults.py); a
role an administrator already gave rights on that type keeps them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def granter(grants: dict[str, dict[str, list[str]]]) -> Callable[[Any, Any], None]:
    def grant(apps: Any, schema_editor: Any) -> None:
        Role = apps.get_model("access", "Role")
        for role in Role.objects.filter(code__in=list(grants)):
            permissions = dict(role.permissions or {})
            for object_type, actions in grants[role.code].items():
                permissions.setdefault(object_type, actions)
            if permissions != role.permissions:
                role.permissions = permissions
                role.save(update_fields=["permissions"])

    return grant
