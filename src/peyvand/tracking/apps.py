from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _order_saved(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    """A new order may be a message's conversion: worked out after the order commits."""
    if not created:
        return
    from django.db import transaction

    from peyvand.tracking.tasks import record_order_conversions

    transaction.on_commit(lambda: record_order_conversions.enqueue([instance.pk]))


class TrackingConfig(AppConfig):
    name = "peyvand.tracking"
    label = "tracking"
    verbose_name = _("Click-stream tracking")

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from peyvand.sales.models import Order

        post_save.connect(_order_saved, sender=Order, dispatch_uid="tracking-order-conversion")
