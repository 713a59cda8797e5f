"""Forms of the quote and contract screens; numbers and dates accept Persian digits and Jalali
dates (the catalog's local fields)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from peyvand.catalog.forms import LocalDateField, LocalDecimalField, currency_choices, set_choices
from peyvand.catalog.models import PriceList, Product
from peyvand.sales.choices import BillingPeriod, ContractStatus, QuoteStatus

MAX_LINES = 200


def decimal_text(value: Decimal) -> str:
    """A form's initial number without trailing zeros or an exponent (7.5E+6 → 7500000)."""
    return format(value.normalize(), "f")


def price_list_choices() -> list[tuple[int, str]]:
    return [(p.pk, f"{p.name} ({p.currency_id})") for p in PriceList.objects.order_by("name")]


def quote_product_choices() -> list[tuple[int, str]]:
    """Sellable products that some price list prices; the service checks the chosen list."""
    rows = (
        Product.objects.sellable()
        .filter(prices__isnull=False)
        .distinct()
        .order_by("name")
        .values_list("pk", "sku", "name")
    )
    return [(pk, f"{sku} · {name}") for pk, sku, name in rows]


class QuoteForm(forms.Form):
    price_list = forms.TypedChoiceField(label=_("Price list"), coerce=int)
    currency = forms.ChoiceField(
        label=_("Currency"), required=False, help_text=_("Empty: the price list's currency.")
    )
    valid_until = LocalDateField(
        label=_("Valid until"), required=False, help_text=_("Empty: 30 days from today.")
    )
    notes = forms.CharField(
        label=_("Notes"),
        required=False,
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "price_list", price_list_choices())
        set_choices(self, "currency", [("", "---------"), *currency_choices()])
        if editing:
            # A quote keeps the list and currency it was priced in; only lines, dates, notes change.
            del self.fields["price_list"]
            del self.fields["currency"]


class QuoteLineForm(forms.Form):
    product = forms.TypedChoiceField(label=_("Product"), coerce=int)
    quantity = LocalDecimalField(label=_("Quantity"), initial=1)
    discount_percent = LocalDecimalField(label=_("Discount %"), required=False)
    tax_percent = LocalDecimalField(label=_("Tax %"), required=False)

    def __init__(self, *args: Any, products: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "product", [("", "---------"), *products])

    def line(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "product": data["product"],
            "quantity": data["quantity"],
            "discount_percent": data.get("discount_percent") or Decimal(0),
            "tax_percent": data.get("tax_percent") or Decimal(0),
        }


class BaseQuoteLineFormSet(forms.BaseFormSet):
    def clean(self) -> None:
        super().clean()
        if not any(form.cleaned_data for form in self.forms):
            raise forms.ValidationError(_("A quote needs at least one line."))


QuoteLineFormSet = forms.formset_factory(
    QuoteLineForm,
    formset=BaseQuoteLineFormSet,
    extra=0,
    min_num=1,
    max_num=MAX_LINES,
    absolute_max=MAX_LINES,
    validate_max=True,
)


class QuoteFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All")), *QuoteStatus.choices]
    )


class RejectQuoteForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=255, required=False)


class ContractForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    start_date = LocalDateField(label=_("Start date"))
    end_date = LocalDateField(label=_("End date"))
    renewal_date = LocalDateField(
        label=_("Renewal date"), required=False, help_text=_("Empty: the end date.")
    )
    notice_days = forms.IntegerField(
        label=_("Remind days before renewal"), min_value=0, max_value=365, initial=30
    )
    value = LocalDecimalField(label=pgettext_lazy("contract", "Value"))
    currency = forms.ChoiceField(label=_("Currency"))
    billing_period = forms.ChoiceField(
        label=_("Billing period"), choices=BillingPeriod.choices, initial=BillingPeriod.YEARLY
    )
    auto_renew = forms.BooleanField(label=_("Renews automatically"), required=False)
    notes = forms.CharField(
        label=_("Notes"),
        required=False,
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "currency", currency_choices())


class ContractFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All")), *ContractStatus.choices]
    )


class RenewContractForm(forms.Form):
    end_date = LocalDateField(
        label=_("New end date"), required=False, help_text=_("Empty: a term as long as this one.")
    )
    value = LocalDecimalField(label=_("New value"), required=False, help_text=_("Empty: the same."))


class CancelContractForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=255, required=False)
