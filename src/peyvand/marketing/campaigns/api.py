"""REST endpoints of campaigns, mounted at /campaigns by peyvand.config.api.

A user whose roles give nothing on campaigns gets 404 for all of them, as on the screens."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.db import transaction
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema, Status

from peyvand.access.choices import ApiScope
from peyvand.core.api.auth import api_user, require_scope
from peyvand.core.api.pagination import Ordering, Page, PageParams, paginate
from peyvand.core.api.schemas import InputSchema
from peyvand.marketing.access import get_campaign_for, require_campaigns
from peyvand.marketing.campaigns import selectors, services
from peyvand.marketing.models import Campaign, Segment

router = Router(tags=["campaigns"])

ORDERING = Ordering("created_at", descending=True)


class VariantOut(Schema):
    id: int
    name: str
    subject_en: str
    body_en: str
    subject_fa: str
    body_fa: str


class CampaignOut(Schema):
    id: int
    name: str
    segment_id: int
    channel: str
    purpose: str
    status: str
    identity_id: int | None
    send_after: dt.datetime | None
    local_time: dt.time | None
    time_zone: str
    throttle_per_minute: int
    quiet_start: dt.time | None
    quiet_end: dt.time | None
    cap_messages: int | None
    cap_days: int
    test_mode: str
    test_percent: int
    winner_metric: str
    winner_id: int | None
    recipient_count: int
    queued_count: int
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None


class CampaignDetailOut(CampaignOut):
    variants: list[VariantOut]
    progress: dict[str, int] = Field(
        description="total, queued, sent, withheld, failed and percent sent."
    )

    @staticmethod
    def resolve_variants(obj: Campaign) -> list[Any]:
        return list(obj.variants.order_by("pk"))

    @staticmethod
    def resolve_progress(obj: Campaign) -> dict[str, int]:
        return selectors.progress(obj)


class CampaignPage(Schema):
    items: list[CampaignOut]
    next_cursor: str | None


class VariantIn(InputSchema):
    name: str = Field(min_length=1, max_length=60)
    subject_en: str = Field("", max_length=255)
    body_en: str = Field("", max_length=100_000)
    subject_fa: str = Field("", max_length=255)
    body_fa: str = Field("", max_length=100_000)


class CampaignIn(InputSchema):
    name: str = Field(min_length=1, max_length=120)
    segment_id: int
    channel: Literal["email", "sms", "preferred"] = "email"
    purpose: Literal["marketing", "newsletter"] = "marketing"
    identity_id: int | None = None
    send_after: dt.datetime | None = None
    local_time: dt.time | None = Field(
        None, description="Send at this time of day, local to each recipient."
    )
    time_zone: str = Field("Asia/Tehran", max_length=64)
    throttle_per_minute: int = Field(0, ge=0)
    quiet_start: dt.time | None = None
    quiet_end: dt.time | None = None
    cap_messages: int | None = Field(
        None, ge=1, description="At most this many marketing messages…"
    )
    cap_days: int = Field(7, ge=1, description="…per customer in this many days, across campaigns.")
    test_mode: Literal["none", "split", "bandit"] = "none"
    test_percent: int = Field(20, ge=1, le=99)
    winner_metric: Literal["click", "conversion"] = "click"
    winner_min_sent: int = Field(100, ge=1)
    winner_wait_hours: int = Field(24, ge=0)
    variants: list[VariantIn] = Field(min_length=1, max_length=10)


@router.get("", response=CampaignPage, summary="List campaigns")
@require_scope(ApiScope.CUSTOMERS_READ)
def list_campaigns(request: HttpRequest, params: Query[PageParams]) -> Page[Campaign]:
    require_campaigns(api_user(request))
    return paginate(Campaign.objects.all(), params, ORDERING)


@router.post("", response={201: CampaignDetailOut}, summary="Create a campaign")
@require_scope(ApiScope.ALL)
def create_campaign(request: HttpRequest, payload: CampaignIn) -> Status[Campaign]:
    """A draft with its variants, all or nothing; a 400 problem names every bad field."""
    from peyvand.channels.email.models import SendingIdentity

    user = api_user(request)
    require_campaigns(user, "add")
    data = payload.dict(exclude={"segment_id", "identity_id", "variants"})
    data["segment"] = get_object_or_404(Segment, pk=payload.segment_id)
    data["identity"] = (
        get_object_or_404(SendingIdentity, pk=payload.identity_id) if payload.identity_id else None
    )
    with transaction.atomic():
        campaign = services.save_campaign(None, actor=user, **data)
        for variant in payload.variants:
            services.save_variant(campaign, None, actor=user, **variant.dict())
    return Status(201, campaign)


@router.get("/{campaign_id}", response=CampaignDetailOut, summary="One campaign")
@require_scope(ApiScope.CUSTOMERS_READ)
def get_campaign(request: HttpRequest, campaign_id: int) -> Campaign:
    return get_campaign_for(api_user(request), campaign_id)


@router.post("/{campaign_id}/schedule", response=CampaignDetailOut, summary="Schedule a campaign")
@require_scope(ApiScope.ALL)
def schedule(request: HttpRequest, campaign_id: int) -> Campaign:
    """Start (or resume) sending; idempotent. 400 when it cannot be sent as it is."""
    user = api_user(request)
    campaign = get_campaign_for(user, campaign_id, "change")
    services.schedule_campaign(campaign.pk, actor=user)
    return get_campaign_for(user, campaign_id)


@router.post("/{campaign_id}/pause", response=CampaignDetailOut, summary="Pause a campaign")
@require_scope(ApiScope.ALL)
def pause(request: HttpRequest, campaign_id: int) -> Campaign:
    """Nobody more is picked and queued messages wait until it is scheduled again."""
    user = api_user(request)
    campaign = get_campaign_for(user, campaign_id, "change")
    services.pause_campaign(campaign.pk, actor=user)
    return get_campaign_for(user, campaign_id)
