"""Background jobs of analytics (django-tasks, queue "analytics"): every model reads whole
tables, so none of them ever runs inside a request; each rebuilds a read model, so reruns
are harmless."""

from __future__ import annotations

import datetime as dt

from django.core.cache import cache
from django.utils import timezone
from django_tasks import task

from peyvand.analytics.churn.services import train_churn_model
from peyvand.analytics.clv.services import fit_customer_value
from peyvand.analytics.costs.services import refresh_costs_to_serve
from peyvand.analytics.recommend.services import train_recommender
from peyvand.analytics.rfm.services import compute_rfm

# Orders arrive in bursts (imports, a busy shop); one recomputation per window is enough.
DEBOUNCE_SECONDS = 300
PENDING_KEY = "analytics:customer-value:pending"


@task(queue_name="analytics")
def refresh_customer_value() -> dict[str, int | None]:
    """Recompute RFM (a new snapshot) and refit and rescore CLV; returns the run and fit ids."""
    cache.delete(PENDING_KEY)
    run = compute_rfm()
    fit = fit_customer_value()
    return {"rfm_run": run.pk, "clv_fit": fit.pk if fit is not None else None}


def schedule_refresh() -> bool:
    """Enqueue one refresh a debounce window from now unless one is already pending;
    returns whether this call enqueued it."""
    if not cache.add(PENDING_KEY, 1, timeout=DEBOUNCE_SECONDS * 2):
        return False
    job = refresh_customer_value
    # A backend that cannot defer (the immediate one of the tests) runs it now instead.
    if job.get_backend().supports_defer:
        job = job.using(run_after=timezone.now() + dt.timedelta(seconds=DEBOUNCE_SECONDS))
    job.enqueue()
    return True


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
