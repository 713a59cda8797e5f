from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _ensure_search_index(sender: AppConfig, using: str = "default", **kwargs: Any) -> None:
    from django.db import connections

    from peyvand.customers.dbsearch import ensure_search_index

    ensure_search_index(connections[using])


class CustomersConfig(AppConfig):
    name = "peyvand.customers"
    label = "customers"
    verbose_name = _("Customers")

    def ready(self) -> None:
        # A later migration that rebuilds the customers table on SQLite drops its triggers;
        # re-checking after every migrate keeps the search mirror alive.
        post_migrate.connect(_ensure_search_index, sender=self)
