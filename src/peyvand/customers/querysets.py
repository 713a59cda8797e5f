from __future__ import annotations

from peyvand.access.scopes import VisibleQuerySet
from peyvand.core.models import SoftDeleteQuerySet


# The stubs type each QuerySet's generated manager separately; the mixins are compatible.
class CustomerQuerySet(VisibleQuerySet, SoftDeleteQuerySet):  # type: ignore[override]
    pass


class CustomerChildQuerySet(VisibleQuerySet):
    """Rows that belong to a customer are visible exactly when their customer is."""
