from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from peyvand.channels.email.models import EmailTemplate, SendingIdentity
from peyvand.channels.email.rendering import TOKENS
from peyvand.channels.email.services import IDENTITY_FIELDS, TEMPLATE_FIELDS
from peyvand.channels.forms import MultipleFileField
from peyvand.channels.inbox.choices import MessagePurpose
from peyvand.channels.inbox.services import MAX_BODY_CHARS
from peyvand.customers.choices import ContactKind
from peyvand.customers.models import ContactPoint, Customer


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


class _AddressChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.value)


class ComposeEmailForm(forms.Form):
    """A new email to one of the customer's addresses; the service renders, checks consent
    and attachments, and queues it."""

    to = _AddressChoice(
        label=pgettext_lazy("email", "To"), queryset=ContactPoint.objects.none(), empty_label=None
    )
    identity = forms.ModelChoiceField(
        label=pgettext_lazy("email", "From"),
        queryset=SendingIdentity.objects.filter(is_active=True),
        empty_label=None,
    )
    template = forms.ModelChoiceField(
        label=_("Template"),
        required=False,
        queryset=EmailTemplate.objects.filter(is_active=True),
        empty_label=_("None: write it here"),
    )
    purpose = forms.ChoiceField(
        label=_("Purpose"), choices=MessagePurpose.choices, initial=MessagePurpose.SERVICE
    )
    subject = forms.CharField(label=_("Subject"), max_length=255, required=False)
    body = forms.CharField(
        label=_("Message"),
        required=False,
        max_length=MAX_BODY_CHARS,
        widget=forms.Textarea(attrs={"rows": 8}),
    )
    attachments = MultipleFileField(label=_("Attachments"), required=False)

    def __init__(self, *args: Any, customer: Customer, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        to = self.fields["to"]
        assert isinstance(to, forms.ModelChoiceField)
        to.queryset = ContactPoint.objects.filter(
            customer=customer, kind=ContactKind.EMAIL
        ).order_by("-is_primary", "pk")
