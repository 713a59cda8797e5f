"""Service orders (work orders): field or remote work for a customer, from a ticket or as
planned maintenance, scheduled to a technician, with the materials and time it took and
the customer's sign-off. `version` grows with every change, so an offline phone's change
based on an older state is recognised as a conflict instead of overwriting the office."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from djmoney.models.fields import MoneyField
from djmoney.money import Money

from peyvand.core.models import TimeStampedModel
from peyvand.service.choices import ServiceOrderKind, ServiceOrderStatus

SERVICE_ORDER_OBJECT_TYPE = "service_order"


class ServiceOrder(TimeStampedModel):
    access_object_type = SERVICE_ORDER_OBJECT_TYPE
    access_owner_path = "technician"
    access_department_path = "department"

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="service_orders"
    )
    kind = models.CharField(
        _("kind"), max_length=16, choices=ServiceOrderKind.choices, default="corrective"
    )
    ticket = models.ForeignKey(
        "service.Ticket",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="service_orders",
        verbose_name=_("ticket"),
    )
    agreement = models.ForeignKey(
        "service.ServiceAgreement",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="service_orders",
        verbose_name=_("service agreement"),
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    # What the technician wrote on site; the field an office edit and a phone edit can clash on.
    work_notes = models.TextField(_("work notes"), blank=True)
    department = models.ForeignKey(
        "access.Department",
        on_delete=models.PROTECT,
        related_name="service_orders",
        verbose_name=_("team"),
    )
    technician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="service_orders",
        verbose_name=_("technician"),
    )
    window_start = models.DateTimeField(_("from"))
    window_end = models.DateTimeField(_("until"))
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=ServiceOrderStatus.choices,
        default=ServiceOrderStatus.SCHEDULED,
    )
    currency = models.CharField(_("currency"), max_length=3)
    # Materials plus time, in the order's currency (kept by the services on every change).
    total_cost: MoneyField[Money | Decimal, Money] = MoneyField(
        _("cost"), max_digits=20, decimal_places=2, default=0, default_currency="IRR"
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    # The last batch of offline changes applied: a phone that resends it (the answer was
    # lost) is told it was applied, not that it conflicts with itself.
    last_sync_id = models.CharField(max_length=64, blank=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    signed_by = models.CharField(_("signed by"), max_length=200, blank=True)
    # Typed: the name as the customer typed it; drawn: a PNG data URL from the signature pad.
    signature = models.TextField(_("signature"), blank=True)
    signature_kind = models.CharField(max_length=8, blank=True)
    signed_at = models.DateTimeField(_("signed"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["window_start", "pk"]
        indexes = [
            models.Index(fields=["technician", "status", "window_start"]),
            models.Index(fields=["customer", "status"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(window_end__gt=models.F("window_start")),
                name="service_order_window_ordered",
            )
        ]
        verbose_name = _("service order")
        verbose_name_plural = _("service orders")

    def __str__(self) -> str:
        return f"SO-{self.pk} {self.title}"


class ServiceOrderLine(models.Model):
    """A material or part used on the order."""

    order = models.ForeignKey(ServiceOrder, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(
        "catalog.Product",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("product"),
    )
    description = models.CharField(_("description"), max_length=255)
    quantity = models.DecimalField(
        _("quantity"),
        max_digits=12,
        decimal_places=3,
        validators=[MinValueValidator(Decimal("0.001"))],
    )
    unit_cost: MoneyField[Money | Decimal, Money] = MoneyField(
        _("unit cost"), max_digits=20, decimal_places=2, default_currency="IRR"
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The phone's id for a change made offline: a sync sent twice adds the line once.
    client_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["order", "client_id"],
                condition=~models.Q(client_id=""),
                name="service_line_once_per_client_id",
            )
        ]
        verbose_name = _("material")
        verbose_name_plural = _("materials")

    def __str__(self) -> str:
        return f"{self.quantity} × {self.description}"


class ServiceTimeEntry(models.Model):
    """Time someone spent on the order, priced at their hourly cost rate."""

    order = models.ForeignKey(ServiceOrder, on_delete=models.CASCADE, related_name="time_entries")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="service_time",
        verbose_name=_("who"),
    )
    minutes = models.PositiveIntegerField(_("minutes"), validators=[MinValueValidator(1)])
    hourly_rate: MoneyField[Money | Decimal, Money] = MoneyField(
        _("cost per hour"), max_digits=20, decimal_places=2, default_currency="IRR"
    )
    note = models.CharField(_("note"), max_length=255, blank=True)
    client_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["order", "client_id"],
                condition=~models.Q(client_id=""),
                name="service_time_once_per_client_id",
            )
        ]
        verbose_name = _("time entry")
        verbose_name_plural = _("time entries")

    def __str__(self) -> str:
        return f"{self.user_id}: {self.minutes} min"
