from __future__ import annotations

from typing import Any

from django import forms
from django.forms import inlineformset_factory
from django.utils.translation import gettext_lazy as _

from peyvand.access.models import Department
from peyvand.channels.email.inbound.models import Mailbox, MailboxRule, RuleAction


class MailboxForm(forms.ModelForm):
    password = forms.CharField(
        label=_("Password"),
        required=False,
        strip=False,
        max_length=500,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Stored encrypted and never shown again. Leave empty to keep the current one."),
    )

    class Meta:
        model = Mailbox
        fields = [
            "name",
            "address",
            "host",
            "port",
            "security",
            "username",
            "folder",
            "department",
            "is_fax_gateway",
            "is_active",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        department = self.fields["department"]
        assert isinstance(department, forms.ModelChoiceField)
        department.queryset = Department.objects.filter(is_active=True)
        self.fields["host"].help_text = _("Leave empty for a mailbox fed only by the webhook.")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("host") and not data.get("username"):
            self.add_error("username", _("Give the user name to log in to the IMAP server."))
        if (
            data.get("host")
            and not self.cleaned_data.get("password")
            and not self.instance.password_encrypted
        ):
            self.add_error("password", _("Give the password to log in to the IMAP server."))
        port = data.get("port")
        if port is not None and not 1 <= port <= 65535:
            self.add_error("port", _("Enter a port between 1 and 65535."))
        return data


class MailboxRuleForm(forms.ModelForm):
    class Meta:
        model = MailboxRule
        fields = [
            "position",
            "field",
            "contains",
            "action",
            "department",
            "reply_subject",
            "reply_body",
            "stop",
        ]
        widgets = {"reply_body": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        department = self.fields["department"]
        assert isinstance(department, forms.ModelChoiceField)
        department.queryset = Department.objects.filter(is_active=True)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        action = data.get("action")
        if action == RuleAction.DEPARTMENT and not data.get("department"):
            self.add_error("department", _("Choose the department the mail goes to."))
        if action == RuleAction.AUTO_REPLY and not (data.get("reply_body") or "").strip():
            self.add_error("reply_body", _("Write the text of the auto-reply."))
        return data


MailboxRuleFormSet = inlineformset_factory(
    Mailbox, MailboxRule, form=MailboxRuleForm, extra=2, can_delete=True
)
