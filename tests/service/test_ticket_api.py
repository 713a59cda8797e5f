"""Tickets over the API: open under the agreement, list only what the caller may see,
pause the clock, and refuse other queues' tickets with 404 and bad input with 422."""

from __future__ import annotations

from typing import Any

import pytest

from peyvand.access.models import Department
from peyvand.service.models import BusinessCalendar, SlaPolicy
from tests.api.conftest import problem_of
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def policy() -> SlaPolicy:
    calendar = BusinessCalendar.objects.create(name="Office")
    return SlaPolicy.objects.create(
        name="Standard", first_response_minutes=60, resolution_minutes=480, calendar=calendar
    )


def test_open_list_pause_and_refuse(api_client: Any, service1: Any, manager: Any) -> None:
    service = Department.objects.get(code="service")
    customer = CustomerFactory(department=service)
    agent = api_client(service1)
    created = agent.post(
        "/api/v1/tickets",
        {"customer": customer.pk, "subject": "مودم قطع است", "queue": service.pk, "priority": 3},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["status"] == "new" and body["resolution_due"] is not None
    paused = agent.patch(
        f"/api/v1/tickets/{body['id']}",
        {"status": "pending", "first_response": True},
        content_type="application/json",
    ).json()
    assert paused["status"] == "pending" and paused["first_responded_at"] is not None
    other = api_client(manager).post(
        "/api/v1/tickets",
        {"customer": customer.pk, "subject": "Sales question", "queue": Department.objects.get(code="sales").pk},
        content_type="application/json",
    ).json()  # fmt: skip
    listed = [t["id"] for t in agent.get("/api/v1/tickets").json()["items"]]
    assert listed == [body["id"]]
    problem_of(agent.get(f"/api/v1/tickets/{other['id']}"), 404)
    problem_of(
        agent.post(
            "/api/v1/tickets",
            {"customer": customer.pk, "subject": " ", "queue": service.pk},
            content_type="application/json",
        ),
        422,
    )
    problem_of(
        agent.patch(
            f"/api/v1/tickets/{body['id']}", {"status": "lost"}, content_type="application/json"
        ),
        422,
    )
