"""RFM snapshots: one run per recomputation, every customer's scores in it, so the movement
between segments from one run to the next can be charted."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Segment(models.TextChoices):
    CHAMPIONS = "champions", _("Champions")
    LOYAL = "loyal", _("Loyal")
    POTENTIAL_LOYALIST = "potential_loyalist", _("Potential loyalist")
    NEW = "new", _("New customers")
    PROMISING = "promising", _("Promising")
    NEED_ATTENTION = "need_attention", _("Need attention")
    ABOUT_TO_SLEEP = "about_to_sleep", _("About to sleep")
    AT_RISK = "at_risk", _("At risk")
    CANT_LOSE = "cant_lose", _("Can't lose them")
    HIBERNATING = "hibernating", _("Hibernating")
    # "Lost" alone is already a lost deal in the translations; a lost customer differs.
    LOST = "lost", pgettext_lazy("RFM segment", "Lost")


class RfmRun(models.Model):
    computed_at = models.DateTimeField(_("computed at"), auto_now_add=True, db_index=True)
    as_of = models.DateField(_("as of"))
    currency = models.CharField(_("reporting currency"), max_length=3)
    customers = models.PositiveIntegerField(_("customers"), default=0)
    seconds = models.FloatField(_("seconds"), default=0.0)
    # Currencies of orders left out because no exchange rate to the reporting currency exists.
    missing_rates = models.JSONField(_("currencies without a rate"), default=list, blank=True)

    class Meta:
        ordering = ["-computed_at", "-pk"]
        verbose_name = _("RFM run")
        verbose_name_plural = _("RFM runs")

    def __str__(self) -> str:
        return f"RFM {self.as_of.isoformat()}"


class RfmScore(models.Model):
    run = models.ForeignKey(RfmRun, on_delete=models.CASCADE, related_name="scores")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="rfm_scores"
    )
    recency_days = models.PositiveIntegerField(_("days since last order"))
    frequency = models.PositiveIntegerField(_("orders"))
    monetary = models.DecimalField(_("spend"), max_digits=20, decimal_places=2)
    r = models.PositiveSmallIntegerField("R")
    f = models.PositiveSmallIntegerField("F")
    m = models.PositiveSmallIntegerField("M")
    segment = models.CharField(_("segment"), max_length=24, choices=Segment.choices)

    class Meta:
        ordering = ["run", "customer"]
        constraints = [
            models.UniqueConstraint(fields=["run", "customer"], name="rfm_one_score_per_run")
        ]
        indexes = [
            models.Index(fields=["run", "segment"]),
            models.Index(fields=["customer", "run"]),
        ]
        verbose_name = _("RFM score")
        verbose_name_plural = _("RFM scores")

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.r}{self.f}{self.m}"
