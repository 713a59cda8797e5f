"""State changes a signed-in customer makes on the portal, each through the service that
owns the record (tickets, quotes, consent), with no staff actor: the change log shows them
as the customer's own (actor empty, source "portal" where the record has a source).
Release notes are published by staff and leave through the outbox."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from peyvand.access.choices import ObjectType
from peyvand.access.models import Department
from peyvand.access.scopes import can
from peyvand.audit.services import record
from peyvand.catalog.models import Product
from peyvand.channels.choices import InteractionChannel
from peyvand.channels.email.services import send_email
from peyvand.channels.inbox.services import new_message_id, open_conversation, receive_message
from peyvand.channels.sms.services import primary_phone, send_sms
from peyvand.customers.models import Customer
from peyvand.customers.services import update_customer
from peyvand.portal.models import ProductSubscription, ReleaseNote
from peyvand.portal.models.updates import UpdateChannel
from peyvand.sales.models import Order, Quote
from peyvand.sales.quotes import accept_quote
from peyvand.service.choices import TicketStatus
from peyvand.service.kb.services import record_deflection
from peyvand.service.models import Article, Ticket
from peyvand.service.tickets.services import open_ticket, set_status

SOURCE = "portal"
SERVICE_QUEUE = "service"
MAX_REPLY_CHARS = 20_000


def _text(value: str, field: str, *, required: str, limit: int) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: [required]})
    if len(value) > limit:
        raise ValidationError(
            {field: [_("Keep this under %(limit)d characters.") % {"limit": limit}]}
        )
    return value


@transaction.atomic
def open_portal_ticket(
    customer: Customer, *, subject: str, description: str, product: Product | None = None
) -> Ticket:
    """A ticket the customer opened, in the service queue, with its own portal thread so
    the customer's later replies have somewhere to go."""
    description = _text(
        description, "description", required=_("Describe the problem."), limit=MAX_REPLY_CHARS
    )
    queue = Department.objects.filter(code=SERVICE_QUEUE).first()
    if queue is None:
        raise ValidationError(_("Support is not set up yet; please try again later."))
    conversation = open_conversation(
        channel=InteractionChannel.PORTAL, customer=customer, subject=subject, department=queue
    )
    return open_ticket(
        actor=None,
        customer=customer,
        subject=subject,
        description=description,
        queue=queue,
        channel=InteractionChannel.PORTAL,
        product=product,
        conversation=conversation,
    )


@transaction.atomic
def reply_to_ticket(customer: Customer, ticket: Ticket, *, body: str) -> Ticket:
    """The customer's message on their ticket; a ticket waiting on them, or solved, opens
    again and its SLA clock runs. A closed ticket takes no more replies."""
    if ticket.customer_id != customer.pk:
        raise PermissionDenied
    body = _text(body, "body", required=_("Write your message first."), limit=MAX_REPLY_CHARS)
    if ticket.status == TicketStatus.CLOSED:
        raise ValidationError(_("This ticket is closed; open a new one."))
    conversation = ticket.conversation
    if conversation is None:
        conversation = open_conversation(
            channel=InteractionChannel.PORTAL,
            customer=customer,
            subject=ticket.subject,
            department=ticket.queue,
        )
        Ticket.objects.filter(pk=ticket.pk).update(conversation=conversation)
        ticket.conversation = conversation
    receive_message(
        conversation,
        message_id=new_message_id(),
        body=body,
        sender=customer.display_name,
        subject=ticket.subject,
        channel=InteractionChannel.PORTAL,
    )
    if ticket.status in (TicketStatus.PENDING, TicketStatus.SOLVED):
        ticket = set_status(ticket, actor=None, status=TicketStatus.OPEN)
    return ticket


def count_deflection(article: Article) -> None:
    """The customer read a suggested article instead of opening a ticket, and said it
    helped. Only published public articles count (the view fetches it that way)."""
    record_deflection(article)


def accept_my_quote(customer: Customer, quote: Quote) -> Order:
    if quote.customer_id != customer.pk:
        raise PermissionDenied
    return accept_quote(quote, actor=None)


def update_profile(customer: Customer, **changes: Any) -> Customer:
    allowed = {"first_name", "last_name", "preferred_language", "preferred_channel"}
    if set(changes) - allowed:
        raise ValidationError(_("This field cannot be changed here."))
    return update_customer(customer, actor=None, **changes)


@transaction.atomic
def set_subscription(
    customer: Customer, *, product: Product, channel: str, subscribed: bool
) -> ProductSubscription | None:
    if channel not in UpdateChannel.values:
        raise ValidationError({"channel": [_("Choose email or SMS.")]})
    existing = ProductSubscription.objects.filter(
        customer=customer, product=product, channel=channel
    ).first()
    if subscribed:
        if existing is not None:
            return existing
        subscription = ProductSubscription(customer=customer, product=product, channel=channel)
        with record(subscription, actor=None, customer_id=customer.pk):
            subscription.save()
        return subscription
    if existing is not None:
        with record(existing, actor=None, action="delete", customer_id=customer.pk):
            existing.delete()
    return None


@transaction.atomic
def publish_release_note(
    *, actor: Any, product: Product, title: str, body: str, version: str = ""
) -> ReleaseNote:
    """Publish a release note and queue it to every subscriber of the product on the
    channel each chose (email or SMS), in the same transaction: the outbox sends after
    commit, and a subscriber who withdrew service messages on the channel is not sent to."""
    if not can(actor, ObjectType.PRODUCT, "change"):
        raise PermissionDenied
    title = _text(title, "title", required=_("Give the release note a title."), limit=200)
    body = _text(body, "body", required=_("Write the release note."), limit=MAX_REPLY_CHARS)
    version = (version or "").strip()
    if len(version) > 40:
        raise ValidationError(
            {"version": [_("Keep this under %(limit)d characters.") % {"limit": 40}]}
        )
    note = ReleaseNote(
        product=product,
        title=title,
        body=body,
        version=version,
        published_at=timezone.now(),
        published_by=actor,
    )
    with record(note, actor=actor):
        note.save()
    sent = 0
    subscriptions = ProductSubscription.objects.filter(
        product=product, customer__deleted_at__isnull=True
    ).select_related("customer")
    for subscription in subscriptions.order_by("pk"):
        if _send_note(note, subscription, actor=actor):
            sent += 1
    ReleaseNote.objects.filter(pk=note.pk).update(recipients=sent)
    note.recipients = sent
    return note


def _send_note(note: ReleaseNote, subscription: ProductSubscription, *, actor: Any) -> bool:
    customer = subscription.customer
    language = customer.preferred_language or "fa"
    with translation.override(language):
        heading = _("%(product)s update: %(title)s") % {
            "product": note.product,
            "title": note.title,
        }
        if note.version:
            heading = f"{heading} ({note.version})"
    try:
        if subscription.channel == UpdateChannel.EMAIL:
            send_email(customer, actor=actor, subject=heading, body=note.body, language=language)
        elif primary_phone(customer):
            send_sms(customer, actor=actor, body=f"{heading}\n{note.body}"[:600])
        else:
            return False
    except ValidationError:
        # No address on file or no identity/gateway: the others still get the note.
        return False
    return True
