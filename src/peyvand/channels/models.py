from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from peyvand.access.choices import ObjectType

# Chat, conversation, email, SMS, voice and webhook models live in their own modules;
# importing them here registers them with the app.
from peyvand.channels.chat.models import ChatWidget as ChatWidget
from peyvand.channels.choices import Direction, InteractionChannel
from peyvand.channels.email.inbound.models import Mailbox as Mailbox
from peyvand.channels.email.inbound.models import MailboxRule as MailboxRule
from peyvand.channels.email.inbound.models import MailboxUid as MailboxUid
from peyvand.channels.email.inbound.models import RawInboundEmail as RawInboundEmail
from peyvand.channels.email.models import EmailAttachment as EmailAttachment
from peyvand.channels.email.models import EmailTemplate as EmailTemplate
from peyvand.channels.email.models import SendingIdentity as SendingIdentity
from peyvand.channels.inbox.models import Conversation as Conversation
from peyvand.channels.inbox.models import Message as Message
from peyvand.channels.sms.models import SmsGateway as SmsGateway
from peyvand.channels.voice.models import Call as Call
from peyvand.channels.webhooks.models import WebhookDelivery as WebhookDelivery
from peyvand.channels.webhooks.models import WebhookEndpoint as WebhookEndpoint
from peyvand.core.models import SoftDeleteModel, TimeStampedModel
from peyvand.customers.querysets import CustomerChildQuerySet


class Interaction(TimeStampedModel, SoftDeleteModel):
    """One contact with a customer, whatever the channel: the unit of the timeline."""

    access_object_type = ObjectType.INTERACTION
    access_owner_path = "customer__owner"
    access_department_path = "customer__department"

    # No index of its own: the (customer, occurred_at) index below serves every lookup by
    # customer, and one index less is one less to build over millions of seeded rows.
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="interactions", db_index=False
    )
    channel = models.CharField(_("channel"), max_length=16, choices=InteractionChannel.choices)
    direction = models.CharField(_("direction"), max_length=16, choices=Direction.choices)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="interactions",
        verbose_name=_("agent"),
    )
    occurred_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    body = models.TextField(_("body"), blank=True)
    duration_seconds = models.PositiveIntegerField(_("duration (s)"), null=True, blank=True)
    # What the contact was about (an order, a ticket, an opportunity…).
    # Indexed where set only (see Meta): most interactions are about nothing in particular,
    # and a full foreign-key index cost ~30 s per 20M seeded rows.
    related_type = models.ForeignKey(
        ContentType,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    related_id = models.CharField(max_length=64, blank=True)
    related = GenericForeignKey("related_type", "related_id")
    # Not indexed: nothing looks an interaction up by it (messages are deduplicated on the
    # inbox's own ids), and its two PostgreSQL indexes cost ~50 s per 20M seeded rows.
    external_id = models.CharField(_("external id"), max_length=255, blank=True)

    objects = CustomerChildQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_at", "-pk"]
        indexes = [
            models.Index(fields=["customer", "occurred_at"]),
            models.Index(
                fields=["related_type", "related_id"],
                condition=models.Q(related_type__isnull=False),
                name="comms_interaction_related",
            ),
        ]
        verbose_name = _("interaction")
        verbose_name_plural = _("interactions")

    def __str__(self) -> str:
        return self.subject or f"{self.get_channel_display()} {self.occurred_at:%Y-%m-%d}"

    @property
    def duration_minutes(self) -> int | None:
        if self.duration_seconds is None:
            return None
        return round(self.duration_seconds / 60)


def attachment_path(instance: InteractionAttachment, filename: str) -> str:
    # The stored name is ours, never the uploader's: no path tricks, no overwrites.
    return f"attachments/{timezone.now():%Y/%m}/{uuid.uuid4().hex}"


class InteractionAttachment(TimeStampedModel):
    access_object_type = ObjectType.INTERACTION
    access_owner_path = "interaction__customer__owner"
    access_department_path = "interaction__customer__department"

    interaction = models.ForeignKey(
        Interaction, on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(_("file"), upload_to=attachment_path)
    filename = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=120)
    size = models.PositiveBigIntegerField(_("size"))

    objects = CustomerChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.filename
