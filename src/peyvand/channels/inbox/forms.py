from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from peyvand.access.models import Department, User
from peyvand.channels.choices import InteractionChannel
from peyvand.channels.inbox.choices import ConversationStatus
from peyvand.channels.inbox.services import MAX_BODY_CHARS

INBOX_CHANNELS = [
    InteractionChannel.EMAIL,
    InteractionChannel.SMS,
    InteractionChannel.CHAT,
    InteractionChannel.PHONE,
    InteractionChannel.FAX,
]


class InboxFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Open and pending")), *ConversationStatus.choices, ("all", _("All"))],
    )
    channel = forms.ChoiceField(
        label=_("Channel"),
        required=False,
        choices=[("", _("All channels"))] + [(c.value, c.label) for c in INBOX_CHANNELS],
    )
    department = forms.ModelChoiceField(
        label=_("Department"),
        required=False,
        queryset=Department.objects.none(),
        empty_label=_("All departments"),
    )
    who = forms.ChoiceField(
        label=_("Assigned"),
        required=False,
        choices=[("", _("Anyone")), ("mine", _("To me")), ("unassigned", _("Nobody yet"))],
    )

    def __init__(self, *args: Any, departments: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = departments  # type: ignore[attr-defined]


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Reply"), max_length=MAX_BODY_CHARS, widget=forms.Textarea(attrs={"rows": 4})
    )


class NoteForm(forms.Form):
    body = forms.CharField(
        label=_("Internal note"),
        max_length=MAX_BODY_CHARS,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=ConversationStatus.choices)
    snoozed_until = forms.DateTimeField(
        label=_("Snooze until"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(
        label=_("Agent"),
        required=False,
        queryset=User.objects.filter(is_active=True).order_by("first_name", "last_name"),
        empty_label=_("Nobody"),
    )
    department = forms.ModelChoiceField(
        label=_("Department"),
        required=False,
        queryset=Department.objects.filter(is_active=True),
        empty_label=_("Keep the department"),
    )


class CannedResponseForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=120)
    body = forms.CharField(
        label=_("Text"), max_length=MAX_BODY_CHARS, widget=forms.Textarea(attrs={"rows": 3})
    )
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    department = forms.ModelChoiceField(
        label=_("Department"),
        required=False,
        queryset=Department.objects.filter(is_active=True),
        empty_label=_("Everyone"),
    )


class ChatWidgetForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    origins = forms.CharField(
        label=_("Allowed origins"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "dir": "ltr"}),
        help_text=_("One per line, like https://shop.example"),
    )
    department = forms.ModelChoiceField(
        label=_("Department"),
        required=False,
        queryset=Department.objects.filter(is_active=True),
        empty_label=_("None"),
    )
