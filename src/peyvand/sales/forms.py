"""Forms of the order, lead and pipeline screens; numbers and dates accept Persian digits and Jalali dates."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from peyvand.access.choices import Language
from peyvand.catalog.forms import (
    LocalDateField,
    LocalDecimalField,
    currency_choices,
    set_choices,
)
from peyvand.catalog.models import Product
from peyvand.core.problems import ServiceError
from peyvand.sales.choices import OPEN_LEAD_STATUSES, LeadStatus, OrderStatus, PaymentMethod
from peyvand.sales.models import LeadSource, Stage

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


class LeadForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200, required=False)
    company = forms.CharField(label=_("Company"), max_length=200, required=False)
    email = forms.CharField(label=_("Email"), max_length=254, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=32, required=False)
    source = forms.ModelChoiceField(
        label=_("Source"), queryset=LeadSource.objects.filter(is_active=True), required=False
    )
    round_robin = forms.BooleanField(
        label=_("Assign to the next rep of my department"),
        required=False,
        help_text=_("Otherwise the lead is yours."),
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    utm_source = forms.CharField(label=_("UTM source"), max_length=100, required=False)
    utm_medium = forms.CharField(label=_("UTM medium"), max_length=100, required=False)
    utm_campaign = forms.CharField(label=_("UTM campaign"), max_length=100, required=False)
    utm_term = forms.CharField(label=_("UTM term"), max_length=100, required=False)
    utm_content = forms.CharField(label=_("UTM content"), max_length=100, required=False)
    referrer = forms.CharField(label=_("Referrer"), max_length=500, required=False)
    city = forms.CharField(label=_("City"), max_length=100, required=False)
    language = forms.ChoiceField(
        label=_("Language"), required=False, choices=[("", "---------"), *Language.choices]
    )
    product = forms.ModelChoiceField(
        label=_("Product of interest"),
        queryset=Product.objects.filter(deleted_at__isnull=True),
        required=False,
    )

    CAMPAIGN_FIELDS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")

    def main_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name not in self.campaign_names()]

    def campaign_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.campaign_names()]

    def campaign_names(self) -> tuple[str, ...]:
        return (*self.CAMPAIGN_FIELDS, "referrer")


class LeadFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), max_length=200, required=False)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All")), *LeadStatus.choices]
    )


class LeadStatusForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[(s.value, s.label) for s in (*OPEN_LEAD_STATUSES, LeadStatus.DISQUALIFIED)],
    )


class ConvertLeadForm(forms.Form):
    title = forms.CharField(
        label=_("Opportunity title"),
        max_length=200,
        required=False,
        help_text=_("Empty: the lead's name."),
    )
    amount = LocalDecimalField(label=_("Amount"), required=False)
    currency = forms.ChoiceField(label=_("Currency"))
    expected_close_date = LocalDateField(label=_("Expected close date"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "currency", currency_choices())


class MoveOpportunityForm(forms.Form):
    stage = forms.TypedChoiceField(label=_("Move to"), coerce=int)

    def __init__(self, *args: Any, stages: list[Stage], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "stage", [(stage.pk, str(stage)) for stage in stages])


class CloseOpportunityForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=255, required=False)
