from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from peyvand.personalization.engine import DEFAULT_ARGS
from peyvand.personalization.models import Offer


class OfferForm(forms.ModelForm):
    class Meta:
        model = Offer
        fields = [
            "code",
            "kind",
            "title",
            "title_fa",
            "text",
            "text_fa",
            "product",
            "rules",
            "is_active",
            "starts_at",
            "ends_at",
            "max_decisions",
            "max_accepts",
            "discount_amount",
            "money_budget",
        ]
        widgets = {
            "title_fa": forms.TextInput(attrs={"dir": "rtl", "lang": "fa"}),
            "text": forms.Textarea(attrs={"rows": 3}),
            "text_fa": forms.Textarea(attrs={"rows": 3, "dir": "rtl", "lang": "fa"}),
            "rules": forms.Textarea(attrs={"rows": 4, "dir": "ltr", "class": "ltr"}),
            "starts_at": forms.DateTimeInput(attrs={"type": "datetime-local"}),
            "ends_at": forms.DateTimeInput(attrs={"type": "datetime-local"}),
        }


class CandidateForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    vw_args = forms.CharField(
        label=_("VowpalWabbit arguments"),
        max_length=300,
        initial=DEFAULT_ARGS,
        widget=forms.TextInput(attrs={"dir": "ltr", "class": "ltr"}),
        help_text=_("Learning and exploration options only; --cb_explore_adf is required."),
    )
