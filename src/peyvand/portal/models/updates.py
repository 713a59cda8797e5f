"""Product news and software updates: a customer subscribes per product and channel; a
release note published by staff reaches every subscriber on the chosen channel."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from peyvand.core.models import TimeStampedModel


class UpdateChannel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")


class ProductSubscription(TimeStampedModel):
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="product_subscriptions"
    )
    product = models.ForeignKey(
        "catalog.Product", on_delete=models.CASCADE, related_name="subscriptions"
    )
    channel = models.CharField(_("channel"), max_length=16, choices=UpdateChannel.choices)

    class Meta:
        ordering = ["product", "channel"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "product", "channel"], name="uniq_product_subscription"
            )
        ]
        verbose_name = _("product subscription")
        verbose_name_plural = _("product subscriptions")

    def __str__(self) -> str:
        return f"{self.customer_id} → {self.product_id} ({self.channel})"


class ReleaseNote(TimeStampedModel):
    product = models.ForeignKey(
        "catalog.Product", on_delete=models.PROTECT, related_name="release_notes"
    )
    version = models.CharField(_("version"), max_length=40, blank=True)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"))
    published_at = models.DateTimeField(_("published"))
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recipients = models.PositiveIntegerField(_("recipients"), default=0)

    class Meta:
        ordering = ["-published_at", "-pk"]
        verbose_name = _("release note")
        verbose_name_plural = _("release notes")

    def __str__(self) -> str:
        return self.title
