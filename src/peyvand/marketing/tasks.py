"""Background jobs of segments (django-tasks): full rebuilds and one customer's re-check."""

from __future__ import annotations

from django_tasks import task

from peyvand.marketing import services


@task()
def rebuild_segment_task(segment_id: int) -> dict[str, int]:
    result = services.rebuild_segment(segment_id)
    return {"entered": result.entered, "left": result.left, "members": result.members}


@task()
def reevaluate_customer_task(customer_id: int, sources: list[str]) -> int:
    return len(services.reevaluate_customer(customer_id, sources))
