"""After an order is saved (placed, confirmed, cancelled), refresh the customer analytics
once the transaction commits; bulk writes skip signals, the periodic job covers them."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from peyvand.analytics.tasks import schedule_refresh


def order_saved(sender: Any, instance: Any, **kwargs: Any) -> None:
    transaction.on_commit(schedule_refresh)
