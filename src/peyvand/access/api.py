"""REST endpoints of the access app, mounted by peyvand.config.api at /me."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema

from peyvand.access.scopes import is_manager
from peyvand.core.api.auth import api_user, request_token
from peyvand.core.api.schemas import DepartmentRef

router = Router(tags=["me"])


class RoleRef(Schema):
    id: int
    code: str
    name: str

    @staticmethod
    def resolve_name(obj: Any) -> str:
        return str(obj)


class MeOut(Schema):
    id: int
    username: str
    first_name: str
    last_name: str
    email: str
    language: str
    is_manager: bool
    departments: list[DepartmentRef]
    roles: list[RoleRef]
    auth: str = Field(description="`token` or `session`.")
    token_scopes: list[str] | None = Field(
        description="Scopes of the token used; null for a session, which has the user's full rights."
    )


@router.get("", response=MeOut, summary="The calling user")
def me(request: HttpRequest) -> dict[str, Any]:
    """Who the credentials belong to, their departments and roles, and the token's scopes."""
    user = api_user(request)
    token = request_token(request)
    return {
        "id": user.pk,
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "language": user.language,
        "is_manager": is_manager(user),
        "departments": list(user.departments.all()),
        "roles": list(user.roles.all()),
        "auth": "token" if token is not None else "session",
        "token_scopes": list(token.scopes) if token is not None else None,
    }
