"""Closed lead history for scoring tests and the bench, written in bulk with its own
random generator, so the signal in it is known and the learned score must find it."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.utils import timezone

from peyvand.sales.choices import LeadStatus
from peyvand.sales.models import Lead, LeadSource


def closed_history(n: int, *, seed: int = 7, owner: Any = None) -> None:
    """`n` closed leads where having a company and a fast first response make conversion
    much likelier, and the "fair" source makes it less likely."""
    rng = random.Random(seed)
    web, _ = LeadSource.objects.get_or_create(code="web", defaults={"name": "Website"})
    fair, _ = LeadSource.objects.get_or_create(code="fair", defaults={"name": "Trade fair"})
    now = timezone.now()
    rows = []
    for i in range(n):
        has_company = rng.random() < 0.5
        fast = rng.random() < 0.5
        source = web if rng.random() < 0.6 else fair
        odds = 0.15 + 0.35 * has_company + 0.3 * fast - 0.1 * (source is fair)
        created = now - dt.timedelta(days=30 + rng.random() * 300)
        rows.append(
            Lead(
                name=f"H{i}",
                company=f"Co {i}" if has_company else "",
                email=f"h{i}@example.com",
                source=source,
                owner=owner,
                status=LeadStatus.CONVERTED if rng.random() < odds else LeadStatus.DISQUALIFIED,
                created_at=created,
                first_response_at=created + dt.timedelta(hours=1 if fast else 96),
            )
        )
    Lead.objects.bulk_create(rows, batch_size=1000)
