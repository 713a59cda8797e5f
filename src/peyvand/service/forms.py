from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from peyvand.access.choices import Language
from peyvand.access.models import Department, User
from peyvand.catalog.forms import LocalDateField
from peyvand.channels.choices import InteractionChannel
from peyvand.channels.inbox.models import Message
from peyvand.channels.inbox.services import MAX_BODY_CHARS
from peyvand.service.choices import (
    ArticleStatus,
    ArticleVisibility,
    TicketPriority,
    TicketStatus,
)
from peyvand.service.models import ArticleCategory, Macro, SlaPolicy


class ArticleForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    summary = forms.CharField(label=_("Summary"), max_length=500, required=False)
    body = forms.CharField(
        label=_("Text"),
        widget=forms.Textarea(attrs={"rows": 14}),
        help_text=_("Paragraphs, lists, links, tables and code; anything else is removed."),
    )
    language = forms.ChoiceField(label=_("Language"), choices=Language.choices)
    visibility = forms.ChoiceField(label=_("Who may read it"), choices=ArticleVisibility.choices)
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=ArticleCategory.objects.all(), required=False
    )

    def values(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


class CategoryForm(forms.ModelForm):
    class Meta:
        model = ArticleCategory
        fields = ["name", "name_fa", "parent", "position"]


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), max_length=200, required=False)
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("Any status")), *ArticleStatus.choices], required=False
    )
    language = forms.ChoiceField(
        label=_("Language"), choices=[("", _("Any language")), *Language.choices], required=False
    )
    category = forms.ModelChoiceField(
        label=_("Category"),
        queryset=ArticleCategory.objects.all(),
        required=False,
        empty_label=_("Any category"),
    )


class TicketForm(forms.Form):
    subject = forms.CharField(label=_("Subject"), max_length=255)
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 6}), required=False
    )
    priority = forms.TypedChoiceField(
        label=_("Priority"), choices=TicketPriority.choices, coerce=int, initial=2
    )
    queue = forms.ModelChoiceField(
        label=_("Queue"), queryset=Department.objects.filter(is_active=True)
    )
    channel = forms.ChoiceField(
        label=_("Channel"), choices=InteractionChannel.choices, initial="phone"
    )


class TicketFilterForm(forms.Form):
    queue = forms.ModelChoiceField(
        label=_("Queue"),
        queryset=Department.objects.filter(is_active=True),
        required=False,
        empty_label=_("All queues"),
    )
    mine = forms.BooleanField(label=_("Assigned to me"), required=False)
    breached = forms.BooleanField(label=_("Missed their SLA"), required=False)


# A report reads every ticket of its period: longer ranges are refused, not slow.
MAX_REPORT_DAYS = 366


class ServiceReportForm(forms.Form):
    """The period and filters of the breach report and the service analytics page."""

    date_from = LocalDateField(label=_("From"), required=False)
    date_to = LocalDateField(label=_("To"), required=False)
    queue = forms.ModelChoiceField(
        label=_("Queue"),
        queryset=Department.objects.filter(is_active=True),
        required=False,
        empty_label=_("All queues"),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date is before the start date."))
        elif start and end and (end - start).days >= MAX_REPORT_DAYS:
            self.add_error("date_to", _("Choose a period of at most a year."))
        return data


class BreachReportForm(ServiceReportForm):
    assignee = forms.ModelChoiceField(
        label=_("Agent"),
        queryset=User.objects.filter(is_active=True).order_by("username"),
        required=False,
        empty_label=_("All agents"),
    )
    sla_policy = forms.ModelChoiceField(
        label=_("SLA policy"),
        queryset=SlaPolicy.objects.all(),
        required=False,
        empty_label=_("All policies"),
    )


class TicketReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Reply to the customer"),
        max_length=MAX_BODY_CHARS,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    status = forms.ChoiceField(
        label=_("Then set the status to"),
        choices=[("", _("Leave as it is")), *TicketStatus.choices],
        required=False,
    )


class TicketNoteForm(forms.Form):
    body = forms.CharField(
        label=_("Internal note"),
        max_length=MAX_BODY_CHARS,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Only colleagues see it; it is never sent to the customer."),
    )


class MacroForm(forms.ModelForm):
    department = forms.ModelChoiceField(
        label=_("For the queue"),
        queryset=Department.objects.filter(is_active=True),
        required=False,
        empty_label=_("Every queue"),
    )
    set_queue = forms.ModelChoiceField(
        label=_("Move to queue"),
        queryset=Department.objects.filter(is_active=True),
        required=False,
        empty_label=_("Leave as it is"),
    )

    class Meta:
        model = Macro
        fields = [
            "title",
            "language",
            "body",
            "department",
            "set_status",
            "set_priority",
            "set_queue",
        ]
        widgets = {"body": forms.Textarea(attrs={"rows": 6})}
        help_texts = {
            "body": _(
                "Placeholders: {{ customer.name }}, {{ customer.first_name }}, "
                "{{ customer.last_name }}, {{ ticket.number }}, {{ ticket.subject }}, "
                "{{ ticket.status }}, {{ ticket.priority }}, {{ agent.name }}; "
                "{{ customer.first_name | friend }} gives a fallback."
            )
        }

    def values(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class MacroApplyForm(forms.Form):
    macro = forms.ModelChoiceField(label=_("Macro"), queryset=Macro.objects.none())

    def __init__(self, *args: Any, macros: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["macro"].queryset = macros  # type: ignore[attr-defined]


class TicketChangeForm(forms.Form):
    priority = forms.TypedChoiceField(
        label=_("Priority"), choices=TicketPriority.choices, coerce=int
    )
    queue = forms.ModelChoiceField(
        label=_("Queue"), queryset=Department.objects.filter(is_active=True)
    )


class TicketMergeForm(forms.Form):
    into = forms.IntegerField(label=_("Merge into ticket number"), min_value=1)


class TicketSplitForm(forms.Form):
    message = forms.ModelChoiceField(label=_("Message"), queryset=Message.objects.none())
    subject = forms.CharField(label=_("Subject of the new ticket"), max_length=255, required=False)

    def __init__(self, *args: Any, messages: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["message"]
        field.queryset = messages  # type: ignore[attr-defined]
        field.label_from_instance = _message_label  # type: ignore[attr-defined]


def _message_label(message: Message) -> str:
    return f"{message.sender or message.get_direction_display()}: {message.body[:60]}"
