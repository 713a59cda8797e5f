"""`Idempotency-Key` on the portal's POST endpoints: the staff API's mechanism, with the
keys kept per portal customer — a retried request is answered once, another customer's
same key is theirs, a reused key with another body is refused."""

from __future__ import annotations

import json
from typing import Any

import pytest

from peyvand.channels.inbox.models import Message
from peyvand.core.models import IdempotencyRecord
from peyvand.portal.models import PortalIdempotencyRecord
from peyvand.service.models import Ticket

pytestmark = pytest.mark.django_db

TICKETS = "/api/v1/portal/tickets"


def _post(client: Any, url: str, body: dict[str, Any], key: str) -> Any:
    return client.post(
        url, json.dumps(body), content_type="application/json", HTTP_IDEMPOTENCY_KEY=key
    )


def test_a_retried_ticket_is_opened_once(portal_client: Any, alice: Any, bob: Any) -> None:
    client = portal_client(alice)
    body = {"subject": "Router is down", "description": "Since this morning"}
    first = _post(client, TICKETS, body, "try-1")
    again = _post(client, TICKETS, {"description": "Since this morning", **body}, "try-1")
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first
    assert again.json() == first.json()
    assert Ticket.objects.filter(customer=alice).count() == 1
    assert PortalIdempotencyRecord.objects.filter(customer=alice, key="try-1").count() == 1
    # The key is Alice's: Bob using the same string opens his own ticket.
    other = _post(portal_client(bob), TICKETS, body, "try-1")
    assert other.status_code == 201 and other.json()["id"] != first.json()["id"]
    assert Ticket.objects.filter(customer=bob).count() == 1


def test_a_reused_key_with_another_body_is_refused(portal_client: Any, alice: Any) -> None:
    client = portal_client(alice)
    _post(client, TICKETS, {"subject": "First", "description": "-"}, "k")
    refused = _post(client, TICKETS, {"subject": "Second", "description": "-"}, "k")
    assert refused.status_code == 422
    assert refused["Content-Type"].startswith("application/problem+json")
    assert refused.json()["errors"][0]["field"] == "Idempotency-Key"
    bad = _post(client, TICKETS, {"subject": "Third", "description": "-"}, "é")
    assert bad.status_code == 400 and "visible ASCII" in bad.json()["detail"]
    assert list(Ticket.objects.filter(customer=alice).values_list("subject", flat=True)) == [
        "First"
    ]


def test_a_failed_request_keeps_no_key_and_a_retry_runs(portal_client: Any, alice: Any) -> None:
    client = portal_client(alice)
    assert _post(client, TICKETS, {"subject": "", "description": "-"}, "k2").status_code == 422
    assert not PortalIdempotencyRecord.objects.exists()
    assert _post(client, TICKETS, {"subject": "", "description": "-"}, "k2").status_code == 422


def test_a_retried_reply_is_stored_once(portal_client: Any, alice: Any) -> None:
    client = portal_client(alice)
    ticket_id = _post(client, TICKETS, {"subject": "Invoice", "description": "-"}, "open").json()[
        "id"
    ]
    url = f"{TICKETS}/{ticket_id}/replies"
    assert _post(client, url, {"body": "Any news?"}, "reply").status_code == 201
    assert _post(client, url, {"body": "Any news?"}, "reply")["Idempotent-Replayed"] == "true"
    ticket = Ticket.objects.get(pk=ticket_id)
    assert Message.objects.filter(conversation=ticket.conversation, body="Any news?").count() == 1


def test_a_browser_with_a_staff_session_keeps_the_customer_s_keys_apart(
    portal_client: Any, alice: Any, service1: Any
) -> None:
    client = portal_client(alice)
    client.force_login(service1)
    session = client.session
    session["peyvand_portal_customer"] = alice.pk
    session.save()
    assert (
        _post(client, TICKETS, {"subject": "Both", "description": "-"}, "shared").status_code == 201
    )
    assert PortalIdempotencyRecord.objects.filter(customer=alice, key="shared").exists()
    assert not IdempotencyRecord.objects.filter(key="shared").exists()
