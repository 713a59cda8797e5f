"""Pipelines and stages, lead sources, leads and opportunities."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from djmoney.models.fields import MoneyField
from djmoney.money import Money

from peyvand.access.choices import Language, ObjectType
from peyvand.core.models import SoftDeleteModel, TimeStampedModel
from peyvand.sales.choices import LeadChannel, LeadStatus, OpportunityStatus
from peyvand.sales.querysets import LeadQuerySet, OpportunityQuerySet


class _BilingualName(models.Model):
    name = models.CharField(_("name (English)"), max_length=120)
    name_fa = models.CharField(_("name (Persian)"), max_length=120, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        if (get_language() or "").startswith("fa") and self.name_fa:
            return self.name_fa
        return self.name


class Pipeline(_BilingualName, TimeStampedModel):
    """A sales process: its ordered stages are the columns of the Kanban board."""

    is_default = models.BooleanField(_("default"), default=False)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["-is_default", "name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=models.Q(is_default=True),
                name="one_default_pipeline",
            )
        ]
        verbose_name = _("pipeline")
        verbose_name_plural = _("pipelines")


class Stage(_BilingualName):
    pipeline = models.ForeignKey(Pipeline, on_delete=models.CASCADE, related_name="stages")
    position = models.PositiveIntegerField(_("position"), default=0)
    win_probability = models.PositiveSmallIntegerField(
        _("win probability %"), default=0, help_text=_("From 0 to 100.")
    )
    is_won = models.BooleanField(_("won stage"), default=False)
    is_lost = models.BooleanField(_("lost stage"), default=False)

    class Meta:
        ordering = ["pipeline", "position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(win_probability__lte=100), name="stage_probability_range"
            ),
            models.CheckConstraint(
                condition=~models.Q(is_won=True, is_lost=True), name="stage_not_won_and_lost"
            ),
        ]
        verbose_name = _("stage")
        verbose_name_plural = _("stages")

    @property
    def is_closed(self) -> bool:
        return self.is_won or self.is_lost


class LeadSource(_BilingualName):
    code = models.SlugField(_("code"), max_length=50, unique=True)
    is_active = models.BooleanField(_("active"), default=True)
    response_hours = models.PositiveIntegerField(
        _("first response within (hours)"),
        null=True,
        blank=True,
        help_text=_("Empty: the default of the installation."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("lead source")
        verbose_name_plural = _("lead sources")


class Lead(TimeStampedModel, SoftDeleteModel):
    """Someone who may buy, before they are a customer."""

    access_object_type = ObjectType.LEAD
    access_owner_path = "owner"
    access_department_path = "department"

    name = models.CharField(_("name"), max_length=200, blank=True)
    company = models.CharField(_("company"), max_length=200, blank=True)
    email = models.CharField(_("email"), max_length=254, blank=True, db_index=True)
    # E.164, the same key customers' phone contact points are stored under.
    phone = models.CharField(_("phone"), max_length=32, blank=True, db_index=True)
    source = models.ForeignKey(
        LeadSource,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="leads",
        verbose_name=_("source"),
    )
    status = models.CharField(
        _("status"), max_length=16, choices=LeadStatus.choices, default=LeadStatus.NEW
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_leads",
        verbose_name=_("owner"),
    )
    department = models.ForeignKey(
        "access.Department",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="leads",
        verbose_name=_("department"),
    )
    utm_source = models.CharField(_("UTM source"), max_length=100, blank=True)
    utm_medium = models.CharField(_("UTM medium"), max_length=100, blank=True)
    utm_campaign = models.CharField(_("UTM campaign"), max_length=100, blank=True)
    utm_term = models.CharField(_("UTM term"), max_length=100, blank=True)
    utm_content = models.CharField(_("UTM content"), max_length=100, blank=True)
    referrer = models.CharField(_("referrer"), max_length=500, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    language = models.CharField(_("language"), max_length=2, choices=Language.choices, blank=True)
    product = models.ForeignKey(
        "catalog.Product",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("product of interest"),
    )
    channel = models.CharField(
        _("channel"), max_length=16, choices=LeadChannel.choices, default=LeadChannel.MANUAL
    )
    web_form = models.ForeignKey(
        "sales.WebForm",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="leads",
        verbose_name=_("web form"),
    )
    # The rule score: the sum of the scoring rules that match, explainable line by line.
    score = models.IntegerField(_("score"), default=0)
    learned_score = models.FloatField(_("learned score"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True)
    respond_by = models.DateTimeField(_("respond by"), null=True, blank=True)
    sla_escalated_at = models.DateTimeField(_("escalated"), null=True, blank=True, editable=False)
    converted_at = models.DateTimeField(_("converted"), null=True, blank=True)
    converted_customer = models.ForeignKey(
        "customers.Customer",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="source_leads",
        verbose_name=_("converted customer"),
    )
    converted_opportunity = models.ForeignKey(
        "sales.Opportunity",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="source_leads",
        verbose_name=_("converted opportunity"),
    )

    objects = LeadQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["owner", "status"]),
            models.Index(fields=["department", "status"]),
            # The SLA job: unanswered leads past their deadline, not yet escalated.
            models.Index(fields=["respond_by"], name="lead_sla_due"),
        ]
        verbose_name = _("lead")
        verbose_name_plural = _("leads")

    def __str__(self) -> str:
        if self.name and self.company:
            return f"{self.name} ({self.company})"
        return self.name or self.company or self.email or self.phone or f"#{self.pk}"

    @property
    def sla_breached(self) -> bool:
        """Unanswered past its first-response deadline (shown red on desks and lists)."""
        return (
            self.first_response_at is None
            and self.respond_by is not None
            and self.status == LeadStatus.NEW
            and self.respond_by < timezone.now()
        )


class LeadAssignmentCursor(models.Model):
    """Who last received a lead by round robin in a department; its row lock serialises
    concurrent assignments so no rep is skipped or served twice."""

    department = models.OneToOneField(
        "access.Department", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    last_user_id = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("lead assignment cursor")
        verbose_name_plural = _("lead assignment cursors")

    def __str__(self) -> str:
        return f"{self.department_id}: {self.last_user_id}"


class Opportunity(TimeStampedModel, SoftDeleteModel):
    """A deal in progress with a customer, moving through a pipeline's stages."""

    access_object_type = ObjectType.OPPORTUNITY
    access_owner_path = "owner"
    access_department_path = "department"

    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        related_name="opportunities",
        verbose_name=_("customer"),
    )
    pipeline = models.ForeignKey(
        Pipeline, on_delete=models.PROTECT, related_name="opportunities", verbose_name=_("pipeline")
    )
    stage = models.ForeignKey(
        Stage, on_delete=models.PROTECT, related_name="opportunities", verbose_name=_("stage")
    )
    title = models.CharField(_("title"), max_length=200)
    amount: MoneyField[Money | Decimal, Money] = MoneyField(
        _("amount"), max_digits=20, decimal_places=2, default=0, default_currency="IRR"
    )
    expected_close_date = models.DateField(_("expected close date"), null=True, blank=True)
    next_step = models.CharField(_("next step"), max_length=255, blank=True)
    status = models.CharField(
        _("status"), max_length=8, choices=OpportunityStatus.choices, default=OpportunityStatus.OPEN
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_opportunities",
        verbose_name=_("owner"),
    )
    department = models.ForeignKey(
        "access.Department",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="opportunities",
        verbose_name=_("department"),
    )
    close_reason = models.CharField(_("won/lost reason"), max_length=255, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    stage_entered_at = models.DateTimeField(_("in stage since"), default=timezone.now)
    # The managed-list reason it was won or lost for; close_reason holds the free text.
    reason = models.ForeignKey(
        "sales.CloseReason",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="opportunities",
        verbose_name=_("reason"),
    )
    competitors = models.ManyToManyField(
        "sales.Competitor", blank=True, related_name="opportunities", verbose_name=_("competitors")
    )
    products = models.ManyToManyField(
        "catalog.Product",
        blank=True,
        related_name="interested_opportunities",
        verbose_name=_("products of interest"),
    )

    objects = OpportunityQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            # The board: open deals of a pipeline, per stage, longest in stage first, so each
            # column's first cards are an index range scan whatever the number of deals.
            models.Index(
                fields=["pipeline", "status", "stage", "stage_entered_at", "id"],
                name="sales_opportunity_board",
            ),
            models.Index(fields=["owner", "status"]),
        ]
        verbose_name = _("opportunity")
        verbose_name_plural = _("opportunities")

    def __str__(self) -> str:
        return self.title


class StageHistory(models.Model):
    """One entry per stage an opportunity entered; the gaps between entries are the time
    it spent in each stage."""

    access_object_type = ObjectType.OPPORTUNITY
    access_owner_path = "opportunity__owner"
    access_department_path = "opportunity__department"

    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="history")
    from_stage = models.ForeignKey(
        Stage, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("at"), default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["opportunity", "at", "pk"]
        verbose_name = _("stage history entry")
        verbose_name_plural = _("stage history")

    def __str__(self) -> str:
        return f"{self.from_stage_id} -> {self.to_stage_id}"
