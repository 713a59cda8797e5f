from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from peyvand.catalog.models import Product
from peyvand.portal.community.services import MAX_BODY_CHARS, MAX_REASON_CHARS, MAX_TITLE_CHARS
from peyvand.portal.models.community import IdeaStatus, ModerationReason

PLAIN_TEXT_HELP = _("Plain text; links send the post to a moderator first.")


class ThreadForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=MAX_TITLE_CHARS)
    body = forms.CharField(
        label=_("Your question"),
        max_length=MAX_BODY_CHARS,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=PLAIN_TEXT_HELP,
    )


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Your reply"),
        max_length=MAX_BODY_CHARS,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=PLAIN_TEXT_HELP,
    )


class EditPostForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=MAX_TITLE_CHARS, required=False)
    body = forms.CharField(
        label=_("Text"), max_length=MAX_BODY_CHARS, widget=forms.Textarea(attrs={"rows": 6})
    )


class ReportForm(forms.Form):
    reason = forms.CharField(
        label=_("What is wrong with it?"), max_length=MAX_REASON_CHARS, required=False
    )


class IdeaForm(forms.Form):
    title = forms.CharField(label=_("Your idea"), max_length=MAX_TITLE_CHARS)
    description = forms.CharField(
        label=_("Describe it"),
        max_length=MAX_BODY_CHARS,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class IdeaStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=IdeaStatus.choices)
    note = forms.CharField(
        label=_("Note for customers"),
        max_length=MAX_BODY_CHARS,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class QueueFilterForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("Why it waits"),
        choices=[("", _("All reasons")), *[c for c in ModerationReason.choices if c[0]]],
        required=False,
    )


class IdeaFilterForm(forms.Form):
    product = forms.ModelChoiceField(
        label=_("Product"), queryset=Product.objects.sellable(), required=False
    )
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("All")), *IdeaStatus.choices], required=False
    )


class ThreadFilterForm(forms.Form):
    product = forms.ModelChoiceField(
        label=_("Product"), queryset=Product.objects.sellable(), required=False
    )
