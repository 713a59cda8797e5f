"""Lead capture set-up: web-to-lead forms, assignment rules, scoring rules and the learned
lead-scoring model."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from peyvand.access.choices import Language
from peyvand.core.models import TimeStampedModel
from peyvand.sales.choices import AssignmentAction, ScoringCondition


def new_form_key() -> str:
    # Public and unguessable: the key is the only thing that names a form from outside.
    return secrets.token_urlsafe(12)


class WebForm(TimeStampedModel):
    """An embeddable web-to-lead form. `fields` is the whole public contract: a list of
    {"name": form field name, "lead_field": Lead field, "required": bool, "label": English,
    "label_fa": Persian}; the public endpoint accepts these names and nothing else."""

    name = models.CharField(_("name"), max_length=120)
    key = models.SlugField(_("public key"), max_length=40, unique=True, default=new_form_key)
    fields = models.JSONField(_("fields"), default=list)
    language = models.CharField(
        _("language"),
        max_length=2,
        choices=Language.choices,
        default=Language.FA,
        help_text=_("The language of the form's labels and error messages."),
    )
    source = models.ForeignKey(
        "sales.LeadSource",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="web_forms",
        verbose_name=_("lead source"),
    )
    department = models.ForeignKey(
        "access.Department",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="web_forms",
        verbose_name=_("department"),
        help_text=_("Leads go to this department's reps when no assignment rule matches."),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("owner"),
        help_text=_("Every lead of this form goes to this person; empty: assignment rules."),
    )
    success_message = models.CharField(_("thank-you message (English)"), max_length=500, blank=True)
    success_message_fa = models.CharField(
        _("thank-you message (Persian)"), max_length=500, blank=True
    )
    redirect_url = models.URLField(
        _("redirect URL"),
        max_length=500,
        blank=True,
        help_text=_("After a browser post, send the visitor here instead of the thank-you page."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("web form")
        verbose_name_plural = _("web forms")

    def __str__(self) -> str:
        return self.name

    @property
    def thank_you(self) -> str:
        if self.language == Language.FA:
            return self.success_message_fa or self.success_message
        return self.success_message or self.success_message_fa


class AssignmentRule(TimeStampedModel):
    """Who gets a new lead: the first active rule (by position) whose every set condition
    matches decides; empty conditions match anything."""

    name = models.CharField(_("name"), max_length=120)
    position = models.PositiveIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    match_city = models.CharField(
        _("city or territory"),
        max_length=500,
        blank=True,
        help_text=_("One or more, separated by commas; empty: any."),
    )
    match_language = models.CharField(
        _("language"), max_length=2, choices=Language.choices, blank=True
    )
    match_product = models.ForeignKey(
        "catalog.Product",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("product of interest"),
    )
    match_source = models.ForeignKey(
        "sales.LeadSource",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("lead source"),
    )
    action = models.CharField(
        _("action"),
        max_length=16,
        choices=AssignmentAction.choices,
        default=AssignmentAction.ROUND_ROBIN,
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("user"),
    )
    department = models.ForeignKey(
        "access.Department",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("department"),
    )

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("assignment rule")
        verbose_name_plural = _("assignment rules")

    def __str__(self) -> str:
        return self.name


class ScoringRule(TimeStampedModel):
    """A transparent part of the lead score: `points` when `field` meets `condition`."""

    name = models.CharField(_("name"), max_length=120)
    field = models.CharField(_("lead field"), max_length=40)
    condition = models.CharField(
        _("condition"), max_length=16, choices=ScoringCondition.choices, default="is_set"
    )
    value = models.CharField(_("value"), max_length=200, blank=True)
    points = models.IntegerField(_("points"))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["-points", "name", "pk"]
        verbose_name = _("scoring rule")
        verbose_name_plural = _("scoring rules")

    def __str__(self) -> str:
        return self.name


class LeadScoringModel(models.Model):
    """One training run of the learned lead score. `model` holds the joblib bytes of a
    LogisticRegression we trained ourselves (never uploaded), with the vectoriser."""

    version = models.PositiveIntegerField(_("version"), unique=True)
    trained_at = models.DateTimeField(_("trained"), auto_now_add=True)
    model = models.BinaryField(_("model"), null=True, editable=False)
    n_train = models.PositiveIntegerField(_("training leads"), default=0)
    n_holdout = models.PositiveIntegerField(_("holdout leads"), default=0)
    n_converted = models.PositiveIntegerField(_("converted leads"), default=0)
    n_lost = models.PositiveIntegerField(_("lost leads"), default=0)
    auc = models.FloatField(_("holdout AUC"), null=True, blank=True)
    seconds = models.FloatField(_("training time (s)"), default=0)
    # The newest closed lead seen: the periodic job retrains only when history grew.
    history_mark = models.CharField(max_length=80, blank=True, editable=False)
    message = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        ordering = ["-version"]
        verbose_name = _("lead scoring model")
        verbose_name_plural = _("lead scoring models")

    def __str__(self) -> str:
        return f"v{self.version}"

    @property
    def is_usable(self) -> bool:
        return self.model is not None
