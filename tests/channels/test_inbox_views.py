"""The unified inbox screens: who sees which conversation (others' answer 404), the list's
filters and pinned query count, replies per channel, notes, status and snooze, transfer,
canned responses, the dead-letter list with replay, escaping of hostile text, desk counts."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from peyvand.access.models import Department
from peyvand.channels.chat.models import ChatWidget
from peyvand.channels.inbox.choices import ConversationStatus, MessageStatus
from peyvand.channels.inbox.models import Conversation, Message
from peyvand.channels.inbox.services import open_conversation, receive_message
from peyvand.service.models import Macro
from tests.factories import ContactPointFactory, CustomerFactory

pytestmark = pytest.mark.django_db

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def conversation_for(
    customer: Any = None, *, channel: str = "email", **kwargs: Any
) -> Conversation:
    conversation = open_conversation(
        channel=channel, customer=customer, subject="Question", **kwargs
    )
    receive_message(conversation, message_id=f"m-{conversation.pk}@x", body="Hello", sender="a@b.c")
    return conversation


def test_each_persona_sees_only_their_conversations(
    client_for: Any, manager: Any, sales1: Any, sales2: Any, service1: Any, marketing1: Any
) -> None:
    mine = conversation_for(CustomerFactory(owner=sales1, display_name="Of sales1"))
    service = conversation_for(department=Department.objects.get(code="service"))
    assigned = conversation_for(assignee=sales2)
    listing = reverse("interactions:inbox:list")

    def ids(user: Any) -> set[int]:
        response = client_for(user).get(listing)
        assert response.status_code == 200
        return {c.pk for c in response.context["page"].object_list}

    assert ids(manager) == {mine.pk, service.pk, assigned.pk}
    assert ids(sales1) == {mine.pk}
    assert ids(sales2) == {assigned.pk}
    assert ids(service1) == {service.pk}
    assert ids(marketing1) == set()
    for user, refused in ((sales2, mine), (sales1, service), (marketing1, assigned)):
        detail = reverse("interactions:inbox:detail", args=[refused.pk])
        assert client_for(user).get(detail).status_code == 404
        reply = reverse("interactions:inbox:reply", args=[refused.pk])
        assert client_for(user).post(reply, {"body": "hi"}).status_code == 404
    assert (
        client_for(sales1).get(reverse("interactions:inbox:detail", args=[mine.pk])).status_code
        == 200
    )
    assert Message.objects.filter(direction="outbound").count() == 0


def test_list_filters_and_a_fixed_number_of_queries(
    client_for: Any, manager: Any, sales1: Any, django_assert_num_queries: Any
) -> None:
    chat = conversation_for(channel="chat", assignee=manager)
    closed = conversation_for()
    closed.status = ConversationStatus.CLOSED
    closed.save()
    snoozed_over = conversation_for()
    Conversation.objects.filter(pk=snoozed_over.pk).update(
        status=ConversationStatus.SNOOZED, snoozed_until=timezone.now() - dt.timedelta(minutes=1)
    )
    client = client_for(manager)
    listing = reverse("interactions:inbox:list")

    def ids(query: str) -> set[int]:
        return {c.pk for c in client.get(f"{listing}?{query}").context["page"].object_list}

    assert ids("") == {chat.pk, snoozed_over.pk}
    assert ids("status=closed") == {closed.pk}
    assert ids("channel=chat") == {chat.pk}
    assert ids("who=mine") == {chat.pk}
    assert ids("who=unassigned") == {snoozed_over.pk}
    assert ids("status=all") == {chat.pk, closed.pk, snoozed_over.pk}
    # Bad filter values are ignored, not an error.
    assert client.get(f"{listing}?status=nonsense&department=x").status_code == 200

    for _ in range(20):
        conversation_for(CustomerFactory(owner=sales1), assignee=sales1)
    client.get(listing)  # warm the session and the role caches of this client
    with django_assert_num_queries(6):
        response = client.get(listing)
    assert len(response.context["page"].object_list) == 22


def test_hostile_names_and_messages_are_escaped(client_for: Any, manager: Any) -> None:
    customer = CustomerFactory(display_name=HOSTILE, owner=manager)
    conversation = open_conversation(channel="email", customer=customer, subject=HOSTILE)
    receive_message(
        conversation,
        message_id="hostile@x",
        body=HOSTILE,
        body_html="<p>Sanitised <b>bold</b></p>",
        sender=HOSTILE,
    )
    receive_message(conversation, message_id="hostile2@x", body=HOSTILE, sender=HOSTILE)
    client = client_for(manager)
    for url in (
        reverse("interactions:inbox:list"),
        reverse("interactions:inbox:detail", args=[conversation.pk]),
    ):
        html = client.get(url).content.decode()
        assert "<script>alert" not in html and "<img src=x" not in html
        assert "&lt;script&gt;" in html
    detail = client.get(
        reverse("interactions:inbox:detail", args=[conversation.pk])
    ).content.decode()
    assert "<p>Sanitised <b>bold</b></p>" in detail


def test_replies_go_by_the_conversation_channel(client_for: Any, service1: Any) -> None:
    service = Department.objects.get(code="service")
    customer = CustomerFactory(department=service)
    ContactPointFactory(customer=customer, value="Reza@Example.com", normalized="reza@example.com")
    email = conversation_for(customer, department=service)
    chat = conversation_for(channel="chat", department=service)
    client = client_for(service1)
    client.post(reverse("interactions:inbox:reply", args=[email.pk]), {"body": "By email"})
    queued = Message.objects.get(body="By email")
    assert queued.status == MessageStatus.QUEUED and queued.recipient == "Reza@Example.com"
    assert queued.interaction is not None and queued.interaction.customer_id == customer.pk
    response = client.post(
        reverse("interactions:inbox:reply", args=[chat.pk]),
        {"body": "By chat"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200 and "By chat" in response.content.decode()
    sent = Message.objects.get(body="By chat")
    assert sent.status == MessageStatus.SENT and sent.author == service1
    # An email conversation of a visitor with no address: a clear error, nothing queued.
    anonymous = conversation_for(department=service)
    response = client.post(
        reverse("interactions:inbox:reply", args=[anonymous.pk]), {"body": "Lost"}, follow=True
    )
    assert "Say where the message should go." in response.content.decode()
    assert not Message.objects.filter(body="Lost").exists()
    # An empty reply is refused too.
    client.post(reverse("interactions:inbox:reply", args=[chat.pk]), {"body": ""})
    assert Message.objects.filter(conversation=chat, direction="outbound").count() == 1


def test_notes_status_snooze_and_transfer(client_for: Any, service1: Any, sales2: Any) -> None:
    service = Department.objects.get(code="service")
    conversation = conversation_for(department=service)
    client = client_for(service1)
    client.post(
        reverse("interactions:inbox:note", args=[conversation.pk]), {"body": "Call <b>him</b>"}
    )
    note = Message.objects.get(status=MessageStatus.NOTE)
    assert note.interaction is None and note.author == service1
    status_url = reverse("interactions:inbox:status", args=[conversation.pk])
    response = client.post(
        status_url, {"status": "snoozed", "snoozed_until": "2000-01-01T10:00"}, follow=True
    )
    assert "Snooze until a time in the future." in response.content.decode()
    conversation.refresh_from_db()
    assert conversation.status == ConversationStatus.OPEN
    later = (timezone.localtime() + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    client.post(status_url, {"status": "snoozed", "snoozed_until": later})
    conversation.refresh_from_db()
    assert conversation.status == ConversationStatus.SNOOZED and conversation.snoozed_until

    sales = Department.objects.get(code="sales")
    response = client.post(
        reverse("interactions:inbox:assign", args=[conversation.pk]),
        {"assignee": sales2.pk, "department": sales.pk},
    )
    conversation.refresh_from_db()
    assert conversation.assignee == sales2 and conversation.department == sales
    # Handed to another department, it is no longer service1's to see.
    assert response.url == reverse("interactions:inbox:list")
    assert (
        client.get(reverse("interactions:inbox:detail", args=[conversation.pk])).status_code == 404
    )
    assert (
        client_for(sales2)
        .get(reverse("interactions:inbox:detail", args=[conversation.pk]))
        .status_code
        == 200
    )


def test_view_only_persona_may_not_act(client_for: Any, marketing1: Any) -> None:
    conversation = conversation_for(department=Department.objects.get(code="marketing"))
    client = client_for(marketing1)
    assert (
        client.get(reverse("interactions:inbox:detail", args=[conversation.pk])).status_code == 200
    )
    for name in ("reply", "note", "status", "assign"):
        response = client.post(
            reverse(f"interactions:inbox:{name}", args=[conversation.pk]), {"body": "x"}
        )
        assert response.status_code == 403, name
    assert Message.objects.count() == 1


def test_canned_responses_are_offered_in_the_reply_box(
    client_for: Any, service1: Any, sales1: Any
) -> None:
    client = client_for(service1)
    url = reverse("interactions:inbox:canned")
    response = client.post(
        url, {"title": "Greeting", "body": "سلام، چطور کمک کنم؟", "language": "fa"}
    )
    assert response.status_code == 302
    # Another department's is refused for a non-manager.
    sales = Department.objects.get(code="sales")
    response = client.post(
        url, {"title": "X", "body": "y", "language": "en", "department": sales.pk}
    )
    assert response.status_code == 400 and not Macro.objects.filter(title="X").exists()
    conversation = conversation_for(department=Department.objects.get(code="service"))
    detail = client.get(
        reverse("interactions:inbox:detail", args=[conversation.pk])
    ).content.decode()
    assert "Greeting" in detail and "سلام، چطور کمک کنم؟" in detail
    canned = Macro.objects.get()
    assert (
        client_for(sales1)
        .post(reverse("interactions:inbox:canned_delete", args=[canned.pk]))
        .status_code
        == 404
    )
    client.post(reverse("interactions:inbox:canned_delete", args=[canned.pk]))
    assert not Macro.objects.exists()


def test_canned_responses_are_the_text_macros_filled_for_the_customer(
    client_for: Any, service1: Any
) -> None:
    """One model of prepared answers: a macro that only writes text is a canned response
    in the inbox, its placeholders filled from the conversation; one that changes a ticket
    is not offered there."""
    client = client_for(service1)
    response = client.post(
        reverse("interactions:inbox:canned"),
        {"title": "Hello", "body": "Dear {{ customer.name }},", "language": "en"},
    )
    assert response.status_code == 302
    assert Macro.objects.get(title="Hello").created_by == service1
    Macro.objects.create(title="Close it", body="Done.", language="en", set_status="solved")
    response = client.post(
        reverse("interactions:inbox:canned"),
        {"title": "Bad", "body": "{{ customer.password }}", "language": "en"},
    )
    assert response.status_code == 400 and not Macro.objects.filter(title="Bad").exists()
    conversation = conversation_for(
        CustomerFactory(display_name="<b>Kayhan</b>"),
        department=Department.objects.get(code="service"),
    )
    detail = client.get(
        reverse("interactions:inbox:detail", args=[conversation.pk])
    ).content.decode()
    assert 'value="Dear &lt;b&gt;Kayhan&lt;/b&gt;,"' in detail and "<b>Kayhan</b>," not in detail
    assert "Close it" not in detail
    listing = client.get(reverse("interactions:inbox:canned")).content.decode()
    assert "Hello" in listing and "Close it" not in listing


def test_dead_letters_are_listed_and_replayed_by_managers_only(
    client_for: Any, manager: Any, sales1: Any
) -> None:
    conversation = conversation_for()
    dead = Message.objects.create(
        conversation=conversation,
        channel="email",
        direction="outbound",
        recipient="x@example.com",
        body="never arrived",
        message_id="dead@x",
        status=MessageStatus.DEAD,
        attempts=8,
        last_error="550 <b>no such user</b>",
    )
    url = reverse("interactions:inbox:dead_letters")
    assert client_for(sales1).get(url).status_code == 404
    assert (
        client_for(sales1)
        .post(reverse("interactions:inbox:dead_letter_replay", args=[dead.pk]))
        .status_code
        == 404
    )
    html = client_for(manager).get(url).content.decode()
    assert "never arrived" not in html and "550 &lt;b&gt;no such user&lt;/b&gt;" in html
    client_for(manager).post(reverse("interactions:inbox:dead_letter_replay", args=[dead.pk]))
    dead.refresh_from_db()
    assert dead.status == MessageStatus.QUEUED and dead.attempts == 0


def test_desk_shows_inbox_counts(client_for: Any, sales1: Any) -> None:
    conversation_for(CustomerFactory(owner=sales1), assignee=sales1)
    conversation_for(CustomerFactory(owner=sales1))
    html = client_for(sales1).get(reverse("desk:my_desk")).content.decode()
    assert "Assigned to me: <strong>1</strong>" in html
    assert "Nobody yet: <strong>1</strong>" in html


def test_chat_widgets_are_managed_by_managers(client_for: Any, manager: Any, sales1: Any) -> None:
    url = reverse("interactions:inbox:widgets")
    assert client_for(sales1).get(url).status_code == 404
    client = client_for(manager)
    response = client.post(url, {"name": "Shop", "origins": "javascript:alert(1)"})
    assert response.status_code == 400 and not ChatWidget.objects.exists()
    response = client.post(url, {"name": "Shop <i>x</i>", "origins": "https://Shop.Example\n"})
    widget = ChatWidget.objects.get()
    assert widget.allowed_origins == ["https://shop.example"]
    page = client.get(
        reverse("interactions:inbox:widget_test_page", args=[widget.pk])
    ).content.decode()
    assert f'data-key="{widget.key}"' in page and "Shop &lt;i&gt;x&lt;/i&gt;" in page
