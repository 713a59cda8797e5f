"""Forms of the customers UI. They parse and present; the services validate and decide."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from peyvand.access.choices import Language
from peyvand.access.models import Department, User
from peyvand.customers.choices import (
    Channel,
    ConsentPurpose,
    ContactKind,
    CustomFieldType,
    PartyKind,
)
from peyvand.customers.models import CustomFieldDefinition, Tag

CUSTOM_PREFIX = "custom_"


def custom_label(definition: CustomFieldDefinition) -> str:
    if (get_language() or "").startswith("fa") and definition.label_fa:
        return definition.label_fa
    return definition.label


def _custom_form_field(definition: CustomFieldDefinition) -> forms.Field:
    common: dict[str, Any] = {"label": custom_label(definition), "required": False}
    kind = definition.field_type
    if kind == CustomFieldType.BOOLEAN:
        return forms.BooleanField(**common)
    if kind == CustomFieldType.CHOICE:
        choices = [("", "—"), *((c, c) for c in definition.choices or [])]
        return forms.ChoiceField(choices=choices, **common)
    # Typed loosely on purpose: the service checks the value, so Persian digits, Jalali-free
    # ISO dates and the same messages reach the API and the importer too.
    widgets: dict[str, forms.Widget] = {
        CustomFieldType.NUMBER: forms.TextInput(attrs={"inputmode": "decimal"}),
        CustomFieldType.DATE: forms.DateInput(attrs={"type": "date"}),
        CustomFieldType.EMAIL: forms.EmailInput(),
        CustomFieldType.URL: forms.URLInput(),
    }
    return forms.CharField(widget=widgets.get(str(kind), forms.TextInput()), **common)


class CustomerForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=PartyKind.choices, initial=PartyKind.PERSON)
    display_name = forms.CharField(
        label=_("Name"),
        max_length=200,
        required=False,
        help_text=_("Leave empty to use the first and last name."),
    )
    first_name = forms.CharField(label=_("First name"), max_length=100, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=100, required=False)
    organization_name = forms.CharField(
        label=_("Organisation name"), max_length=200, required=False
    )
    preferred_language = forms.ChoiceField(
        label=_("Preferred language"), choices=Language.choices, initial=Language.FA
    )
    preferred_channel = forms.ChoiceField(
        label=_("Preferred channel"), choices=[("", "—"), *Channel.choices], required=False
    )
    currency = forms.CharField(label=_("Currency"), max_length=3, initial="IRR")
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=User.objects.none(), required=False)
    department = forms.ModelChoiceField(
        label=_("Department"), queryset=Department.objects.none(), required=False
    )
    tags = forms.CharField(
        label=_("Tags"),
        required=False,
        help_text=_("Separate tags with commas."),
        widget=forms.TextInput(attrs={"list": "tag-suggestions", "autocomplete": "off"}),
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    external_ref = forms.CharField(label=_("External reference"), max_length=100, required=False)
    consent_source = forms.CharField(
        label=_("Where the consent decisions came from"),
        max_length=120,
        required=False,
        initial=_("Staff form"),
    )

    def __init__(
        self,
        *args: Any,
        definitions: Iterable[CustomFieldDefinition] = (),
        can_assign: bool = False,
        consent_granted: Iterable[str] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.definitions = list(definitions)
        self.can_assign = can_assign
        if can_assign:
            owner_field = self.fields["owner"]
            assert isinstance(owner_field, forms.ModelChoiceField)
            owner_field.queryset = User.objects.filter(is_active=True).order_by("username")
            department_field = self.fields["department"]
            assert isinstance(department_field, forms.ModelChoiceField)
            department_field.queryset = Department.objects.filter(is_active=True)
        else:
            # Who owns a record is a manager's decision, never a form field anyone can post.
            del self.fields["owner"]
            del self.fields["department"]
        for definition in self.definitions:
            self.fields[CUSTOM_PREFIX + definition.key] = _custom_form_field(definition)
        granted = set(consent_granted)
        for channel in Channel.values:
            for purpose in ConsentPurpose.values:
                name = f"consent_{channel}_{purpose}"
                self.fields[name] = forms.BooleanField(
                    required=False, initial=f"{channel}:{purpose}" in granted
                )

    def custom_fields(self) -> list[forms.BoundField]:
        return [self[CUSTOM_PREFIX + d.key] for d in self.definitions]

    def consent_rows(self) -> list[dict[str, Any]]:
        return [
            {
                "channel": label,
                "cells": [
                    (self[f"consent_{channel}_{purpose}"], purpose_label)
                    for purpose, purpose_label in ConsentPurpose.choices
                ],
            }
            for channel, label in Channel.choices
        ]

    def consent_purposes(self) -> list[Any]:
        return [label for _value, label in ConsentPurpose.choices]

    def custom_values(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for definition in self.definitions:
            value = self.cleaned_data.get(CUSTOM_PREFIX + definition.key)
            if definition.field_type == CustomFieldType.BOOLEAN:
                values[definition.key] = bool(value)
            elif value not in (None, ""):
                values[definition.key] = value
        return values

    def tag_names(self) -> list[str]:
        return [t.strip() for t in self.cleaned_data.get("tags", "").split(",") if t.strip()]

    def consent_choices(self) -> set[str]:
        return {
            f"{channel}:{purpose}"
            for channel in Channel.values
            for purpose in ConsentPurpose.values
            if self.cleaned_data.get(f"consent_{channel}_{purpose}")
        }

    def service_values(self) -> dict[str, Any]:
        names = [
            "kind",
            "display_name",
            "first_name",
            "last_name",
            "organization_name",
            "preferred_language",
            "preferred_channel",
            "currency",
            "notes",
            "external_ref",
        ]
        values: dict[str, Any] = {name: self.cleaned_data.get(name) or "" for name in names}
        if self.can_assign:
            values["owner"] = self.cleaned_data.get("owner")
            values["department"] = self.cleaned_data.get("department")
        return values

    def apply_service_errors(self, exc: ValidationError, formset: Any = None) -> None:
        """Show the service's per-field errors where the user typed the value."""
        if not hasattr(exc, "error_dict"):
            self.add_error(None, exc)
            return
        for field, messages in exc.message_dict.items():
            if field.startswith("custom.") and CUSTOM_PREFIX + field[7:] in self.fields:
                self.add_error(CUSTOM_PREFIX + field[7:], messages)
            elif field.startswith("contact_points.") and formset is not None:
                formset.add_service_error(field, messages)
            elif field == "source":
                self.add_error("consent_source", messages)
            elif field in self.fields:
                self.add_error(field, messages)
            else:
                self.add_error(None, messages)


class ContactPointForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=ContactKind.choices)
    value = forms.CharField(label=_("Value"), max_length=500, required=False)
    label = forms.CharField(label=_("Label"), max_length=60, required=False)
    is_primary = forms.BooleanField(label=_("Primary"), required=False)


class BaseContactPointFormSet(forms.BaseFormSet):
    def service_rows(self) -> list[dict[str, Any]]:
        """The filled-in rows, remembering which form each came from for error display."""
        self._row_forms: list[forms.Form] = []
        rows = []
        for form in self.forms:
            data = getattr(form, "cleaned_data", None) or {}
            if not data.get("value") or data.get("DELETE"):
                continue
            self._row_forms.append(form)
            rows.append(
                {
                    "kind": data["kind"],
                    "value": data["value"],
                    "label": data.get("label", ""),
                    "is_primary": data.get("is_primary", False),
                }
            )
        return rows

    def add_service_error(self, key: str, messages: list[str]) -> None:
        parts = key.split(".")
        index = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else -1
        forms_ = getattr(self, "_row_forms", [])
        if 0 <= index < len(forms_):
            forms_[index].add_error("value", messages)
        else:
            self._non_form_errors = self.error_class([*self.non_form_errors(), *messages])


ContactPointFormSet = forms.formset_factory(
    ContactPointForm, formset=BaseContactPointFormSet, extra=2, can_delete=True, max_num=50
)


def contact_initial(points: Iterable[Any]) -> list[dict[str, Any]]:
    return [
        {"kind": p.kind, "value": p.value, "label": p.label, "is_primary": p.is_primary}
        for p in points
    ]


class CustomerFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    kind = forms.ChoiceField(
        label=_("Kind"), choices=[("", _("Any")), *PartyKind.choices], required=False
    )
    owner = forms.ModelChoiceField(
        label=_("Owner"), queryset=User.objects.none(), required=False, empty_label=_("Anyone")
    )
    department = forms.ModelChoiceField(
        label=_("Department"),
        queryset=Department.objects.none(),
        required=False,
        empty_label=_("Any"),
    )
    tag = forms.ModelChoiceField(
        label=_("Tag"),
        queryset=Tag.objects.none(),
        required=False,
        empty_label=_("Any"),
        to_field_name="name",
    )
    language = forms.ChoiceField(
        label=_("Language"), choices=[("", _("Any")), *Language.choices], required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        owner = self.fields["owner"]
        assert isinstance(owner, forms.ModelChoiceField)
        owner.queryset = User.objects.filter(is_active=True).order_by("username")
        department = self.fields["department"]
        assert isinstance(department, forms.ModelChoiceField)
        department.queryset = Department.objects.filter(is_active=True)
        tag = self.fields["tag"]
        assert isinstance(tag, forms.ModelChoiceField)
        tag.queryset = Tag.objects.all()

    def apply(self, qs: Any) -> Any:
        data = self.cleaned_data
        if data.get("q"):
            qs = qs.search(data["q"])
        if data.get("kind"):
            qs = qs.filter(kind=data["kind"])
        if data.get("owner"):
            qs = qs.filter(owner=data["owner"])
        if data.get("department"):
            qs = qs.filter(department=data["department"])
        if data.get("tag"):
            qs = qs.filter(tags=data["tag"])
        if data.get("language"):
            qs = qs.filter(preferred_language=data["language"])
        return qs


class CustomFieldDefinitionForm(forms.ModelForm):
    choices_text = forms.CharField(
        label=_("Choices"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("For a choice field: one choice per line."),
    )

    class Meta:
        model = CustomFieldDefinition
        fields = [
            "key",
            "label",
            "label_fa",
            "field_type",
            "required",
            "searchable",
            "show_in_list",
            "position",
            "is_active",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["choices_text"].initial = "\n".join(self.instance.choices or [])
            # Stored values are keyed by it; renaming would orphan them.
            self.fields["key"].disabled = True

    def service_values(self) -> dict[str, Any]:
        values = {name: self.cleaned_data[name] for name in self.Meta.fields}
        values["choices"] = [
            line.strip() for line in self.cleaned_data.get("choices_text", "").splitlines()
        ]
        return values
