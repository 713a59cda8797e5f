from django.db import models
from django.utils.translation import gettext_lazy as _


class ConversationStatus(models.TextChoices):
    OPEN = "open", _("Open")
    PENDING = "pending", _("Pending")
    SNOOZED = "snoozed", _("Snoozed")
    CLOSED = "closed", _("Closed")


class MessageStatus(models.TextChoices):
    """Where a message is in its life. Inbound messages are `received`; outbound ones move
    queued → sending → sent (→ delivered when the provider reports it), or failed (retried
    with backoff) → dead (the dead-letter list), or suppressed (no consent: never sent)."""

    RECEIVED = "received", _("Received")
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed, will retry")
    DEAD = "dead", _("Undeliverable")
    SUPPRESSED = "suppressed", _("Not sent (no consent)")
    NOTE = "note", _("Internal note")


class MessagePurpose(models.TextChoices):
    """Why a message is sent: marketing needs the customer's consent on the channel; service
    messages follow the customer's channel preferences."""

    SERVICE = "service", _("Service")
    MARKETING = "marketing", _("Marketing")
