"""What sales services announce to the rest of the system (and, through webhooks, to
integrators); called inside the service's transaction."""

from __future__ import annotations

from typing import Any

from peyvand.channels.webhooks.services import emit


def order_created(order: Any) -> None:
    emit(
        "order.created",
        {
            "id": order.pk,
            "number": order.number,
            "customer": order.customer_id,
            "total": str(order.total.amount),
            "currency": str(order.total.currency),
        },
    )


def lead_created(lead: Any) -> None:
    emit("lead.created", {"id": lead.pk, "channel": lead.channel, "source": lead.source_id})


def opportunity_won(opportunity: Any) -> None:
    emit(
        "opportunity.won",
        {
            "id": opportunity.pk,
            "customer": opportunity.customer_id,
            "amount": str(opportunity.amount.amount),
            "currency": str(opportunity.amount.currency),
        },
    )
