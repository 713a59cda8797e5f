from __future__ import annotations

from typing import Any

from django.db import models


class SegmentMemberQuerySet(models.QuerySet):
    def current(self) -> Any:
        return self.filter(left_at__isnull=True)
