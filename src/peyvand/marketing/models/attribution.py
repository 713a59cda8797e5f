"""What attribution is computed from: touches (a customer met a campaign on a channel, with
the parts of the message that may have made the difference), conversions (a purchase and
its revenue) and what each campaign cost.

Touches are a generic table: campaign sends, the click-stream's UTM-tagged visits and any
other source feed it through `record_touch`, so the models do not depend on how a
campaign was delivered."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from djmoney.models.fields import MoneyField
from djmoney.money import Money

from peyvand.core.models import TimeStampedModel

KEY_MAX = 100
ELEMENT_MAX = 200


class Touch(models.Model):
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="+", verbose_name=_("customer")
    )
    at = models.DateTimeField(_("time"))
    channel = models.CharField(_("channel"), max_length=32)
    campaign_key = models.CharField(_("campaign"), max_length=KEY_MAX)
    # The elements whose effect is measured; empty (NULL) when the source does not know it.
    variant = models.CharField(_("variant"), max_length=ELEMENT_MAX, null=True, blank=True)
    subject = models.CharField(_("subject"), max_length=ELEMENT_MAX, null=True, blank=True)
    offer = models.CharField(_("offer"), max_length=ELEMENT_MAX, null=True, blank=True)
    send_hour = models.PositiveSmallIntegerField(
        _("send hour"), null=True, blank=True, validators=[MaxValueValidator(23)]
    )
    segment = models.CharField(_("segment"), max_length=ELEMENT_MAX, null=True, blank=True)
    # A member of the campaign's control group: chosen like the others and deliberately
    # sent nothing, so treated against control is a causal lift.
    holdout = models.BooleanField(_("holdout"), default=False)
    # The web visit this touch was made from (backfill), so a second run adds nothing.
    source_session = models.OneToOneField(
        "tracking.WebSession", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    # Declared: the stubs lose the default manager of a module with money fields.
    objects: models.Manager[Touch] = models.Manager()

    class Meta:
        indexes = [
            models.Index(fields=["customer", "at"], name="mkt_touch_customer_at"),
            models.Index(fields=["campaign_key", "at"], name="mkt_touch_key_at"),
        ]
        verbose_name = _("touch")
        verbose_name_plural = _("touches")

    def __str__(self) -> str:
        return f"{self.campaign_key} / {self.channel} @ {self.at:%Y-%m-%d %H:%M}"


class Conversion(models.Model):
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="+", verbose_name=_("customer")
    )
    at = models.DateTimeField(_("time"))
    revenue: MoneyField[Money | Decimal, Money] = MoneyField(
        _("revenue"), max_digits=20, decimal_places=2, default_currency="IRR"
    )
    order = models.OneToOneField(
        "sales.Order", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects: models.Manager[Conversion] = models.Manager()

    class Meta:
        indexes = [models.Index(fields=["customer", "at"], name="mkt_conversion_customer_at")]
        verbose_name = _("conversion")
        verbose_name_plural = _("conversions")

    def __str__(self) -> str:
        return f"{self.customer_id} {self.revenue} @ {self.at:%Y-%m-%d}"


class CampaignCost(TimeStampedModel):
    campaign_key = models.CharField(_("campaign"), max_length=KEY_MAX, db_index=True)
    amount: MoneyField[Money | Decimal, Money] = MoneyField(
        _("amount"), max_digits=20, decimal_places=2, default_currency="IRR"
    )
    # Converted to the reporting currency at this day's rate.
    spent_on = models.DateField(_("spent on"))
    note = models.CharField(_("note"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects: models.Manager[CampaignCost] = models.Manager()

    class Meta:
        ordering = ["-spent_on", "-pk"]
        verbose_name = _("campaign cost")
        verbose_name_plural = _("campaign costs")

    def __str__(self) -> str:
        return f"{self.campaign_key}: {self.amount}"
