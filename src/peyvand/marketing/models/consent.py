"""Double opt-in requests waiting for their confirmation, and the soft-bounce run of each
address (hard bounces and complaints go straight to the suppression list)."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _


class SubscriptionRequest(models.Model):
    """One subscribe form or API call: nothing is granted until the link in the
    confirmation email is opened. The customer is found or created only then, so an
    unconfirmed address leaves no customer behind."""

    channel = models.CharField(_("channel"), max_length=16, default="email")
    address = models.CharField(_("address"), max_length=320)
    topics = models.JSONField(_("topics"), default=list)
    language = models.CharField(_("language"), max_length=5, default="fa")
    created_at = models.DateTimeField(_("requested at"))
    expires_at = models.DateTimeField(_("expires at"))
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    customer = models.ForeignKey(
        "customers.Customer",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("customer"),
    )

    objects: ClassVar[models.Manager[SubscriptionRequest]] = models.Manager()

    class Meta:
        ordering = ["-created_at", "pk"]
        indexes = [models.Index(fields=["channel", "address", "confirmed_at"])]
        verbose_name = _("subscription request")
        verbose_name_plural = _("subscription requests")

    def __str__(self) -> str:
        return f"{self.channel}:{self.address}"


class BounceRecord(models.Model):
    """Soft bounces of one address in a row; a delivery report of success resets the run."""

    channel = models.CharField(_("channel"), max_length=16, default="email")
    address = models.CharField(_("address"), max_length=320)
    soft_bounces = models.PositiveIntegerField(_("soft bounces in a row"), default=0)
    last_status = models.CharField(_("last status"), max_length=16, blank=True)
    last_event_at = models.DateTimeField(_("last event"), null=True, blank=True)

    objects: ClassVar[models.Manager[BounceRecord]] = models.Manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["channel", "address"], name="uniq_bounce_record")
        ]
        verbose_name = _("bounce record")
        verbose_name_plural = _("bounce records")

    def __str__(self) -> str:
        return f"{self.channel}:{self.address} ({self.soft_bounces})"
