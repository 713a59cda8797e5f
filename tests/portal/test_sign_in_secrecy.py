"""Sign-in codes are secrets: they reach the customer (real SMTP server, real HTTP gateway),
retries still work, and no staff page or API (timeline, inbox, conversation, outbox and
dead-letter list, change log) ever shows them."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from peyvand.access.models import ApiToken, Department
from peyvand.channels.email.inbound.ingest import ingest_email
from peyvand.channels.email.inbound.models import Mailbox
from peyvand.channels.inbox import delivery
from peyvand.channels.inbox.choices import MessageStatus
from peyvand.channels.inbox.models import Conversation, Message
from peyvand.channels.models import Interaction
from peyvand.core.retry import MAX_ATTEMPTS
from tests.channels.email.inbound.conftest import make_email
from tests.channels.email.sink import SinkHandler, smtp_sink
from tests.portal.test_sign_in import SIGN_IN, code_from

pytestmark = pytest.mark.django_db(transaction=True)


def _staff_pages(client: Client, api: Client, customer: Any, *, manager: bool) -> dict[str, str]:
    hidden = Conversation.objects.get(customer=customer, sensitive=True)
    pages = {
        "timeline": reverse("customers:detail", args=[customer.pk]),
        "inbox": reverse("interactions:inbox:list") + "?status=all",
        "dead letters": reverse("interactions:inbox:dead_letters"),
        "change log": reverse("audit:log"),
        "customer history": reverse("audit:customer_history", args=[customer.pk]),
        "sms": reverse("interactions:sms_compose", args=[customer.pk]),
    }
    seen = {}
    for name, url in pages.items():
        response = client.get(url)
        # The outbox and the change log are a manager's; others are refused them outright.
        assert response.status_code == 200 or not manager, (name, response.status_code)
        seen[name] = response.content.decode()
    # The hidden thread is nobody's conversation, not even a manager's.
    assert client.get(reverse("interactions:inbox:detail", args=[hidden.pk])).status_code == 404
    response = api.get(f"/api/v1/interactions?customer={customer.pk}")
    assert response.status_code == 200
    seen["interactions api"] = response.content.decode()
    return seen


def _api(user: Any) -> Client:
    _token, raw = ApiToken.issue(user, name="test", scopes=["*"])
    return Client(headers={"Authorization": f"Bearer {raw}"})


def test_no_staff_view_shows_the_code_that_reached_the_customer(
    sink: SinkHandler, identity: Any, alice: Any, personas: dict[str, Any], client_for: Any
) -> None:
    for _ in range(2):
        assert Client().post(SIGN_IN, {"address": "alice@example.com"}).status_code == 302
    assert sink.count == 2
    codes = [code_from(message) for message in sink.messages()]
    # Both went on one hidden thread: no conversation per sign-in, nothing on the timeline.
    assert Conversation.objects.filter(customer=alice).count() == 1
    assert not Interaction.objects.filter(customer=alice).exists()
    sent = list(Message.objects.filter(conversation__customer=alice))
    assert [m.status for m in sent] == [MessageStatus.SENT, MessageStatus.SENT]
    assert all(not (m.body or m.subject or m.body_html) for m in sent)
    for user in (personas["manager"], personas["sales1"]):
        pages = _staff_pages(
            client_for(user), _api(user), alice, manager=user == personas["manager"]
        )
        for name, html in pages.items():
            for code in codes:
                assert code not in html, (user.username, name)


def test_a_code_the_server_refused_at_first_is_sent_on_the_retry(
    settings: Any, identity: Any, alice: Any
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = ""
    with smtp_sink() as (_handler, port):
        closed_port = port
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", closed_port
    Client().post(SIGN_IN, {"address": "alice@example.com"})
    message = Message.objects.get(conversation__customer=alice)
    assert message.status == MessageStatus.FAILED
    # Kept until it is handed over, so the retry has something to send.
    assert re.search(r"\b\d{6}\b", message.body)
    with smtp_sink() as (handler, port):
        settings.EMAIL_PORT = port
        Message.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
        assert delivery.deliver(message.pk) == MessageStatus.SENT
        assert handler.count == 1
        code = code_from(handler.messages()[0])
    message.refresh_from_db()
    assert code not in message.body + message.subject + message.body_html
    assert message.body == "" and message.meta.get("forgotten") is True


def test_a_code_that_gave_up_is_cleared_and_not_offered_for_replay(
    settings: Any, identity: Any, alice: Any, personas: dict[str, Any], client_for: Any
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = ""
    with smtp_sink() as (_handler, port):
        closed_port = port
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", closed_port
    Client().post(SIGN_IN, {"address": "alice@example.com"})
    message = Message.objects.get(conversation__customer=alice)
    while message.status != MessageStatus.DEAD:
        Message.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
        delivery.deliver(message.pk)
        message.refresh_from_db()
    assert message.attempts == MAX_ATTEMPTS, message.last_error
    assert message.body == "" and message.subject == ""
    manager = personas["manager"]
    page = client_for(manager).get(reverse("interactions:inbox:dead_letters"))
    assert message.recipient not in page.content.decode()
    with pytest.raises(ValidationError):
        delivery.replay(message, actor=manager)


def test_the_code_by_sms_reaches_the_gateway_and_no_staff_view(
    alice: Any, gateway: Any, receiver: Any, personas: dict[str, Any], client_for: Any
) -> None:
    assert Client().post(SIGN_IN, {"address": "09121111111"}).status_code == 302
    code = re.search(r"\b(\d{6})\b", receiver.form()["text"][0]).group(1)  # type: ignore[union-attr]
    message = Message.objects.get(conversation__customer=alice)
    assert message.conversation.sensitive and message.body == ""
    assert not Interaction.objects.filter(customer=alice).exists()
    manager = personas["manager"]
    for name, html in _staff_pages(client_for(manager), _api(manager), alice, manager=True).items():
        assert code not in html, name


def test_an_answer_to_the_sign_in_email_reaches_the_desk_not_the_hidden_thread(
    sink: SinkHandler, identity: Any, alice: Any, personas: dict[str, Any]
) -> None:
    Client().post(SIGN_IN, {"address": "alice@example.com"})
    sent = sink.messages()[0]
    box = Mailbox.objects.create(
        name="Support",
        address="support@shop.example",
        department=Department.objects.get(code="service"),
    )
    answer = make_email(
        sender="alice@example.com",
        to=str(sent["Reply-To"]),
        subject=f"Re: {sent['Subject']}",
        body="I did not ask for this code",
        In_Reply_To=str(sent["Message-ID"]),
        References=str(sent["Message-ID"]),
    )
    message = ingest_email(box, answer.as_bytes()).message
    assert message is not None
    assert not message.conversation.sensitive
    assert message.conversation.customer == alice
