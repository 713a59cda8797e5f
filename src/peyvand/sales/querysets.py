"""Reads of leads and opportunities: visibility plus the filters the screens share."""

from __future__ import annotations

from typing import Any

from peyvand.access.scopes import VisibleQuerySet
from peyvand.core.models import SoftDeleteQuerySet
from peyvand.sales.choices import OPEN_LEAD_STATUSES, OpportunityStatus


# The stubs type each QuerySet's generated manager separately; the mixins are compatible.
class LeadQuerySet(VisibleQuerySet, SoftDeleteQuerySet):  # type: ignore[override]
    def open(self) -> Any:
        return self.filter(status__in=OPEN_LEAD_STATUSES)


class OpportunityQuerySet(VisibleQuerySet, SoftDeleteQuerySet):  # type: ignore[override]
    def open(self) -> Any:
        return self.filter(status=OpportunityStatus.OPEN)
