"""Conversations and their messages: the unit of the unified inbox, whatever the channel.

A conversation is a thread with one customer (or, for a chat visitor who has not identified,
with nobody yet) on one channel at a time; each message in it is also an `Interaction` on the
customer's timeline. Outbound messages are their own outbox: written in the transaction that
decides to send them, delivered by the worker (`peyvand.channels.inbox.delivery`).
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from peyvand.access.choices import ObjectType
from peyvand.channels.choices import Direction, InteractionChannel
from peyvand.channels.inbox.choices import ConversationStatus, MessagePurpose, MessageStatus
from peyvand.core.models import TimeStampedModel


def new_reply_token() -> str:
    # Lower-case hex: it travels in the local part of a reply address (support+TOKEN@…),
    # which some mail servers fold to lower case.
    return secrets.token_hex(8)


class Conversation(TimeStampedModel):
    access_object_type = ObjectType.INTERACTION
    access_owner_path = "customer__owner"
    access_department_path = "department"

    customer = models.ForeignKey(
        "customers.Customer",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="conversations",
        verbose_name=_("customer"),
    )
    channel = models.CharField(_("channel"), max_length=16, choices=InteractionChannel.choices)
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=ConversationStatus.choices,
        default=ConversationStatus.OPEN,
    )
    snoozed_until = models.DateTimeField(_("snoozed until"), null=True, blank=True)
    department = models.ForeignKey(
        "access.Department",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="conversations",
        verbose_name=_("department"),
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_conversations",
        verbose_name=_("assigned to"),
    )
    last_message_at = models.DateTimeField(_("last message"), null=True, blank=True)
    # Put in outgoing subjects/addresses so a reply finds its thread even when a mail client
    # drops the In-Reply-To and References headers.
    reply_token = models.CharField(max_length=32, unique=True, default=new_reply_token)
    # The channel's own key for the thread (a chat session, a phone number pair…).
    external_key = models.CharField(max_length=255, blank=True, db_index=True)
    # The customer's one thread per channel for secret messages (sign-in codes): never in
    # the inbox or any other staff view.
    sensitive = models.BooleanField(default=False, editable=False)

    class Meta:
        ordering = ["-last_message_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "department", "last_message_at"]),
            models.Index(fields=["assignee", "status", "last_message_at"]),
        ]
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")

    def __str__(self) -> str:
        return self.subject or f"{self.get_channel_display()} #{self.pk}"


class Message(TimeStampedModel):
    access_object_type = ObjectType.INTERACTION
    access_owner_path = "conversation__customer__owner"
    access_department_path = "conversation__department"

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    # The message's line on the customer timeline (none for internal notes and for messages
    # of a visitor who is not a customer yet).
    interaction = models.OneToOneField(
        "comms.Interaction",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="message",
    )
    channel = models.CharField(_("channel"), max_length=16, choices=InteractionChannel.choices)
    direction = models.CharField(_("direction"), max_length=16, choices=Direction.choices)
    purpose = models.CharField(
        _("purpose"), max_length=16, choices=MessagePurpose.choices, default=MessagePurpose.SERVICE
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("author"),
    )
    sender = models.CharField(_("from"), max_length=320, blank=True)
    recipient = models.CharField(_("to"), max_length=320, blank=True)
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    body = models.TextField(_("text"), blank=True)
    # Sanitised (nh3) HTML for display; never the raw HTML that arrived.
    body_html = models.TextField(blank=True)
    # The idempotency key of the message: the RFC 5322 Message-ID for email, the provider's
    # id for inbound SMS, a generated one otherwise. Unique, so nothing is stored twice.
    message_id = models.CharField(max_length=255, unique=True)
    in_reply_to = models.CharField(max_length=255, blank=True)
    references = models.TextField(blank=True)
    status = models.CharField(_("status"), max_length=16, choices=MessageStatus.choices)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # A worker that claims a message holds it until then; after that another may take it.
    locked_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    provider_id = models.CharField(max_length=255, blank=True, db_index=True)
    # Channel-specific extras (SMS segments, call outcome, email headers kept for display…).
    meta = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["conversation", "created_at"]),
            # The outbox scan: due messages per status, oldest first.
            models.Index(
                fields=["status", "next_attempt_at"],
                name="message_outbox_due",
                condition=models.Q(status__in=["queued", "failed", "sending"]),
            ),
        ]
        verbose_name = _("message")
        verbose_name_plural = _("messages")

    def __str__(self) -> str:
        # A secret's subject and text carry the code; its name (in the change log) must not.
        # Only a conversation already at hand is asked: a list of messages stays one query
        # (secrets are in no staff list; the change log names them while queueing).
        if Message.conversation.is_cached(self) and self.conversation.sensitive:
            return self.message_id
        return self.subject or self.body[:60] or self.message_id
