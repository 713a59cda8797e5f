"""Forms of the campaign screens; saving goes through the services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from peyvand.channels.email.models import SendingIdentity
from peyvand.marketing.campaigns.services import CAMPAIGN_FIELDS, VARIANT_FIELDS
from peyvand.marketing.models import Campaign, CampaignVariant, Segment


class CampaignForm(forms.ModelForm):
    class Meta:
        model = Campaign
        fields = CAMPAIGN_FIELDS
        widgets = {
            "send_after": forms.DateTimeInput(attrs={"type": "datetime-local"}),
            "local_time": forms.TimeInput(attrs={"type": "time"}),
            "quiet_start": forms.TimeInput(attrs={"type": "time"}),
            "quiet_end": forms.TimeInput(attrs={"type": "time"}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["segment"].queryset = Segment.objects.order_by("name")  # type: ignore[attr-defined]
        self.fields["identity"].queryset = SendingIdentity.objects.filter(is_active=True)  # type: ignore[attr-defined]

    def _post_clean(self) -> None:
        # The service validates the whole campaign (and says why in the same words for the
        # API); the form only parses the fields.
        pass


class VariantForm(forms.ModelForm):
    class Meta:
        model = CampaignVariant
        fields = VARIANT_FIELDS
        widgets = {
            "body_en": forms.Textarea(attrs={"rows": 6, "dir": "ltr"}),
            "body_fa": forms.Textarea(attrs={"rows": 6, "dir": "rtl"}),
            "subject_en": forms.TextInput(attrs={"dir": "ltr"}),
            "subject_fa": forms.TextInput(attrs={"dir": "rtl"}),
        }
        help_texts = {
            "body_en": _(
                'Tokens: {{ first_name | friend }}, {{ last_name }}, {{ name }}, {{ organization }}, {{ email }}; the text after "|" is used when the customer has no value.'
            ),
        }

    def _post_clean(self) -> None:
        pass


class PreviewForm(forms.Form):
    customer = forms.IntegerField(label=_("Customer number"), min_value=1)
    language = forms.ChoiceField(
        label=_("Language"),
        choices=[("", _("The customer's own")), ("en", _("English")), ("fa", _("Persian"))],
        required=False,
    )


class TestSendForm(forms.Form):
    to = forms.CharField(label=_("Send a test to"), max_length=320)
    language = forms.ChoiceField(
        label=_("Language"), choices=[("en", _("English")), ("fa", _("Persian"))]
    )
