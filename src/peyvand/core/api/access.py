"""Authorisation steps every endpoint repeats: the role's action, and ids in request bodies."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.http import Http404
from django.utils.translation import gettext as _
from ninja.errors import AuthorizationError

from peyvand.access.models import Department, User
from peyvand.access.scopes import can
from peyvand.core.problems import ServiceError

T = TypeVar("T")


class ReferenceNotFound(ServiceError):
    """An id in the request body that is missing or outside the caller's scope: 404, the
    same answer either way, naming the field."""

    status = 404


def require_action(user: User, object_type: str, action: str) -> None:
    """403 when no role of the user grants `action` on `object_type` at all. (Records out of
    the user's scope are a different matter: they answer 404.)"""
    if not can(user, object_type, action):
        raise AuthorizationError(message=_("Your role does not allow this action."))


def referenced(pk: int, fetch: Callable[[int], T], field: str) -> T:
    """Run an access helper (`get_for`-style, raising Http404) for an id the client sent."""
    try:
        return fetch(pk)
    except Http404 as exc:
        raise ReferenceNotFound(
            _("There is no such record, or it is not yours."), field=field, code="not_found"
        ) from exc


def optionally_referenced(pk: int | None, fetch: Callable[[int], T], field: str) -> T | None:
    return None if pk is None else referenced(pk, fetch, field)


def active_user(pk: int) -> User:
    """An active user by id (people are not customer data: every caller may name them)."""
    user = User.objects.filter(is_active=True, pk=pk).first()
    if user is None:
        raise Http404
    return user


def active_department(pk: int) -> Department:
    department = Department.objects.filter(is_active=True, pk=pk).first()
    if department is None:
        raise Http404
    return department
