"""The signed-in customer's pages: tickets (public replies only, knowledge-base deflection
before opening one, replying), orders, quotes (accept through the sales service), service
agreements, profile and consent (source "portal"), the data download, product update
subscriptions, and the staff screen that publishes release notes to subscribers."""

from __future__ import annotations

import json
from typing import Any

import pytest

from peyvand.audit.models import ChangeLog
from peyvand.catalog.services import ensure_currencies
from peyvand.channels.inbox.models import Message
from peyvand.customers.models import Consent
from peyvand.portal.models import ProductSubscription, ReleaseNote
from peyvand.sales.choices import QuoteStatus
from peyvand.sales.quotes import send_quote
from peyvand.service.choices import TicketStatus
from peyvand.service.kb.services import save_article, transition
from peyvand.service.models import Article, BusinessCalendar, ServiceAgreement, SlaPolicy, Ticket
from peyvand.service.tickets.services import set_status
from tests.portal.conftest import make_ticket
from tests.sales.quote_factories import make_price_list, make_quote

pytestmark = pytest.mark.django_db

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_pages_need_a_portal_session_not_a_staff_one(client_for: Any, manager: Any) -> None:
    staff = client_for(manager)
    for url in ["/portal/", "/portal/tickets/", "/portal/orders/", "/portal/profile/"]:
        response = staff.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/portal/sign-in/?next=")


def test_ticket_page_shows_public_replies_and_never_internal_notes(
    alice: Any, service1: Any, portal_client: Any
) -> None:
    ticket = make_ticket(alice, "Printer jams", staff=service1)
    client = portal_client(alice)
    listing = client.get("/portal/tickets/").content.decode()
    assert "Printer jams" in listing
    page = client.get(f"/portal/tickets/{ticket.pk}/").content.decode()
    assert "Public answer to Printer jams" in page
    assert "Customer follow-up on Printer jams" in page
    assert "Printer jams.txt" in page
    assert "INTERNAL NOTE" not in page
    data = client.get(f"/api/v1/portal/tickets/{ticket.pk}").json()
    bodies = [m["body"] for m in data["messages"]]
    assert "Public answer to Printer jams" in bodies
    assert not any("INTERNAL" in b for b in bodies)


def test_user_text_is_escaped_on_every_portal_page(
    alice: Any, service1: Any, portal_client: Any
) -> None:
    ticket = make_ticket(alice, XSS, staff=service1)
    client = portal_client(alice)
    for url in ["/portal/", "/portal/tickets/", f"/portal/tickets/{ticket.pk}/"]:
        html = client.get(url).content.decode()
        assert "<script>alert" not in html and "<img src=x" not in html
        assert "&lt;script&gt;" in html


def test_search_finds_only_my_tickets(
    alice: Any, bob: Any, service1: Any, portal_client: Any
) -> None:
    make_ticket(alice, "Router alpha", staff=service1)
    make_ticket(bob, "Router beta", staff=service1)
    html = portal_client(alice).get("/portal/tickets/", {"q": "Router"}).content.decode()
    assert "Router alpha" in html and "Router beta" not in html
    empty = portal_client(alice).get("/portal/tickets/", {"q": "nothing-like-this"})
    assert "No ticket matches your search." in empty.content.decode()


def test_replying_reopens_a_ticket_waiting_on_the_customer(
    alice: Any, service1: Any, portal_client: Any
) -> None:
    ticket = make_ticket(alice, "VPN", staff=service1)
    set_status(ticket, actor=service1, status=TicketStatus.PENDING)
    client = portal_client(alice)
    response = client.post(f"/portal/tickets/{ticket.pk}/", {"body": "Here are the logs"})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.OPEN
    assert Message.objects.filter(conversation=ticket.conversation, body="Here are the logs")
    empty = client.post(f"/portal/tickets/{ticket.pk}/", {"body": "   "})
    assert empty.status_code == 200 and "This field is required." in empty.content.decode()


def _public_article(manager: Any, title: str, body: str, *, visibility: str = "public") -> Any:
    article = save_article(
        None, actor=manager, language="en", title=title, body=body, visibility=visibility
    )
    return transition(article, actor=manager, action="publish")


