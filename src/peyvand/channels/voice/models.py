"""A telephone call reported by the PBX, from its first ring to its end."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from peyvand.access.choices import ObjectType
from peyvand.channels.choices import Direction
from peyvand.channels.voice.choices import CallOutcome, CallState
from peyvand.core.models import TimeStampedModel


class Call(TimeStampedModel):
    """One call by the PBX's id. The id is unique, so a repeated "ended" event finds the call
    already logged and logs nothing twice."""

    access_object_type = ObjectType.INTERACTION
    access_owner_path = "customer__owner"
    access_department_path = "customer__department"

    call_id = models.CharField(_("call id"), max_length=128, unique=True)
    direction = models.CharField(
        _("direction"), max_length=16, choices=Direction.choices, default=Direction.INBOUND
    )
    state = models.CharField(
        _("state"), max_length=16, choices=CallState.choices, default=CallState.RINGING
    )
    caller = models.CharField(_("caller"), max_length=32, blank=True)
    callee = models.CharField(_("called number"), max_length=32, blank=True)
    customer = models.ForeignKey(
        "customers.Customer",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="calls",
        verbose_name=_("customer"),
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("agent"),
    )
    outcome = models.CharField(_("outcome"), max_length=16, choices=CallOutcome.choices, blank=True)
    duration_seconds = models.PositiveIntegerField(_("duration (s)"), null=True, blank=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    interaction = models.OneToOneField(
        "comms.Interaction",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="call",
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("call")
        verbose_name_plural = _("calls")

    def __str__(self) -> str:
        return f"{self.caller} → {self.callee} ({self.call_id})"
