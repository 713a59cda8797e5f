"""Querysets of leads and opportunities: visibility (`visible_to`) and the recycle bin."""

from __future__ import annotations

from peyvand.access.scopes import VisibleQuerySet
from peyvand.core.models import SoftDeleteQuerySet


# The stubs type each QuerySet's generated manager separately; the mixins are compatible.
class LeadQuerySet(VisibleQuerySet, SoftDeleteQuerySet):  # type: ignore[override]
    pass


class OpportunityQuerySet(VisibleQuerySet, SoftDeleteQuerySet):  # type: ignore[override]
    pass
