from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from peyvand.access.choices import Language
from peyvand.catalog.models import Product
from peyvand.customers.choices import Channel


class SignInForm(forms.Form):
    address = forms.CharField(
        label=_("Email or mobile number"),
        max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "username", "dir": "ltr"}),
    )


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=12,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "dir": "ltr"}
        ),
    )


def _products() -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        label=_("Product"),
        queryset=Product.objects.filter(deleted_at__isnull=True).order_by("name"),
        required=False,
    )


class TicketForm(forms.Form):
    subject = forms.CharField(label=_("Subject"), max_length=255)
    description = forms.CharField(label=_("Describe the problem"), widget=forms.Textarea)
    product = _products()


class ReplyForm(forms.Form):
    body = forms.CharField(label=_("Your reply"), widget=forms.Textarea(attrs={"rows": 4}))


class ProfileForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=100, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=100, required=False)
    preferred_language = forms.ChoiceField(label=_("Language"), choices=Language.choices)
    preferred_channel = forms.ChoiceField(
        label=_("Preferred channel"),
        choices=[
            ("", "—"),
            *[
                (c, label)
                for c, label in Channel.choices
                if c in ("email", "sms", "phone", "portal")
            ],
        ],
        required=False,
    )


class ReleaseNoteForm(forms.Form):
    product = forms.ModelChoiceField(
        label=_("Product"),
        queryset=Product.objects.filter(deleted_at__isnull=True).order_by("name"),
    )
    version = forms.CharField(label=_("Version"), max_length=40, required=False)
    title = forms.CharField(label=_("Title"), max_length=200)
    body = forms.CharField(label=_("Text"), widget=forms.Textarea)
