"""Background jobs of sales (django-tasks); each is idempotent, so overlapping clocks are harmless."""

from __future__ import annotations

from django_tasks import task

from peyvand.sales.contracts import end_lapsed_contracts, remind_renewals
from peyvand.sales.quotes import expire_quotes


@task()
def expire_lapsed_quotes() -> int:
    """Expire draft and sent quotes whose validity has passed; returns how many."""
    return expire_quotes()


@task()
def process_contract_renewals() -> int:
    """Renewal reminders on the owners' desks, then contracts past their end renewed or
    expired; returns how many contracts were touched."""
    return remind_renewals() + end_lapsed_contracts()
