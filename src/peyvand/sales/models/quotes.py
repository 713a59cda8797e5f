"""Quotes and their lines, and the numbering of sales documents other than orders."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from djmoney.models.fields import MoneyField
from djmoney.money import Money

from peyvand.access.choices import ObjectType
from peyvand.core.models import SoftDeleteModel, TimeStampedModel
from peyvand.customers.querysets import CustomerChildQuerySet
from peyvand.sales.choices import QuoteStatus


class DocumentNumberSequence(models.Model):
    """The last number handed out per document prefix (QT, CT) and year; its row lock
    serialises numbering like OrderNumberSequence does for orders."""

    prefix = models.CharField(max_length=8)
    year = models.PositiveIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["prefix", "year"], name="uniq_document_sequence")
        ]
        verbose_name = _("document number sequence")
        verbose_name_plural = _("document number sequences")

    def __str__(self) -> str:
        return f"{self.prefix}-{self.year}: {self.last}"


def _default_valid_until() -> dt.date:
    return timezone.localdate() + dt.timedelta(days=30)


class Quote(TimeStampedModel, SoftDeleteModel):
    access_object_type = ObjectType.QUOTE
    access_owner_path = "customer__owner"
    access_department_path = "customer__department"

    number = models.CharField(_("number"), max_length=40, unique=True)
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        related_name="quotes",
        verbose_name=_("customer"),
    )
    opportunity = models.ForeignKey(
        "sales.Opportunity",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="quotes",
        verbose_name=_("opportunity"),
    )
    price_list = models.ForeignKey(
        "catalog.PriceList",
        on_delete=models.PROTECT,
        related_name="quotes",
        verbose_name=_("price list"),
    )
    currency = models.CharField(_("currency"), max_length=3)
    status = models.CharField(
        _("status"), max_length=16, choices=QuoteStatus.choices, default=QuoteStatus.DRAFT
    )
    issued_on = models.DateField(_("date"), default=timezone.localdate)
    valid_until = models.DateField(_("valid until"), default=_default_valid_until)
    subtotal: MoneyField[Money | Decimal, Money] = MoneyField(
        _("subtotal"), max_digits=20, decimal_places=2, default=0, default_currency="IRR"
    )
    discount_total: MoneyField[Money | Decimal, Money] = MoneyField(
        _("discount"), max_digits=20, decimal_places=2, default=0, default_currency="IRR"
    )
    tax_total: MoneyField[Money | Decimal, Money] = MoneyField(
        _("tax"), max_digits=20, decimal_places=2, default=0, default_currency="IRR"
    )
    total: MoneyField[Money | Decimal, Money] = MoneyField(
        _("total"), max_digits=20, decimal_places=2, default=0, default_currency="IRR"
    )
    notes = models.TextField(_("notes"), blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    decided_at = models.DateTimeField(_("accepted/rejected"), null=True, blank=True)
    reject_reason = models.CharField(_("rejection reason"), max_length=255, blank=True)
    order = models.OneToOneField(
        "sales.Order",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="quote",
        verbose_name=_("order"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = CustomerChildQuerySet.as_manager()

    class Meta:
        ordering = ["-issued_on", "-pk"]
        indexes = [
            models.Index(fields=["customer", "issued_on"]),
            models.Index(fields=["status", "valid_until"]),
        ]
        verbose_name = _("quote")
        verbose_name_plural = _("quotes")

    def __str__(self) -> str:
        return self.number


class QuoteLine(models.Model):
    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(
        "catalog.Product", on_delete=models.PROTECT, related_name="+", verbose_name=_("product")
    )
    description = models.CharField(_("description"), max_length=255)
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=3, default=1)
    unit_price: MoneyField[Money | Decimal, Money] = MoneyField(
        _("unit price"), max_digits=20, decimal_places=2, default_currency="IRR"
    )
    discount_percent = models.DecimalField(
        _("discount %"), max_digits=5, decimal_places=2, default=0
    )
    tax_percent = models.DecimalField(_("tax %"), max_digits=5, decimal_places=2, default=0)
    discount: MoneyField[Money | Decimal, Money] = MoneyField(
        _("discount"), max_digits=20, decimal_places=2, default=0, default_currency="IRR"
    )
    net: MoneyField[Money | Decimal, Money] = MoneyField(
        _("net"), max_digits=20, decimal_places=2, default=0, default_currency="IRR"
    )
    tax: MoneyField[Money | Decimal, Money] = MoneyField(
        _("tax"), max_digits=20, decimal_places=2, default=0, default_currency="IRR"
    )
    line_total: MoneyField[Money | Decimal, Money] = MoneyField(
        _("line total"), max_digits=20, decimal_places=2, default_currency="IRR"
    )

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(quantity__gt=0), name="quote_line_quantity_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(discount_percent__gte=0, discount_percent__lte=100),
                name="quote_line_discount_range",
            ),
            models.CheckConstraint(
                condition=models.Q(tax_percent__gte=0, tax_percent__lte=100),
                name="quote_line_tax_range",
            ),
        ]
        verbose_name = _("quote line")
        verbose_name_plural = _("quote lines")

    def __str__(self) -> str:
        return self.description
