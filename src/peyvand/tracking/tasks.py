"""Background jobs of tracking: conversions of orders into message engagement."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone
from django_tasks import task

from peyvand.tracking.services import record_conversions


@task()
def record_order_conversions(order_ids: list[int]) -> int:
    """Conversions for orders just placed (enqueued on their commit)."""
    return record_conversions(order_ids=order_ids)


@task()
def sweep_conversions() -> int:
    """Conversions for every order of the attribution window not yet converted: orders
    that arrived without the signal (bulk imports, seed) or whose enqueue was lost."""
    since = timezone.now() - dt.timedelta(days=settings.PEYVAND_ATTRIBUTION_WINDOW_DAYS)
    return record_conversions(since=since)
