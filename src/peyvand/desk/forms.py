"""Forms of the desk. They parse input only; the services validate and write."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from peyvand.access.models import Department, User
from peyvand.core.dates import calendar_date
from peyvand.core.templatetags.peyvand import jdate
from peyvand.core.text import normalize_digits
from peyvand.desk.choices import TaskKind, TaskPriority

_DATE_TIME = re.compile(
    r"^\s*(\d{4})[/\-.](\d{1,2})[/\-.](\d{1,2})(?:[\sT]+(\d{1,2}):(\d{2}))?\s*$"
)
# Jalali years are around 1400, Gregorian ones around 2000: the year says which calendar.


class LocalDateTimeField(forms.Field):
    """A date with optional time, typed as Jalali (1403/05/12 14:30) or Gregorian
    (2024-08-02 14:30), in Persian or Latin digits; a bare date means the end of that
    working day in local time."""

    widget = forms.TextInput
    default_time = dt.time(17, 0)

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        attrs = super().widget_attrs(widget)
        attrs.update({"maxlength": "32", "autocomplete": "off", "dir": "ltr"})
        return attrs

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, dt.datetime):
            return normalize_digits(jdate(value))
        return value

    def to_python(self, value: Any) -> dt.datetime | None:  # type: ignore[override]
        text = normalize_digits(str(value or "")).strip()
        if not text:
            return None
        match = _DATE_TIME.match(text[:32])
        if not match:
            raise ValidationError(
                _("Enter a date like 1403/05/12 or 2024-08-02, optionally with a time like 14:30."),
                code="invalid",
            )
        year, month, day = (int(g) for g in match.group(1, 2, 3))
        time = (
            dt.time(int(match.group(4)), int(match.group(5)))
            if match.group(4)
            else self.default_time
        )
        try:
            date = calendar_date(year, month, day)
            return timezone.make_aware(dt.datetime.combine(date, time))
        except ValueError as exc:
            raise ValidationError(_("This date does not exist."), code="invalid") from exc


def date_placeholder() -> str:
    return "1403/05/12 14:30" if (get_language() or "").startswith("fa") else "2024-08-02 14:30"


def apply_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """Show a service's per-field errors on the form's matching fields."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for field, messages in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, messages)


def _user_choices() -> Any:
    return User.objects.filter(is_active=True).order_by("first_name", "last_name", "username")


def _department_choices() -> Any:
    return Department.objects.filter(is_active=True)


class TaskForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=255)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=TaskKind.choices, initial=TaskKind.TODO)
    priority = forms.TypedChoiceField(
        label=_("Priority"), choices=TaskPriority.choices, coerce=int, initial=TaskPriority.NORMAL
    )
    due_at = LocalDateTimeField(label=_("Due"))
    remind_at = LocalDateTimeField(label=_("Remind me"))
    assignee = forms.ModelChoiceField(
        label=_("Assign to"), queryset=User.objects.none(), required=False
    )
    department = forms.ModelChoiceField(
        label=_("Department"), queryset=Department.objects.none(), required=False
    )
    customer = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, can_assign: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        placeholder = date_placeholder()
        self.fields["due_at"].widget.attrs["placeholder"] = placeholder
        self.fields["remind_at"].widget.attrs["placeholder"] = placeholder
        if can_assign:
            self.fields["assignee"].queryset = _user_choices()  # type: ignore[attr-defined]
            self.fields["department"].queryset = _department_choices()  # type: ignore[attr-defined]
        else:
            del self.fields["assignee"]
            del self.fields["department"]


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(
        label=_("Assign to"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("Nobody (department queue)"),
    )
    department = forms.ModelChoiceField(
        label=_("Department"), queryset=Department.objects.none(), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = _user_choices()  # type: ignore[attr-defined]
        self.fields["department"].queryset = _department_choices()  # type: ignore[attr-defined]


class CommentForm(forms.Form):
    body = forms.CharField(
        label=_("Comment"), max_length=10_000, widget=forms.Textarea(attrs={"rows": 2})
    )
