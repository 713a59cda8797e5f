"""Satisfaction survey: solving a ticket emails the customer (real SMTP) a signed link in
their language; the answer (1–5 and a comment) is stored on the ticket once and lands on
the customer's timeline; forged, expired and reused links are refused and change nothing."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.core import signing
from django.test import Client

from peyvand.access.models import Department
from peyvand.channels.models import Interaction
from peyvand.service.models import Ticket
from peyvand.service.tickets.csat import survey_token
from peyvand.service.tickets.services import open_ticket, set_status
from tests.channels.email.conftest import customer_with_email
from tests.channels.email.sink import SinkHandler

pytestmark = pytest.mark.django_db

HOSTILE = "<script>alert(1)</script>"


@pytest.fixture
def ticket(personas: Any, identity: Any) -> Ticket:
    return open_ticket(
        actor=personas["service1"],
        customer=customer_with_email("sara@example.com", preferred_language="fa"),
        subject="اینترنت قطع است",
        queue=Department.objects.get(code="service"),
        channel="phone",
    )


def _survey_path(sink: SinkHandler) -> str:
    text = str(sink.messages()[-1].get_body(preferencelist=("plain",)).get_content())
    match = re.search(r"http://localhost:8000(/service/survey/[^/\s]+/)", text)
    assert match, text
    return match.group(1)


def test_solving_sends_the_survey_and_the_answer_is_kept_once(
    sink: SinkHandler,
    ticket: Ticket,
    client_for: Any,
    service1: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        client_for(service1).post(f"/service/tickets/{ticket.pk}/status/", {"status": "solved"})
    assert sink.count == 1
    received = sink.messages()[0]
    assert received["To"] == "sara@example.com"
    assert str(received["Subject"]) == f"چطور بودیم؟ تیکت #{ticket.pk}"
    path = _survey_path(sink)
    customer = Client()
    page = customer.get(path)
    assert page.status_code == 200
    assert 'dir="rtl"' in page.content.decode() and "اینترنت قطع است" in page.content.decode()
    answered = customer.post(path, {"score": "4", "comment": f"خوب بود {HOSTILE}"})
    assert answered.status_code == 200 and "سپاس".encode() in answered.content
    ticket.refresh_from_db()
    assert ticket.csat == 4 and ticket.csat_comment == f"خوب بود {HOSTILE}"
    line = Interaction.objects.get(customer=ticket.customer, external_id=f"csat:{ticket.pk}")
    assert "۴" in line.subject or "4" in line.subject
    again = customer.post(path, {"score": "1", "comment": "changed my mind"})
    assert again.status_code == 200
    ticket.refresh_from_db()
    assert (
        ticket.csat == 4
        and Interaction.objects.filter(external_id__startswith="csat:").count() == 1
    )
    staff_page = client_for(service1).get(f"/service/tickets/{ticket.pk}/").content.decode()
    assert "&lt;script&gt;" in staff_page and HOSTILE not in staff_page
    # Closing the solved ticket does not ask a second time.
    with django_capture_on_commit_callbacks(execute=True):
        set_status(ticket, actor=service1, status="closed")
    assert sink.count == 1


def test_forged_expired_and_bad_answers_change_nothing(
    ticket: Ticket, settings: Any, service1: Any
) -> None:
    set_status(ticket, actor=service1, status="solved")
    token = survey_token(ticket)
    customer = Client()
    forged = customer.post(f"/service/survey/{token[:-2]}xx/", {"score": "5"})
    assert forged.status_code == 404
    other = open_ticket(
        actor=service1,
        customer=ticket.customer,
        subject="Other",
        queue=Department.objects.get(code="service"),
    )
    # The other ticket's id under this ticket's signature, and a link signed for another
    # purpose: neither is a survey link.
    _payload, stamp, signature = token.split(":")
    other_payload = signing.b64_encode(json.dumps({"t": other.pk}, separators=(",", ":")).encode())
    swapped = f"{other_payload.decode()}:{stamp}:{signature}"
    assert customer.post(f"/service/survey/{swapped}/", {"score": "5"}).status_code == 404
    foreign = signing.dumps({"t": other.pk}, salt="peyvand.chat.identify", compress=True)
    assert customer.post(f"/service/survey/{foreign}/", {"score": "5"}).status_code == 404
    bad = customer.post(f"/service/survey/{token}/", {"score": "9"})
    assert bad.status_code == 400 and "امتیازی از ۱ تا ۵".encode() in bad.content
    settings.PEYVAND_CSAT_MAX_AGE_DAYS = 0
    expired = customer.post(f"/service/survey/{token}/", {"score": "5"})
    assert expired.status_code == 404
    ticket.refresh_from_db()
    other.refresh_from_db()
    assert ticket.csat is None and other.csat is None
    assert not Interaction.objects.filter(external_id__startswith="csat:").exists()
