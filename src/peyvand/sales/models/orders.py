"""Orders, their lines and payments."""

from __future__ import annotations

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
from peyvand.sales.choices import OrderChannel, OrderStatus, PaymentMethod


class OrderNumberSequence(models.Model):
    """The last order number handed out per year; its row lock serialises numbering."""

    year = models.PositiveIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("order number sequence")
        verbose_name_plural = _("order number sequences")

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class Order(TimeStampedModel, SoftDeleteModel):
    access_object_type = ObjectType.ORDER
    access_owner_path = "customer__owner"
    access_department_path = "customer__department"

    # Unique by a constraint, not `unique=True`: on PostgreSQL the field option adds a second,
    # pattern-ops index for LIKE that nothing uses and that costs ~20 s per 10M seeded rows.
    number = models.CharField(_("number"), max_length=40)
    # No index of its own: the (customer, ordered_at) index below serves every lookup by
    # customer, and one index less is one less to build over millions of seeded rows.
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="orders", db_index=False
    )
    status = models.CharField(
        _("status"), max_length=16, choices=OrderStatus.choices, default=OrderStatus.CONFIRMED
    )
    ordered_at = models.DateTimeField(_("ordered at"), default=timezone.now, db_index=True)
    # db_default too: bulk loads (seed, imports) that name no channel get the same answer.
    channel = models.CharField(
        _("channel"),
        max_length=16,
        choices=OrderChannel.choices,
        default=OrderChannel.SALES,
        db_default=OrderChannel.SALES,
    )
    total: MoneyField[Money | Decimal, Money] = MoneyField(
        _("total"), max_digits=20, decimal_places=2, default_currency="IRR"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Not indexed: nothing looks an order up by it, and its index cost ~16 s per 10M rows.
    external_ref = models.CharField(_("external reference"), max_length=100, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    objects = CustomerChildQuerySet.as_manager()

    class Meta:
        ordering = ["-ordered_at", "-pk"]
        indexes = [models.Index(fields=["customer", "ordered_at"])]
        constraints = [models.UniqueConstraint(fields=["number"], name="sales_order_number_unique")]
        verbose_name = _("order")
        verbose_name_plural = _("orders")

    def __str__(self) -> str:
        return self.number


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(
        "catalog.Product", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    description = models.CharField(_("description"), max_length=255)
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=3, default=1)
    unit_price: MoneyField[Money | Decimal, Money] = MoneyField(
        _("unit price"), max_digits=20, decimal_places=2, default_currency="IRR"
    )
    discount_percent = models.DecimalField(
        _("discount %"), max_digits=5, decimal_places=2, default=0
    )
    line_total: MoneyField[Money | Decimal, Money] = MoneyField(
        _("line total"), max_digits=20, decimal_places=2, default_currency="IRR"
    )

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(quantity__gt=0), name="line_quantity_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(discount_percent__gte=0, discount_percent__lte=100),
                name="line_discount_range",
            ),
        ]
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")

    def __str__(self) -> str:
        return self.description


class Payment(TimeStampedModel):
    access_object_type = ObjectType.ORDER
    access_owner_path = "order__customer__owner"
    access_department_path = "order__customer__department"

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="payments")
    amount: MoneyField[Money | Decimal, Money] = MoneyField(
        _("amount"), max_digits=20, decimal_places=2, default_currency="IRR"
    )
    method = models.CharField(_("method"), max_length=16, choices=PaymentMethod.choices)
    paid_at = models.DateTimeField(_("paid at"), default=timezone.now)
    reference = models.CharField(_("reference"), max_length=100, blank=True)

    objects = CustomerChildQuerySet.as_manager()

    class Meta:
        ordering = ["-paid_at"]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")

    def __str__(self) -> str:
        return f"{self.amount} ({self.get_method_display()})"
