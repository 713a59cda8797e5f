from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SalesConfig(AppConfig):
    name = "peyvand.sales"
    label = "sales"
    verbose_name = _("Sales")

    def ready(self) -> None:
        from peyvand.sales import deal_totals, report_cache

        deal_totals.connect_signals()
        report_cache.connect_signals()
