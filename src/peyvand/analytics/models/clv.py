"""Fitted lifetime-value models and each customer's latest scores."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ClvFit(models.Model):
    """One fit of BG/NBD + Gamma-Gamma on the CRM's orders (time unit: weeks). The params
    score customers; the calibration/holdout figures and `curve` say how well it fits."""

    fitted_at = models.DateTimeField(_("fitted at"), auto_now_add=True, db_index=True)
    history_end = models.DateField(_("history end"))
    calibration_end = models.DateField(_("calibration end"))
    currency = models.CharField(_("currency"), max_length=3)
    customers = models.PositiveIntegerField(_("customers"))
    bgnbd_params = models.JSONField(_("BG/NBD parameters"))
    bgnbd_log_likelihood = models.FloatField(_("BG/NBD log-likelihood"))
    gamma_gamma_params = models.JSONField(_("Gamma-Gamma parameters"), null=True, blank=True)
    gamma_gamma_log_likelihood = models.FloatField(null=True, blank=True)
    monthly_discount = models.FloatField(_("monthly discount rate"))
    holdout_predicted = models.FloatField(_("predicted holdout purchases"))
    holdout_actual = models.FloatField(_("actual holdout purchases"))
    holdout_correlation = models.FloatField(_("per-customer correlation"), null=True, blank=True)
    # Weekly cumulative repeat purchases, actual vs the calibration fit's forecast:
    # {"weeks": [...], "actual": [...], "predicted": [...], "calibration_weeks": n}.
    curve = models.JSONField(_("cumulative repeat purchases"), default=dict)
    seconds = models.FloatField(_("seconds"), default=0.0)

    class Meta:
        ordering = ["-fitted_at", "-pk"]
        verbose_name = _("CLV fit")
        verbose_name_plural = _("CLV fits")

    def __str__(self) -> str:
        return f"CLV fit {self.history_end.isoformat()}"


class CustomerValue(models.Model):
    """The latest scores of one customer; replaced on every fit."""

    customer = models.OneToOneField(
        "customers.Customer", on_delete=models.CASCADE, related_name="lifetime_value"
    )
    fit = models.ForeignKey(ClvFit, on_delete=models.CASCADE, related_name="values")
    probability_alive = models.FloatField(_("probability alive"))
    expected_30 = models.FloatField(_("expected purchases, 30 days"))
    expected_90 = models.FloatField(_("expected purchases, 90 days"))
    expected_365 = models.FloatField(_("expected purchases, 365 days"))
    expected_spend = models.DecimalField(
        _("expected spend per order"), max_digits=20, decimal_places=2
    )
    clv = models.DecimalField(_("lifetime value, 12 months"), max_digits=20, decimal_places=2)

    class Meta:
        verbose_name = _("customer value")
        verbose_name_plural = _("customer values")

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.clv}"
