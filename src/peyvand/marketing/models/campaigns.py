"""Campaigns: a message (in variants and languages) sent to a segment on a schedule, and
the one row per recipient that makes each customer get it at most once."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from peyvand.core.models import TimeStampedModel
from peyvand.customers.choices import ConsentPurpose
from peyvand.marketing.choices import (
    CampaignChannel,
    CampaignPhase,
    CampaignStatus,
    TestMode,
    WinnerMetric,
)


class Campaign(TimeStampedModel):
    access_object_type = "campaign"

    name = models.CharField(_("name"), max_length=120)
    segment = models.ForeignKey(
        "marketing.Segment",
        on_delete=models.PROTECT,
        related_name="campaigns",
        verbose_name=_("segment"),
    )
    channel = models.CharField(
        _("channel"), max_length=16, choices=CampaignChannel.choices, default=CampaignChannel.EMAIL
    )
    purpose = models.CharField(
        _("consent purpose"),
        max_length=16,
        choices=[
            (ConsentPurpose.MARKETING, ConsentPurpose.MARKETING.label),
            (ConsentPurpose.NEWSLETTER, ConsentPurpose.NEWSLETTER.label),
        ],
        default=ConsentPurpose.MARKETING,
    )
    status = models.CharField(
        _("status"), max_length=16, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT
    )
    identity = models.ForeignKey(
        "comms.SendingIdentity",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("sending identity"),
    )
    # Schedule: not before `send_after`; with `local_time`, at that time of day in each
    # recipient's time zone (their custom field "time_zone", else `time_zone`).
    send_after = models.DateTimeField(_("send after"), null=True, blank=True)
    local_time = models.TimeField(_("local send time"), null=True, blank=True)
    time_zone = models.CharField(_("default time zone"), max_length=64, default="Asia/Tehran")
    throttle_per_minute = models.PositiveIntegerField(
        _("messages per minute"), default=0, help_text=_("0 sends as fast as the outbox can.")
    )
    quiet_start = models.TimeField(_("quiet hours from"), null=True, blank=True)
    quiet_end = models.TimeField(_("quiet hours until"), null=True, blank=True)
    # Across campaigns: nobody gets more than `cap_messages` in `cap_days` days.
    cap_messages = models.PositiveIntegerField(_("at most messages"), null=True, blank=True)
    cap_days = models.PositiveIntegerField(_("per days"), default=7)
    test_mode = models.CharField(
        _("variant test"), max_length=16, choices=TestMode.choices, default=TestMode.NONE
    )
    test_percent = models.PositiveSmallIntegerField(
        _("test share (%)"), default=20, validators=[MinValueValidator(1), MaxValueValidator(99)]
    )
    winner_metric = models.CharField(
        _("winner by"), max_length=16, choices=WinnerMetric.choices, default=WinnerMetric.CLICK
    )
    # Enough data: no winner is declared before every variant has this many messages sent.
    winner_min_sent = models.PositiveIntegerField(
        _("messages per variant before a winner"), default=100
    )
    # A test that stays tied (or short of data) this long is decided by the best rate so far.
    winner_wait_hours = models.PositiveIntegerField(
        _("hours before a winner is forced"), default=24
    )
    winner = models.ForeignKey(
        "marketing.CampaignVariant",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("winner"),
    )
    recipient_count = models.PositiveIntegerField(_("recipients"), default=0, editable=False)
    queued_count = models.PositiveIntegerField(_("queued"), default=0, editable=False)
    started_at = models.DateTimeField(_("started"), null=True, blank=True, editable=False)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True, editable=False)
    # The outbox thread every message of the campaign belongs to (customer-less, closed:
    # a mass send is not a conversation; replies open their own).
    conversation = models.ForeignKey(
        "comms.Conversation", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
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
        ordering = ["-created_at", "-pk"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")

    def __str__(self) -> str:
        return self.name

    @property
    def tracking_key(self) -> str:
        """How tracking and attribution name the campaign (its links' utm_campaign): the
        id keeps it unique and stable through renames, the slug makes it readable."""
        return f"{self.pk}-{slugify(self.name, allow_unicode=True)}"[:100]


class CampaignVariant(TimeStampedModel):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="variants")
    name = models.CharField(_("name"), max_length=60)
    subject_en = models.CharField(_("subject (English)"), max_length=255, blank=True)
    body_en = models.TextField(_("text (English)"), blank=True)
    subject_fa = models.CharField(_("subject (Persian)"), max_length=255, blank=True)
    body_fa = models.TextField(_("text (Persian)"), blank=True)

    class Meta:
        ordering = ["campaign", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "name"], name="uniq_campaign_variant_name")
        ]
        verbose_name = _("variant")
        verbose_name_plural = _("variants")

    def __str__(self) -> str:
        return self.name

    def languages(self) -> list[str]:
        return [lang for lang in ("en", "fa") if getattr(self, f"body_{lang}").strip()]


class CampaignMessage(models.Model):
    """One recipient of a campaign. Unique per (campaign, customer): a send task that is
    killed and run again skips whoever already has a row, so nobody is sent it twice."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="messages")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="campaign_messages"
    )
    variant = models.ForeignKey(CampaignVariant, on_delete=models.PROTECT, related_name="messages")
    message = models.OneToOneField(
        "comms.Message",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="campaign_message",
    )
    channel = models.CharField(_("channel"), max_length=16)
    language = models.CharField(_("language"), max_length=5)
    phase = models.CharField(
        _("phase"), max_length=8, choices=CampaignPhase.choices, default=CampaignPhase.MAIN
    )
    created_at = models.DateTimeField(_("queued"))
    scheduled_for = models.DateTimeField(_("scheduled for"))
    # Responses, written by the tracking of clicks and conversions; they pick the winner.
    clicked_at = models.DateTimeField(_("clicked"), null=True, blank=True)
    converted_at = models.DateTimeField(_("converted"), null=True, blank=True)

    class Meta:
        ordering = ["campaign", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "customer"], name="uniq_campaign_recipient")
        ]
        indexes = [
            # The frequency cap: a customer's marketing messages of the last days.
            models.Index(fields=["customer", "created_at"], name="campaign_msg_cap"),
            models.Index(fields=["campaign", "variant"], name="campaign_msg_variant"),
        ]
        verbose_name = _("campaign message")
        verbose_name_plural = _("campaign messages")

    def __str__(self) -> str:
        return f"{self.campaign_id}:{self.customer_id}"
