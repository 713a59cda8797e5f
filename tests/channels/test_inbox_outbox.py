"""Conversations and the message outbox: inbound messages stored once, outbound ones held
back without consent, delivered after commit, retried with backoff into the dead-letter
list, and never sent twice once handed over."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from peyvand.channels.choices import InteractionChannel
from peyvand.channels.inbox import delivery
from peyvand.channels.inbox.choices import ConversationStatus, MessagePurpose, MessageStatus
from peyvand.channels.inbox.models import Message
from peyvand.channels.inbox.services import (
    add_note,
    link_customer,
    open_conversation,
    queue_message,
    receive_message,
    set_status,
)
from peyvand.channels.models import Interaction
from peyvand.core.retry import MAX_ATTEMPTS
from peyvand.customers.services import set_consent
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db(transaction=True)


class RecordingSender:
    """A channel sender that keeps what it was given; `fail_with` makes it raise."""

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.fail_with: Exception | None = None
        self.crash_after_handover = False

    def __call__(self, message: Message, handed_over: Callable[[], None]) -> str:
        if self.fail_with is not None:
            raise self.fail_with
        handed_over()
        if self.crash_after_handover:
            # The process dies after the irreversible step, before it can record anything.
            raise KeyboardInterrupt
        self.sent.append(message.message_id)
        return f"provider-{len(self.sent)}"


@pytest.fixture
def sender() -> Iterator[RecordingSender]:
    recording = RecordingSender()
    previous = delivery.SENDERS.get("sms")
    delivery.register_sender("sms", recording)
    yield recording
    if previous is None:
        delivery.SENDERS.pop("sms", None)
    else:
        delivery.register_sender("sms", previous)


def test_inbound_message_is_stored_once_and_reopens_the_conversation(manager: Any) -> None:
    customer = CustomerFactory()
    conversation = open_conversation(channel=InteractionChannel.EMAIL, customer=customer)
    set_status(conversation, actor=manager, status=ConversationStatus.CLOSED)
    conversation.refresh_from_db()
    first, created = receive_message(
        conversation, message_id="a1@example.com", body="سلام 👋", subject="درخواست"
    )
    again, created_again = receive_message(
        conversation, message_id="a1@example.com", body="سلام 👋"
    )
    assert created and not created_again and again.pk == first.pk
    assert Message.objects.count() == 1
    conversation.refresh_from_db()
    assert conversation.status == ConversationStatus.OPEN
    assert first.interaction is not None
    assert Interaction.objects.get(pk=first.interaction.pk).customer_id == customer.pk


def test_marketing_without_consent_is_suppressed_and_never_sent(
    manager: Any, sender: RecordingSender
) -> None:
    customer = CustomerFactory()
    conversation = open_conversation(channel=InteractionChannel.SMS, customer=customer)
    held = queue_message(
        conversation,
        actor=manager,
        body="Sale!",
        recipient="+989121234567",
        purpose=MessagePurpose.MARKETING,
    )
    assert held.status == MessageStatus.SUPPRESSED and sender.sent == []
    set_consent(
        customer,
        actor=manager,
        channel="sms",
        purpose="marketing",
        status="granted",
        source="test",
    )
    sent = queue_message(
        conversation,
        actor=manager,
        body="Sale!",
        recipient="+989121234567",
        purpose=MessagePurpose.MARKETING,
    )
    sent.refresh_from_db()
    # The immediate task backend ran the delivery on commit.
    assert sent.status == MessageStatus.SENT and sender.sent == [sent.message_id]
    assert sent.provider_id == "provider-1"


def test_service_message_respects_a_withdrawn_channel(
    manager: Any, sender: RecordingSender
) -> None:
    customer = CustomerFactory()
    set_consent(
        customer, actor=manager, channel="sms", purpose="service", status="withdrawn", source="t"
    )
    conversation = open_conversation(channel=InteractionChannel.SMS, customer=customer)
    message = queue_message(conversation, actor=manager, body="Hi", recipient="+989121234567")
    assert message.status == MessageStatus.SUPPRESSED and sender.sent == []


def test_failures_back_off_then_die_and_a_manager_replays(
    manager: Any, sales1: Any, sender: RecordingSender
) -> None:
    sender.fail_with = ConnectionRefusedError("gateway down")
    conversation = open_conversation(channel=InteractionChannel.SMS, customer=CustomerFactory())
    message = queue_message(conversation, actor=manager, body="Hi", recipient="+989121234567")
    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED and message.attempts == 1
    assert message.next_attempt_at is not None and message.next_attempt_at > timezone.now()
    assert delivery.deliver(message.pk) == MessageStatus.FAILED  # not due yet: untouched
    message.refresh_from_db()
    assert message.attempts == 1
    for _ in range(MAX_ATTEMPTS - 1):
        Message.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
        delivery.deliver(message.pk)
    message.refresh_from_db()
    assert message.status == MessageStatus.DEAD and "gateway down" in message.last_error
    with pytest.raises(PermissionDenied):
        delivery.replay(message, actor=sales1)
    sender.fail_with = None
    delivery.replay(message, actor=manager)
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT and sender.sent == [message.message_id]
    with pytest.raises(ValidationError):
        delivery.replay(message, actor=manager)


def test_a_worker_dying_after_handover_does_not_send_again(
    manager: Any, sender: RecordingSender
) -> None:
    sender.fail_with = ConnectionRefusedError("later")
    conversation = open_conversation(channel=InteractionChannel.SMS, customer=CustomerFactory())
    message = queue_message(conversation, actor=manager, body="Hi", recipient="+989121234567")
    sender.fail_with = None
    sender.crash_after_handover = True
    Message.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
    with pytest.raises(KeyboardInterrupt):
        delivery.deliver(message.pk)
    sender.crash_after_handover = False
    # Long after the lease would have run out, nothing takes the message again.
    Message.objects.filter(pk=message.pk).update(
        locked_until=timezone.now() - dt.timedelta(hours=1)
    )
    assert delivery.due_messages() == []
    assert delivery.deliver(message.pk) == MessageStatus.SENT
    assert sender.sent == []


def test_a_worker_dying_before_handover_leaves_the_message_to_the_next(
    manager: Any, sender: RecordingSender
) -> None:
    sender.fail_with = ConnectionRefusedError("later")
    conversation = open_conversation(channel=InteractionChannel.SMS, customer=CustomerFactory())
    message = queue_message(conversation, actor=manager, body="Hi", recipient="+989121234567")
    # As if a worker claimed it and was killed mid-send: sending, lease not yet over.
    Message.objects.filter(pk=message.pk).update(
        status=MessageStatus.SENDING, locked_until=timezone.now() + dt.timedelta(minutes=1)
    )
    sender.fail_with = None
    assert delivery.deliver(message.pk) == MessageStatus.SENDING and sender.sent == []
    Message.objects.filter(pk=message.pk).update(
        locked_until=timezone.now() - dt.timedelta(seconds=1)
    )
    assert delivery.due_messages() == [message.pk]
    assert delivery.deliver(message.pk) == MessageStatus.SENT
    assert sender.sent == [message.message_id]


def test_notes_are_not_sent_nor_on_the_timeline_and_visitors_join_later(manager: Any) -> None:
    conversation = open_conversation(channel=InteractionChannel.CHAT)
    receive_message(conversation, message_id="chat-1", body="<b>hi</b>")
    note = add_note(conversation, actor=manager, body="VIP, be nice")
    assert note.status == MessageStatus.NOTE and note.interaction is None
    with pytest.raises(ValidationError):
        add_note(conversation, actor=manager, body="   ")
    customer = CustomerFactory()
    link_customer(conversation, customer=customer, actor=manager)
    assert list(Interaction.objects.filter(customer=customer).values_list("body", flat=True)) == [
        "<b>hi</b>"
    ]
    with pytest.raises(ValidationError):
        link_customer(conversation, customer=CustomerFactory(), actor=manager)
