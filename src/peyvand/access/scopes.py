"""Who may do what on which records: the one place visibility is decided.

Every queryset that returns customer data calls `restrict()` through its
`visible_to(user)` method; every single-object fetch goes through `get_for()` so that a
record outside the user's scope answers 404, exactly like a missing one.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.db.models import Q
from django.http import Http404

from peyvand.access.choices import SCOPE_RANK, Scope

M = TypeVar("M", bound=models.Model)


def roles_of(user: Any) -> list[Any]:
    """The user's roles, read once per user object."""
    cached = getattr(user, "_peyvand_roles", None)
    if cached is None:
        cached = list(user.roles.all())
        user._peyvand_roles = cached
    return cached


def department_ids(user: Any) -> list[int]:
    cached = getattr(user, "_peyvand_dept_ids", None)
    if cached is None:
        cached = list(user.departments.values_list("pk", flat=True))
        user._peyvand_dept_ids = cached
    return cached


def is_manager(user: Any) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return bool(user.is_superuser or any(r.is_manager for r in roles_of(user)))


def scope_for(user: Any, object_type: str, action: str = "view") -> Scope:
    """The widest scope any of the user's roles grants for this action."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Scope.NONE
    if is_manager(user):
        return Scope.ALL
    best = Scope.NONE
    for role in roles_of(user):
        if role.allows(object_type, action) and SCOPE_RANK[Scope(role.scope)] > SCOPE_RANK[best]:
            best = Scope(role.scope)
    return best


def can(user: Any, object_type: str, action: str) -> bool:
    return scope_for(user, object_type, action) != Scope.NONE


def restrict(qs: models.QuerySet[M], user: Any, action: str = "view") -> models.QuerySet[M]:
    """Limit a queryset to the rows the user may act on.

    The model says how its rows belong to someone: `access_object_type`, and the lookup
    paths `access_owner_path` / `access_department_path` (e.g. "customer__owner" for
    rows that belong to a customer).
    """
    model = qs.model
    scope = scope_for(user, model.access_object_type, action)  # type: ignore[attr-defined]
    if scope == Scope.ALL:
        return qs
    if scope == Scope.NONE:
        return qs.none()
    owner_path: str = model.access_owner_path  # type: ignore[attr-defined]
    condition = Q(**{owner_path: user})
    if scope == Scope.DEPARTMENT:
        dept_path: str | None = getattr(model, "access_department_path", None)
        if dept_path:
            condition |= Q(**{f"{dept_path}__in": department_ids(user)})
    return qs.filter(condition)


def get_for(user: Any, qs: models.QuerySet[M], pk: Any, action: str = "view") -> M:
    """Fetch and authorise in one call: 404 for missing *and* not-yours."""
    try:
        return restrict(qs, user, action).get(pk=pk)
    except (ObjectDoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


class VisibleQuerySet(models.QuerySet):
    def visible_to(self, user: Any, action: str = "view") -> Any:
        return restrict(self, user, action)