def test_opening_a_ticket_first_suggests_public_articles_and_counts_a_deflection(
    alice: Any, manager: Any, portal_client: Any
) -> None:
    public = _public_article(
        manager, "When the modem disconnects", "Unplug the modem for thirty seconds."
    )
    internal = _public_article(
        manager, "Modem disconnects runbook", "Escalate modem faults.", visibility="internal"
    )
    assert Article.objects.get(pk=public.pk).status == "published"
    client = portal_client(alice)
    form = {"subject": "Modem keeps dropping", "description": "The modem disconnects hourly."}
    step = client.post("/portal/tickets/new/", form)
    html = step.content.decode()
    assert step.status_code == 200 and "When the modem disconnects" in html
    assert "Modem disconnects runbook" not in html
    assert not Ticket.objects.exists()
    # An internal article cannot be counted either.
    assert client.post(f"/portal/help/{internal.pk}/solved/").status_code == 404
    solved = client.post(f"/portal/help/{public.pk}/solved/")
    assert solved.status_code == 302
    assert Article.objects.get(pk=public.pk).deflection_count == 1
    assert not Ticket.objects.exists()
    opened = client.post("/portal/tickets/new/", {**form, "confirm": "1"})
    assert opened.status_code == 302
    ticket = Ticket.objects.get()
    assert ticket.customer == alice and ticket.channel == "portal"
    assert ticket.queue.code == "service"


def test_opening_a_ticket_with_bad_input_changes_nothing(alice: Any, portal_client: Any) -> None:
    response = portal_client(alice).post(
        "/portal/tickets/new/", {"subject": "", "description": "", "confirm": "1"}
    )
    assert response.status_code == 200 and "This field is required." in response.content.decode()
    assert not Ticket.objects.exists()


def test_customer_accepts_a_sent_quote_through_the_sales_service(
    alice: Any, portal_client: Any
) -> None:
    ensure_currencies()
    draft = make_quote(alice)
    sent = send_quote(make_quote(alice), actor=None)
    client = portal_client(alice)
    listing = client.get("/portal/quotes/").content.decode()
    assert sent.number in listing and draft.number not in listing
    assert client.get(f"/portal/quotes/{draft.pk}/").status_code == 404
    response = client.post(f"/portal/quotes/{sent.pk}/")
    assert response.status_code == 302
    sent.refresh_from_db()
    assert sent.status == QuoteStatus.ACCEPTED and sent.order is not None
    assert sent.order.customer == alice and sent.order.total == sent.total
    orders = client.get("/portal/orders/").content.decode()
    assert sent.order.number in orders
    assert client.get(f"/portal/orders/{sent.order.pk}/").status_code == 200


def test_agreements_show_the_incidents_left(alice: Any, portal_client: Any) -> None:
    calendar = BusinessCalendar.objects.create(name="Office")
    policy = SlaPolicy.objects.create(
        name="Gold", first_response_minutes=60, resolution_minutes=480, calendar=calendar
    )
    ServiceAgreement.objects.create(
        customer=alice,
        name="Gold support 1405",
        starts_on="2026-01-01",
        ends_on="2027-01-01",
        incidents_allowed=10,
        incidents_used=3,
        sla_policy=policy,
        channels=["email", "phone"],
    )
    html = portal_client(alice).get("/portal/agreements/").content.decode()
    assert "Gold support 1405" in html and "7 of 10" in html
    assert "60 business minutes" in html and "480 business minutes" in html
    assert "Email, Phone call" in html
    api = portal_client(alice).get("/api/v1/portal/agreements").json()
    assert api[0]["incidents_left"] == 7


def test_profile_goes_through_the_customer_services_and_links_to_preferences(
    alice: Any, portal_client: Any
) -> None:
    client = portal_client(alice)
    page = client.get("/portal/profile/").content.decode()
    # Consent is decided in the preference centre (tests/marketing/consent), not here.
    assert 'href="/portal/preferences/"' in page
    response = client.post(
        "/portal/profile/",
        {
            "first_name": "Alice",
            "last_name": "Ahmadi",
            "preferred_language": "fa",
            "preferred_channel": "email",
        },
    )
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.preferred_language == "fa" and alice.first_name == "Alice"
    assert ChangeLog.objects.filter(content_type__model="customer", customer_id=alice.pk).exists()


