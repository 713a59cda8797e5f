"""Deal details (competitors, won/lost reasons), activities planned and logged against leads
and opportunities, and the personal calendar feed of meetings."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from peyvand.sales.choices import ActivityKind, ActivityStatus, CloseOutcome
from peyvand.sales.models.pipeline import _BilingualName


class Competitor(_BilingualName):
    """Another vendor a customer is also talking to; a managed list shared by all deals."""

    website = models.CharField(_("website"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("competitor")
        verbose_name_plural = _("competitors")


class CloseReason(_BilingualName):
    """A reason from the managed list a deal is won or lost for."""

    outcome = models.CharField(_("outcome"), max_length=4, choices=CloseOutcome.choices)
    position = models.PositiveIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["outcome", "position", "name", "pk"]
        verbose_name = _("won/lost reason")
        verbose_name_plural = _("won/lost reasons")


class Activity(models.Model):
    """A call, meeting or email with a lead or about an opportunity. Planned, it is a task on
    the owner's desk; done, it is an interaction on the customer's timeline (a lead not yet
    converted keeps it here until conversion carries it to the new customer)."""

    kind = models.CharField(_("kind"), max_length=8, choices=ActivityKind.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=ActivityStatus.choices, default=ActivityStatus.PLANNED
    )
    lead = models.ForeignKey(
        "sales.Lead",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="activities",
        verbose_name=_("lead"),
    )
    opportunity = models.ForeignKey(
        "sales.Opportunity",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="activities",
        verbose_name=_("opportunity"),
    )
    subject = models.CharField(_("subject"), max_length=255)
    notes = models.TextField(_("notes"), blank=True)
    starts_at = models.DateTimeField(_("when"), db_index=True)
    ends_at = models.DateTimeField(_("ends"), null=True, blank=True)
    location = models.CharField(_("location"), max_length=255, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="sales_activities",
        verbose_name=_("owner"),
    )
    attendees = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="attended_activities",
        verbose_name=_("attendees"),
    )
    task = models.OneToOneField(
        "desk.Task", null=True, blank=True, on_delete=models.SET_NULL, related_name="activity"
    )
    interaction = models.OneToOneField(
        "comms.Interaction",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="activity",
    )
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    # Calendar clients match events by UID and take the higher SEQUENCE as the newer copy.
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    sequence = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-starts_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(lead__isnull=False, opportunity__isnull=True)
                | models.Q(lead__isnull=True, opportunity__isnull=False),
                name="activity_about_lead_or_opportunity",
            ),
            models.CheckConstraint(
                condition=models.Q(ends_at__isnull=True)
                | models.Q(ends_at__gte=models.F("starts_at")),
                name="activity_ends_after_start",
            ),
        ]
        indexes = [models.Index(fields=["owner", "kind", "starts_at"])]
        verbose_name = _("activity")
        verbose_name_plural = _("activities")

    def __str__(self) -> str:
        return self.subject


class CalendarFeed(models.Model):
    """A user's secret subscription URL for their meetings; only the token's SHA-256 is kept,
    so revoking (deleting the row) or regenerating makes every old URL answer 404."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")

    def __str__(self) -> str:
        return str(self.user)
