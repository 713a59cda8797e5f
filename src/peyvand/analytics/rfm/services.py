"""Recompute RFM for every customer with orders: SQL aggregates, numpy scores, one snapshot."""

from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal

import numpy as np
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from peyvand.analytics.clv.summary import day_number
from peyvand.analytics.models import RfmRun, RfmScore
from peyvand.analytics.rfm.scoring import score
from peyvand.analytics.selectors import purchase_occasions

# Snapshots kept for the movement chart; older runs are deleted with their scores.
KEEP_RUNS = 24
BATCH = 2000


@transaction.atomic
def compute_rfm(*, as_of: dt.date | None = None, currency: str | None = None) -> RfmRun:
    """Score every customer with a purchase on or before `as_of` (today) into a new run."""
    started = time.perf_counter()
    as_of = as_of or timezone.localdate()
    currency = currency or settings.REPORTING_CURRENCY
    occasions = purchase_occasions(currency, until=as_of)
    run = RfmRun.objects.create(as_of=as_of, currency=currency, missing_rates=occasions.missing)
    if len(occasions):
        customers, inverse = np.unique(occasions.customer, return_inverse=True)
        last = np.full(len(customers), np.iinfo(np.int64).min)
        np.maximum.at(last, inverse, occasions.day)
        frequency = np.bincount(inverse, weights=occasions.orders).astype(np.int64)
        monetary = np.bincount(inverse, weights=occasions.amount)
        recency = day_number(as_of) - last
        r, f, m, segment = score(recency, frequency, monetary)
        RfmScore.objects.bulk_create(
            (
                RfmScore(
                    run=run,
                    customer_id=int(customers[i]),
                    recency_days=int(recency[i]),
                    frequency=int(frequency[i]),
                    monetary=Decimal(f"{monetary[i]:.2f}"),
                    r=int(r[i]),
                    f=int(f[i]),
                    m=int(m[i]),
                    segment=segment[i],
                )
                for i in range(len(customers))
            ),
            batch_size=BATCH,
        )
        run.customers = len(customers)
    run.seconds = time.perf_counter() - started
    run.save(update_fields=["customers", "seconds"])
    stale = RfmRun.objects.order_by("-computed_at", "-pk").values_list("pk", flat=True)[KEEP_RUNS:]
    RfmRun.objects.filter(pk__in=list(stale)).delete()
    return run
