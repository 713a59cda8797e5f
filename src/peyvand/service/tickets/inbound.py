"""Email to case: a mailbox routing rule "open a ticket" lands here (registered with
`peyvand.channels.email.inbound.routing.register_ticket_handler` when the app loads)."""

from __future__ import annotations

from email.utils import parseaddr
from typing import Any

from django.utils.translation import gettext as _

from peyvand.access.models import Department
from peyvand.channels.choices import InteractionChannel
from peyvand.channels.inbox.models import Conversation
from peyvand.channels.inbox.services import link_customer
from peyvand.customers.services import create_customer
from peyvand.service.models import Ticket
from peyvand.service.tickets.services import open_ticket, ticket_thread

# Merges chain (A into B, later B into C); a chain longer than this is not followed further.
MAX_MERGE_HOPS = 20

DEFAULT_QUEUE = "service"


def ticket_from_email(message: Any, mailbox: Any, rule: Any) -> Ticket | None:
    """Open a ticket for the conversation this email started, in the rule's (or the
    mailbox's) department, under the sender's agreement; an unknown sender becomes a
    customer with that email address."""
    conversation = message.conversation
    if Ticket.objects.filter(conversation=conversation).exists():
        return None
    queue = (
        rule.department
        or mailbox.department
        or Department.objects.filter(code=DEFAULT_QUEUE).first()
    )
    if queue is None:
        return None
    customer = conversation.customer
    if customer is None:
        name, address = parseaddr(message.sender)
        customer = create_customer(
            actor=None,
            display_name=(name or address or _("Unknown sender"))[:200],
            contact_points=[{"kind": "email", "value": address}] if address else [],
        )
        conversation = link_customer(conversation, customer=customer, actor=None)
    return open_ticket(
        actor=None,
        customer=customer,
        subject=message.subject or _("(no subject)"),
        description=message.body[:20_000],
        queue=queue,
        channel=InteractionChannel.EMAIL,
        conversation=conversation,
        now=message.created_at,
    )


def surviving_thread(conversation: Conversation) -> Conversation | None:
    """A reply on the thread of a ticket merged into another belongs to the ticket that
    stayed: its thread (opened if it had none), following merges of merges."""
    ticket = Ticket.objects.filter(conversation=conversation).only("merged_into_id").first()
    if ticket is None or ticket.merged_into_id is None:
        return None
    for _hop in range(MAX_MERGE_HOPS):
        ticket = Ticket.objects.select_related("customer", "queue").get(pk=ticket.merged_into_id)
        if ticket.merged_into_id is None:
            break
    return ticket_thread(ticket, actor=None)
