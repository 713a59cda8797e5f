from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from peyvand.customers.choices import Channel, ConsentPurpose
from peyvand.marketing.choices import SuppressionReason

MAX_IMPORT_BYTES = 5 * 1024 * 1024


class SubscribeForm(forms.Form):
    email = forms.CharField(label=_("Email address"), max_length=320)
    topics = forms.MultipleChoiceField(
        label=_("What would you like to receive?"),
        choices=[
            (ConsentPurpose.NEWSLETTER, ConsentPurpose.NEWSLETTER.label),
            (ConsentPurpose.MARKETING, _("Offers and news")),
        ],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        initial=[ConsentPurpose.NEWSLETTER],
    )


class SuppressionForm(forms.Form):
    channel = forms.ChoiceField(
        label=_("Channel"),
        choices=[(Channel.EMAIL, Channel.EMAIL.label), (Channel.SMS, Channel.SMS.label)],
    )
    address = forms.CharField(label=_("Address"), max_length=320)
    reason = forms.ChoiceField(
        label=_("Reason"), choices=SuppressionReason.choices, initial=SuppressionReason.MANUAL
    )
    source = forms.CharField(label=_("Note"), max_length=200, required=False)


class SuppressionImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_("Columns: address, and optionally channel (email or sms), reason, source."),
    )

    def clean_file(self) -> object:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            raise forms.ValidationError(_("The file is larger than 5 MB."))
        return upload
