"""Addresses no marketing message may reach, whoever they belong to: an unsubscribed or
bouncing address stays blocked even if it is imported again on a new customer."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from peyvand.core.models import TimeStampedModel
from peyvand.marketing.choices import SuppressionReason


class Suppression(TimeStampedModel):
    channel = models.CharField(_("channel"), max_length=16)
    # Normalised as ContactPoint.normalized is (lower-case email, E.164 phone), so that a
    # set-based join against contact points finds it.
    address = models.CharField(_("address"), max_length=500)
    reason = models.CharField(_("reason"), max_length=16, choices=SuppressionReason.choices)
    source = models.CharField(_("source"), max_length=200, blank=True)
    customer = models.ForeignKey(
        "customers.Customer",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("customer"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )

    class Meta:
        ordering = ["-created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["channel", "address"], name="uniq_suppression")
        ]
        verbose_name = _("suppression")
        verbose_name_plural = _("suppressions")

    def __str__(self) -> str:
        return f"{self.channel}:{self.address} ({self.reason})"
