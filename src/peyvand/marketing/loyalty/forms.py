from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from peyvand.catalog.forms import currency_choices
from peyvand.marketing.loyalty.choices import LoyaltyAction, RewardKind
from peyvand.marketing.models import LoyaltyProgramme, LoyaltyReward


class ProgrammeForm(forms.ModelForm):
    currency = forms.ChoiceField(label=_("Currency"), choices=currency_choices)

    class Meta:
        model = LoyaltyProgramme
        fields = [
            "name",
            "currency",
            "points_per_unit",
            "earn_on",
            "tier_window_days",
            "expiry_months",
            "max_points_per_day",
            "max_redemptions_per_day",
        ]


class TierForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=80)
    threshold = forms.IntegerField(label=_("Points earned in the window"), min_value=0)
    multiplier = forms.DecimalField(
        label=_("Multiplier"), min_value=0.01, max_digits=5, decimal_places=2, initial=1
    )
    benefits = forms.CharField(
        label=_("Benefits"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )


class RuleForm(forms.Form):
    action = forms.ChoiceField(label=_("Action"), choices=LoyaltyAction.choices)
    points = forms.IntegerField(label=_("Points"), min_value=1, max_value=1_000_000)


class RewardForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    kind = forms.ChoiceField(label=_("Kind"), choices=RewardKind.choices)
    cost = forms.IntegerField(label=_("Cost in points"), min_value=1, max_value=1_000_000_000)
    discount = forms.DecimalField(
        label=_("Discount amount"),
        help_text=_("For a discount, in the programme's currency."),
        min_value=0.01,
        max_digits=20,
        decimal_places=2,
        required=False,
    )
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )


class AdjustForm(forms.Form):
    # Text, not IntegerField: the service gives the one message for every bad number.
    points = forms.CharField(label=_("Points"), help_text=_("Negative to deduct."), max_length=20)
    reason = forms.CharField(label=_("Reason"), max_length=255)


class RedeemForm(forms.Form):
    reward = forms.ModelChoiceField(label=_("Reward"), queryset=LoyaltyReward.objects.none())
    order = forms.CharField(
        label=_("Order number"),
        help_text=_("For a discount: the customer's order it is taken off."),
        max_length=40,
        required=False,
    )

    def __init__(self, *args: Any, programme: LoyaltyProgramme, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["reward"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = programme.rewards.filter(is_active=True)
