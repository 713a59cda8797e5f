from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from peyvand.access.choices import ObjectType
from peyvand.access.scopes import VisibleQuerySet
from peyvand.core.models import TimeStampedModel
from peyvand.personalization.choices import (
    ANSWERED,
    DecisionChannel,
    OfferKind,
    Outcome,
    PolicyStatus,
)
from peyvand.personalization.rules import validate_rules


class OfferQuerySet(models.QuerySet):
    def live(self, now: object = None) -> OfferQuerySet:
        """Switched on and inside the active window (budgets are checked per offer)."""
        moment = now or timezone.now()
        return self.filter(is_active=True).filter(
            models.Q(starts_at__isnull=True) | models.Q(starts_at__lte=moment),
            models.Q(ends_at__isnull=True) | models.Q(ends_at__gt=moment),
        )


class Offer(TimeStampedModel):
    """Something to propose to a customer, with who may get it and how often."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=OfferKind.choices)
    title = models.CharField(_("title (English)"), max_length=200)
    title_fa = models.CharField(_("title (Persian)"), max_length=200)
    text = models.TextField(_("text (English)"), blank=True)
    text_fa = models.TextField(_("text (Persian)"), blank=True)
    product = models.ForeignKey(
        "catalog.Product",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("product"),
    )
    rules = models.JSONField(
        _("eligibility rules"),
        default=dict,
        blank=True,
        help_text=_(
            'A JSON object, e.g. {"languages": ["fa"], "min_orders": 1, "churn_bands": ["high"]}.'
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)
    starts_at = models.DateTimeField(_("starts"), null=True, blank=True)
    ends_at = models.DateTimeField(_("ends"), null=True, blank=True)
    max_decisions = models.PositiveIntegerField(
        _("most times offered"), null=True, blank=True, help_text=_("Empty: no limit.")
    )
    max_accepts = models.PositiveIntegerField(
        _("most acceptances"), null=True, blank=True, help_text=_("Empty: no limit.")
    )
    discount_amount = models.DecimalField(
        _("discount per acceptance"),
        max_digits=20,
        decimal_places=2,
        default=Decimal(0),
        help_text=_("In the reporting currency."),
    )
    money_budget = models.DecimalField(
        _("discount budget"),
        max_digits=20,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("In the reporting currency; empty: no limit."),
    )
    decisions_count = models.PositiveIntegerField(_("times offered"), default=0, editable=False)
    accepts_count = models.PositiveIntegerField(_("acceptances"), default=0, editable=False)

    objects = OfferQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("offer")
        verbose_name_plural = _("offers")

    def __str__(self) -> str:
        return self.localized_title

    @property
    def localized_title(self) -> str:
        return self.title_fa if (get_language() or "").startswith("fa") else self.title

    @property
    def localized_text(self) -> str:
        return self.text_fa if (get_language() or "").startswith("fa") else self.text

    @property
    def spent(self) -> Decimal:
        return self.discount_amount * self.accepts_count

    def clean(self) -> None:
        try:
            validate_rules(self.rules)
        except ValidationError as exc:
            raise ValidationError({"rules": exc.messages}) from exc
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": _("The end must come after the start.")})
        if self.kind == OfferKind.PRODUCT and self.product_id is None:
            raise ValidationError({"product": _("A product offer needs its product.")})

    def within_budget(self) -> bool:
        if self.max_decisions is not None and self.decisions_count >= self.max_decisions:
            return False
        if self.max_accepts is not None and self.accepts_count >= self.max_accepts:
            return False
        return not (
            self.money_budget is not None
            and self.discount_amount > 0
            and self.spent + self.discount_amount > self.money_budget
        )


class PolicyVersion(TimeStampedModel):
    """A bandit model: its VW arguments and learned weights. One is active at a time; a
    candidate is trained on the logged decisions and evaluated offline before it is switched on."""

    name = models.CharField(_("name"), max_length=100)
    vw_args = models.CharField(_("VowpalWabbit arguments"), max_length=300)
    status = models.CharField(
        _("status"), max_length=16, choices=PolicyStatus.choices, default=PolicyStatus.CANDIDATE
    )
    model = models.BinaryField(_("model"), blank=True, default=b"")
    # Bumped on every save of the model, so other processes know to reload it.
    revision = models.PositiveIntegerField(default=0, editable=False)
    learned_count = models.PositiveIntegerField(_("outcomes learned"), default=0, editable=False)
    evaluation = models.JSONField(_("offline evaluation"), default=dict, blank=True)
    activated_at = models.DateTimeField(_("switched on"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("policy version")
        verbose_name_plural = _("policy versions")
        constraints = [
            models.UniqueConstraint(
                fields=["status"],
                condition=models.Q(status="active"),
                name="one_active_policy",
            )
        ]

    def __str__(self) -> str:
        return self.name


class DecisionQuerySet(VisibleQuerySet):
    def pending(self) -> DecisionQuerySet:
        return self.filter(outcome=Outcome.PENDING)

    def answered(self) -> DecisionQuerySet:
        return self.filter(outcome__in=ANSWERED)


class Decision(models.Model):
    """One offer shown to one customer: what was eligible, the probabilities the policy gave
    them, which one it drew, and later the customer's answer. The log offline evaluation reads."""

    access_object_type = ObjectType.CUSTOMER
    access_owner_path = "customer__owner"
    access_department_path = "customer__department"

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="offer_decisions"
    )
    offer = models.ForeignKey(Offer, on_delete=models.PROTECT, related_name="decisions")
    policy = models.ForeignKey(PolicyVersion, on_delete=models.PROTECT, related_name="decisions")
    decided_at = models.DateTimeField(_("decided at"), default=timezone.now, db_index=True)
    channel = models.CharField(_("channel"), max_length=16, choices=DecisionChannel.choices)
    # The exact features the policy saw, so learning later uses what the choice was made on.
    context = models.JSONField(default=dict)
    actions = models.JSONField(default=list)
    offer_ids = models.JSONField(default=list)
    pmf = models.JSONField(default=list)
    chosen_index = models.PositiveSmallIntegerField()
    propensity = models.FloatField(_("propensity"))
    outcome = models.CharField(
        _("outcome"), max_length=16, choices=Outcome.choices, default=Outcome.PENDING
    )
    outcome_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    outcome_channel = models.CharField(
        _("answered via"), max_length=16, choices=DecisionChannel.choices, blank=True
    )
    outcome_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    learned = models.BooleanField(default=False)
    shown_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = DecisionQuerySet.as_manager()

    class Meta:
        ordering = ["-decided_at", "-pk"]
        verbose_name = _("offer decision")
        verbose_name_plural = _("offer decisions")
        indexes = [
            models.Index(fields=["customer", "outcome", "decided_at"]),
            # The learner's queue: answered, not yet learned.
            models.Index(
                fields=["policy", "decided_at"],
                condition=models.Q(learned=False) & ~models.Q(outcome="pending"),
                name="decision_to_learn",
            ),
            models.Index(
                fields=["decided_at"],
                condition=models.Q(outcome="pending"),
                name="decision_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.offer} → {self.customer_id} ({self.outcome})"
