"""Sending identities, email templates and outbound attachments.

An identity is who a department's mail comes from (name, address, the domain replies come
back to, a signature per language); a template is a subject and body per language with
personalisation tokens. Both are staff-authored configuration, edited by managers.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from peyvand.channels.inbox.choices import MessagePurpose
from peyvand.core.models import TimeStampedModel


class SendingIdentity(TimeStampedModel):
    name = models.CharField(_("name"), max_length=120, unique=True)
    department = models.ForeignKey(
        "access.Department",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sending_identities",
        verbose_name=_("department"),
    )
    from_name_en = models.CharField(_("sender name (English)"), max_length=120)
    from_name_fa = models.CharField(_("sender name (Persian)"), max_length=120, blank=True)
    address = models.EmailField(_("sender address"))
    # Replies come back to local+TOKEN@reply_domain; the address's own domain when empty.
    reply_domain = models.CharField(_("reply domain"), max_length=253, blank=True)
    signature_en = models.TextField(_("signature (English)"), blank=True)
    signature_fa = models.TextField(_("signature (Persian)"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("sending identity")
        verbose_name_plural = _("sending identities")

    def __str__(self) -> str:
        return f"{self.name} <{self.address}>"

    @property
    def local_part(self) -> str:
        return self.address.rpartition("@")[0]

    @property
    def domain(self) -> str:
        return (self.reply_domain or self.address.rpartition("@")[2]).lower()

    def from_name(self, language: str) -> str:
        return (self.from_name_fa if language == "fa" else "") or self.from_name_en

    def signature(self, language: str) -> str:
        if language == "fa":
            return self.signature_fa or self.signature_en
        return self.signature_en or self.signature_fa


class EmailTemplate(TimeStampedModel):
    name = models.CharField(_("name"), max_length=120, unique=True)
    purpose = models.CharField(
        _("purpose"), max_length=16, choices=MessagePurpose.choices, default=MessagePurpose.SERVICE
    )
    identity = models.ForeignKey(
        SendingIdentity,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="templates",
        verbose_name=_("sending identity"),
    )
    subject_en = models.CharField(_("subject (English)"), max_length=255, blank=True)
    body_en = models.TextField(_("text (English)"), blank=True)
    subject_fa = models.CharField(_("subject (Persian)"), max_length=255, blank=True)
    body_fa = models.TextField(_("text (Persian)"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("email template")
        verbose_name_plural = _("email templates")

    def __str__(self) -> str:
        return self.name

    def languages(self) -> list[str]:
        return [lang for lang in ("en", "fa") if getattr(self, f"body_{lang}").strip()]


def email_attachment_path(instance: EmailAttachment, filename: str) -> str:
    # Our own name, never the uploader's: no path tricks, no overwrites.
    return f"attachments/{timezone.now():%Y/%m}/{uuid.uuid4().hex}"


class EmailAttachment(TimeStampedModel):
    """A file sent with an outbound email, kept with the message so every retry sends the
    same bytes."""

    message = models.ForeignKey(
        "comms.Message", on_delete=models.CASCADE, related_name="email_attachments"
    )
    file = models.FileField(_("file"), upload_to=email_attachment_path)
    filename = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=120)
    size = models.PositiveBigIntegerField(_("size"))

    class Meta:
        ordering = ["pk"]
        verbose_name = _("email attachment")
        verbose_name_plural = _("email attachments")

    def __str__(self) -> str:
        return self.filename
