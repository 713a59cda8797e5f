"""Background jobs of sales (django-tasks)."""

from __future__ import annotations

from django_tasks import task

from peyvand.sales.scoring import train_lead_model
from peyvand.sales.sla import escalate_breached_leads


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
