"""API clients: a test client carrying a bearer token for a user, with chosen scopes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pytest
from django.test import Client

from peyvand.access.models import ApiToken

ApiClientFactory = Callable[..., Client]


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    # Personas get real passwords; hashing them properly would dominate these tests' time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def api_client(db: Any) -> ApiClientFactory:
    """`api_client(user, scopes=["*"])`: a client whose every request sends the token."""

    def make(user: Any, scopes: Sequence[str] = ("*",)) -> Client:
        _token, raw = ApiToken.issue(user, name="test", scopes=list(scopes))
        return Client(headers={"Authorization": f"Bearer {raw}"})

    return make


def problem_of(response: Any, status: int) -> dict[str, Any]:
    """The problem+json body of a response that must have this status."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["title"]
    return body


def fields_of(problem: dict[str, Any]) -> set[str]:
    return {e["field"] for e in problem.get("errors", [])}
