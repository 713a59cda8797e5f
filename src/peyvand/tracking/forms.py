from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from peyvand.tracking.models import TrackedSite


class SiteForm(forms.ModelForm):
    origins = forms.CharField(
        label=_("Allowed origins"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "dir": "ltr"}),
        help_text=_("One per line, e.g. https://shop.example. Pages elsewhere cannot send events."),
    )

    class Meta:
        model = TrackedSite
        fields = ["name", "is_active"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["origins"].initial = "\n".join(self.instance.allowed_origins)

    def origin_list(self) -> list[str]:
        return [line for line in self.cleaned_data["origins"].splitlines() if line.strip()]
