"""REST endpoints of the channels app, mounted by peyvand.config.api at /interactions."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from peyvand.access.choices import Action, ApiScope, ObjectType
from peyvand.channels.access import get_customer_for_interaction, get_interaction_for
from peyvand.channels.choices import Direction, InteractionChannel
from peyvand.channels.models import Interaction
from peyvand.channels.services import log_interaction
from peyvand.core.api.access import referenced, require_action
from peyvand.core.api.auth import api_user, require_scope
from peyvand.core.api.pagination import Ordering, PageParams, paginate
from peyvand.core.api.schemas import CustomerRef, InputSchema, UserRef

router = Router(tags=["interactions"])

ORDERING = Ordering("occurred_at", descending=True)


class AttachmentOut(Schema):
    id: int
    filename: str
    content_type: str
    size: int


class InteractionOut(Schema):
    id: int
    customer: CustomerRef
    channel: str
    direction: str
    agent: UserRef | None
    occurred_at: dt.datetime
    subject: str
    body: str
    duration_seconds: int | None
    external_id: str
    attachments: list[AttachmentOut]
    created_at: dt.datetime

    @staticmethod
    def resolve_attachments(obj: Interaction) -> list[Any]:
        return list(obj.attachments.all())


class InteractionPage(Schema):
    items: list[InteractionOut]
    next_cursor: str | None


class InteractionFilters(PageParams):
    customer: int | None = Field(None, description="Customer id.")
    channel: InteractionChannel | None = None
    direction: Direction | None = None
    since: dt.datetime | None = Field(None, description="Occurred at or after this time.")
    before: dt.datetime | None = Field(None, description="Occurred before this time.")


class InteractionIn(InputSchema):
    customer: int = Field(description="Customer id.")
    channel: InteractionChannel
    direction: Direction
    subject: str = Field("", max_length=255)
    body: str = Field("", max_length=100_000)
    occurred_at: dt.datetime | None = Field(None, description="Defaults to now.")
    duration_seconds: int | None = Field(None, ge=0, le=2_147_483_647)
    external_id: str = Field(
        "", max_length=255, description="The id in the system it came from (mail Message-ID…)."
    )


def _interactions(request: HttpRequest) -> Any:
    return (
        Interaction.objects.visible_to(api_user(request))
        .filter(deleted_at__isnull=True, customer__deleted_at__isnull=True)
        .select_related("customer", "agent")
        .prefetch_related("attachments")
    )


@router.get("", response=InteractionPage, summary="List interactions")
@require_scope(ApiScope.INTERACTIONS_READ)
def list_interactions(request: HttpRequest, filters: Query[InteractionFilters]) -> Any:
    """Interactions the caller may see, most recent first, cursor-paginated."""
    qs = _interactions(request)
    if filters.customer is not None:
        qs = qs.filter(customer_id=filters.customer)
    if filters.channel:
        qs = qs.filter(channel=filters.channel)
    if filters.direction:
        qs = qs.filter(direction=filters.direction)
    if filters.since is not None:
        qs = qs.filter(occurred_at__gte=filters.since)
    if filters.before is not None:
        qs = qs.filter(occurred_at__lt=filters.before)
    return paginate(qs, filters, ORDERING)


@router.post("", response={201: InteractionOut}, summary="Log an interaction")
@require_scope(ApiScope.INTERACTIONS_WRITE)
def create_interaction(request: HttpRequest, payload: InteractionIn) -> Status[Interaction]:
    """One contact with a customer on any channel; the caller is recorded as the agent."""
    user = api_user(request)
    require_action(user, ObjectType.INTERACTION, Action.ADD)
    customer = referenced(
        payload.customer,
        lambda pk: get_customer_for_interaction(user, pk, Action.ADD),
        "customer",
    )
    interaction = log_interaction(
        actor=user,
        customer=customer,
        **payload.model_dump(exclude={"customer"}, exclude_none=True),
    )
    return Status(201, get_interaction_for(user, interaction.pk))


@router.get("/{interaction_id}", response=InteractionOut, summary="Read an interaction")
@require_scope(ApiScope.INTERACTIONS_READ)
def read_interaction(request: HttpRequest, interaction_id: int) -> Interaction:
    return get_interaction_for(api_user(request), interaction_id)
