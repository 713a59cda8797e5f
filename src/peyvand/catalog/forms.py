"""Forms of the catalog screens; fields accept Persian digits and Jalali dates as typed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from peyvand.catalog.csvfile import parse_date, parse_decimal
from peyvand.catalog.models import Currency
from peyvand.core.problems import ServiceError


class LocalDecimalField(forms.CharField):
    """A number typed with Persian/Arabic digits or thousands separators."""

    def __init__(self, *, min_value: Decimal | None = None, **kwargs: Any) -> None:
        self.min_value = min_value
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal"}))
        super().__init__(**kwargs)

    def clean(self, value: Any) -> Decimal | None:  # type: ignore[override]
        text = super().clean(value)
        if not text:
            return None
        try:
            number = parse_decimal(text)
        except ValueError as exc:
            raise forms.ValidationError(_("Enter a number."), code="invalid") from exc
        if self.min_value is not None and number < self.min_value:
            raise forms.ValidationError(
                _("Enter a number of at least %(min)s.") % {"min": self.min_value},
                code="min_value",
            )
        return number


class LocalDateField(forms.CharField):
    """YYYY-MM-DD, Gregorian or Jalali (1404/09/01), with any digits."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault(
            "widget", forms.TextInput(attrs={"placeholder": "YYYY-MM-DD", "class": "ltr"})
        )
        kwargs.setdefault("help_text", _("Gregorian (2026-01-31) or Jalali (1404/11/11)."))
        super().__init__(**kwargs)

    def clean(self, value: Any) -> dt.date | None:  # type: ignore[override]
        text = super().clean(value)
        if not text:
            return None
        try:
            return parse_date(text)
        except ValueError as exc:
            raise forms.ValidationError(str(exc), code="invalid") from exc


def currency_choices() -> list[tuple[str, str]]:
    return [
        (c.code, f"{c.code} — {c.display_name}") for c in Currency.objects.filter(is_active=True)
    ]


def set_choices(form: forms.Form, name: str, choices: list[tuple[Any, Any]]) -> None:
    """Choices known only per request (active currencies, sellable products)."""
    cast(forms.ChoiceField, form.fields[name]).choices = choices


def apply_service_error(form: forms.Form, error: ServiceError) -> None:
    """Show a service's refusal on the field it names, or on the form."""
    field = error.field if error.field in form.fields else None
    form.add_error(field, error.message)


class ProductForm(forms.Form):
    sku = forms.CharField(label=_("SKU"), max_length=64)
    name = forms.CharField(label=_("Name (English)"), max_length=200)
    name_fa = forms.CharField(label=_("Name (Persian)"), max_length=200, required=False)
    category = forms.CharField(label=_("Category"), max_length=100, required=False)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea, required=False)
    unit_price = LocalDecimalField(label=_("List price"), min_value=Decimal(0))
    currency = forms.ChoiceField(label=_("Currency"))
    stock = forms.IntegerField(
        label=_("In stock"), min_value=0, required=False, help_text=_("Empty: not tracked.")
    )
    is_active = forms.BooleanField(label=_("Active (can be sold)"), required=False, initial=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "currency", currency_choices())
        self.fields["name_fa"].widget.attrs.update({"lang": "fa", "dir": "rtl"})
        self.fields["sku"].widget.attrs["class"] = "ltr"


class PriceListForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    currency = forms.ChoiceField(label=_("Currency"))
    valid_from = LocalDateField(label=_("Valid from"), required=False)
    valid_to = LocalDateField(label=_("Valid to"), required=False)
    is_default = forms.BooleanField(label=_("Default price list"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "currency", currency_choices())


class PriceItemForm(forms.Form):
    product = forms.ChoiceField(label=_("Product"))
    price = LocalDecimalField(label=_("Price"), min_value=Decimal(0))
    min_quantity = forms.IntegerField(label=_("From quantity"), min_value=1, initial=1)

    def __init__(self, *args: Any, products: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "product", [("", "---------"), *products])


class CurrencyForm(forms.Form):
    code = forms.CharField(
        label=_("ISO code"),
        min_length=3,
        max_length=3,
        widget=forms.TextInput(attrs={"class": "ltr", "autocapitalize": "characters"}),
    )
    name = forms.CharField(label=_("Name (English)"), max_length=60)
    name_fa = forms.CharField(label=_("Name (Persian)"), max_length=60, required=False)
    decimal_places = forms.IntegerField(
        label=_("Decimal places"), min_value=0, max_value=4, initial=2
    )


class ExchangeRateForm(forms.Form):
    date = LocalDateField(label=_("Date"))
    base = forms.ChoiceField(label=_("Base currency"))
    quote = forms.ChoiceField(label=_("Quote currency"))
    rate = LocalDecimalField(
        label=_("Rate"), help_text=_("How many units of the quote currency one base unit buys.")
    )
    source = forms.CharField(label=_("Source"), max_length=60, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = currency_choices()
        set_choices(self, "base", choices)
        set_choices(self, "quote", choices)


class RateImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_("Columns: date, base, quote, rate (and optionally source). UTF-8."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )
    dry_run = forms.BooleanField(label=_("Check only, import nothing"), required=False)
