"""Read side of the portal: only the signed-in customer's own records, ever. Every lookup
by id filters by the customer too, so another customer's id answers 404 like a missing one.
"""

from __future__ import annotations

from typing import Any

from django.db.models import BooleanField, Case, Prefetch, Q, QuerySet, Value, When
from django.http import Http404
from django.utils import timezone

from peyvand.catalog.models import Product
from peyvand.channels.choices import Direction
from peyvand.channels.inbox.choices import MessageStatus
from peyvand.channels.inbox.models import Message
from peyvand.channels.models import InteractionAttachment
from peyvand.customers.models import Customer
from peyvand.sales.access import live_orders, live_quotes
from peyvand.sales.choices import OrderStatus, QuoteStatus
from peyvand.sales.models import Order, OrderLine, Quote
from peyvand.service.models import ServiceAgreement, Ticket
from peyvand.service.tickets.services import PORTAL_NOTICE


def my_tickets(customer: Customer, *, query: str = "") -> QuerySet[Ticket]:
    qs = Ticket.objects.filter(customer=customer)
    if query:
        qs = qs.filter(subject__icontains=query.strip())
    return qs.order_by("-created_at", "-pk").defer("description")


def my_ticket(customer: Customer, pk: Any) -> Ticket:
    ticket = Ticket.objects.filter(customer=customer, pk=pk).select_related("product").first()
    if ticket is None:
        raise Http404
    return ticket


def public_thread(ticket: Ticket) -> list[Message]:
    """The messages the customer may read: what they wrote and what was sent to them;
    internal notes never."""
    if ticket.conversation_id is None:
        return []
    return list(
        Message.objects.filter(
            conversation_id=ticket.conversation_id,
            direction__in=[Direction.INBOUND, Direction.OUTBOUND],
        )
        .exclude(status=MessageStatus.NOTE)
        .exclude(meta__has_key=PORTAL_NOTICE)
        .select_related("interaction")
        .prefetch_related(
            Prefetch(
                "interaction__attachments",
                queryset=InteractionAttachment.objects.order_by("pk"),
            )
        )
        .order_by("created_at", "pk")
    )


def my_attachment(customer: Customer, ticket: Ticket, pk: Any) -> InteractionAttachment:
    """An attachment of a public message on the customer's own ticket."""
    if ticket.conversation_id is None:
        raise Http404
    attachment = InteractionAttachment.objects.filter(
        pk=pk,
        interaction__customer=customer,
        interaction__message__conversation_id=ticket.conversation_id,
        interaction__message__direction__in=[Direction.INBOUND, Direction.OUTBOUND],
    ).first()
    if attachment is None:
        raise Http404
    return attachment


def my_orders(customer: Customer) -> QuerySet[Order]:
    return live_orders().filter(customer=customer).order_by("-ordered_at", "-pk")


def my_order(customer: Customer, pk: Any) -> Order:
    order = my_orders(customer).filter(pk=pk).prefetch_related("lines").first()
    if order is None:
        raise Http404
    return order


# Drafts are the sales team's work in progress, not yet the customer's to see.
VISIBLE_QUOTE_STATUSES = [
    QuoteStatus.SENT,
    QuoteStatus.ACCEPTED,
    QuoteStatus.REJECTED,
    QuoteStatus.EXPIRED,
]


def my_quotes(customer: Customer) -> QuerySet[Quote]:
    return (
        live_quotes()
        .filter(customer=customer, status__in=VISIBLE_QUOTE_STATUSES)
        .order_by("-issued_on", "-pk")
    )


def my_quote(customer: Customer, pk: Any) -> Quote:
    quote = my_quotes(customer).filter(pk=pk).prefetch_related("lines").first()
    if quote is None:
        raise Http404
    return quote


