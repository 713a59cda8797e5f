"""Background jobs of analytics (django-tasks); each rebuilds a read model, so reruns are harmless."""

from __future__ import annotations

from django_tasks import task

from peyvand.analytics.costs.services import refresh_costs_to_serve


@task(queue_name="analytics")
def refresh_costs(window_days: int = 365) -> int:
    """Rebuild every customer's cost to serve; returns how many customers have a cost."""
    return refresh_costs_to_serve(window_days)
