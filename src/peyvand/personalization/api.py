"""REST endpoints of the personalization app, mounted by peyvand.config.api.

`router` is mounted at /offers (outcomes); `customers_router` at /customers beside the
customers app's own router (the next best offer of one customer).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Field, Router, Schema

from peyvand.access.choices import ApiScope
from peyvand.access.scopes import get_for
from peyvand.core.api.auth import api_user, require_scope
from peyvand.core.api.schemas import InputSchema
from peyvand.customers.access import get_customer_for
from peyvand.personalization.choices import DecisionChannel
from peyvand.personalization.models import Decision
from peyvand.personalization.services import decide, record_outcome

router = Router(tags=["personalization"])
customers_router = Router(tags=["personalization"])


class OfferOut(Schema):
    id: int
    code: str
    kind: str
    title: str = Field(description="In the language of the request.")
    text: str = Field(description="In the language of the request.")


class DecisionOut(Schema):
    id: int = Field(description="Report the customer's answer to /offers/decisions/{id}/outcome.")
    customer_id: int
    offer: OfferOut
    propensity: float = Field(description="Probability with which the policy chose this offer.")
    eligible_offers: list[int] = Field(description="Ids of every offer that could be chosen.")
    policy: str
    channel: str
    outcome: str
    decided_at: dt.datetime
    outcome_at: dt.datetime | None


class OutcomeIn(InputSchema):
    outcome: Literal["accepted", "rejected", "ignored"]
    channel: Literal["api", "portal", "agent", "campaign"] = Field(
        "api", description="Where the answer came from."
    )


def decision_out(decision: Decision) -> dict[str, Any]:
    offer = decision.offer
    return {
        "id": decision.pk,
        "customer_id": decision.customer_id,
        "offer": {
            "id": offer.pk,
            "code": offer.code,
            "kind": offer.kind,
            "title": offer.localized_title,
            "text": offer.localized_text,
        },
        "propensity": decision.propensity,
        "eligible_offers": decision.offer_ids,
        "policy": decision.policy.name,
        "channel": decision.channel,
        "outcome": decision.outcome,
        "decided_at": decision.decided_at,
        "outcome_at": decision.outcome_at,
    }


@customers_router.get(
    "/{customer_id}/next-best-offer",
    response={200: DecisionOut, 204: None},
    summary="Next best offer for a customer",
)
@require_scope(ApiScope.CUSTOMERS_READ)
def next_best_offer(request: HttpRequest, customer_id: int) -> Any:
    """Choose the offer to make now and log the decision; 204 when no offer is eligible.
    A decision still awaiting an answer on this channel is returned again, not redrawn."""
    customer = get_customer_for(api_user(request), customer_id)
    decision = decide(customer, actor=api_user(request), channel=DecisionChannel.API)
    if decision is None:
        return HttpResponse(status=204)
    return decision_out(decision)


@router.post(
    "/decisions/{decision_id}/outcome", response=DecisionOut, summary="Record the customer's answer"
)
@require_scope(ApiScope.CUSTOMERS_WRITE)
def decision_outcome(request: HttpRequest, decision_id: int, payload: OutcomeIn) -> Any:
    """Accepted, rejected or ignored, from any channel. Sending the same answer again is
    harmless; a different answer to an answered offer is refused with 409."""
    user = api_user(request)
    decision = get_for(
        user, Decision.objects.filter(customer__deleted_at__isnull=True), decision_id
    )
    updated = record_outcome(decision.pk, payload.outcome, actor=user, channel=payload.channel)
    return decision_out(updated)
