from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from peyvand.channels.email.models import EmailTemplate, SendingIdentity
from peyvand.channels.email.rendering import TOKENS
from peyvand.channels.email.services import IDENTITY_FIELDS, TEMPLATE_FIELDS


class IdentityForm(forms.ModelForm):
    class Meta:
        model = SendingIdentity
        fields = list(IDENTITY_FIELDS)
        widgets = {
            "signature_en": forms.Textarea(attrs={"rows": 3, "dir": "ltr"}),
            "signature_fa": forms.Textarea(attrs={"rows": 3, "dir": "rtl"}),
            "from_name_en": forms.TextInput(attrs={"dir": "ltr"}),
            "from_name_fa": forms.TextInput(attrs={"dir": "rtl"}),
            "address": forms.EmailInput(attrs={"dir": "ltr"}),
            "reply_domain": forms.TextInput(attrs={"dir": "ltr"}),
        }
        help_texts = {
            "reply_domain": _(
                "Replies come back to the sender's name plus a thread token at this domain; "
                "leave empty to use the sender address's domain."
            ),
        }


class TemplateForm(forms.ModelForm):
    class Meta:
        model = EmailTemplate
        fields = list(TEMPLATE_FIELDS)
        widgets = {
            "subject_en": forms.TextInput(attrs={"dir": "ltr"}),
            "body_en": forms.Textarea(attrs={"rows": 8, "dir": "ltr"}),
            "subject_fa": forms.TextInput(attrs={"dir": "rtl"}),
            "body_fa": forms.Textarea(attrs={"rows": 8, "dir": "rtl"}),
        }

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        hint = _("Tokens: %(tokens)s; a fallback after “|”, e.g. {{ first_name | friend }}.") % {
            "tokens": ", ".join("{{ " + t + " }}" for t in TOKENS)
        }
        self.fields["body_en"].help_text = hint
        identity = self.fields["identity"]
        assert isinstance(identity, forms.ModelChoiceField)
        identity.queryset = SendingIdentity.objects.filter(is_active=True)
