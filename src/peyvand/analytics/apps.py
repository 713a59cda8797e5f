from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    name = "peyvand.analytics"
    label = "analytics"
    verbose_name = _("Analytics")

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from peyvand.analytics.signals import order_saved

        post_save.connect(order_saved, sender="sales.Order", dispatch_uid="analytics-order-saved")