def test_bad_profile_input_changes_nothing(alice: Any, portal_client: Any) -> None:
    response = portal_client(alice).post(
        "/portal/profile/", {"preferred_language": "xx", "consent-email-marketing": "on"}
    )
    assert response.status_code == 200
    assert not Consent.objects.exists()


def test_download_my_data_is_my_json_without_internal_notes(
    alice: Any, bob: Any, service1: Any, portal_client: Any
) -> None:
    make_ticket(alice, "Mine", staff=service1)
    make_ticket(bob, "Not mine", staff=service1)
    response = portal_client(alice).get("/portal/profile/my-data.json")
    assert response["Content-Disposition"].startswith("attachment;")
    data = json.loads(response.content)
    assert data["customer"]["name"] == "Alice Ahmadi"
    assert [t["subject"] for t in data["tickets"]] == ["Mine"]
    text = response.content.decode()
    assert "INTERNAL NOTE" not in text and "Not mine" not in text and "bob@" not in text
    assert {p["value"] for p in data["contact_points"]} == {"alice@example.com", "09121111111"}


@pytest.mark.django_db(transaction=True)
def test_release_notes_reach_subscribers_on_their_channel(
    alice: Any,
    bob: Any,
    manager: Any,
    client_for: Any,
    portal_client: Any,
    identity: Any,
    sink: Any,
) -> None:
    ensure_currencies()
    _list, products = make_price_list()
    erp = products["ERP-1"]
    alice_client = portal_client(alice)
    assert erp.name in alice_client.get("/portal/updates/").content.decode()
    alice_client.post(
        "/portal/updates/", {"product": erp.pk, "channel": "email", "subscribed": "1"}
    )
    portal_client(bob).post(
        "/portal/updates/", {"product": erp.pk, "channel": "sms", "subscribed": "1"}
    )
    assert ProductSubscription.objects.count() == 2
    staff = client_for(manager)
    response = staff.post(
        "/portal/staff/release-notes/",
        {
            "product": erp.pk,
            "version": "2.1",
            "title": "Faster reports",
            "body": "Reports are 2x faster.",
        },
    )
    assert response.status_code == 302
    note = ReleaseNote.objects.get()
    queued = Message.objects.filter(direction="outbound").exclude(channel="portal")
    emails = queued.filter(channel="email", recipient="alice@example.com")
    assert emails.count() == 1 and "Faster reports" in emails.get().subject
    # Bob chose SMS, and no SMS gateway is configured here: nothing is queued to him.
    assert note.recipients == 1
    (delivered,) = sink.messages()
    assert delivered["To"].addresses[0].addr_spec == "alice@example.com"
    assert "Faster reports (2.1)" in str(delivered["Subject"])
    # Unsubscribing stops the next one.
    alice_client.post(
        "/portal/updates/", {"product": erp.pk, "channel": "email", "subscribed": "0"}
    )
    assert not ProductSubscription.objects.filter(customer=alice).exists()


def test_release_notes_screen_refuses_staff_without_product_rights(
    client_for: Any, service1: Any, sales1: Any, manager: Any
) -> None:
    ensure_currencies()
    _list, products = make_price_list()
    for user in (service1, sales1):
        client = client_for(user)
        assert client.get("/portal/staff/release-notes/").status_code == 404
        refused = client.post(
            "/portal/staff/release-notes/",
            {"product": products["ERP-1"].pk, "title": "Sneaky", "body": "No."},
        )
        assert refused.status_code == 404
    assert not ReleaseNote.objects.exists()
    assert client_for(manager).get("/portal/staff/release-notes/").status_code == 200


def test_ticket_list_queries_do_not_grow_with_the_page(
    alice: Any, service1: Any, portal_client: Any, django_assert_num_queries: Any
) -> None:
    client = portal_client(alice)
    for i in range(2):
        make_ticket(alice, f"Ticket {i}", staff=service1)
    # Session, customer, count, page.
    with django_assert_num_queries(4):
        assert client.get("/portal/tickets/").status_code == 200
    for i in range(2, 8):
        make_ticket(alice, f"Ticket {i}", staff=service1)
    with django_assert_num_queries(4):
        assert client.get("/portal/tickets/").status_code == 200
