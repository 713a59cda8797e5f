"""Segments: a saved rule tree (or a frozen list) and its materialised membership."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from peyvand.core.models import TimeStampedModel
from peyvand.marketing.choices import SegmentKind
from peyvand.marketing.querysets import SegmentMemberQuerySet


class Segment(TimeStampedModel):
    access_object_type = "segment"

    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    kind = models.CharField(
        _("kind"), max_length=16, choices=SegmentKind.choices, default=SegmentKind.DYNAMIC
    )
    rules = models.JSONField(_("rules"), default=dict, blank=True)
    # The data kinds (choices.Source) the rules read, kept on save so that an order or a
    # tag change finds the segments to re-evaluate without parsing every rule tree.
    sources = models.JSONField(default=list, blank=True, editable=False)
    member_count = models.PositiveIntegerField(_("members"), default=0, editable=False)
    built_at = models.DateTimeField(_("last rebuilt"), null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("segment")
        verbose_name_plural = _("segments")

    def __str__(self) -> str:
        return self.name

    @property
    def is_static(self) -> bool:
        return self.kind == SegmentKind.STATIC


class SegmentMember(models.Model):
    """One stay of a customer in a segment: entered, and left (null while still a member).
    A customer who leaves and comes back gets a new row, so the rows are the history of
    entries and exits that journeys trigger on."""

    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="memberships")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="segment_memberships"
    )
    entered_at = models.DateTimeField(_("entered"))
    left_at = models.DateTimeField(_("left"), null=True, blank=True)

    objects = SegmentMemberQuerySet.as_manager()

    class Meta:
        ordering = ["segment", "-entered_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["segment", "customer"],
                condition=models.Q(left_at__isnull=True),
                name="segment_one_open_membership",
            )
        ]
        indexes = [
            models.Index(fields=["customer", "segment"]),
            models.Index(fields=["segment", "left_at"]),
        ]
        verbose_name = _("segment membership")
        verbose_name_plural = _("segment memberships")

    def __str__(self) -> str:
        return f"{self.segment_id}:{self.customer_id}"
