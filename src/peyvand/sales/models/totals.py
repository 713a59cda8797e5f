"""The deal totals read model: open and closed deals summed per cell, kept up to date in
the same transaction as every change to a deal (`peyvand.sales.deal_totals`), so the board
and the pipeline report read a few thousand summary rows instead of every deal.

Each cell keeps the deal's owner and department, so `restrict()` limits a reader to their
own figures exactly as it limits the deals themselves. `key` names the cell (its other
columns joined) and is unique, so concurrent writers add to one row (an upsert).
Deals whose customer is in the recycle bin are still counted here; the readers take them
off (`deal_totals`), because a customer's deletion or a merge moves them without touching
the deal rows.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from peyvand.access.choices import ObjectType


class _DealTotal(models.Model):
    access_object_type = ObjectType.OPPORTUNITY
    access_owner_path = "owner"
    access_department_path = "department"

    key = models.CharField(max_length=200, unique=True)
    pipeline = models.ForeignKey("sales.Pipeline", on_delete=models.CASCADE, related_name="+")
    # SET_NULL as on the deal: deleting a user or department nulls both in one go.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    department = models.ForeignKey(
        "access.Department", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    currency = models.CharField(max_length=3)
    deals = models.IntegerField(default=0)
    amount = models.DecimalField(max_digits=32, decimal_places=2, default=0)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.key


class OpenDealTotal(_DealTotal):
    """Open deals per stage and expected close date (null: none): the board's column totals
    and the weighted pipeline."""

    stage = models.ForeignKey("sales.Stage", on_delete=models.CASCADE, related_name="+")
    day = models.DateField(null=True)

    objects: ClassVar[models.Manager[OpenDealTotal]] = models.Manager()

    class Meta:
        indexes = [
            models.Index(fields=["pipeline", "owner"], name="sales_opentotal_owner"),
            models.Index(fields=["pipeline", "department"], name="sales_opentotal_dept"),
        ]
        verbose_name = _("open deal total")
        verbose_name_plural = _("open deal totals")


class StageEntryTotal(_DealTotal):
    """Open deals per stage and the day (in TIME_ZONE) they entered it: the forecast."""

    stage = models.ForeignKey("sales.Stage", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()

    objects: ClassVar[models.Manager[StageEntryTotal]] = models.Manager()

    class Meta:
        indexes = [
            models.Index(fields=["pipeline", "owner"], name="sales_entrytotal_owner"),
            models.Index(fields=["pipeline", "department"], name="sales_entrytotal_dept"),
        ]
        verbose_name = _("stage entry total")
        verbose_name_plural = _("stage entry totals")


class ClosedDealTotal(_DealTotal):
    """Won and lost deals per status and close day (in TIME_ZONE), with their summed sales
    cycles: the analytics and the targets' attainment."""

    status = models.CharField(max_length=8)
    day = models.DateField()
    # Sum of (closed - created) over the cell's deals, in microseconds: exact on every
    # database, where SQLite would sum durations as floats.
    cycle_us = models.BigIntegerField(default=0)

    objects: ClassVar[models.Manager[ClosedDealTotal]] = models.Manager()

    class Meta:
        indexes = [
            models.Index(fields=["day", "owner"], name="sales_closedtotal_owner"),
            models.Index(fields=["day", "department"], name="sales_closedtotal_dept"),
        ]
        verbose_name = _("closed deal total")
        verbose_name_plural = _("closed deal totals")
