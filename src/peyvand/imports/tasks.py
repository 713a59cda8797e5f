"""Background work of the imports app, run by the django-tasks worker on queue "imports"."""

from __future__ import annotations

from django_tasks import task

from peyvand.imports.services import run_import_job


@task(queue_name="imports")
def run_import(job_id: int) -> None:
    run_import_job(job_id)
