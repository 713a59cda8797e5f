"""Sales targets and the learned forecast model (stage conversion rates and their back-test)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from peyvand.core.models import TimeStampedModel
from peyvand.sales.choices import TargetPeriod


class SalesTarget(TimeStampedModel):
    """What a rep or a department should win in one month or quarter, in the reporting
    currency. The period is stored as its first and last day, so a Jalali quarter and a
    Gregorian month are both just date ranges."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="sales_targets",
        verbose_name=_("sales rep"),
    )
    department = models.ForeignKey(
        "access.Department",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="sales_targets",
        verbose_name=_("department"),
    )
    period = models.CharField(_("period"), max_length=8, choices=TargetPeriod.choices)
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("to"))
    amount = models.DecimalField(_("target"), max_digits=20, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)

    class Meta:
        ordering = ["-starts_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(user__isnull=False, department__isnull=True)
                | models.Q(user__isnull=True, department__isnull=False),
                name="target_user_xor_department",
            ),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="target_positive"),
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")), name="target_period_order"
            ),
            models.UniqueConstraint(
                fields=["user", "starts_on", "ends_on"],
                condition=models.Q(user__isnull=False),
                name="one_target_per_user_period",
            ),
            models.UniqueConstraint(
                fields=["department", "starts_on", "ends_on"],
                condition=models.Q(department__isnull=False),
                name="one_target_per_department_period",
            ),
        ]
        verbose_name = _("sales target")
        verbose_name_plural = _("sales targets")

    def __str__(self) -> str:
        who = self.user if self.user_id else self.department
        return f"{who}: {self.starts_on}–{self.ends_on}"


class ForecastModel(models.Model):
    """Stage conversion rates and times to close learned from a pipeline's closed deals,
    with the back-test of that method over the same history. Recomputed by a background
    job; reports read the latest row instead of re-reading the whole history."""

    pipeline = models.ForeignKey(
        "sales.Pipeline", on_delete=models.CASCADE, related_name="forecast_models"
    )
    computed_at = models.DateTimeField(_("computed"), db_index=True)
    closed_deals = models.PositiveIntegerField(_("closed deals learned from"), default=0)
    # {stage id: {"won": n, "reached": n, "p_won": float, "days": [sorted days to close]}}
    stages = models.JSONField(default=dict)
    # {"cutoffs": [{"month": iso date, "actual", "forecast", "static"}], "wape", "mae", ...}
    backtest = models.JSONField(default=dict)

    class Meta:
        ordering = ["-computed_at", "-pk"]
        get_latest_by = "computed_at"
        verbose_name = _("forecast model")
        verbose_name_plural = _("forecast models")

    def __str__(self) -> str:
        return f"{self.pipeline_id} @ {self.computed_at:%Y-%m-%d %H:%M}"
