"""Background jobs of campaigns (django-tasks): the send, and the clock's step that sends
the next bandit wave or the winner of a test."""

from __future__ import annotations

from django_tasks import task

from peyvand.marketing.campaigns import services


@task()
def run_campaign_task(campaign_id: int) -> dict[str, int | str]:
    result = services.run_campaign(campaign_id)
    return {"queued": result.queued, "status": result.status}


@task()
def advance_campaigns_task() -> int:
    return services.advance_campaigns()