def products_to_follow(customer: Customer) -> QuerySet[Product]:
    """Every product, the customer's own first (on an order of theirs that was not
    cancelled, or covered by an agreement still running), each marked `is_mine`. The others
    stay listed after them: a customer may follow a product they are still deciding on, and
    must be able to leave one they follow."""
    ordered = OrderLine.objects.filter(
        order__in=my_orders(customer).exclude(
            status__in=[OrderStatus.DRAFT, OrderStatus.CANCELLED]
        ),
        product__isnull=False,
    ).values("product_id")
    covered = ServiceAgreement.products.through.objects.filter(
        serviceagreement__customer=customer,
        serviceagreement__ends_on__gte=timezone.localdate(),
    ).values("product_id")
    return (
        Product.objects.filter(deleted_at__isnull=True)
        .annotate(
            is_mine=Case(
                When(Q(pk__in=ordered) | Q(pk__in=covered), then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            )
        )
        .order_by("-is_mine", "name", "pk")
    )


def my_agreements(customer: Customer) -> QuerySet[ServiceAgreement]:
    return (
        ServiceAgreement.objects.filter(customer=customer)
        .select_related("sla_policy")
        .prefetch_related("products")
        .order_by("-ends_on", "pk")
    )


def my_agreement(customer: Customer, pk: Any) -> ServiceAgreement:
    agreement = my_agreements(customer).filter(pk=pk).first()
    if agreement is None:
        raise Http404
    return agreement


def _money(value: Any) -> dict[str, str]:
    return {"amount": str(value.amount), "currency": str(value.currency)}


def my_data(customer: Customer) -> dict[str, Any]:
    """Everything the portal shows the customer, as one JSON-ready document (the "download
    my data" file). Internal notes and staff-only fields stay out."""
    tickets = []
    for ticket in my_tickets(customer).select_related("conversation"):
        tickets.append(
            {
                "id": ticket.pk,
                "subject": ticket.subject,
                "status": ticket.status,
                "created_at": ticket.created_at.isoformat(),
                "messages": [
                    {
                        "direction": m.direction,
                        "subject": m.subject,
                        "body": m.body,
                        "at": m.created_at.isoformat(),
                    }
                    for m in public_thread(ticket)
                ],
            }
        )
    return {
        "customer": {
            "id": customer.pk,
            "name": customer.display_name,
            "first_name": customer.first_name,
            "last_name": customer.last_name,
            "organization_name": customer.organization_name,
            "preferred_language": customer.preferred_language,
            "preferred_channel": customer.preferred_channel,
            "created_at": customer.created_at.isoformat(),
        },
        "contact_points": [
            {"kind": p.kind, "value": p.value, "label": p.label, "primary": p.is_primary}
            for p in customer.contact_points.order_by("kind", "pk")
        ],
        "consents": [
            {
                "channel": c.channel,
                "purpose": c.purpose,
                "status": c.status,
                "source": c.source,
                "recorded_at": c.recorded_at.isoformat(),
            }
            for c in customer.consents.order_by("channel", "purpose")
        ],
        "tickets": tickets,
        "orders": [
            {
                "number": o.number,
                "status": o.status,
                "ordered_at": o.ordered_at.isoformat(),
                "total": _money(o.total),
                "lines": [
                    {
                        "description": line.description,
                        "quantity": str(line.quantity),
                        "line_total": _money(line.line_total),
                    }
                    for line in o.lines.all()
                ],
            }
            for o in my_orders(customer).prefetch_related("lines")
        ],
        "quotes": [
            {
                "number": q.number,
                "status": q.status,
                "issued_on": q.issued_on.isoformat(),
                "valid_until": q.valid_until.isoformat(),
                "total": _money(q.total),
            }
            for q in my_quotes(customer)
        ],
        "service_agreements": [
            {
                "name": a.name,
                "starts_on": a.starts_on.isoformat(),
                "ends_on": a.ends_on.isoformat(),
                "incidents_allowed": a.incidents_allowed,
                "incidents_used": a.incidents_used,
            }
            for a in my_agreements(customer)
        ],
        "product_subscriptions": [
            {"product": s.product.sku, "channel": s.channel}
            for s in customer.product_subscriptions.select_related("product")
        ],
    }
