"""Forms of the sales dashboard and the targets screen; dates in either calendar, numbers
in any digits."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from peyvand.access.models import Department, User
from peyvand.catalog.forms import LocalDateField, LocalDecimalField
from peyvand.sales.choices import TargetPeriod
from peyvand.sales.models import Pipeline

# The longest range a report is drawn for: beyond it the monthly charts stop being legible.
MAX_RANGE_DAYS = 3 * 366


class DashboardFilterForm(forms.Form):
    pipeline = forms.ModelChoiceField(
        queryset=Pipeline.objects.none(), required=False, label=_("Pipeline"), empty_label=None
    )
    start = LocalDateField(label=_("From"), required=False)
    end = LocalDateField(label=_("To"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["pipeline"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Pipeline.objects.filter(is_active=True)
        # Read once: the options (else queried at each rendering of the select) and the
        # default pipeline come from this list.
        self.pipelines = list(field.queryset)
        field.widget.choices = [(pipeline.pk, str(pipeline)) for pipeline in self.pipelines]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if isinstance(start, dt.date) and isinstance(end, dt.date):
            if end < start:
                self.add_error("end", _("The end is before the start."))
            elif (end - start).days > MAX_RANGE_DAYS:
                self.add_error("end", _("Choose a range of at most three years."))
        return data


class SalesTargetForm(forms.Form):
    user = forms.ModelChoiceField(
        queryset=User.objects.none(), required=False, label=_("Sales rep")
    )
    department = forms.ModelChoiceField(
        queryset=Department.objects.none(), required=False, label=_("Department")
    )
    period = forms.ChoiceField(choices=TargetPeriod.choices, label=_("Period"))
    on = LocalDateField(
        label=_("Any day of the period"),
        help_text=_(
            "Gregorian (2026-01-31) or Jalali (1404/11/11); months and quarters follow your language's calendar."
        ),
    )
    amount = LocalDecimalField(label=_("Target"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        user = self.fields["user"]
        department = self.fields["department"]
        assert isinstance(user, forms.ModelChoiceField)
        assert isinstance(department, forms.ModelChoiceField)
        user.queryset = User.objects.filter(is_active=True).order_by(
            "first_name", "last_name", "username"
        )
        department.queryset = Department.objects.order_by("name")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if bool(data.get("user")) == bool(data.get("department")):
            self.add_error("user", _("Choose a sales rep or a department, not both."))
        return data
