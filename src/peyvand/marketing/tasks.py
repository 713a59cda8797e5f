"""Background jobs of segments (django-tasks): full rebuilds and one customer's re-check."""

from __future__ import annotations

from django_tasks import task

from peyvand.marketing import services


@task()
def rebuild_segment_task(segment_id: int) -> dict[str, int]:
    result = services.rebuild_segment(segment_id)
    return {"entered": result.entered, "left": result.left, "members": result.members}


@task()
def rebuild_all_segments() -> int:
    """The catch-up after an analytics run rewrote the scores (RFM, CLV, churn) in bulk."""
    from peyvand.marketing.choices import SegmentKind
    from peyvand.marketing.models import Segment

    ids = list(Segment.objects.filter(kind=SegmentKind.DYNAMIC).values_list("pk", flat=True))
    for segment_id in ids:
        services.rebuild_segment(segment_id)
    return len(ids)


@task()
def reevaluate_customer_task(customer_id: int, sources: list[str]) -> int:
    return len(services.reevaluate_customer(customer_id, sources))
