"""Contracts and subscriptions: a term with a value, renewed or ended."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from djmoney.models.fields import MoneyField
from djmoney.money import Money

from peyvand.access.choices import ObjectType
from peyvand.core.models import SoftDeleteModel, TimeStampedModel
from peyvand.customers.querysets import CustomerChildQuerySet
from peyvand.sales.choices import BillingPeriod, ContractStatus


class Contract(TimeStampedModel, SoftDeleteModel):
    access_object_type = ObjectType.CONTRACT
    access_owner_path = "customer__owner"
    access_department_path = "customer__department"

    number = models.CharField(_("number"), max_length=40, unique=True)
    title = models.CharField(_("title"), max_length=200)
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        related_name="contracts",
        verbose_name=_("customer"),
    )
    order = models.ForeignKey(
        "sales.Order",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="contracts",
        verbose_name=_("order"),
    )
    quote = models.ForeignKey(
        "sales.Quote",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="contracts",
        verbose_name=_("quote"),
    )
    previous = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="renewal",
        verbose_name=_("renews"),
    )
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    renewal_date = models.DateField(_("renewal date"), db_index=True)
    notice_days = models.PositiveSmallIntegerField(_("remind days before renewal"), default=30)
    value: MoneyField[Money | Decimal, Money] = MoneyField(
        pgettext_lazy("contract", "value"), max_digits=20, decimal_places=2, default_currency="IRR"
    )
    billing_period = models.CharField(
        _("billing period"),
        max_length=16,
        choices=BillingPeriod.choices,
        default=BillingPeriod.YEARLY,
    )
    auto_renew = models.BooleanField(_("renews automatically"), default=False)
    status = models.CharField(
        _("status"), max_length=16, choices=ContractStatus.choices, default=ContractStatus.ACTIVE
    )
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    cancel_reason = models.CharField(_("cancellation reason"), max_length=255, blank=True)
    # The renewal date the owner's desk task was created for: one reminder per term.
    reminded_for = models.DateField(null=True, blank=True, editable=False)
    renewal_task = models.ForeignKey(
        "desk.Task", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    notes = models.TextField(_("notes"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = CustomerChildQuerySet.as_manager()

    class Meta:
        ordering = ["renewal_date", "pk"]
        indexes = [models.Index(fields=["status", "renewal_date"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__gte=models.F("start_date")),
                name="contract_end_after_start",
            ),
        ]
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")

    def __str__(self) -> str:
        return self.number
