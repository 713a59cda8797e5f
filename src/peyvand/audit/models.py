from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from peyvand.audit.choices import ChangeAction

GENESIS_HASH = "0" * 64


class ChainHead(models.Model):
    """One row: the last link of the chain. Locking it serialises writers, and it lets
    `verify` notice when the newest rows were removed."""

    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=GENESIS_HASH)

    def __str__(self) -> str:
        return f"chain head #{self.seq}"


class ChangeLog(models.Model):
    """One change to customer data. `hash = sha256(prev_hash + canonical(row))`.

    The chain covers `payload_hash` (the digest of object_repr, before and after) rather
    than the payload itself, so "forget this person" can erase the personal data of old
    rows (`redacted`) and the chain still verifies; an erasure no forget row accounts for
    is reported as tampering.
    """

    seq = models.BigIntegerField(unique=True, editable=False)
    at = models.DateTimeField(default=timezone.now, db_index=True, editable=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_name = models.CharField(max_length=150, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    action = models.CharField(max_length=16, choices=ChangeAction.choices)
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.CharField(max_length=64, db_index=True)
    object_repr = models.CharField(max_length=255, blank=True)
    # The customer a change concerns, so the 360 page and per-field history read one index.
    customer_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    payload_hash = models.CharField(max_length=64, default="")
    redacted = models.BooleanField(default=False)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["seq"]
        indexes = [models.Index(fields=["content_type", "object_id", "seq"])]
        verbose_name = _("change")
        verbose_name_plural = _("change log")

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_repr}"
