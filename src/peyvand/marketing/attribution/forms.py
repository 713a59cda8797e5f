from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from peyvand.catalog.forms import LocalDateField, currency_choices
from peyvand.marketing.attribution.selectors import DEFAULT_LOOKBACK_DAYS, DEFAULT_WINDOW_DAYS
from peyvand.marketing.models.attribution import KEY_MAX


class ReportFilterForm(forms.Form):
    since = LocalDateField(label=_("From"), required=False)
    until = LocalDateField(label=_("Until"), required=False)
    lookback_days = forms.IntegerField(
        label=_("Lookback (days)"),
        min_value=1,
        max_value=365,
        required=False,
        help_text=_("Touches this long before a conversion count towards it."),
    )
    window_days = forms.IntegerField(
        label=_("Conversion window (days)"),
        min_value=1,
        max_value=90,
        required=False,
        help_text=_("A purchase this long after a campaign counts as its response."),
    )
    dimension = forms.ChoiceField(
        label=_("Credit"),
        choices=[("campaign", _("Campaigns")), ("channel", _("Channels"))],
        required=False,
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", _("The end date must not be before the start date."))
        return data

    def report_arguments(self) -> dict[str, Any]:
        """The selector's keyword arguments: what was given, defaults for the rest."""
        data = self.cleaned_data
        return {
            "since": data.get("since"),
            "until": data.get("until"),
            "lookback_days": data.get("lookback_days") or DEFAULT_LOOKBACK_DAYS,
            "window_days": data.get("window_days") or DEFAULT_WINDOW_DAYS,
            "dimension": data.get("dimension") or "campaign",
        }


class CampaignCostForm(forms.Form):
    campaign_key = forms.CharField(label=_("Campaign"), max_length=KEY_MAX)
    amount = forms.DecimalField(
        label=_("Amount"), min_value=0, max_digits=20, decimal_places=2, localize=True
    )
    currency = forms.ChoiceField(
        label=_("Currency"), choices=(), initial=lambda: settings.REPORTING_CURRENCY
    )
    spent_on = LocalDateField(label=_("Spent on"))
    note = forms.CharField(label=_("Note"), max_length=500, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        currency = self.fields["currency"]
        assert isinstance(currency, forms.ChoiceField)
        currency.choices = currency_choices()
