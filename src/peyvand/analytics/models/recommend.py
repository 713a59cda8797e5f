"""Training runs of the recommender: the offline evaluation that chose it and the model."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class RecommenderVersion(models.Model):
    """One training run from order lines. `model` holds joblib bytes of numpy/scipy arrays
    we computed ourselves (never uploaded); `evaluation` the held-out figures of every
    candidate, the chosen one marked."""

    version = models.PositiveIntegerField(_("version"), unique=True)
    trained_at = models.DateTimeField(_("trained"), auto_now_add=True)
    model = models.BinaryField(_("model"), null=True, editable=False)
    chosen = models.CharField(_("model chosen"), max_length=120, blank=True)
    evaluation = models.JSONField(_("offline evaluation"), default=list, blank=True)
    n_customers = models.PositiveIntegerField(_("customers"), default=0)
    n_products = models.PositiveIntegerField(_("products"), default=0)
    n_purchases = models.PositiveIntegerField(_("purchases"), default=0)
    seconds = models.FloatField(_("training time (s)"), default=0)

    class Meta:
        ordering = ["-version"]
        verbose_name = _("recommender")
        verbose_name_plural = _("recommenders")

    def __str__(self) -> str:
        return f"v{self.version}"
