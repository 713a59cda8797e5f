"""Forms of the lead set-up screens: web forms, assignment rules, scoring rules, sources."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from peyvand.access.models import Department, User
from peyvand.catalog.models import Product
from peyvand.sales.lead_sources import MAX_RESPONSE_HOURS
from peyvand.sales.models import AssignmentRule, LeadSource, ScoringRule, WebForm
from peyvand.sales.scoring import scorable_field_choices
from peyvand.sales.webforms import MAPPABLE_FIELDS, FieldSpec, specs_of


class _UserChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.get_full_name() or obj.username)


def _queryset(form: forms.BaseForm, name: str, queryset: Any) -> None:
    cast(forms.ModelChoiceField, form.fields[name]).queryset = queryset


def _users() -> Any:
    return User.objects.filter(is_active=True).order_by("first_name", "last_name", "username")


def _departments() -> Any:
    return Department.objects.filter(is_active=True)


class WebFormForm(forms.ModelForm):
    """The form's settings plus one row per lead field it may expose: whether it is on the
    form, under which field name, required or not, and its labels in both languages."""

    owner = _UserChoice(label=_("Owner"), queryset=User.objects.none(), required=False)
    redirect_url = forms.URLField(
        label=_("Redirect URL"),
        max_length=500,
        required=False,
        assume_scheme="https",
        help_text=_("After a browser post, send the visitor here instead of the thank-you page."),
    )

    class Meta:
        model = WebForm
        fields = [
            "name",
            "language",
            "source",
            "department",
            "owner",
            "success_message",
            "success_message_fa",
            "redirect_url",
            "is_active",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _queryset(self, "owner", _users())
        _queryset(self, "department", _departments())
        _queryset(self, "source", LeadSource.objects.filter(is_active=True))
        self.fields["success_message_fa"].widget.attrs["dir"] = "rtl"
        current = {spec.lead_field: spec for spec in specs_of(self.instance)}
        is_new = self.instance.pk is None
        for lead_field in MAPPABLE_FIELDS:
            spec = current.get(lead_field)
            default_on = is_new and lead_field in ("name", "email", "phone", "notes")
            prefix = f"f_{lead_field}"
            self.fields[f"{prefix}_on"] = forms.BooleanField(
                label=_("On the form"), required=False, initial=spec is not None or default_on
            )
            self.fields[f"{prefix}_name"] = forms.CharField(
                label=_("Field name"),
                max_length=40,
                required=False,
                initial=spec.name if spec else lead_field,
            )
            self.fields[f"{prefix}_required"] = forms.BooleanField(
                label=_("Required"),
                required=False,
                initial=spec.required if spec else lead_field == "name",
            )
            self.fields[f"{prefix}_label"] = forms.CharField(
                label=_("Label (English)"),
                max_length=100,
                required=False,
                initial=spec.label if spec else "",
            )
            self.fields[f"{prefix}_label_fa"] = forms.CharField(
                label=_("Label (Persian)"),
                max_length=100,
                required=False,
                initial=spec.label_fa if spec else "",
                widget=forms.TextInput(attrs={"dir": "rtl"}),
            )
        self.mapping_rows = [
            (label, [self[f"f_{lead_field}_{part}"] for part in _PARTS])
            for lead_field, label in MAPPABLE_FIELDS.items()
        ]

    def setting_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.Meta.fields]

    def specs(self) -> list[FieldSpec]:
        data = self.cleaned_data
        return [
            FieldSpec(
                name=(data[f"f_{lead_field}_name"] or lead_field).strip(),
                lead_field=lead_field,
                required=data[f"f_{lead_field}_required"],
                label=data[f"f_{lead_field}_label"],
                label_fa=data[f"f_{lead_field}_label_fa"],
            )
            for lead_field in MAPPABLE_FIELDS
            if data[f"f_{lead_field}_on"]
        ]


_PARTS = ("on", "name", "required", "label", "label_fa")


class AssignmentRuleForm(forms.ModelForm):
    user = _UserChoice(label=_("User"), queryset=User.objects.none(), required=False)

    class Meta:
        model = AssignmentRule
        fields = [
            "name",
            "position",
            "match_city",
            "match_language",
            "match_product",
            "match_source",
            "action",
            "user",
            "department",
            "is_active",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _queryset(self, "user", _users())
        _queryset(self, "department", _departments())
        _queryset(self, "match_product", Product.objects.filter(deleted_at__isnull=True))
        _queryset(self, "match_source", LeadSource.objects.filter(is_active=True))


class ScoringRuleForm(forms.ModelForm):
    field = forms.ChoiceField(label=_("Lead field"))

    class Meta:
        model = ScoringRule
        fields = ["name", "field", "condition", "value", "points", "is_active"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["field"]).choices = scorable_field_choices()


class LeadSourceForm(forms.Form):
    """A lead source's names, code (new sources only), active flag and response time."""

    name = forms.CharField(label=_("Name (English)"), max_length=120)
    name_fa = forms.CharField(label=_("Name (Persian)"), max_length=120, required=False)
    code = forms.SlugField(
        label=_("Code"),
        max_length=50,
        help_text=_("Used by imports, the API and web forms; it cannot change later."),
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    response_hours = forms.IntegerField(
        label=_("First response within (hours)"),
        required=False,
        min_value=1,
        max_value=MAX_RESPONSE_HOURS,
    )

    def __init__(self, *args: Any, source: LeadSource | None = None, **kwargs: Any) -> None:
        if source is not None:
            kwargs.setdefault(
                "initial",
                {
                    "name": source.name,
                    "name_fa": source.name_fa,
                    "code": source.code,
                    "is_active": source.is_active,
                    "response_hours": source.response_hours,
                },
            )
        super().__init__(*args, **kwargs)
        if source is not None:
            # The code of an existing source is shown, not submitted.
            self.fields["code"].disabled = True
            self.fields["code"].required = False
