"""A paginator for lists too long to count: it counts at most `cap` rows (one more, to
know there are more), so a queue of 170,000 open tickets costs a LIMIT, not a full count.
Pages past the cap are not offered; a filter narrows the list instead."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.core.paginator import Paginator
from django.db.models import QuerySet

COUNT_CAP = 1000


class CappedPaginator(Paginator):  # type: ignore[type-arg]
    def __init__(self, object_list: QuerySet[Any], per_page: int, *, cap: int = COUNT_CAP) -> None:
        super().__init__(object_list, per_page)
        self.queryset = object_list
        self.cap = cap

    @cached_property
    def _seen(self) -> int:
        # Unordered: the database may count from whichever index is cheapest.
        return self.queryset.order_by()[: self.cap + 1].count()

    @cached_property
    def count(self) -> int:  # type: ignore[override]
        return min(self._seen, self.cap)

    @property
    def is_capped(self) -> bool:
        """More rows than were counted: show "more than `cap`"."""
        return self._seen > self.cap
