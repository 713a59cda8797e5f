"""/api/v1/campaigns: list, create (with variants), read, schedule, pause; problem+json."""

from __future__ import annotations

from typing import Any

import pytest

from peyvand.marketing.models import Campaign
from tests.api.conftest import problem_of

pytestmark = pytest.mark.django_db


def body(segment: Any, identity: Any, **extra: Any) -> dict[str, Any]:
    return {
        "name": "API sale",
        "segment_id": segment.pk,
        "identity_id": identity.pk,
        "variants": [
            {"name": "A", "subject_en": "Hi {{ first_name | friend }}", "body_en": "Hello"},
            {"name": "B", "subject_fa": "سلام", "body_fa": "درود"},
        ],
        **extra,
    }


def test_create_read_schedule_pause(
    api_client: Any, marketing1: Any, segment: Any, identity: Any
) -> None:
    client = api_client(marketing1)
    created = client.post(
        "/api/v1/campaigns",
        body(segment, identity, send_after="2030-01-01T09:00:00+03:30"),
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    data = created.json()
    assert [v["name"] for v in data["variants"]] == ["A", "B"]
    assert data["status"] == "draft"
    cid = data["id"]
    assert client.get(f"/api/v1/campaigns/{cid}").json()["name"] == "API sale"
    assert [c["id"] for c in client.get("/api/v1/campaigns").json()["items"]] == [cid]
    scheduled = client.post(f"/api/v1/campaigns/{cid}/schedule")
    assert scheduled.status_code == 200
    assert scheduled.json()["status"] == "scheduled"
    paused = client.post(f"/api/v1/campaigns/{cid}/pause")
    assert paused.json()["status"] == "paused"


def test_bad_input_is_a_problem_and_creates_nothing(
    api_client: Any, marketing1: Any, segment: Any, identity: Any
) -> None:
    client = api_client(marketing1)
    bad = body(segment, identity, time_zone="Mars/Base")
    bad["variants"][0]["body_en"] = "{{ unknown }}"
    problem = problem_of(
        client.post("/api/v1/campaigns", bad, content_type="application/json"), 422
    )
    assert problem["errors"]
    assert not Campaign.objects.exists()
    problem_of(
        client.post(
            "/api/v1/campaigns",
            body(segment, identity, segment_id=99999),
            content_type="application/json",
        ),
        404,
    )
    assert not Campaign.objects.exists()


@pytest.mark.parametrize("persona", ["sales1", "service1"])
def test_other_departments_get_404(
    persona: str, api_client: Any, marketing1: Any, segment: Any, identity: Any, request: Any
) -> None:
    cid = (
        api_client(marketing1)
        .post("/api/v1/campaigns", body(segment, identity), content_type="application/json")
        .json()["id"]
    )
    client = api_client(request.getfixturevalue(persona))
    assert client.get("/api/v1/campaigns").status_code == 404
    assert client.get(f"/api/v1/campaigns/{cid}").status_code == 404
    assert client.post(f"/api/v1/campaigns/{cid}/schedule").status_code == 404
    assert (
        client.post(
            "/api/v1/campaigns", body(segment, identity), content_type="application/json"
        ).status_code
        == 404
    )
    assert Campaign.objects.get(pk=cid).status == "draft"
