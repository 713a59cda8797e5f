from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django import forms
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from peyvand.audit.choices import ChangeAction
from peyvand.core.dates import calendar_date
from peyvand.core.text import normalize_digits

_DATE = re.compile(r"^\s*(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})\s*$")
# Jalali years are around 1400 for a long while yet; Gregorian ones are near 2000.


class CalendarDateField(forms.Field):
    """A date typed in either calendar, in Persian, Arabic or Latin digits:
    1403/05/01 is read as Jalali, 2024-07-22 as Gregorian."""

    default_error_messages = {
        "invalid": _("Enter a date such as 1403/05/01 or 2024-07-22."),
    }

    def to_python(self, value: Any) -> dt.date | None:
        if value in self.empty_values:
            return None
        match = _DATE.match(normalize_digits(str(value)))
        if not match:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        year, month, day = (int(part) for part in match.groups())
        try:
            return calendar_date(year, month, day)
        except ValueError as exc:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from exc


class ContentTypeChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        model = obj.model_class()
        return str(model._meta.verbose_name) if model is not None else obj.model


def _peyvand_content_types() -> Any:
    labels = [c.label for c in apps.get_app_configs() if c.name.startswith("peyvand.")]
    return ContentType.objects.filter(app_label__in=labels).order_by("app_label", "model")


class ChangeLogFilterForm(forms.Form):
    content_type = ContentTypeChoiceField(
        queryset=ContentType.objects.none(), required=False, label=_("Object type")
    )
    object_id = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)
    actor = forms.ModelChoiceField(
        queryset=get_user_model().objects.none(), required=False, label=_("Changed by")
    )
    action = forms.ChoiceField(
        choices=[("", _("Any action")), *ChangeAction.choices], required=False, label=_("Action")
    )
    date_from = CalendarDateField(required=False, label=_("From date"))
    date_to = CalendarDateField(required=False, label=_("To date"))
    customer_id = forms.IntegerField(required=False, min_value=1, label=_("Customer number"))
    before = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["content_type"].queryset = _peyvand_content_types()  # type: ignore[attr-defined]
        self.fields["actor"].queryset = get_user_model().objects.order_by("username")  # type: ignore[attr-defined]
        placeholder = _("1403/05/01 or 2024-07-22")
        for name in ("date_from", "date_to"):
            self.fields[name].widget.attrs.update(
                {"placeholder": placeholder, "inputmode": "numeric", "dir": "ltr"}
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date is before the start date."))
        return data

    def filters(self) -> dict[str, Any]:
        """Cleaned values as the selector's filters; the date range covers whole local days."""
        data = dict(self.cleaned_data)
        tz = timezone.get_current_timezone()
        if data.get("date_from"):
            data["since"] = dt.datetime.combine(data["date_from"], dt.time.min, tzinfo=tz)
        if data.get("date_to"):
            next_day = data["date_to"] + dt.timedelta(days=1)
            data["until"] = dt.datetime.combine(next_day, dt.time.min, tzinfo=tz)
        return data


class ForgetForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for erasure"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Kept in the audit log. Do not write the person's details here."),
    )
    confirm = forms.BooleanField(
        label=_("I understand this erases this person's data for good."), required=True
    )
