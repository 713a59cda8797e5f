"""Macros: staff-written answers for tickets, one language each, with placeholders filled
from the ticket and optional changes to its status, priority and queue.

Placeholders use the email templates' syntax and substitution
(`peyvand.channels.email.rendering`): a fixed list of names, no template language, plain
text out. The text is escaped wherever it is shown or sent, so a customer's name holding
markup stays text.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from peyvand.access.scopes import is_manager
from peyvand.audit.services import record
from peyvand.channels.email.rendering import check_tokens, substitute
from peyvand.service.models import Macro, Ticket
from peyvand.service.tickets.services import change_ticket, set_status

MACRO_TOKENS = (
    "customer.name",
    "customer.first_name",
    "customer.last_name",
    "ticket.number",
    "ticket.subject",
    "ticket.status",
    "ticket.priority",
    "agent.name",
)
MACRO_FIELDS = (
    "title",
    "language",
    "body",
    "department",
    "set_status",
    "set_priority",
    "set_queue",
)


@transaction.atomic
def save_macro(macro: Macro, *, actor: Any, **data: Any) -> Macro:
    """Create or change a macro; its author or a manager may change it."""
    if macro.pk is not None and not may_edit_macro(actor, macro):
        raise PermissionDenied(_("Only its author or a manager may change this macro."))
    for name in MACRO_FIELDS:
        if name in data:
            value = data[name]
            setattr(macro, name, value.strip() if isinstance(value, str) else value)
    check_tokens(macro.body, "body", MACRO_TOKENS)
    if not (macro.body or macro.set_status or macro.set_priority or macro.set_queue_id):
        raise ValidationError({"body": _("Write the text or choose a change to make.")})
    if macro.created_by_id is None and getattr(actor, "is_authenticated", False):
        macro.created_by = actor
    macro.full_clean()
    with record(macro, actor=actor):
        macro.save()
    return macro


def may_edit_macro(user: Any, macro: Macro) -> bool:
    return is_manager(user) or (macro.created_by_id is not None and macro.created_by_id == user.pk)


@transaction.atomic
def delete_macro(macro: Macro, *, actor: Any) -> None:
    if not may_edit_macro(actor, macro):
        raise PermissionDenied(_("Only its author or a manager may remove this macro."))
    # Logged while the row still has its id; macros are not customer data, so they are
    # removed outright rather than kept in the recycle bin.
    with record(macro, actor=actor, action="delete"):
        pass
    macro.delete()


def render_macro(macro: Macro, ticket: Ticket, *, actor: Any) -> str:
    """The macro's text for this ticket; status and priority named in the macro's language."""
    return fill_macro(macro, customer=ticket.customer, ticket=ticket, actor=actor)


def fill_macro(macro: Macro, *, customer: Any, ticket: Ticket | None = None, actor: Any) -> str:
    """The macro's text with its placeholders filled; without a ticket (an inbox
    conversation) the ticket's placeholders are left empty."""
    agent = ""
    if getattr(actor, "is_authenticated", False):
        agent = actor.get_full_name() or actor.get_username()
    context = {"agent.name": agent}
    if customer is not None:
        context |= {
            "customer.name": customer.display_name or "",
            "customer.first_name": customer.first_name or "",
            "customer.last_name": customer.last_name or "",
        }
    if ticket is not None:
        with translation.override(macro.language):
            context |= {
                "ticket.number": str(ticket.pk),
                "ticket.subject": ticket.subject,
                "ticket.status": str(ticket.get_status_display()),
                "ticket.priority": str(ticket.get_priority_display()),
            }
    return substitute(macro.body, context).strip()


@transaction.atomic
def apply_macro(
    ticket: Ticket, macro: Macro, *, actor: Any, now: dt.datetime | None = None
) -> tuple[Ticket, str]:
    """Make the macro's changes to the ticket and return it with the reply text to send."""
    if macro.set_priority is not None or macro.set_queue_id is not None:
        ticket = change_ticket(
            ticket, actor=actor, priority=macro.set_priority, queue=macro.set_queue, now=now
        )
    if macro.set_status:
        ticket = set_status(ticket, actor=actor, status=macro.set_status, now=now)
    return ticket, render_macro(macro, ticket, actor=actor)
