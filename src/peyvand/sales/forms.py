"""Forms of the order screens; numbers and dates accept Persian digits and Jalali dates."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from peyvand.catalog.forms import (
    LocalDateField,
    LocalDecimalField,
    currency_choices,
    set_choices,
)
from peyvand.catalog.models import Product
from peyvand.core.problems import ServiceError
from peyvand.sales.choices import OrderStatus, PaymentMethod

MAX_LINES = 200


class OrderForm(forms.Form):
    currency = forms.ChoiceField(label=_("Currency"))
    ordered_on = LocalDateField(label=_("Order date"), required=False)
    external_ref = forms.CharField(label=_("External reference"), max_length=100, required=False)
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "currency", currency_choices())


class OrderLineForm(forms.Form):
    product = forms.TypedChoiceField(
        label=_("Product"), coerce=int, required=False, empty_value=None
    )
    description = forms.CharField(label=_("Description"), max_length=255, required=False)
    quantity = LocalDecimalField(label=_("Quantity"), initial=1)
    unit_price = LocalDecimalField(
        label=_("Unit price"), required=False, help_text=_("Empty: the product's list price.")
    )
    discount_percent = LocalDecimalField(label=_("Discount %"), required=False)

    def __init__(self, *args: Any, products: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "product", [("", "---------"), *products])

    def line(self, currency: str, products: dict[int, Product]) -> dict[str, Any]:
        """The service's line dict; a blank price takes the product's list price when it is
        quoted in the order currency."""
        data = self.cleaned_data
        product = products.get(data["product"]) if data.get("product") else None
        unit_price = data.get("unit_price")
        if unit_price is None:
            if product is None or str(product.unit_price.currency) != currency:
                raise ServiceError(str(_("Enter the unit price.")), field="unit_price")
            unit_price = product.unit_price.amount
        return {
            "product": product,
            "description": data.get("description") or "",
            "quantity": data["quantity"],
            "unit_price": unit_price,
            "discount_percent": data.get("discount_percent") or Decimal(0),
        }


class BaseLineFormSet(forms.BaseFormSet):
    def clean(self) -> None:
        super().clean()
        if not any(form.has_changed() and form.cleaned_data for form in self.forms):
            raise forms.ValidationError(_("An order needs at least one line."))


LineFormSet = forms.formset_factory(
    OrderLineForm,
    formset=BaseLineFormSet,
    extra=0,
    min_num=1,
    max_num=MAX_LINES,
    absolute_max=MAX_LINES,
    validate_max=True,
)


class OrderFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All")), *OrderStatus.choices]
    )
    currency = forms.ChoiceField(label=_("Currency"), required=False)
    date_from = LocalDateField(label=_("From"), required=False, help_text="")
    date_to = LocalDateField(label=_("To"), required=False, help_text="")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "currency", [("", _("All")), *currency_choices()])


class PaymentForm(forms.Form):
    amount = LocalDecimalField(label=_("Amount"))
    method = forms.ChoiceField(label=_("Method"), choices=PaymentMethod.choices)
    paid_on = LocalDateField(label=_("Paid on"), required=False, help_text=_("Empty: today."))
    reference = forms.CharField(label=_("Reference"), max_length=100, required=False)
