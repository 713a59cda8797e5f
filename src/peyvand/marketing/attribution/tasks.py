"""Background job of attribution (django-tasks): the backfill from the click-stream and orders."""

from __future__ import annotations

from django_tasks import task

from peyvand.marketing.attribution import services


@task()
def backfill_task() -> dict[str, int]:
    result = services.backfill()
    return {"touches": result.touches, "conversions": result.conversions}
