"""Read side of consent and deliverability: the preference grid of a customer and the
suppression list staff search."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import Q

from peyvand.core.text import normalize_email, normalize_phone
from peyvand.customers.choices import Channel, ConsentPurpose, ConsentStatus
from peyvand.customers.models import Customer
from peyvand.marketing.consent.services import (
    PREFERENCE_CHANNELS,
    PREFERENCE_TOPICS,
    default_status,
)
from peyvand.marketing.models import Suppression


def preference_rows(
    customer: Customer,
    *,
    channels: Sequence[str] = PREFERENCE_CHANNELS,
    topics: Sequence[str] = PREFERENCE_TOPICS,
) -> list[dict[str, Any]]:
    """One row per topic, one cell per channel: whether it is granted now, and when and
    where the decision on file was made."""
    on_file = {(c.channel, c.purpose): c for c in customer.consents.all()}
    rows = []
    for purpose in topics:
        cells = []
        for channel in channels:
            decision = on_file.get((channel, purpose))
            status = decision.status if decision else default_status(purpose)
            cells.append(
                {
                    "name": f"consent-{channel}-{purpose}",
                    "channel": Channel(channel).label,
                    "granted": status == ConsentStatus.GRANTED,
                    "decision": decision,
                }
            )
        rows.append({"purpose": ConsentPurpose(purpose).label, "cells": cells})
    return rows


def choices_from_post(
    post: Any,
    *,
    channels: Sequence[str] = PREFERENCE_CHANNELS,
    topics: Sequence[str] = PREFERENCE_TOPICS,
) -> dict[tuple[str, str], bool]:
    """The grid as posted: a ticked box is sent, an unticked one is not."""
    return {(c, p): f"consent-{c}-{p}" in post for c in channels for p in topics}


def suppression_list(q: str = "", *, channel: str = "", reason: str = "") -> Any:
    rows = Suppression.objects.select_related("created_by")
    if channel:
        rows = rows.filter(channel=channel)
    if reason:
        rows = rows.filter(reason=reason)
    q = q.strip()
    if q:
        # An address is searched as it is stored (normalised), so "Ali@X" finds "ali@x".
        keys = {normalize_email(q)} | ({normalize_phone(q)} - {""})
        condition = Q(source__icontains=q)
        for key in keys:
            condition |= Q(address__icontains=key)
        rows = rows.filter(condition)
    return rows.order_by("-created_at", "pk")
