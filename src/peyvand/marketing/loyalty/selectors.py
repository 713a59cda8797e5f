"""Reading points: a customer's balance, tier and statement, and the programme's monthly
figures."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet, Sum
from django.utils import timezone

from peyvand.customers.models import Customer
from peyvand.marketing.loyalty.choices import EntryKind
from peyvand.marketing.loyalty.services import active_programme, tier_for
from peyvand.marketing.models import LoyaltyAccount, LoyaltyEntry, LoyaltyProgramme, LoyaltyTier
from peyvand.sales.forecast import add_months, month_label, month_start, reader_calendar

STATEMENT_LENGTH = 20
# "Expiring soon" on the statement: within this many days.
EXPIRY_NOTICE_DAYS = 30


@dataclass
class Points:
    programme: LoyaltyProgramme
    balance: int
    tier: LoyaltyTier | None
    next_tier: LoyaltyTier | None
    expiring: int
    expiring_by: dt.datetime


def statement(customer: Customer) -> QuerySet[LoyaltyEntry]:
    """The customer's entries in the active programme, newest first."""
    return (
        LoyaltyEntry.objects.filter(account__customer=customer, account__programme__is_active=True)
        .select_related("order")
        .order_by("-occurred_at", "-pk")
    )


def customer_points(customer: Customer, *, now: dt.datetime | None = None) -> Points | None:
    """Balance, tier and what expires soon; None when there is no active programme."""
    programme = active_programme()
    if programme is None:
        return None
    now = now or timezone.now()
    account = LoyaltyAccount.objects.filter(programme=programme, customer=customer).first()
    expiring_by = now + dt.timedelta(days=EXPIRY_NOTICE_DAYS)
    if account is None:
        return Points(programme, 0, None, programme.tiers.first(), 0, expiring_by)
    account.programme = programme
    tier = tier_for(account, now=now)
    higher = programme.tiers.filter(threshold__gt=tier.threshold if tier else -1)
    expiring = account.entries.filter(remaining__gt=0, expires_at__lte=expiring_by).aggregate(
        total=Sum("remaining")
    )["total"]
    return Points(programme, account.balance, tier, higher.first(), expiring or 0, expiring_by)


@dataclass
class Month:
    label: str
    earned: int
    redeemed: int
    expired: int


def monthly_points(programme: LoyaltyProgramme, *, months: int = 12) -> list[Month]:
    """Points earned, redeemed and expired per month (the reader's calendar), in one query."""
    calendar = reader_calendar()
    first = add_months(month_start(timezone.localdate(), calendar), 1 - months, calendar)
    starts = [add_months(first, i, calendar) for i in range(months + 1)]
    zone = timezone.get_current_timezone()
    bounds = [dt.datetime.combine(day, dt.time(), tzinfo=zone) for day in starts]
    kinds = {"earned": EntryKind.EARN, "redeemed": EntryKind.REDEEM, "expired": EntryKind.EXPIRE}
    sums: dict[str, Any] = {
        f"{name}_{i}": Sum(
            "points",
            filter=Q(kind=kind, occurred_at__gte=bounds[i], occurred_at__lt=bounds[i + 1]),
        )
        for i in range(months)
        for name, kind in kinds.items()
    }
    totals = LoyaltyEntry.objects.filter(account__programme=programme).aggregate(**sums)
    return [
        Month(
            month_label(starts[i], calendar),
            abs(totals[f"earned_{i}"] or 0),
            abs(totals[f"redeemed_{i}"] or 0),
            abs(totals[f"expired_{i}"] or 0),
        )
        for i in range(months)
    ]
