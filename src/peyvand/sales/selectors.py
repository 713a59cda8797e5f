"""Read side of sales: order totals and balances (always in the order's own currency), the
pipeline board and the time deals spend in each stage."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Count, F, Q, QuerySet, Sum, Window
from django.db.models.functions import RowNumber
from django.utils import timezone
from djmoney.money import Money

from peyvand.access.scopes import restrict
from peyvand.core.text import normalize_text
from peyvand.customers.models import Customer
from peyvand.sales.access import live_opportunities
from peyvand.sales.choices import OpportunityStatus, OrderStatus
from peyvand.sales.models import Opportunity, Order, Pipeline, Stage, StageHistory
from peyvand.sales.services import paid_amount


def order_totals_by_currency(customer: Customer | int) -> dict[str, Money]:
    """What the customer has ordered (cancelled and deleted orders excluded), per currency,
    ordered by currency code. Amounts in different currencies are never added together."""
    rows = (
        Order.objects.filter(customer=customer, deleted_at__isnull=True)
        .exclude(status=OrderStatus.CANCELLED)
        .values("total_currency")
        .annotate(sum=Sum("total"))
        .order_by("total_currency")
    )
    return {row["total_currency"]: Money(row["sum"], row["total_currency"]) for row in rows}


def balance(order: Order) -> Money:
    """What is still owed on the order (zero for a cancelled one)."""
    code = str(order.total.currency)
    if order.status == OrderStatus.CANCELLED:
        return Money(Decimal(0), code)
    paid = getattr(order, "paid_total", None)
    if paid is None:
        paid = paid_amount(order)
    return Money(order.total.amount - paid, code)


def with_paid_totals(orders: Any) -> Any:
    """Annotate `paid_total` so listing balances costs no query per row."""
    return orders.annotate(paid_total=Sum("payments__amount", default=Decimal(0)))


# Cards shown per board column; the column still counts and totals every deal in it.
CARDS_PER_COLUMN = 50


@dataclass
class BoardColumn:
    stage: Stage
    cards: list[Opportunity] = field(default_factory=list)
    count: int = 0
    # One total per currency, ordered by code: amounts in different currencies never add up.
    totals: list[Money] = field(default_factory=list)

    @property
    def hidden(self) -> int:
        return self.count - len(self.cards)


def pipeline_board(
    user: Any, pipeline: Pipeline, *, per_column: int = CARDS_PER_COLUMN
) -> list[BoardColumn]:
    """The open stages of `pipeline` with the open deals the user may see: three queries
    whatever the number of deals (stages, per-stage totals, the first cards of each stage)."""
    columns = {
        stage.pk: BoardColumn(stage)
        for stage in pipeline.stages.filter(is_won=False, is_lost=False).order_by("position", "pk")
    }
    deals = restrict(live_opportunities(), user).filter(
        pipeline=pipeline, status=OpportunityStatus.OPEN, stage__in=list(columns)
    )
    sums: dict[int, dict[str, Decimal]] = defaultdict(dict)
    for row in (
        deals.values("stage_id", "amount_currency")
        .annotate(n=Count("pk"), total=Sum("amount"))
        .order_by("stage_id", "amount_currency")
    ):
        column = columns[row["stage_id"]]
        column.count += row["n"]
        sums[row["stage_id"]][row["amount_currency"]] = row["total"]
    for stage_id, by_currency in sums.items():
        columns[stage_id].totals = [Money(total, code) for code, total in by_currency.items()]
    cards = Opportunity.objects.filter(pk__in=_first_card_ids(deals, list(columns), per_column))
    cards = cards.select_related("customer", "owner").order_by("stage_id", "stage_entered_at", "pk")
    for card in cards:
        columns[card.stage_id].cards.append(card)
    return list(columns.values())


def _first_card_ids(
    deals: QuerySet[Opportunity], stage_ids: list[int], per_column: int
) -> list[int]:
    """The ids of the first `per_column` deals of each stage, longest in stage first.

    Where the database allows LIMIT inside UNION (PostgreSQL), one indexed top-N scan per
    stage: a window over every open deal costs a second at 100k deals. SQLite refuses that
    form, and there the window is cheap enough at the sizes it serves."""
    order = ("stage_entered_at", "pk")
    if not stage_ids:
        return []
    if connection.features.supports_slicing_ordering_in_compound:
        per_stage = [
            deals.filter(stage_id=stage_id)
            .order_by(*order)
            .values_list("pk", flat=True)[:per_column]
            for stage_id in stage_ids
        ]
        return list(per_stage[0].union(*per_stage[1:], all=True))
    ranked = deals.annotate(
        rank=Window(
            RowNumber(),
            partition_by=[F("stage_id")],
            order_by=[F("stage_entered_at").asc(), F("pk").asc()],
        )
    )
    return list(ranked.filter(rank__lte=per_column).values_list("pk", flat=True))


@dataclass(frozen=True)
class StageVisit:
    stage: Stage
    entered_at: dt.datetime
    left_at: dt.datetime | None
    by: Any

    @property
    def duration(self) -> dt.timedelta:
        return (self.left_at or timezone.now()) - self.entered_at

    @property
    def days(self) -> int:
        return self.duration.days

    @property
    def hours(self) -> int:
        return self.duration.seconds // 3600


def stage_visits(opportunity: Opportunity) -> list[StageVisit]:
    """Each stage the deal entered, in order, with how long it stayed; the last visit of
    an open deal is still running."""
    entries = list(
        StageHistory.objects.filter(opportunity=opportunity)
        .select_related("to_stage", "by")
        .order_by("at", "pk")
    )
    visits = []
    for index, entry in enumerate(entries):
        following = entries[index + 1] if index + 1 < len(entries) else None
        left_at = following.at if following is not None else opportunity.closed_at
        visits.append(StageVisit(entry.to_stage, entry.at, left_at, entry.by))
    return visits


def filter_opportunities(qs: QuerySet[Opportunity], data: dict[str, Any]) -> QuerySet[Opportunity]:
    """The list's filters, shared by the screens and the API."""
    if data.get("pipeline"):
        qs = qs.filter(pipeline=data["pipeline"])
    if data.get("stage"):
        qs = qs.filter(stage=data["stage"])
    if data.get("owner"):
        qs = qs.filter(owner=data["owner"])
    if data.get("status"):
        qs = qs.filter(status=data["status"])
    if data.get("close_from"):
        qs = qs.filter(expected_close_date__gte=data["close_from"])
    if data.get("close_to"):
        qs = qs.filter(expected_close_date__lte=data["close_to"])
    text = normalize_text(data.get("q") or "")
    if text:
        qs = qs.filter(
            Q(title__icontains=text)
            | Q(customer__display_name__icontains=text)
            | Q(next_step__icontains=text)
        )
    return qs


def totals_by_currency(qs: QuerySet[Opportunity]) -> list[Money]:
    """One total per currency, ordered by code: amounts in different currencies never add up."""
    rows = qs.order_by().values("amount_currency").annotate(total=Sum("amount"), n=Count("pk"))
    return [
        Money(row["total"], row["amount_currency"])
        for row in sorted(rows, key=lambda row: row["amount_currency"])
    ]
