from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from peyvand.channels.webhooks.models import DeliveryStatus
from peyvand.channels.webhooks.services import EVENT_TYPES


class WebhookEndpointForm(forms.Form):
    url = forms.CharField(label=_("URL"), max_length=500)
    event_types = forms.MultipleChoiceField(
        label=_("Events"),
        choices=[(name, name) for name in EVENT_TYPES],
        widget=forms.CheckboxSelectMultiple,
    )
    description = forms.CharField(label=_("Description"), max_length=200, required=False)


class DeliveryFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All")), *DeliveryStatus.choices],
    )
