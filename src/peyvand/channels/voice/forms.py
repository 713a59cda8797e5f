from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from peyvand.channels.choices import Direction
from peyvand.channels.voice.choices import CallOutcome
from peyvand.core.text import normalize_digits

_DURATION = re.compile(r"^(?:(\d+):)?(\d+)$")


class CallLogForm(forms.Form):
    direction = forms.ChoiceField(
        label=_("Direction"),
        choices=[(Direction.OUTBOUND, _("Outgoing")), (Direction.INBOUND, _("Incoming"))],
    )
    outcome = forms.ChoiceField(label=_("Outcome"), choices=CallOutcome.choices)
    duration = forms.CharField(
        label=_("Duration"),
        required=False,
        help_text=_("Minutes:seconds (4:30) or seconds (270)."),
        widget=forms.TextInput(attrs={"dir": "ltr", "inputmode": "numeric"}),
    )
    notes = forms.CharField(
        label=_("Notes"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )

    def clean_duration(self) -> int | None:
        raw = normalize_digits(self.cleaned_data.get("duration", "")).strip()
        if not raw:
            return None
        match = _DURATION.match(raw)
        if not match:
            raise forms.ValidationError(_("Write the duration as 4:30 or as seconds."))
        minutes, seconds = int(match.group(1) or 0), int(match.group(2))
        if match.group(1) is not None and seconds >= 60:
            raise forms.ValidationError(_("Write the duration as 4:30 or as seconds."))
        return minutes * 60 + seconds


class ClickToCallForm(forms.Form):
    number = forms.CharField(max_length=40)
