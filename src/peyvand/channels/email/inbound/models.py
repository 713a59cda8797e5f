"""Connected mailboxes, their routing rules and sync state, and what came in that could not
be turned into a message."""

from __future__ import annotations

import secrets as _secrets

from django.db import models
from django.utils.translation import gettext_lazy as _

from peyvand.core.models import TimeStampedModel


def new_webhook_key() -> str:
    return _secrets.token_urlsafe(18)


def new_webhook_secret() -> str:
    return _secrets.token_urlsafe(32)


class MailboxSecurity(models.TextChoices):
    SSL = "ssl", _("TLS (IMAPS, usually port 993)")
    STARTTLS = "starttls", _("STARTTLS (usually port 143)")
    NONE = "none", _("None (only on a trusted network)")


class Mailbox(TimeStampedModel):
    """A mailbox Peyvand reads: polled over IMAP, or fed by a provider's inbound webhook."""

    name = models.CharField(_("name"), max_length=120)
    # The address customers write to; its domain names the Message-IDs of auto-replies.
    address = models.EmailField(_("address"))
    host = models.CharField(_("IMAP host"), max_length=255, blank=True)
    port = models.PositiveIntegerField(_("IMAP port"), default=993)
    security = models.CharField(
        _("connection security"),
        max_length=16,
        choices=MailboxSecurity.choices,
        default=MailboxSecurity.SSL,
    )
    username = models.CharField(_("user name"), max_length=255, blank=True)
    # Fernet token (see inbound/secrets.py); never shown back on any screen.
    password_encrypted = models.TextField(blank=True, editable=False)
    folder = models.CharField(_("folder"), max_length=255, default="INBOX")
    department = models.ForeignKey(
        "access.Department",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("department"),
        help_text=_("New conversations go to this department's desk unless a rule says otherwise."),
    )
    is_fax_gateway = models.BooleanField(
        _("fax gateway"),
        default=False,
        help_text=_("Every message is a fax: logged as a fax interaction with its document."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    webhook_key = models.CharField(max_length=40, unique=True, default=new_webhook_key)
    webhook_secret = models.CharField(max_length=64, default=new_webhook_secret)

    # Sync state. UIDs are only meaningful within one UIDVALIDITY of the folder.
    uidvalidity = models.BigIntegerField(_("UIDVALIDITY"), null=True, blank=True)
    last_uid = models.BigIntegerField(_("last UID"), default=0)
    last_success_at = models.DateTimeField(_("last success"), null=True, blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    messages_imported = models.PositiveIntegerField(_("messages imported"), default=0)

    class Meta:
        app_label = "comms"
        ordering = ["name", "pk"]
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")

    def __str__(self) -> str:
        return self.name

    @property
    def polls_imap(self) -> bool:
        return bool(self.host and self.username)

    @property
    def domain(self) -> str:
        return self.address.rpartition("@")[2] or "peyvand.local"


class RuleField(models.TextChoices):
    FROM = "from", _("From")
    TO = "to", _("To (any recipient)")
    SUBJECT = "subject", _("Subject")


class RuleAction(models.TextChoices):
    DEPARTMENT = "department", _("Send to a department's desk")
    LEAD = "lead", _("Create a lead (unknown senders)")
    TICKET = "ticket", _("Open a ticket")
    AUTO_REPLY = "auto_reply", _("Auto-reply")


class MailboxRule(TimeStampedModel):
    """When `field` contains `contains` (case-insensitive; empty: always), do `action`.
    Rules run in `position` order on each message that opens a new conversation."""

    mailbox = models.ForeignKey(Mailbox, on_delete=models.CASCADE, related_name="rules")
    position = models.PositiveSmallIntegerField(_("order"), default=0)
    field = models.CharField(_("when"), max_length=16, choices=RuleField.choices)
    contains = models.CharField(_("contains"), max_length=255, blank=True)
    action = models.CharField(_("then"), max_length=16, choices=RuleAction.choices)
    department = models.ForeignKey(
        "access.Department",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("department"),
    )
    reply_subject = models.CharField(_("reply subject"), max_length=255, blank=True)
    reply_body = models.TextField(_("reply text"), blank=True)
    stop = models.BooleanField(_("stop after this rule"), default=False)

    class Meta:
        app_label = "comms"
        ordering = ["mailbox", "position", "pk"]
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")

    def __str__(self) -> str:
        return f"{self.get_field_display()} ∋ {self.contains} → {self.get_action_display()}"


class MailboxUid(models.Model):
    """One IMAP message seen in one UIDVALIDITY of a mailbox's folder: a UID recorded here is
    never fetched into the database again, even if the mailbox's `last_uid` was lost."""

    mailbox = models.ForeignKey(Mailbox, on_delete=models.CASCADE, related_name="uids")
    uidvalidity = models.BigIntegerField()
    uid = models.BigIntegerField()
    message = models.ForeignKey(
        "comms.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        app_label = "comms"
        constraints = [
            models.UniqueConstraint(
                fields=["mailbox", "uidvalidity", "uid"], name="mailbox_uid_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.mailbox_id}:{self.uidvalidity}:{self.uid}"


class RawInboundEmail(TimeStampedModel):
    """An email kept as its bytes: one we could not parse (listed for staff, `message` is
    empty), or the original of a message whose attachments are waiting for a customer."""

    mailbox = models.ForeignKey(
        Mailbox, null=True, blank=True, on_delete=models.SET_NULL, related_name="raw_emails"
    )
    uid = models.BigIntegerField(null=True, blank=True)
    raw = models.BinaryField()
    size = models.PositiveBigIntegerField(_("size"))
    error = models.TextField(_("error"), blank=True)
    digest = models.CharField(max_length=64, db_index=True)
    message = models.ForeignKey(
        "comms.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sender = models.CharField(_("from"), max_length=320, blank=True)
    subject = models.CharField(_("subject"), max_length=255, blank=True)

    class Meta:
        app_label = "comms"
        ordering = ["-created_at", "-pk"]
        verbose_name = _("unparsed email")
        verbose_name_plural = _("unparsed emails")

    def __str__(self) -> str:
        return self.subject or f"#{self.pk}"
