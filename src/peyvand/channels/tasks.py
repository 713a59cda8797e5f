"""Background jobs of the channels: outbound deliveries, each idempotent per row."""

from __future__ import annotations

from django_tasks import task

from peyvand.channels.choices import InteractionChannel
from peyvand.channels.inbox import delivery
from peyvand.channels.inbox.models import Message
from peyvand.channels.webhooks.services import deliver, due_deliveries


@task()
def deliver_webhook(delivery_id: int) -> str:
    """Send one webhook delivery if it is due; returns its status."""
    return deliver(delivery_id)


@task()
def sweep_webhooks() -> int:
    """Send every delivery whose retry time has come (and any whose enqueue was lost);
    returns how many were attempted."""
    due = due_deliveries()
    for delivery_id in due:
        deliver(delivery_id)
    return len(due)


@task()
def deliver_message(message_id: int) -> str:
    """Send one outbound message (email, SMS, …) if it is due; returns its status. On a
    channel that sends in batches this sends every due message of the channel, this one
    among them, over one connection."""
    channel = Message.objects.filter(pk=message_id).values_list("channel", flat=True).first() or ""
    if channel in delivery.SESSIONS:
        delivery.deliver_batch(channel)
        return Message.objects.filter(pk=message_id).values_list("status", flat=True).first() or ""
    return delivery.deliver(message_id)


@task()
def send_email_batch() -> int:
    """Send every due email over one SMTP connection; returns how many were tried."""
    return delivery.deliver_batch(InteractionChannel.EMAIL)


@task()
def sweep_messages() -> int:
    """Send every message whose retry time has come, or whose worker died holding it."""
    tried = sum(delivery.deliver_batch(channel) for channel in list(delivery.SESSIONS))
    due = delivery.due_messages()
    for message_id in due:
        delivery.deliver(message_id)
    return tried + len(due)
