"""Loyalty programme settings and the points ledger.

The ledger (`LoyaltyEntry`) is append-only: a balance is the sum of its entries, and
`LoyaltyAccount.balance` is a cache of that sum updated in the same transaction as each
entry. Earned and granted points are lots that redemptions, clawbacks and expiry consume
oldest first (`remaining`), so expiry takes only what is still unspent."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from peyvand.core.models import TimeStampedModel
from peyvand.marketing.loyalty.choices import EarnOn, EntryKind, LoyaltyAction, RewardKind

# Keys of points earned by an action: "action:<LoyaltyAction>:<reference>".
ACTION_KEY_PREFIX = "action:"


class LoyaltyProgramme(TimeStampedModel):
    access_object_type = "loyalty"

    name = models.CharField(_("name"), max_length=120)
    currency = models.CharField(
        _("currency"), max_length=3, help_text=_("Purchases are converted to it to earn points.")
    )
    points_per_unit = models.DecimalField(
        _("points per unit spent"),
        max_digits=12,
        decimal_places=4,
        validators=[MinValueValidator(Decimal(0))],
    )
    earn_on = models.CharField(
        _("orders earn"), max_length=16, choices=EarnOn.choices, default=EarnOn.PAID
    )
    tier_window_days = models.PositiveIntegerField(
        _("tier window (days)"), default=365, validators=[MinValueValidator(1)]
    )
    expiry_months = models.PositiveIntegerField(
        _("points expire after (months)"), default=12, help_text=_("0: points never expire.")
    )
    max_points_per_day = models.PositiveIntegerField(
        _("most points a customer earns per day"), default=0, help_text=_("0: no limit.")
    )
    max_redemptions_per_day = models.PositiveIntegerField(
        _("most redemptions per customer per day"), default=0, help_text=_("0: no limit.")
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["-is_active", "name", "pk"]
        constraints = [
            # Orders earn in the one active programme.
            models.UniqueConstraint(
                fields=["is_active"],
                condition=models.Q(is_active=True),
                name="loyalty_one_active_programme",
            ),
            models.CheckConstraint(
                condition=models.Q(points_per_unit__gte=0), name="loyalty_rate_not_negative"
            ),
        ]
        verbose_name = _("loyalty programme")
        verbose_name_plural = _("loyalty programmes")

    def __str__(self) -> str:
        return self.name


class LoyaltyRule(models.Model):
    """Points for an action other than buying (sign-up, review, referral, …)."""

    programme = models.ForeignKey(LoyaltyProgramme, on_delete=models.CASCADE, related_name="rules")
    action = models.CharField(_("action"), max_length=16, choices=LoyaltyAction.choices)
    points = models.PositiveIntegerField(_("points"), validators=[MinValueValidator(1)])

    class Meta:
        ordering = ["action"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "action"], name="loyalty_rule_unique"),
            models.CheckConstraint(condition=models.Q(points__gt=0), name="loyalty_rule_points"),
        ]
        verbose_name = _("points rule")
        verbose_name_plural = _("points rules")

    def __str__(self) -> str:
        return f"{self.get_action_display()}: {self.points}"


class LoyaltyTier(models.Model):
    programme = models.ForeignKey(LoyaltyProgramme, on_delete=models.CASCADE, related_name="tiers")
    name = models.CharField(_("name"), max_length=80)
    threshold = models.PositiveIntegerField(
        _("points earned in the window"), help_text=_("Reached with this many points earned.")
    )
    multiplier = models.DecimalField(
        _("multiplier"),
        max_digits=5,
        decimal_places=2,
        default=Decimal(1),
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    benefits = models.TextField(_("benefits"), blank=True)

    class Meta:
        ordering = ["threshold"]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "threshold"], name="loyalty_tier_threshold_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(multiplier__gt=0), name="loyalty_tier_multiplier"
            ),
        ]
        verbose_name = _("tier")
        verbose_name_plural = _("tiers")

    def __str__(self) -> str:
        return self.name


class LoyaltyReward(models.Model):
    programme = models.ForeignKey(
        LoyaltyProgramme, on_delete=models.CASCADE, related_name="rewards"
    )
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=16, choices=RewardKind.choices)
    cost = models.PositiveIntegerField(_("cost in points"), validators=[MinValueValidator(1)])
    # In the programme's currency; converted to the order's at the rate of the day.
    discount = models.DecimalField(
        _("discount amount"), max_digits=20, decimal_places=2, null=True, blank=True
    )
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["cost", "pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(cost__gt=0), name="loyalty_reward_cost"),
            models.CheckConstraint(
                condition=~models.Q(kind=RewardKind.DISCOUNT)
                | models.Q(discount__gt=0, discount__isnull=False),
                name="loyalty_reward_discount",
            ),
        ]
        verbose_name = _("reward")
        verbose_name_plural = _("rewards")

    def __str__(self) -> str:
        return self.name


class LoyaltyAccount(models.Model):
    access_object_type = "customer"
    access_owner_path = "customer__owner"
    access_department_path = "customer__department"

    programme = models.ForeignKey(
        LoyaltyProgramme, on_delete=models.PROTECT, related_name="accounts"
    )
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="loyalty_accounts"
    )
    # Sum of the account's entries, kept with each entry. Negative only after a clawback
    # of points already spent: the customer then earns that debt back before redeeming.
    balance = models.IntegerField(_("balance"), default=0)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["programme", "customer"], name="loyalty_account_unique")
        ]
        verbose_name = _("loyalty account")
        verbose_name_plural = _("loyalty accounts")

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.balance}"


class LoyaltyEntry(models.Model):
    account = models.ForeignKey(LoyaltyAccount, on_delete=models.CASCADE, related_name="entries")
    kind = models.CharField(_("kind"), max_length=16, choices=EntryKind.choices)
    points = models.IntegerField(_("points"))
    # Points of this lot (an earn or a positive adjustment) not yet spent, expired or
    # clawed back; 0 on every other entry.
    remaining = models.PositiveIntegerField(default=0)
    occurred_at = models.DateTimeField(_("date"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    # What makes the entry happen once: "order:12:earn:1", "action:review:55", …
    key = models.CharField(max_length=120)
    description = models.CharField(_("description"), max_length=255, blank=True)
    order = models.ForeignKey(
        "sales.Order", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reward = models.ForeignKey(
        LoyaltyReward, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    lot = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-occurred_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["account", "key"], name="loyalty_entry_once"),
            models.CheckConstraint(condition=~models.Q(points=0), name="loyalty_entry_not_zero"),
        ]
        indexes = [
            models.Index(fields=["account", "occurred_at"]),
            # The expiry job's scan: unspent lots past their date.
            models.Index(
                fields=["expires_at"],
                condition=models.Q(remaining__gt=0),
                name="loyalty_entry_unspent",
            ),
        ]
        verbose_name = _("points entry")
        verbose_name_plural = _("points entries")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.points:+d}"

    @property
    def label(self) -> str:
        """What the statement says: the action's name in the reader's language for points
        earned by an action (its key names it), else the stored description."""
        if self.key.startswith(ACTION_KEY_PREFIX):
            action = self.key.removeprefix(ACTION_KEY_PREFIX).split(":", 1)[0]
            if action in LoyaltyAction.values:
                return str(LoyaltyAction(action).label)
        return self.description
