"""Orders earn and lose points where they are saved: orders and payments are written by
many services (forms, API, imports, the portal), all through the model. The points move
after commit, in a task, so a missing exchange rate never undoes the sale itself."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save

from peyvand.customers.models import Customer
from peyvand.marketing.loyalty.choices import LoyaltyAction
from peyvand.marketing.models import LoyaltyProgramme, LoyaltyRule
from peyvand.sales.models import Order, Payment


def _sync_order(order_id: int) -> None:
    def enqueue() -> None:
        from peyvand.marketing.loyalty.tasks import sync_order_points_task

        if LoyaltyProgramme.objects.filter(is_active=True).exists():
            sync_order_points_task.enqueue(order_id)

    transaction.on_commit(enqueue)


def _order_saved(sender: Any, instance: Order, **kwargs: Any) -> None:
    _sync_order(instance.pk)


def _payment_changed(sender: Any, instance: Payment, **kwargs: Any) -> None:
    _sync_order(instance.order_id)


def _customer_saved(sender: Any, instance: Customer, created: bool, **kwargs: Any) -> None:
    if not created:
        return
    customer_id = instance.pk

    def enqueue() -> None:
        from peyvand.marketing.loyalty.tasks import award_signup_task

        rewarded = LoyaltyRule.objects.filter(
            programme__is_active=True, action=LoyaltyAction.SIGNUP
        ).exists()
        if rewarded:
            award_signup_task.enqueue(customer_id)

    transaction.on_commit(enqueue)


post_save.connect(_order_saved, sender=Order, dispatch_uid="loyalty_order")
post_save.connect(_payment_changed, sender=Payment, dispatch_uid="loyalty_payment")
post_delete.connect(_payment_changed, sender=Payment, dispatch_uid="loyalty_payment_deleted")
post_save.connect(_customer_saved, sender=Customer, dispatch_uid="loyalty_customer")
