"""Forms of the order, lead and pipeline screens; numbers and dates accept Persian digits and Jalali dates."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from peyvand.access.choices import Language
from peyvand.access.models import User
from peyvand.catalog.forms import (
    LocalDateField,
    LocalDecimalField,
    currency_choices,
    set_choices,
)
from peyvand.catalog.models import Product
from peyvand.channels.choices import Direction
from peyvand.core.problems import ServiceError
from peyvand.desk.forms import LocalDateTimeField, date_placeholder
from peyvand.sales.choices import (
    OPEN_LEAD_STATUSES,
    ActivityKind,
    CloseOutcome,
    LeadStatus,
    OpportunityStatus,
    OrderChannel,
    OrderStatus,
    PaymentMethod,
)
from peyvand.sales.models import CloseReason, Competitor, LeadSource, Pipeline, Stage

MAX_LINES = 200


class OrderForm(forms.Form):
    currency = forms.ChoiceField(label=_("Currency"))
    ordered_on = LocalDateField(label=_("Order date"), required=False)
    channel = forms.ChoiceField(
        label=_("Channel"), choices=OrderChannel.choices, initial=OrderChannel.SALES
    )
    external_ref = forms.CharField(label=_("External reference"), max_length=100, required=False)
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "currency", currency_choices())


class OrderLineForm(forms.Form):
    product = forms.TypedChoiceField(
        label=_("Product"), coerce=int, required=False, empty_value=None
    )
    description = forms.CharField(label=_("Description"), max_length=255, required=False)
    quantity = LocalDecimalField(label=_("Quantity"), initial=1)
    unit_price = LocalDecimalField(
        label=_("Unit price"), required=False, help_text=_("Empty: the product's list price.")
    )
    discount_percent = LocalDecimalField(label=_("Discount %"), required=False)

    def __init__(self, *args: Any, products: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "product", [("", "---------"), *products])

    def line(self, currency: str, products: dict[int, Product]) -> dict[str, Any]:
        """The service's line dict; a blank price takes the product's list price when it is
        quoted in the order currency."""
        data = self.cleaned_data
        product = products.get(data["product"]) if data.get("product") else None
        unit_price = data.get("unit_price")
        if unit_price is None:
            if product is None or str(product.unit_price.currency) != currency:
                raise ServiceError(str(_("Enter the unit price.")), field="unit_price")
            unit_price = product.unit_price.amount
        return {
            "product": product,
            "description": data.get("description") or "",
            "quantity": data["quantity"],
            "unit_price": unit_price,
            "discount_percent": data.get("discount_percent") or Decimal(0),
        }


class BaseLineFormSet(forms.BaseFormSet):
    def clean(self) -> None:
        super().clean()
        if not any(form.has_changed() and form.cleaned_data for form in self.forms):
            raise forms.ValidationError(_("An order needs at least one line."))


LineFormSet = forms.formset_factory(
    OrderLineForm,
    formset=BaseLineFormSet,
    extra=0,
    min_num=1,
    max_num=MAX_LINES,
    absolute_max=MAX_LINES,
    validate_max=True,
)


class OrderFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All")), *OrderStatus.choices]
    )
    currency = forms.ChoiceField(label=_("Currency"), required=False)
    date_from = LocalDateField(label=_("From"), required=False, help_text="")
    date_to = LocalDateField(label=_("To"), required=False, help_text="")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "currency", [("", _("All")), *currency_choices()])


class PaymentForm(forms.Form):
    amount = LocalDecimalField(label=_("Amount"))
    method = forms.ChoiceField(label=_("Method"), choices=PaymentMethod.choices)
    paid_on = LocalDateField(label=_("Paid on"), required=False, help_text=_("Empty: today."))
    reference = forms.CharField(label=_("Reference"), max_length=100, required=False)


class LeadForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200, required=False)
    company = forms.CharField(label=_("Company"), max_length=200, required=False)
    email = forms.CharField(label=_("Email"), max_length=254, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=32, required=False)
    source = forms.ModelChoiceField(
        label=_("Source"), queryset=LeadSource.objects.filter(is_active=True), required=False
    )
    round_robin = forms.BooleanField(
        label=_("Assign to the next rep of my department"),
        required=False,
        help_text=_("Otherwise the lead is yours."),
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    utm_source = forms.CharField(label=_("UTM source"), max_length=100, required=False)
    utm_medium = forms.CharField(label=_("UTM medium"), max_length=100, required=False)
    utm_campaign = forms.CharField(label=_("UTM campaign"), max_length=100, required=False)
    utm_term = forms.CharField(label=_("UTM term"), max_length=100, required=False)
    utm_content = forms.CharField(label=_("UTM content"), max_length=100, required=False)
    referrer = forms.CharField(label=_("Referrer"), max_length=500, required=False)
    city = forms.CharField(label=_("City"), max_length=100, required=False)
    language = forms.ChoiceField(
        label=_("Language"), required=False, choices=[("", "---------"), *Language.choices]
    )
    product = forms.ModelChoiceField(
        label=_("Product of interest"),
        queryset=Product.objects.filter(deleted_at__isnull=True),
        required=False,
    )

    CAMPAIGN_FIELDS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")

    def main_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name not in self.campaign_names()]

    def campaign_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.campaign_names()]

    def campaign_names(self) -> tuple[str, ...]:
        return (*self.CAMPAIGN_FIELDS, "referrer")


class LeadFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), max_length=200, required=False)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All")), *LeadStatus.choices]
    )


class LeadStatusForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[(s.value, s.label) for s in (*OPEN_LEAD_STATUSES, LeadStatus.DISQUALIFIED)],
    )


class ConvertLeadForm(forms.Form):
    title = forms.CharField(
        label=_("Opportunity title"),
        max_length=200,
        required=False,
        help_text=_("Empty: the lead's name."),
    )
    amount = LocalDecimalField(label=_("Amount"), required=False)
    currency = forms.ChoiceField(label=_("Currency"))
    expected_close_date = LocalDateField(label=_("Expected close date"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "currency", currency_choices())


class MoveOpportunityForm(forms.Form):
    stage = forms.TypedChoiceField(label=_("Move to"), coerce=int)

    def __init__(self, *args: Any, stages: list[Stage], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "stage", [(stage.pk, str(stage)) for stage in stages])


class CloseOpportunityForm(forms.Form):
    close_reason = forms.ModelChoiceField(
        label=_("Reason"), queryset=CloseReason.objects.none(), required=False
    )
    reason = forms.CharField(label=_("In your words"), max_length=255, required=False)

    def __init__(self, *args: Any, outcome: str, **kwargs: Any) -> None:
        # The won and lost forms share a page: their ids must differ.
        kwargs.setdefault("auto_id", f"{outcome}-%s")
        super().__init__(*args, **kwargs)
        field = cast(forms.ModelChoiceField, self.fields["close_reason"])
        field.queryset = CloseReason.objects.filter(outcome=outcome, is_active=True)


class StageChoiceField(forms.ModelChoiceField):
    """Stage names repeat across pipelines: each choice says which pipeline it belongs to."""

    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.pipeline} · {obj}"


class OpportunityFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), max_length=100, required=False)
    pipeline = forms.ModelChoiceField(
        label=_("Pipeline"), queryset=Pipeline.objects.filter(is_active=True), required=False
    )
    stage = StageChoiceField(
        label=_("Stage"), queryset=Stage.objects.select_related("pipeline"), required=False
    )
    owner = forms.ModelChoiceField(
        label=_("Owner"),
        queryset=User.objects.filter(is_active=True).order_by("first_name", "last_name"),
        required=False,
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All")), *OpportunityStatus.choices]
    )
    close_from = LocalDateField(label=_("Expected close from"), required=False, help_text="")
    close_to = LocalDateField(label=_("Expected close to"), required=False, help_text="")


class OpportunityForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    amount = LocalDecimalField(label=_("Amount"), required=False)
    currency = forms.ChoiceField(label=_("Currency"))
    expected_close_date = LocalDateField(label=_("Expected close date"), required=False)
    next_step = forms.CharField(label=_("Next step"), max_length=255, required=False)
    competitors = forms.ModelMultipleChoiceField(
        label=_("Competitors"),
        queryset=Competitor.objects.filter(is_active=True),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    products = forms.ModelMultipleChoiceField(
        label=_("Products of interest"),
        queryset=Product.objects.sellable().order_by("name"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )

    def __init__(self, *args: Any, pipelines: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "currency", currency_choices())
        if pipelines:
            self.fields["pipeline"] = forms.ModelChoiceField(
                label=_("Pipeline"),
                queryset=Pipeline.objects.filter(is_active=True),
                empty_label=None,
            )


class PipelineForm(forms.Form):
    name = forms.CharField(label=_("Name (English)"), max_length=120)
    name_fa = forms.CharField(label=_("Name (Persian)"), max_length=120, required=False)
    is_default = forms.BooleanField(label=_("Default pipeline"), required=False)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)


class StageForm(forms.Form):
    pk = forms.IntegerField(required=False, widget=forms.HiddenInput)
    name = forms.CharField(label=_("Name (English)"), max_length=120, required=False)
    name_fa = forms.CharField(label=_("Name (Persian)"), max_length=120, required=False)
    win_probability = forms.IntegerField(
        label=_("Win probability %"), min_value=0, max_value=100, initial=0
    )
    is_won = forms.BooleanField(label=_("Won"), required=False)
    is_lost = forms.BooleanField(label=_("Lost"), required=False)


class BaseStageFormSet(forms.BaseFormSet):
    def rows(self) -> list[forms.Form]:
        """The filled rows in the order the user gave (ORDER, then their place on the page)."""
        filled = [
            (index, form)
            for index, form in enumerate(self.forms)
            if form.cleaned_data and (form.cleaned_data.get("name") or form.cleaned_data.get("pk"))
        ]
        filled.sort(key=lambda item: (item[1].cleaned_data.get("ORDER") or item[0] + 1, item[0]))
        return [form for _index, form in filled]


StageFormSet = forms.formset_factory(
    StageForm, formset=BaseStageFormSet, extra=1, can_order=True, can_delete=True, max_num=40
)


class ActivityForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=ActivityKind.choices)
    subject = forms.CharField(label=_("Subject"), max_length=255)
    starts_at = LocalDateTimeField(label=_("When"), required=True)
    ends_at = LocalDateTimeField(label=_("Ends"), help_text=_("Meetings only."))
    location = forms.CharField(label=_("Location"), max_length=255, required=False)
    attendees = forms.ModelMultipleChoiceField(
        label=_("Attendees"),
        queryset=User.objects.filter(is_active=True).order_by("first_name", "last_name"),
        required=False,
        help_text=_("Meetings only."),
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, logging: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        placeholder = date_placeholder()
        self.fields["starts_at"].widget.attrs["placeholder"] = placeholder
        self.fields["ends_at"].widget.attrs["placeholder"] = placeholder
        if logging:
            self.fields["direction"] = forms.ChoiceField(
                label=_("Direction"),
                choices=[(d.value, d.label) for d in (Direction.OUTBOUND, Direction.INBOUND)],
            )


class CompleteActivityForm(forms.Form):
    notes = forms.CharField(
        label=_("Outcome"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class CompetitorForm(forms.Form):
    name = forms.CharField(label=_("Name (English)"), max_length=120)
    name_fa = forms.CharField(label=_("Name (Persian)"), max_length=120, required=False)
    website = forms.CharField(label=_("Website"), max_length=200, required=False)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)


class CloseReasonForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=CloseOutcome.choices)
    name = forms.CharField(label=_("Name (English)"), max_length=120)
    name_fa = forms.CharField(label=_("Name (Persian)"), max_length=120, required=False)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
