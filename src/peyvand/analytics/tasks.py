"""Background jobs of analytics (django-tasks, queue "analytics"): every model reads whole
tables, so none of them ever runs inside a request; each rebuilds a read model, so reruns
are harmless."""

from __future__ import annotations

from django_tasks import task

from peyvand.analytics.churn.services import train_churn_model
from peyvand.analytics.costs.services import refresh_costs_to_serve
from peyvand.analytics.recommend.services import train_recommender


@task(queue_name="analytics")
def refresh_costs(window_days: int = 365) -> int:
    """Rebuild every customer's cost to serve; returns how many customers have a cost."""
    return refresh_costs_to_serve(window_days)


@task(queue_name="analytics")
def retrain_churn_model() -> int | None:
    """Retrain the churn model and rescore every customer; returns the new version, or
    None with too little history."""
    model = train_churn_model()
    return model.version if model is not None else None


@task(queue_name="analytics")
def retrain_recommender() -> int | None:
    """Rerun the offline evaluation on all order lines and store the chosen recommender;
    returns the new version, or None with too few purchases."""
    model = train_recommender()
    return model.version if model is not None else None
