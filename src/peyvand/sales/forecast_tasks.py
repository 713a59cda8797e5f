"""Background jobs of forecasting (django-tasks): relearning the stage rates and re-running
the back-test reads every closed deal, so it never runs inside a request."""

from __future__ import annotations

from django_tasks import task

from peyvand.sales.forecast import refresh_forecast_model
from peyvand.sales.models import Pipeline


@task(queue_name="analytics")
def refresh_forecasts(pipeline_id: int | None = None) -> int:
    """Relearn the forecast model of one pipeline (or of every active one); returns how
    many models were computed."""
    pipelines = Pipeline.objects.filter(is_active=True)
    if pipeline_id is not None:
        pipelines = pipelines.filter(pk=pipeline_id)
    computed = 0
    for pipeline in pipelines:
        refresh_forecast_model(pipeline)
        computed += 1
    return computed
