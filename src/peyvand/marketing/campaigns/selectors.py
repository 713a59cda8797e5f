"""Read side of campaigns: who may receive one (set-based SQL), progress and per-variant
counts."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)

from peyvand.channels.inbox.choices import MessageStatus
from peyvand.channels.inbox.models import Message
from peyvand.customers.choices import ConsentStatus, ContactKind
from peyvand.customers.models import Consent, ContactPoint, Customer
from peyvand.marketing.choices import CampaignChannel, WinnerMetric
from peyvand.marketing.models import Campaign, CampaignMessage, CampaignVariant, SegmentMember
from peyvand.marketing.selectors import suppressed_customer_ids

CHANNELS = (CampaignChannel.EMAIL, CampaignChannel.SMS)
CONTACT_KIND: dict[str, str] = {
    CampaignChannel.EMAIL: ContactKind.EMAIL,
    CampaignChannel.SMS: ContactKind.PHONE,
}
# Outbox states in which a message never reached anyone: they do not count to a cap.
NOT_SENT = (MessageStatus.SUPPRESSED, MessageStatus.DEAD)


def campaign_list(q: str = "") -> QuerySet[Campaign]:
    campaigns = Campaign.objects.select_related("segment")
    if q:
        campaigns = campaigns.filter(name__icontains=q)
    return campaigns.order_by("-created_at", "-pk")


def _address(channel: str) -> Subquery:
    return Subquery(
        ContactPoint.objects.filter(customer=OuterRef("pk"), kind=CONTACT_KIND[channel])
        .order_by("-is_primary", "pk")
        # Phones in E.164, as the SMS gateway and the suppression list want them.
        .values("normalized" if channel == CampaignChannel.SMS else "value")[:1]
    )


def _reachable(campaign: Campaign, channel: str) -> Q:
    """Consent granted on the channel for the campaign's purpose, an address to send to,
    and no address on the suppression list."""
    consent = Consent.objects.filter(
        customer=OuterRef("pk"),
        channel=channel,
        purpose=campaign.purpose,
        status=ConsentStatus.GRANTED,
    )
    address = ContactPoint.objects.filter(customer=OuterRef("pk"), kind=CONTACT_KIND[channel])
    return Q(Exists(consent)) & Q(Exists(address)) & ~Q(pk__in=suppressed_customer_ids(channel))


def capped_customer_ids(campaign: Campaign, now: dt.datetime) -> Any:
    """Customers who already had `cap_messages` marketing messages in the last `cap_days`
    days, from any campaign (withheld or undeliverable ones do not count)."""
    since = now - dt.timedelta(days=campaign.cap_days)
    return (
        CampaignMessage.objects.filter(created_at__gte=since)
        .exclude(message__status__in=NOT_SENT)
        .values("customer_id")
        .annotate(n=Count("pk"))
        .filter(n__gte=campaign.cap_messages or 0)
        .values("customer_id")
    )


def recipients(campaign: Campaign, now: dt.datetime) -> QuerySet[Customer]:
    """Who is still to get the campaign, in one SQL statement: current segment members ∩
    reachable on the campaign's channel (consent, address, not suppressed) ∩ under the
    frequency cap, minus those who already have it. Each row carries `email_ok`/`sms_ok`
    and both addresses, which the enqueue reads to choose the channel."""
    members = SegmentMember.objects.current().filter(segment=campaign.segment).values("customer_id")
    already = CampaignMessage.objects.filter(campaign=campaign, customer=OuterRef("pk"))
    wanted = CHANNELS if campaign.channel == CampaignChannel.PREFERRED else (campaign.channel,)
    flags = {
        f"{ch}_ok": ExpressionWrapper(_reachable(campaign, ch), output_field=BooleanField())
        for ch in wanted
    }
    addresses = {f"{ch}_address": _address(ch) for ch in wanted}
    reachable = Q()
    for ch in wanted:
        reachable |= Q(**{f"{ch}_ok": True})
    customers = (
        Customer.objects.alive()
        .filter(pk__in=members)
        .filter(~Exists(already))
        .only(
            "pk",
            "display_name",
            "first_name",
            "last_name",
            "organization_name",
            "preferred_language",
            "preferred_channel",
            "custom",
        )
        .annotate(**flags, **addresses)
        .filter(reachable)
    )
    if campaign.cap_messages:
        customers = customers.exclude(pk__in=capped_customer_ids(campaign, now))
    return customers.order_by("pk")


def variant_stats(campaign: Campaign) -> list[dict[str, Any]]:
    """Per variant: recipients, sent, clicks, conversions (one query)."""
    sent = Q(messages__message__status__in=[MessageStatus.SENT, MessageStatus.DELIVERED])
    rows = (
        CampaignVariant.objects.filter(campaign=campaign)
        .annotate(
            recipients=Count("messages"),
            sent=Count("messages", filter=sent),
            clicks=Count("messages", filter=Q(messages__clicked_at__isnull=False)),
            conversions=Count("messages", filter=Q(messages__converted_at__isnull=False)),
        )
        .order_by("pk")
    )
    return [
        {
            "variant": v,
            "recipients": v.recipients,
            "sent": v.sent,
            "clicks": v.clicks,
            "conversions": v.conversions,
        }
        for v in rows
    ]


def responses(row: dict[str, Any], metric: str) -> int:
    return int(row["conversions"] if metric == WinnerMetric.CONVERSION else row["clicks"])


def progress(campaign: Campaign) -> dict[str, int]:
    """Recipients chosen so far and where their messages are in the outbox."""
    by_status = dict(
        Message.objects.filter(campaign_message__campaign=campaign)
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    sent = by_status.get(MessageStatus.SENT, 0) + by_status.get(MessageStatus.DELIVERED, 0)
    total = campaign.recipient_count or campaign.queued_count
    return {
        "total": total,
        "queued": campaign.queued_count,
        "sent": sent,
        "withheld": by_status.get(MessageStatus.SUPPRESSED, 0),
        "failed": by_status.get(MessageStatus.FAILED, 0) + by_status.get(MessageStatus.DEAD, 0),
        "percent": round(100 * sent / total) if total else 0,
    }
