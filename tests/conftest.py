"""Shared fixtures: the named personas of DESIGN.md §4 and a client signed in as each."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import translation
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from peyvand.access.defaults import PERSONAS, ensure_departments_and_roles, ensure_persona

PASSWORD = "correct-horse-battery-staple"

# The machines are shared and noisy: a per-example deadline would fail on load, not on bugs.
hypothesis_settings.register_profile(
    "peyvand", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
hypothesis_settings.load_profile("peyvand")


@pytest.fixture(autouse=True)
def _isolated_media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _empty_cache() -> Any:
    # Rate limits, presence and report caches live in the cache, which outlives a test's
    # database; ids come back after each rollback, so one test's counts would be another's.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _english_by_default() -> Any:
    # A request leaves its reader's language active in the thread; a test calling services
    # directly must not inherit the language of whatever test ran before it on this worker.
    translation.activate("en")
    yield
    translation.activate("en")


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    # Every test creates the personas with passwords; real key stretching only slows the suite.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def personas(db: Any) -> dict[str, Any]:
    """The personas, all reading English so assertions can name the English text; a test
    about Persian switches its user's language itself."""
    ensure_departments_and_roles()
    users = {username: ensure_persona(username, PASSWORD) for username in PERSONAS}
    for user in users.values():
        if user.language != "en":
            user.language = "en"
            user.save(update_fields=["language"])
    return users


def speak_persian(*users: Any) -> None:
    """Switch personas to Persian for a test about the Persian UI."""
    for user in users:
        user.language = "fa"
        user.save(update_fields=["language"])


@pytest.fixture
def manager(personas: dict[str, Any]) -> Any:
    return personas["manager"]


@pytest.fixture
def sales1(personas: dict[str, Any]) -> Any:
    return personas["sales1"]


@pytest.fixture
def sales2(personas: dict[str, Any]) -> Any:
    return personas["sales2"]


@pytest.fixture
def service1(personas: dict[str, Any]) -> Any:
    return personas["service1"]


@pytest.fixture
def marketing1(personas: dict[str, Any]) -> Any:
    return personas["marketing1"]


@pytest.fixture
def client_for(db: Any) -> Any:
    """`client_for(user)` gives a test client signed in as that user."""

    def make(user: Any) -> Client:
        client = Client()
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        return client

    return make
