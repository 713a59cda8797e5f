"""Background jobs of the service department."""

from __future__ import annotations

from django_tasks import task

from peyvand.service.tickets.services import scan_breaches


@task()
def scan_sla_breaches() -> dict[str, int]:
    """Warn before, and escalate after, every missed SLA target; idempotent."""
    return scan_breaches()
