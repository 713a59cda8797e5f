"""Background jobs of sales (django-tasks); each is idempotent, so overlapping clocks are harmless."""

from __future__ import annotations

from django_tasks import task

from peyvand.sales.contracts import end_lapsed_contracts, remind_renewals
from peyvand.sales.forecast import refresh_forecast_model
from peyvand.sales.models import Pipeline
from peyvand.sales.quotes import expire_quotes
from peyvand.sales.scoring import train_lead_model
from peyvand.sales.sla import escalate_breached_leads


@task()
def expire_lapsed_quotes() -> int:
    """Expire draft and sent quotes whose validity has passed; returns how many."""
    return expire_quotes()


@task()
def process_contract_renewals() -> int:
    """Renewal reminders on the owners' desks, then contracts past their end renewed or
    expired; returns how many contracts were touched."""
    return remind_renewals() + end_lapsed_contracts()


@task()
def escalate_lead_sla() -> int:
    """Escalate every lead past its first-response deadline (each once); returns how many."""
    return escalate_breached_leads()


@task(queue_name="analytics")
def retrain_lead_scoring(force: bool = False) -> int | None:
    """Retrain the learned lead score when history grew (always with `force`); returns
    the new model version, or None when nothing was trained."""
    model = train_lead_model(force=force)
    return model.version if model is not None else None


@task(queue_name="analytics")
def refresh_forecasts(pipeline_id: int | None = None) -> int:
    """Relearn the forecast model of one pipeline (or of every active one): it reads every
    closed deal, so it never runs inside a request; returns how many models were computed."""
    pipelines = Pipeline.objects.filter(is_active=True)
    if pipeline_id is not None:
        pipelines = pipelines.filter(pk=pipeline_id)
    computed = 0
    for pipeline in pipelines:
        refresh_forecast_model(pipeline)
        computed += 1
    return computed
