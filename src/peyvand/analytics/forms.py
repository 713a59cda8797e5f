from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from peyvand.access.models import Department
from peyvand.catalog.forms import LocalDateField


class OverviewFilterForm(forms.Form):
    department = forms.ModelChoiceField(
        label=_("Department"),
        queryset=Department.objects.filter(is_active=True).order_by("name"),
        required=False,
        empty_label=_("All departments"),
    )
    since = LocalDateField(label=_("Orders from"), required=False)
    until = LocalDateField(label=_("Orders until"), required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", _("The end date must not be before the start date."))
        return data
