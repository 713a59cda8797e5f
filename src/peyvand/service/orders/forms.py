from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from peyvand.access.models import Department, User
from peyvand.catalog.forms import currency_choices
from peyvand.catalog.models import Product
from peyvand.service.choices import ServiceOrderStatus

_WHEN = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class OrderForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    department = forms.ModelChoiceField(
        label=_("Team"), queryset=Department.objects.filter(is_active=True)
    )
    technician = forms.ModelChoiceField(
        label=_("Technician"),
        queryset=User.objects.filter(is_active=True).order_by("first_name", "last_name"),
        required=False,
    )
    window_start = forms.DateTimeField(label=_("From"), widget=_WHEN)
    window_end = forms.DateTimeField(label=_("Until"), widget=_WHEN)
    currency = forms.ChoiceField(label=_("Currency"), choices=currency_choices)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["currency"].initial = settings.REPORTING_CURRENCY


class ScheduleForm(forms.Form):
    technician = forms.ModelChoiceField(
        label=_("Technician"),
        queryset=User.objects.filter(is_active=True).order_by("first_name", "last_name"),
        required=False,
    )
    window_start = forms.DateTimeField(label=_("From"), widget=_WHEN)
    window_end = forms.DateTimeField(label=_("Until"), widget=_WHEN)


class LineForm(forms.Form):
    product = forms.ModelChoiceField(
        label=_("Product"),
        queryset=Product.objects.filter(deleted_at__isnull=True, is_active=True),
        required=False,
    )
    description = forms.CharField(label=_("Description"), max_length=255, required=False)
    quantity = forms.DecimalField(label=_("Quantity"), max_digits=12, decimal_places=3, min_value=0)
    unit_cost = forms.DecimalField(
        label=_("Unit cost"),
        max_digits=20,
        decimal_places=2,
        min_value=0,
        required=False,
        help_text=_("Empty: the product's list price."),
    )
    currency = forms.ChoiceField(label=_("Currency"), choices=currency_choices)


class TimeForm(forms.Form):
    minutes = forms.IntegerField(label=_("Minutes"), min_value=1, max_value=24 * 60)
    note = forms.CharField(label=_("Note"), max_length=255, required=False)


class SignOffForm(forms.Form):
    name = forms.CharField(label=_("Name of the person signing"), max_length=200)
    kind = forms.ChoiceField(
        label=_("Kind of signature"),
        choices=[("typed", _("Typed")), ("drawn", _("Drawn"))],
        initial="typed",
        widget=forms.RadioSelect,
    )
    signature = forms.CharField(
        label=_("Signature"),
        max_length=200_000,
        help_text=_("Type the name as a signature, or draw it below."),
    )


class OrderFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[("", _("Any status")), *ServiceOrderStatus.choices],
        required=False,
    )
    technician = forms.ModelChoiceField(
        label=_("Technician"),
        queryset=User.objects.filter(is_active=True, service_orders__isnull=False)
        .distinct()
        .order_by("first_name", "last_name"),
        required=False,
        empty_label=_("Any technician"),
    )
    since = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
