from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _
from djmoney.models.fields import MoneyField
from djmoney.money import Money

from peyvand.access.choices import ObjectType
from peyvand.access.scopes import VisibleQuerySet
from peyvand.core.models import SoftDeleteModel, SoftDeleteQuerySet, TimeStampedModel


class Currency(models.Model):
    code = models.CharField(_("code"), max_length=3, primary_key=True)
    name = models.CharField(_("name"), max_length=60)
    name_fa = models.CharField(_("name (Persian)"), max_length=60, blank=True)
    decimal_places = models.PositiveSmallIntegerField(_("decimal places"), default=2)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("currency")
        verbose_name_plural = _("currencies")

    def __str__(self) -> str:
        return self.code

    @property
    def display_name(self) -> str:
        from django.utils.translation import get_language

        if (get_language() or "").startswith("fa") and self.name_fa:
            return self.name_fa
        return self.name


class ExchangeRate(models.Model):
    """How many units of `quote` one unit of `base` bought on `date`."""

    base = models.ForeignKey(
        Currency, on_delete=models.PROTECT, related_name="+", verbose_name=_("base currency")
    )
    quote = models.ForeignKey(
        Currency, on_delete=models.PROTECT, related_name="+", verbose_name=_("quote currency")
    )
    date = models.DateField(_("date"), db_index=True)
    rate = models.DecimalField(_("rate"), max_digits=24, decimal_places=10)
    source = models.CharField(_("source"), max_length=60, blank=True)

    class Meta:
        ordering = ["-date"]
        constraints = [
            models.UniqueConstraint(fields=["base", "quote", "date"], name="uniq_rate_per_day"),
            models.CheckConstraint(condition=models.Q(rate__gt=0), name="rate_positive"),
            models.CheckConstraint(
                condition=~models.Q(base=models.F("quote")), name="rate_distinct_currencies"
            ),
        ]
        verbose_name = _("exchange rate")
        verbose_name_plural = _("exchange rates")

    def __str__(self) -> str:
        return f"1 {self.base_id} = {self.rate} {self.quote_id} ({self.date})"


# The stubs type each QuerySet's generated manager separately; the mixins are compatible.
class ProductQuerySet(VisibleQuerySet, SoftDeleteQuerySet):  # type: ignore[override]
    def sellable(self) -> ProductQuerySet:
        return self.filter(deleted_at__isnull=True, is_active=True)


class Product(TimeStampedModel, SoftDeleteModel):
    access_object_type = ObjectType.PRODUCT
    access_owner_path = "created_by"

    sku = models.CharField(_("SKU"), max_length=64, unique=True)
    name = models.CharField(_("name (English)"), max_length=200)
    name_fa = models.CharField(_("name (Persian)"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    category = models.CharField(_("category"), max_length=100, blank=True, db_index=True)
    unit_price: MoneyField[Money | Decimal, Money] = MoneyField(
        _("list price"), max_digits=20, decimal_places=2, default_currency="IRR"
    )
    stock = models.IntegerField(
        _("in stock"), null=True, blank=True, help_text=_("Empty: not tracked.")
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        "access.User",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    objects = ProductQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("product")
        verbose_name_plural = _("products")

    def __str__(self) -> str:
        from django.utils.translation import get_language

        return (
            self.name_fa if (get_language() or "").startswith("fa") and self.name_fa else self.name
        )


class PriceList(TimeStampedModel):
    name = models.CharField(_("name"), max_length=120, unique=True)
    currency = models.ForeignKey(Currency, on_delete=models.PROTECT, related_name="price_lists")
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    is_default = models.BooleanField(_("default"), default=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("price list")
        verbose_name_plural = _("price lists")

    def __str__(self) -> str:
        return self.name


class PriceListItem(models.Model):
    price_list = models.ForeignKey(PriceList, on_delete=models.CASCADE, related_name="items")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="prices")
    price = models.DecimalField(_("price"), max_digits=20, decimal_places=2)
    min_quantity = models.PositiveIntegerField(_("minimum quantity"), default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["price_list", "product", "min_quantity"], name="uniq_price_item"
            ),
            models.CheckConstraint(condition=models.Q(price__gte=0), name="price_not_negative"),
        ]
        verbose_name = _("price")
        verbose_name_plural = _("prices")

    def __str__(self) -> str:
        return f"{self.product} @ {self.price}"
