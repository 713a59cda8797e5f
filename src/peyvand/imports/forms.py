from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from peyvand.imports.choices import DuplicatePolicy, ImportKind
from peyvand.imports.kinds import target_for
from peyvand.imports.mapping import MappingError, resolve_mapping
from peyvand.imports.readers import ImportFileError, check_size, format_for


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("File (CSV or XLSX)"),
        help_text=_("The first row must hold the column names."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.tsv,.xlsx"}),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        try:
            format_for(upload.name)
            check_size(upload.size)
        except ImportFileError as exc:
            raise forms.ValidationError(str(exc)) from exc
        return upload


class MappingForm(forms.Form):
    """One choice per file column: which field of the job's kind it feeds, or none."""

    on_duplicate = forms.ChoiceField(
        label=_("When a row matches an existing customer"),
        choices=DuplicatePolicy.choices,
        initial=DuplicatePolicy.UPDATE,
        widget=forms.RadioSelect,
    )

    def __init__(
        self,
        *args: Any,
        headers: list[str],
        initial_mapping: dict[str, str],
        kind: str = ImportKind.CUSTOMERS,
        **kw: Any,
    ):
        super().__init__(*args, **kw)
        self.headers = headers
        self.kind = kind
        target = target_for(kind)
        if not target.has_duplicate_policy:
            del self.fields["on_duplicate"]
        choices = [("", _("— do not import —")), *target.field_choices()]
        for index, header in enumerate(headers):
            self.fields[f"col_{index}"] = forms.ChoiceField(
                label=header or _("(column %(n)d without a name)") % {"n": index + 1},
                choices=choices,
                required=False,
                initial=initial_mapping.get(header, ""),
            )

    def column_fields(self) -> list[forms.BoundField]:
        return [self[f"col_{i}"] for i in range(len(self.headers))]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        mapping: dict[str, str] = {}
        for index, header in enumerate(self.headers):
            target = cleaned.get(f"col_{index}") or ""
            if target and header not in mapping:
                mapping[header] = target
        try:
            resolve_mapping(self.headers, mapping, kind=self.kind)
        except MappingError as exc:
            raise forms.ValidationError(str(exc)) from exc
        cleaned["mapping"] = mapping
        cleaned.setdefault("on_duplicate", DuplicatePolicy.UPDATE)
        return cleaned
