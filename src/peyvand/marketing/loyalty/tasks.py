"""Background jobs of the loyalty programme (django-tasks)."""

from __future__ import annotations

from django_tasks import task

from peyvand.customers.models import Customer
from peyvand.marketing.loyalty import services
from peyvand.marketing.loyalty.choices import LoyaltyAction


@task()
def sync_order_points_task(order_id: int) -> int | None:
    entry = services.sync_order_points(order_id)
    return entry.points if entry is not None else None


@task()
def award_signup_task(customer_id: int) -> int | None:
    customer = Customer.objects.filter(pk=customer_id).first()
    if customer is None:
        return None
    entry = services.award_action(customer, LoyaltyAction.SIGNUP, reference=str(customer_id))
    return entry.points if entry is not None else None


@task()
def expire_points_task() -> int:
    """Periodic (core.worker): every lot past its date, in one set-based pass."""
    return services.expire_points()
