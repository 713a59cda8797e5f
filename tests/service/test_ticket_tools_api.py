"""Macros, merge, split and watchers over the API: the service agent is served, staff of
other queues get 404 for the ticket and foreign ids, bad input is a 422 problem that
changes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from peyvand.access.models import Department
from peyvand.channels.inbox.models import Message
from peyvand.service.models import Macro, Ticket, TicketWatcher
from tests.api.conftest import fields_of, problem_of
from tests.factories import CustomerFactory
from tests.service.test_ticket_merge_split import _email_ticket

pytestmark = pytest.mark.django_db

JSON = "application/json"


@pytest.fixture
def customer(personas: Any) -> Any:
    return CustomerFactory(preferred_language="en")


def test_list_and_apply_a_macro(api_client: Any, service1: Any, sales1: Any, customer: Any) -> None:
    ticket = _email_ticket(customer, service1, "Password <b>reset</b>", "m1@x")
    macro = Macro.objects.create(
        title="Reset", language="en", body="Hello {{ customer.name }}, see #{{ ticket.number }}",
        set_status="pending", created_by=service1,
    )  # fmt: skip
    Macro.objects.create(title="Persian", language="fa", body="سلام", created_by=service1)
    agent = api_client(service1)
    listed = agent.get(f"/api/v1/tickets/{ticket.pk}/macros").json()
    assert [m["title"] for m in listed] == ["Reset"]
    applied = agent.post(f"/api/v1/tickets/{ticket.pk}/macros/{macro.pk}/apply")
    assert applied.status_code == 200, applied.content
    body = applied.json()
    assert body["ticket"]["status"] == "pending"
    assert body["text"] == f"Hello {customer.display_name}, see #{ticket.pk}"
    problem_of(agent.post(f"/api/v1/tickets/{ticket.pk}/macros/999999/apply"), 404)
    outsider = api_client(sales1)
    problem_of(outsider.get(f"/api/v1/tickets/{ticket.pk}/macros"), 404)
    problem_of(outsider.post(f"/api/v1/tickets/{ticket.pk}/macros/{macro.pk}/apply"), 404)
    read_only = api_client(service1, scopes=["tickets:read"])
    problem_of(read_only.post(f"/api/v1/tickets/{ticket.pk}/macros/{macro.pk}/apply"), 403)


def test_merge_and_split(api_client: Any, service1: Any, manager: Any, customer: Any) -> None:
    keep = _email_ticket(customer, service1, "Printer", "p1@x")
    dup = _email_ticket(customer, service1, "Printer again", "p2@x")
    stranger = _email_ticket(CustomerFactory(), service1, "Other customer", "p3@x")
    sales_ticket = Ticket.objects.create(
        customer=customer, subject="Sales", queue=Department.objects.get(code="sales")
    )
    agent = api_client(service1)
    bad = problem_of(
        agent.post(f"/api/v1/tickets/{dup.pk}/merge", {"into": stranger.pk}, content_type=JSON),
        422,
    )
    assert "into" in fields_of(bad)
    problem_of(
        agent.post(f"/api/v1/tickets/{dup.pk}/merge", {"into": sales_ticket.pk}, content_type=JSON),
        404,
    )
    dup.refresh_from_db()
    assert dup.status == "new" and dup.merged_into is None
    merged = agent.post(f"/api/v1/tickets/{dup.pk}/merge", {"into": keep.pk}, content_type=JSON)
    assert merged.status_code == 200 and merged.json()["id"] == keep.pk
    dup.refresh_from_db()
    assert dup.status == "closed" and dup.merged_into == keep

    message = Message.objects.get(message_id="p2@x")
    problem_of(
        agent.post(
            f"/api/v1/tickets/{keep.pk}/split",
            {"message": Message.objects.get(message_id="p3@x").pk},
            content_type=JSON,
        ),
        404,
    )
    split = agent.post(
        f"/api/v1/tickets/{keep.pk}/split",
        {"message": message.pk, "subject": "Second printer"},
        content_type=JSON,
    )
    assert split.status_code == 201, split.content
    child = Ticket.objects.get(pk=split.json()["id"])
    assert child.parent == keep and child.subject == "Second printer"
    problem_of(
        api_client(manager).post(
            f"/api/v1/tickets/{keep.pk}/split", {"message": "x"}, content_type=JSON
        ),
        422,
    )


def test_watchers_add_and_remove(
    api_client: Any, service1: Any, sales1: Any, manager: Any, customer: Any
) -> None:
    ticket = _email_ticket(customer, service1, "Watch me", "w1@x")
    agent = api_client(service1)
    added = agent.post(f"/api/v1/tickets/{ticket.pk}/watchers", {}, content_type=JSON)
    assert added.status_code == 201 and [w["id"] for w in added.json()] == [service1.pk]
    # A colleague who may not see the ticket cannot be made to watch it.
    refused = problem_of(
        agent.post(f"/api/v1/tickets/{ticket.pk}/watchers", {"user": sales1.pk}, content_type=JSON),
        422,
    )
    assert "user" in fields_of(refused)
    agent.post(f"/api/v1/tickets/{ticket.pk}/watchers", {"user": manager.pk}, content_type=JSON)
    listed = agent.get(f"/api/v1/tickets/{ticket.pk}/watchers").json()
    assert {w["id"] for w in listed} == {service1.pk, manager.pk}
    problem_of(
        api_client(sales1).post(f"/api/v1/tickets/{ticket.pk}/watchers", {}, content_type=JSON),
        404,
    )
    problem_of(api_client(sales1).delete(f"/api/v1/tickets/{ticket.pk}/watchers/{manager.pk}"), 404)
    assert agent.delete(f"/api/v1/tickets/{ticket.pk}/watchers/{manager.pk}").status_code == 204
    assert list(TicketWatcher.objects.values_list("user_id", flat=True)) == [service1.pk]
    problem_of(agent.delete(f"/api/v1/tickets/{ticket.pk}/watchers/999999"), 404)
