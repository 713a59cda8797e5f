from __future__ import annotations

import uuid
from typing import Any

import pytest

from peyvand.tracking.models import TrackedSite
from peyvand.tracking.services import save_site

BROWSER = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0 Safari/537.36"
)


@pytest.fixture
def site(db: Any) -> TrackedSite:
    return save_site(TrackedSite(name="Shop"), origins=["https://shop.example"], actor=None)


@pytest.fixture
def other_site(db: Any) -> TrackedSite:
    return save_site(TrackedSite(name="Other brand"), origins=["https://other.example"], actor=None)


def anonymous_id() -> str:
    return uuid.uuid4().hex


def collect_url(site: TrackedSite) -> str:
    return f"/api/v1/public/tracking/collect/{site.key}"


# The real SMTP server and sending identity of the email tests, for tracked-link tests.
from tests.channels.email.conftest import identity, sink  # noqa: E402, F401
