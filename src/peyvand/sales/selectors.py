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
from peyvand.sales import deal_totals
from peyvand.sales.access import live_opportunities
from peyvand.sales.choices import OpportunityStatus, OrderStatus
from peyvand.sales.models import Opportunity, Order, Pipeline, Stage, StageHistory
from peyvand.sales.report_cache import cached
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


# Cards shown per board column (and per "show more"); the column still counts and totals
# every deal in it.
CARDS_PER_COLUMN = 25


@dataclass
class BoardColumn:
    stage: Stage
    cards: list[Opportunity] = field(default_factory=list)
    count: int = 0
    # One total per currency, ordered by code: amounts in different currencies never add up.
    totals: list[Money] = field(default_factory=list)
    # A card shown out of its turn (the one just moved here, at the end of a long column):
    # "show more" goes on after the cards in turn and leaves that one out.
    skip: int | None = None

    @property
    def next_offset(self) -> int:
        return len(self.cards) - (self.skip is not None)

    @property
    def hidden(self) -> int:
        return self.count - len(self.cards)


def _board_deals(user: Any, pipeline: Pipeline) -> QuerySet[Opportunity]:
    return restrict(live_opportunities(), user).filter(
        pipeline=pipeline, status=OpportunityStatus.OPEN
    )


def _card_fields(cards: QuerySet[Opportunity]) -> QuerySet[Opportunity]:
    """Only what a card shows: a card costs no query and little row decoding."""
    return cards.select_related("customer").only(
        "title", "amount", "amount_currency", "expected_close_date", "stage_id",
        "stage_entered_at", "customer__display_name",
    )  # fmt: skip


def board_totals(
    user: Any, pipeline: Pipeline, stage_ids: list[int]
) -> dict[int, tuple[int, list[tuple[str, Decimal]]]]:
    """Per stage: how many open deals the user may see and their total per currency
    (ordered by code), from the deal totals read model; cached until a deal, stage,
    pipeline or customer changes (`report_cache`)."""

    def compute() -> dict[int, tuple[int, list[tuple[str, Decimal]]]]:
        counts: dict[int, int] = defaultdict(int)
        sums: dict[int, list[tuple[str, Decimal]]] = defaultdict(list)
        rows = deal_totals.board_rows(user, pipeline.pk, stage_ids)
        for row in sorted(rows, key=lambda row: (row["stage_id"], row["amount_currency"])):
            counts[row["stage_id"]] += row["n"]
            sums[row["stage_id"]].append((row["amount_currency"], row["total"]))
        return {stage_id: (counts[stage_id], sums[stage_id]) for stage_id in counts}

    return cached("board-totals", user, [pipeline.pk, *stage_ids], compute)


def pipeline_board(
    user: Any,
    pipeline: Pipeline,
    *,
    per_column: int = CARDS_PER_COLUMN,
    keep: Opportunity | None = None,
) -> list[BoardColumn]:
    """The open stages of `pipeline` with the open deals the user may see: three queries
    whatever the number of deals (stages, the ids of each stage's first cards, the cards)
    plus the per-stage totals when they are not cached. `keep` (a deal just moved) is
    shown even when it is not among the first cards of its column."""
    columns = {
        stage.pk: BoardColumn(stage)
        for stage in pipeline.stages.filter(is_won=False, is_lost=False).order_by("position", "pk")
    }
    for stage_id, (count, totals) in board_totals(user, pipeline, list(columns)).items():
        columns[stage_id].count = count
        columns[stage_id].totals = [Money(total, code) for code, total in totals]
    deals = _board_deals(user, pipeline).filter(stage__in=list(columns))
    cards = _card_fields(
        Opportunity.objects.filter(pk__in=_first_card_ids(deals, list(columns), per_column))
    ).order_by("stage_id", "stage_entered_at", "pk")
    for card in cards:
        columns[card.stage_id].cards.append(card)
    column = columns.get(keep.stage_id) if keep is not None else None
    if keep is not None and column is not None and all(c.pk != keep.pk for c in column.cards):
        column.cards.append(keep)
        column.skip = keep.pk
    return list(columns.values())


def column_cards(
    user: Any,
    pipeline: Pipeline,
    stage: Stage,
    *,
    offset: int,
    skip: int | None = None,
    per_column: int = CARDS_PER_COLUMN,
) -> list[Opportunity]:
    """The next cards of one column after its first `offset` ("show more"), in the board's
    order, without the card `skip` (already shown). One query."""
    cards = _board_deals(user, pipeline).filter(stage=stage)
    if skip is not None:
        cards = cards.exclude(pk=skip)
    return list(
        _card_fields(cards).order_by("stage_entered_at", "pk")[offset : offset + per_column]
    )


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
