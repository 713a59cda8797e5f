"""What each customer costs to serve and to keep, in the reporting currency.

Agent time is priced at the hourly rate of the agent's department; discounts come from the
order lines; everything else that is spent on one customer (service orders, marketing sends,
gifts) is posted to the `CostEntry` ledger by the app that spends it. `CustomerCost` is the
read model the report, the 360 page and the API show, rebuilt by a background job.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from peyvand.access.choices import ObjectType
from peyvand.core.models import TimeStampedModel


class CostKind(models.TextChoices):
    SERVICE = "service", _("Service")
    MARKETING = "marketing", _("Marketing")
    RETENTION = "retention", _("Retention")
    OTHER = "other", _("Other")


class DepartmentRate(TimeStampedModel):
    """What an hour of an agent of this department costs, in the reporting currency."""

    department = models.OneToOneField(
        "access.Department",
        on_delete=models.CASCADE,
        related_name="cost_rate",
        verbose_name=_("department"),
    )
    hourly_rate = models.DecimalField(
        _("hourly rate"),
        max_digits=18,
        decimal_places=2,
        validators=[MinValueValidator(Decimal(0))],
    )

    class Meta:
        verbose_name = _("department hourly rate")
        verbose_name_plural = _("department hourly rates")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(hourly_rate__gte=0), name="department_rate_not_negative"
            )
        ]

    def __str__(self) -> str:
        return f"{self.department}: {self.hourly_rate}"


class CostEntry(TimeStampedModel):
    """One amount spent on one customer, posted once per source record and kind."""

    access_object_type = ObjectType.CUSTOMER
    access_owner_path = "customer__owner"
    access_department_path = "customer__department"

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="cost_entries"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=CostKind.choices)
    amount = models.DecimalField(_("amount"), max_digits=18, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    occurred_on = models.DateField(_("date"), default=timezone.localdate)
    description = models.CharField(_("description"), max_length=255, blank=True)
    # The record the cost comes from, so posting it again changes nothing.
    source_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source_id = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("cost entry")
        verbose_name_plural = _("cost entries")
        constraints = [
            models.UniqueConstraint(
                fields=["source_type", "source_id", "kind"],
                condition=~models.Q(source_id=""),
                name="cost_entry_once_per_source",
            ),
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="cost_not_negative"),
        ]
        indexes = [models.Index(fields=["customer", "occurred_on"], name="cost_entry_customer")]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.kind} {self.amount} {self.currency}"


class CustomerCost(models.Model):
    """The latest cost-to-serve figures of one customer over the report window."""

    customer = models.OneToOneField(
        "customers.Customer", on_delete=models.CASCADE, primary_key=True, related_name="cost"
    )
    agent_minutes = models.PositiveIntegerField(_("agent minutes"), default=0)
    service = models.DecimalField(_("service"), max_digits=18, decimal_places=2, default=0)
    marketing = models.DecimalField(_("marketing"), max_digits=18, decimal_places=2, default=0)
    discounts = models.DecimalField(_("discounts"), max_digits=18, decimal_places=2, default=0)
    retention = models.DecimalField(_("retention"), max_digits=18, decimal_places=2, default=0)
    total = models.DecimalField(_("total"), max_digits=18, decimal_places=2, default=0)
    currency = models.CharField(max_length=3, default=settings.REPORTING_CURRENCY)
    window_days = models.PositiveIntegerField(default=365)
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("cost to serve")
        verbose_name_plural = _("costs to serve")
        indexes = [models.Index(fields=["-total"], name="customer_cost_total")]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.total} {self.currency}"
