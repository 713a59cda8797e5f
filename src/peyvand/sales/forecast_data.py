"""Generated sales history with known conversion rates: the demo's forecast, the forecast
tests (the estimate must find the rates the history was drawn from) and the benchmarks.

A deal walks the open stages in order; in stage i it waits an exponential time and then
moves on with probability `advance[i]` (from the last open stage on to won), else it is
lost. So P(won | the deal reached stage i) = advance[i] × advance[i+1] × … exactly.
Rows are bulk-inserted (no audit rows): this is synthetic history, not user activity.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.db import transaction

from peyvand.sales import deal_totals
from peyvand.sales.choices import OpportunityStatus
from peyvand.sales.models import Opportunity, Pipeline, Stage, StageHistory
from peyvand.sales.opportunities import open_stages
from peyvand.sales.report_cache import invalidate

BATCH = 5_000


def true_win_rates(advance: Sequence[float]) -> list[float]:
    """P(won | reached stage i) of a history drawn with these advance probabilities."""
    rates, running = [], 1.0
    for p in reversed(advance):
        running *= p
        rates.append(running)
    return list(reversed(rates))


def _closing(pipeline: Pipeline) -> tuple[Stage, Stage]:
    won = pipeline.stages.filter(is_won=True).order_by("position").first()
    lost = pipeline.stages.filter(is_lost=True).order_by("position").first()
    if won is None or lost is None:
        raise ValueError("The pipeline needs a won and a lost stage.")
    return won, lost


@transaction.atomic
def generate_history(
    *,
    pipeline: Pipeline,
    customers: Sequence[Any],
    owners: Sequence[Any],
    deals: int,
    advance: Sequence[float],
    until: dt.datetime,
    days: int = 540,
    mean_dwell_days: float = 12.0,
    currency: str = "IRR",
    seed: int = 1,
    title: str = "Deal",
) -> int:
    """`deals` deals created over the `days` before `until`, walked through the stages;
    those still walking at `until` stay open in the stage they are in. Returns how many
    closed."""
    stages = open_stages(pipeline)
    if len(advance) != len(stages):
        raise ValueError("One advance probability per open stage.")
    won_stage, lost_stage = _closing(pipeline)
    rng = random.Random(seed)
    closed = 0
    for first in range(0, deals, BATCH):
        rows, walks = [], []
        for index in range(first, min(first + BATCH, deals)):
            created = until - dt.timedelta(days=rng.uniform(0, days))
            visits, at, outcome = [], created, None
            for position, stage in enumerate(stages):
                if at >= until:
                    break
                visits.append((stage, at))
                at += dt.timedelta(days=rng.expovariate(1 / mean_dwell_days))
                if rng.random() >= advance[position]:
                    outcome = lost_stage
                    break
            else:
                outcome = won_stage
            if at >= until or outcome is None:
                outcome = None  # still open at `until`, in its last stage
            else:
                visits.append((outcome, at))
            stage, entered = visits[-1]
            owner = owners[index % len(owners)]
            customer = customers[index % len(customers)]
            status = OpportunityStatus.OPEN
            if outcome is not None:
                status = OpportunityStatus.WON if outcome.is_won else OpportunityStatus.LOST
                closed += 1
            rows.append(
                Opportunity(
                    customer=customer,
                    pipeline=pipeline,
                    stage=stage,
                    title=f"{title} {index + 1}",
                    amount=Decimal(rng.randint(10, 500) * 1_000_000),
                    amount_currency=currency,
                    expected_close_date=(entered + dt.timedelta(days=30)).date(),
                    status=status,
                    owner=owner,
                    department=getattr(customer, "department", None),
                    closed_at=entered if outcome is not None else None,
                    stage_entered_at=entered,
                    created_at=created,
                )
            )
            walks.append(visits)
        created_rows = Opportunity.objects.bulk_create(rows)
        deal_totals.added(o.pk for o in created_rows)
        StageHistory.objects.bulk_create(
            StageHistory(
                opportunity=opportunity,
                from_stage=visits[i - 1][0] if i else None,
                to_stage=stage,
                at=at,
            )
            for opportunity, visits in zip(created_rows, walks, strict=True)
            for i, (stage, at) in enumerate(visits)
        )
    invalidate()  # bulk_create sends no signal: totals and cache are told here
    return closed


@transaction.atomic
def generate_open_deals(
    *,
    pipeline: Pipeline,
    customers: Sequence[Any],
    owners: Sequence[Any],
    deals: int,
    now: dt.datetime,
    currencies: Sequence[str] = ("IRR",),
    seed: int = 2,
) -> None:
    """`deals` open deals spread over the open stages, entered in the last 60 days, with
    expected close dates over the next six months; one stage-history row each."""
    stages = open_stages(pipeline)
    rng = random.Random(seed)
    for first in range(0, deals, BATCH):
        rows = []
        for index in range(first, min(first + BATCH, deals)):
            entered = now - dt.timedelta(days=rng.uniform(0, 60))
            customer = customers[index % len(customers)]
            rows.append(
                Opportunity(
                    customer=customer,
                    pipeline=pipeline,
                    stage=stages[index % len(stages)],
                    title=f"Open deal {index + 1}",
                    amount=Decimal(rng.randint(10, 500) * 1_000_000),
                    amount_currency=currencies[index % len(currencies)],
                    expected_close_date=(now + dt.timedelta(days=rng.uniform(0, 180))).date(),
                    owner=owners[index % len(owners)],
                    department=getattr(customer, "department", None),
                    stage_entered_at=entered,
                    created_at=entered,
                )
            )
        created = Opportunity.objects.bulk_create(rows)
        deal_totals.added(o.pk for o in created)
        StageHistory.objects.bulk_create(
            StageHistory(opportunity=o, to_stage_id=o.stage_id, at=o.stage_entered_at)
            for o in created
        )
    invalidate()  # bulk_create sends no signal: totals and cache are told here


DEMO_TITLE = "Demo deal"


def load_demo_forecast(customers: Sequence[Any], users: dict[str, Any], now: dt.datetime) -> None:
    """A year and a half of closed deals for the demo's reps, this month's targets and a
    learned forecast, so the dashboard has something to show. Idempotent."""
    from peyvand.sales.forecast import reader_calendar, refresh_forecast_model, set_sales_target
    from peyvand.sales.opportunities import ensure_default_pipeline

    pipeline = ensure_default_pipeline()
    if Opportunity.objects.filter(pipeline=pipeline, title__startswith=DEMO_TITLE).exists():
        return
    reps = [users[name] for name in ("sales1", "sales2") if name in users]
    mine = [c for c in customers if c.owner_id in {r.pk for r in reps}]
    if not reps or not mine:
        return
    generate_history(
        pipeline=pipeline,
        customers=mine,
        owners=reps,
        deals=300,
        advance=[0.75, 0.6, 0.7, 0.85],
        until=now,
        title=DEMO_TITLE,
    )
    for rep in reps:
        set_sales_target(
            actor=None,
            user=rep,
            period="month",
            on=now.date(),
            amount=Decimal(2_000_000_000),
            calendar=reader_calendar(),
        )
    refresh_forecast_model(pipeline, now=now)
