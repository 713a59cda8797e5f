"""Background jobs of next best offer (django-tasks): learning, timeouts, candidate training."""

from __future__ import annotations

from django_tasks import task

from peyvand.personalization import evaluation, services


@task()
def learn_outcomes() -> int:
    """Teach the active policy every answered decision it has not learned yet."""
    learned = 0
    while batch := services.learn_pending():
        learned += batch
    return learned


@task()
def expire_unanswered_offers() -> int:
    """Offers nobody answered within the timeout count as ignored, and are learned from."""
    return services.expire_pending()


@task(queue_name="analytics")
def train_candidate(policy_id: int) -> dict[str, object]:
    """Train a candidate on the logged decisions and estimate its value (IPS, DR)."""
    return evaluation.train_and_evaluate(policy_id)
