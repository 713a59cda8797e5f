from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from peyvand.access.models import Department
from peyvand.analytics.costs.selectors import ORDERINGS


class CostFilterForm(forms.Form):
    department = forms.ModelChoiceField(
        label=_("Department"),
        queryset=Department.objects.filter(is_active=True).order_by("name"),
        required=False,
        empty_label=_("All departments"),
    )
    order = forms.ChoiceField(
        label=_("Sort by"),
        required=False,
        choices=[
            ("total", _("Total cost")),
            ("service", _("Service cost")),
            ("minutes", _("Agent time")),
        ],
    )

    def clean_order(self) -> str:
        value: str = self.cleaned_data.get("order") or "total"
        return value if value in ORDERINGS else "total"


class DepartmentRateForm(forms.Form):
    department = forms.ModelChoiceField(
        label=_("Department"), queryset=Department.objects.filter(is_active=True).order_by("name")
    )
    hourly_rate = forms.DecimalField(
        label=_("Hourly rate"), min_value=0, max_digits=18, decimal_places=2
    )

    def __init__(self, *args: Any, currency: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if currency:
            self.fields["hourly_rate"].help_text = _("In %(currency)s, per agent hour.") % {
                "currency": currency
            }
