from __future__ import annotations

import json
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from peyvand.channels.inbox.choices import MessagePurpose
from peyvand.channels.sms.models import SmsGateway


class SmsGatewayForm(forms.ModelForm):
    url = forms.URLField(label=_("send URL"), max_length=500, assume_scheme="https")

    class Meta:
        model = SmsGateway
        fields = [
            "name",
            "is_active",
            "is_default",
            "url",
            "method",
            "body_format",
            "auth_header",
            "auth_value",
            "sender_id",
            "to_param",
            "text_param",
            "from_param",
            "json_template",
            "response_id_path",
        ]
        widgets = {
            "auth_value": forms.PasswordInput(render_value=False),
            "json_template": forms.Textarea(attrs={"rows": 4, "dir": "ltr"}),
            "url": forms.URLInput(attrs={"dir": "ltr"}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["auth_value"].required = False
        self._stored_auth = self.instance.auth_value if self.instance.pk else ""

    def clean_auth_value(self) -> str:
        # The stored secret is never shown again; an empty field keeps it.
        return self.cleaned_data.get("auth_value") or self._stored_auth

    def clean_json_template(self) -> str:
        value = self.cleaned_data.get("json_template", "").strip()
        if value:
            try:
                parsed = json.loads(value)
            except ValueError as exc:
                raise forms.ValidationError(
                    _("This is not valid JSON: %(error)s") % {"error": exc}
                ) from exc
            if not isinstance(parsed, (dict, list)):
                raise forms.ValidationError(_("The template must be a JSON object or list."))
            if "{text}" not in value or "{to}" not in value:
                raise forms.ValidationError(_("The template must contain {to} and {text}."))
        return value


class SmsComposeForm(forms.Form):
    to = forms.CharField(label=_("To"), max_length=40, required=False)
    body = forms.CharField(
        label=_("Message"),
        widget=forms.Textarea(attrs={"rows": 5, "data-sms-counter": "sms-count"}),
        max_length=2000,
    )
    purpose = forms.ChoiceField(
        label=_("Purpose"), choices=MessagePurpose.choices, initial=MessagePurpose.SERVICE
    )
