"""The churn model's training runs and the scores it writes back per customer."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ChurnModelVersion(models.Model):
    """One training run on the CRM's own features. `model` holds the joblib bytes of the
    pipeline we trained ourselves (never uploaded), which is what makes loading it safe."""

    version = models.PositiveIntegerField(_("version"), unique=True)
    trained_at = models.DateTimeField(_("trained"), auto_now_add=True)
    model = models.BinaryField(_("model"), null=True, editable=False)
    chosen = models.CharField(_("model chosen"), max_length=60, blank=True)
    horizon_days = models.PositiveIntegerField(_("churned after (days without an order)"))
    n_train = models.PositiveIntegerField(_("training customers"), default=0)
    n_holdout = models.PositiveIntegerField(_("holdout customers"), default=0)
    n_churned = models.PositiveIntegerField(_("churned customers"), default=0)
    auc = models.FloatField(_("holdout ROC AUC"), null=True, blank=True)
    log_loss = models.FloatField(_("holdout log loss"), null=True, blank=True)
    # Cross-validated AUC per candidate, the inferred columns and the global drivers.
    report = models.JSONField(_("report"), default=dict, blank=True)
    n_scored = models.PositiveIntegerField(_("customers scored"), default=0)
    seconds = models.FloatField(_("training time (s)"), default=0)

    class Meta:
        ordering = ["-version"]
        verbose_name = _("churn model")
        verbose_name_plural = _("churn models")

    def __str__(self) -> str:
        return f"v{self.version}"


class ChurnScore(models.Model):
    """The latest churn risk of a customer: a score write-back of the analytics read side,
    replaced by every scoring run (no change-log row per customer)."""

    customer = models.OneToOneField(
        "customers.Customer",
        on_delete=models.CASCADE,
        related_name="churn_score",
        verbose_name=_("customer"),
    )
    model_version = models.PositiveIntegerField(_("model version"))
    probability = models.FloatField(_("churn risk"))
    # [{"feature": name, "contribution": log-odds push}, ...], strongest first.
    drivers = models.JSONField(_("top drivers"), default=list, blank=True)
    scored_at = models.DateTimeField(_("scored"))

    class Meta:
        ordering = ["-probability", "customer_id"]
        indexes = [models.Index(fields=["-probability"], name="churn_score_risk")]
        verbose_name = _("churn score")
        verbose_name_plural = _("churn scores")

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.probability:.2f}"
