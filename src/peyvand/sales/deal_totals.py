"""The deal totals read model (`models.totals`): writing it and reading it.

Writing: every change to a deal row moves its contribution from its old cells to its new
ones, in the deal's transaction. `save()` and `delete()` are tracked by signals (the
services, the admin, the recycle bin all save); bulk paths, which send no signal, wrap
their writes in `tracking(pks)` or call `added(pks)` after a `bulk_create`. The cells are
computed from the rows as the database holds them (read back by primary key), never from
a possibly stale instance. `rebuild()` (`peyvand manage rebuild_deal_totals`) recomputes
everything from scratch with one GROUP BY per table, and `from_scratch()` is what the
consistency test compares the maintained totals with.

Reading: the `*_rows()` functions give the same rows the reports used to aggregate from
the deals (same keys), from the summary plus a correction for deals whose customer is in
the recycle bin (counted in the summary, hidden from every reader): a customer's deletion,
restore or merge never touches its deals' rows, so the summary cannot follow it cheaply,
and such deals are few.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import (
    Case,
    Count,
    DateField,
    DurationField,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import TruncDate
from django.db.models.signals import post_delete, post_save, pre_delete, pre_save
from django.utils import timezone
from djmoney.money import Money

from peyvand.access.scopes import restrict
from peyvand.sales.choices import OpportunityStatus
from peyvand.sales.models import ClosedDealTotal, OpenDealTotal, Opportunity, StageEntryTotal

CLOSED = (OpportunityStatus.WON, OpportunityStatus.LOST)

# What a deal contributes, as read from its row.
_FIELDS = (
    "pk", "pipeline_id", "stage_id", "owner_id", "department_id", "amount",
    "amount_currency", "expected_close_date", "stage_entered_at", "status", "closed_at",
    "created_at", "deleted_at",
)  # fmt: skip
_BEFORE = "_deal_totals_before"
_CHUNK = 2000

# The tables by kind; a cell: (kind, its dimension values by column name); its sums:
# [deals, amount, cycle µs].
KINDS: dict[str, type[Any]] = {
    "open": OpenDealTotal,
    "entry": StageEntryTotal,
    "closed": ClosedDealTotal,
}
Cell = tuple[str, tuple[tuple[str, Any], ...]]
Sums = dict[Cell, list[Any]]


def _local_day(moment: dt.datetime) -> dt.date:
    """The day of `moment` in TIME_ZONE: what TruncDate gives in the database."""
    return timezone.localtime(moment, timezone.get_default_timezone()).date()


def _cells_of(row: Mapping[str, Any]) -> Iterator[tuple[Cell, list[Any]]]:
    if row["deleted_at"] is not None:
        return
    common = (
        ("pipeline_id", row["pipeline_id"]),
        ("owner_id", row["owner_id"]),
        ("department_id", row["department_id"]),
        ("currency", row["amount_currency"]),
    )
    amount = Decimal(row["amount"])
    if row["status"] == OpportunityStatus.OPEN:
        stage = ("stage_id", row["stage_id"])
        close = ("day", row["expected_close_date"])
        yield ("open", (*common, stage, close)), [1, amount, 0]
        entered = ("day", _local_day(row["stage_entered_at"]))
        yield ("entry", (*common, stage, entered)), [1, amount, 0]
    elif row["status"] in CLOSED and row["closed_at"] is not None:
        cycle = (row["closed_at"] - row["created_at"]) // dt.timedelta(microseconds=1)
        closed = (("status", row["status"]), ("day", _local_day(row["closed_at"])))
        yield ("closed", (*common, *closed)), [1, amount, cycle]


def _sums(rows: Iterable[Mapping[str, Any]], sign: int = 1, into: Sums | None = None) -> Sums:
    sums: Sums = into if into is not None else defaultdict(lambda: [0, Decimal(0), 0])
    for row in rows:
        for cell, values in _cells_of(row):
            total = sums[cell]
            for index, value in enumerate(values):
                total[index] += sign * value
    return sums


def _rows(pks: Iterable[int]) -> list[dict[str, Any]]:
    wanted = list(pks)
    rows: list[dict[str, Any]] = []
    for start in range(0, len(wanted), _CHUNK):
        rows.extend(
            Opportunity._base_manager.filter(pk__in=wanted[start : start + _CHUNK]).values(*_FIELDS)
        )
    return rows


def _key(dimensions: tuple[tuple[str, Any], ...]) -> str:
    return "|".join("" if value is None else str(value) for _name, value in dimensions)


def _apply(sums: Sums) -> None:
    """Add the sums to their cells: one upsert per table, then the emptied cells go."""
    by_kind: dict[str, list[tuple[tuple[tuple[str, Any], ...], list[Any]]]] = defaultdict(list)
    for (kind, dimensions), values in sums.items():
        if any(values):
            by_kind[kind].append((dimensions, values))
    # Tables in one order too, for the same reason.
    for kind, model in KINDS.items():
        cells = by_kind.get(kind, [])
        if not cells:
            continue
        # Sorted keys: concurrent writers lock the rows in one order, so never deadlock.
        cells.sort(key=lambda cell: _key(cell[0]))
        table = connection.ops.quote_name(model._meta.db_table)
        added = ["deals", "amount", "cycle_us"] if kind == "closed" else ["deals", "amount"]
        columns = ["key", *(name for name, _value in cells[0][0]), *added]
        quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
        updates = ", ".join(
            f"{connection.ops.quote_name(c)} = {table}.{connection.ops.quote_name(c)} + "
            f"excluded.{connection.ops.quote_name(c)}"
            for c in added
        )
        placeholders = "(" + ", ".join(["%s"] * len(columns)) + ")"
        emptied = []
        for start in range(0, len(cells), 500):
            chunk = cells[start : start + 500]
            params: list[Any] = []
            for dimensions, values in chunk:
                params.append(_key(dimensions))
                params.extend(value for _name, value in dimensions)
                params.extend(values[: len(added)])
                if values[0] < 0:
                    emptied.append(_key(dimensions))
            with connection.cursor() as cursor:
                cursor.execute(
                    f"INSERT INTO {table} ({quoted}) VALUES "
                    f"{', '.join([placeholders] * len(chunk))} "
                    f'ON CONFLICT ("key") DO UPDATE SET {updates}',
                    params,
                )
        if emptied:
            model._default_manager.filter(key__in=emptied, deals=0).delete()


@contextmanager
def tracking(pks: Iterable[int]) -> Iterator[None]:
    """Around a bulk write (`update()`, raw SQL) to these deals: their contributions are
    moved to the cells they belong to afterwards, in the caller's transaction."""
    wanted = list(pks)
    with transaction.atomic(savepoint=False):
        before = _sums(_rows(wanted), -1)
        yield
        _apply(_sums(_rows(wanted), into=before))


def added(pks: Iterable[int]) -> None:
    """After a `bulk_create` of these deals."""
    _apply(_sums(_rows(pks)))


def _before_save(sender: Any, instance: Opportunity, raw: bool = False, **kwargs: Any) -> None:
    if instance.pk is not None and not instance._state.adding:
        setattr(instance, _BEFORE, _rows([instance.pk]))


def _after_save(sender: Any, instance: Opportunity, **kwargs: Any) -> None:
    before = getattr(instance, _BEFORE, [])
    if hasattr(instance, _BEFORE):
        delattr(instance, _BEFORE)
    # No savepoint: a failure here fails the deal's own transaction, as it must.
    with transaction.atomic(savepoint=False):
        _apply(_sums(_rows([instance.pk]), into=_sums(before, -1)))


def _before_delete(sender: Any, instance: Opportunity, **kwargs: Any) -> None:
    # The instance as the delete collected it (a queryset delete loads every row): no query
    # per deal.
    row = {name: getattr(instance, name) for name in _FIELDS}
    row["amount"] = instance.amount.amount if isinstance(instance.amount, Money) else row["amount"]
    setattr(instance, _BEFORE, [row])


def _after_delete(sender: Any, instance: Opportunity, **kwargs: Any) -> None:
    _apply(_sums(getattr(instance, _BEFORE, []), -1))


def connect_signals() -> None:
    uid = "peyvand.sales.deal_totals"
    pre_save.connect(_before_save, sender=Opportunity, dispatch_uid=f"{uid}.pre_save")
    post_save.connect(_after_save, sender=Opportunity, dispatch_uid=f"{uid}.post_save")
    pre_delete.connect(_before_delete, sender=Opportunity, dispatch_uid=f"{uid}.pre_delete")
    post_delete.connect(_after_delete, sender=Opportunity, dispatch_uid=f"{uid}.post_delete")


# --- from scratch ----------------------------------------------------------------------


def _tables(registry: Any) -> tuple[type[Any], dict[str, type[Any]]]:
    """The deal model and the tables, of the running code or of a migration's state."""
    if registry is None:
        return Opportunity, KINDS
    return registry.get_model("sales", "Opportunity"), {
        kind: registry.get_model("sales", model.__name__) for kind, model in KINDS.items()
    }


def from_scratch(registry: Any = None) -> dict[Cell, tuple[int, Decimal, int]]:
    """Every cell computed afresh from the deals, one GROUP BY per table."""
    deal, _kinds = _tables(registry)
    live = deal._base_manager.filter(deleted_at__isnull=True)
    common = ("pipeline_id", "owner_id", "department_id", "amount_currency")
    queries: list[tuple[str, QuerySet[Any], tuple[str, ...]]] = [
        (
            "open",
            live.filter(status=OpportunityStatus.OPEN).values(
                *common, "stage_id", day=F("expected_close_date")
            ),
            ("stage_id", "day"),
        ),
        (
            "entry",
            live.filter(status=OpportunityStatus.OPEN).values(
                *common, "stage_id", day=TruncDate("stage_entered_at")
            ),
            ("stage_id", "day"),
        ),
        (
            "closed",
            live.filter(status__in=CLOSED, closed_at__isnull=False).values(
                *common, "status", day=TruncDate("closed_at")
            ),
            ("status", "day"),
        ),
    ]
    cycle = ExpressionWrapper(F("closed_at") - F("created_at"), output_field=DurationField())
    cells: dict[Cell, tuple[int, Decimal, int]] = {}
    for kind, rows, extra in queries:
        for row in rows.annotate(n=Count("pk"), total=Sum("amount"), cycle=Sum(cycle)).order_by():
            dimensions = (
                ("pipeline_id", row["pipeline_id"]),
                ("owner_id", row["owner_id"]),
                ("department_id", row["department_id"]),
                ("currency", row["amount_currency"]),
                *((name, row[name]) for name in extra),
            )
            us = (row["cycle"] or dt.timedelta()) // dt.timedelta(microseconds=1)
            cells[(kind, dimensions)] = (
                row["n"],
                _cents(row["total"]),
                us if kind == "closed" else 0,
            )
    return cells


def _cents(value: Any) -> Decimal:
    return Decimal(value or 0).quantize(Decimal("0.01"))


def maintained() -> dict[Cell, tuple[int, Decimal, int]]:
    """The summary as stored, in `from_scratch()`'s shape (empty cells left out)."""
    cells: dict[Cell, tuple[int, Decimal, int]] = {}
    for kind, model in KINDS.items():
        extra = ("status", "day") if kind == "closed" else ("stage_id", "day")
        names = ("pipeline_id", "owner_id", "department_id", "currency", *extra)
        sums = ["deals", "amount", *(["cycle_us"] if kind == "closed" else [])]
        for row in model._default_manager.values(*names, *sums):
            cell = (kind, tuple((name, row[name]) for name in names))
            previous = cells.get(cell, (0, Decimal(0), 0))
            cells[cell] = (
                previous[0] + row["deals"],
                _cents(previous[1] + row["amount"]),
                previous[2] + row.get("cycle_us", 0),
            )
    return {cell: sums for cell, sums in cells.items() if sums[0]}


def rebuild(registry: Any = None) -> int:
    """Replace every summary row by the figures computed from scratch (in one
    transaction); returns the number of cells written. `registry`: a migration's apps."""
    _deal, kinds = _tables(registry)
    with transaction.atomic():
        for model in kinds.values():
            model._default_manager.all().delete()
        cells = from_scratch(registry)
        for kind, model in kinds.items():
            model._default_manager.bulk_create(
                (
                    model(
                        key=_key(dimensions),
                        **dict(dimensions),
                        deals=n,
                        amount=amount,
                        **({"cycle_us": cycle} if kind == "closed" else {}),
                    )
                    for (cell_kind, dimensions), (n, amount, cycle) in cells.items()
                    if cell_kind == kind
                ),
                batch_size=1000,
            )
    return len(cells)


# --- reading -----------------------------------------------------------------------------

# Reports bucket days into months and convert each amount at its own day's rate: amounts
# already in the report's currency need no rate, so for them the database groups whole
# months (the day reported is the month's first), which leaves a few rows per month
# instead of one per day.
Months = tuple[Sequence[dt.date], str]


def _month_case(field: str, months: Months) -> Case:
    starts, currency = months
    month = Case(
        *(
            When(**{f"{field}__lt": following}, then=Value(start))
            for start, following in itertools.pairwise(starts)
        ),
        default=Value(starts[-1]),
        output_field=DateField(),
    )
    return Case(
        When(**{"currency": currency, f"{field}__isnull": False}, then=month),
        default=F(field),
        output_field=DateField(),
    )


def _month_of(day: dt.date | None, currency: str, months: Months | None) -> dt.date | None:
    if months is None or day is None or currency != months[1] or not months[0]:
        return day
    starts = months[0]
    return starts[max(bisect.bisect_right(starts, day) - 1, 0)]


def _in_months(rows: Iterable[Any], key: str, months: Months | None) -> list[dict[str, Any]]:
    return [{**row, key: _month_of(row[key], row["amount_currency"], months)} for row in rows]


class HiddenDeals:
    """A reader's deals counted in the summary that no report shows (their customer is
    deleted), grouped by every dimension a report needs: one query, on first use, for all
    the reports of a page. Such deals are few, so the reports filter and regroup them here.
    """

    _DIMENSIONS = (
        "pipeline_id", "stage_id", "stage__win_probability", "owner_id", "department_id",
        "amount_currency", "status", "expected_close_date",
    )  # fmt: skip

    def __init__(self, user: Any) -> None:
        self.user = user
        self._groups: list[dict[str, Any]] | None = None

    def groups(self) -> list[dict[str, Any]]:
        if self._groups is None:
            # Days as the summary keeps them: in TIME_ZONE, whatever the reader's zone.
            zone = timezone.get_default_timezone()
            cycle = ExpressionWrapper(
                F("closed_at") - F("created_at"), output_field=DurationField()
            )
            self._groups = list(
                restrict(
                    Opportunity._base_manager.filter(
                        deleted_at__isnull=True, customer__deleted_at__isnull=False
                    ),
                    self.user,
                )
                .values(
                    *self._DIMENSIONS,
                    entered=TruncDate("stage_entered_at", tzinfo=zone),
                    closed=TruncDate("closed_at", tzinfo=zone),
                )
                .annotate(n=Count("pk"), total=Sum("amount"), cycle=Sum(cycle))
                .order_by()
            )
        return self._groups

    def rows(
        self, keys: dict[str, str], *, where: Callable[[dict[str, Any]], bool]
    ) -> list[dict[str, Any]]:
        """The groups `where` accepts, summed by `keys` (a report's name: a group's):
        the report's own rows for its hidden deals, n, total and cycle_us."""
        sums: dict[tuple[Any, ...], dict[str, Any]] = {}
        for group in self.groups():
            if not where(group):
                continue
            values = tuple(group[name] for name in keys.values())
            row = sums.setdefault(
                values, {**dict(zip(keys, values, strict=True)), "n": 0, "total": 0, "cycle_us": 0}
            )
            row["n"] += group["n"]
            row["total"] += group["total"] or 0
            row["cycle_us"] += (group["cycle"] or dt.timedelta()) // dt.timedelta(microseconds=1)
        return list(sums.values())


def _hidden(user: Any, hidden: HiddenDeals | None) -> HiddenDeals:
    if hidden is None:
        return HiddenDeals(user)
    if hidden.user != user:
        raise ValueError("The hidden deals were read for another reader.")
    return hidden


def _merged(
    rows: Iterable[Any],
    hidden: Iterable[Any],
    keys: tuple[str, ...],
    sums: tuple[str, ...],
) -> list[dict[str, Any]]:
    """The summary's rows less the hidden deals' (same keys), empty rows left out. Empty
    cells are left out here, after grouping, not by the query: a cell can be split over
    two rows (a deleted owner's rows are nulled beside newer ones of "no owner"), whose
    sum is right while one of them may be negative."""
    hidden_rows = list(hidden)
    if not hidden_rows:
        return [row for row in rows if row[sums[0]]]
    merged: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in rows:
        merged[tuple(row[k] for k in keys)] = dict(row)
    for row in hidden_rows:
        target = merged.get(tuple(row[k] for k in keys))
        if target is not None:
            for name in sums:
                target[name] = (target[name] or 0) - (row[name] or 0)
    return [row for row in merged.values() if row[sums[0]]]


def _open_in(pipeline_id: int) -> Callable[[dict[str, Any]], bool]:
    return lambda g: g["pipeline_id"] == pipeline_id and g["status"] == OpportunityStatus.OPEN


def board_rows(
    user: Any, pipeline_id: int, stage_ids: list[int], *, hidden: HiddenDeals | None = None
) -> list[dict[str, Any]]:
    """Open deals the user may see per stage and currency: stage_id, amount_currency, n,
    total."""
    keys = ("stage_id", "amount_currency")
    rows = (
        restrict(OpenDealTotal.objects.all(), user)
        .filter(pipeline_id=pipeline_id, stage_id__in=stage_ids)
        .values("stage_id", amount_currency=F("currency"))
        .annotate(n=Sum("deals"), total=Sum("amount"))
        .order_by()
    )
    wanted, is_open = set(stage_ids), _open_in(pipeline_id)
    taken_off = _hidden(user, hidden).rows(
        {key: key for key in keys}, where=lambda g: is_open(g) and g["stage_id"] in wanted
    )
    return _merged(rows, taken_off, keys, ("n", "total"))


def open_by_close_rows(
    user: Any,
    pipeline_id: int,
    since: dt.date,
    until: dt.date,
    *,
    months: Months | None = None,
    hidden: HiddenDeals | None = None,
) -> list[dict[str, Any]]:
    """Open deals the user may see expected to close from `since` to `until` or without
    a date: expected_close_date, amount_currency, owner_id, stage__win_probability, n,
    total (`months`: see `Months`)."""
    months = months if months and months[0] else None
    keys = ("expected_close_date", "amount_currency", "owner_id", "stage__win_probability")
    rows = (
        restrict(OpenDealTotal.objects.all(), user)
        .filter(pipeline_id=pipeline_id)
        .filter(Q(day__gte=since, day__lte=until) | Q(day__isnull=True))
        .values(
            "owner_id",
            "stage__win_probability",
            expected_close_date=F("day") if months is None else _month_case("day", months),
            amount_currency=F("currency"),
        )
        .annotate(n=Sum("deals"), total=Sum("amount"))
        .order_by()
    )
    is_open = _open_in(pipeline_id)

    def dated(group: dict[str, Any]) -> bool:
        day = group["expected_close_date"]
        return is_open(group) and (day is None or since <= day <= until)

    taken_off = _hidden(user, hidden).rows({key: key for key in keys}, where=dated)
    return _merged(rows, _in_months(taken_off, keys[0], months), keys, ("n", "total"))


def stage_entry_rows(
    user: Any, pipeline_id: int, stage_ids: list[int], *, hidden: HiddenDeals | None = None
) -> list[dict[str, Any]]:
    """Open deals the user may see per stage, currency and day they entered the stage:
    stage_id, amount_currency, day, total (and n)."""
    keys = ("stage_id", "amount_currency", "day")
    rows = (
        restrict(StageEntryTotal.objects.all(), user)
        .filter(pipeline_id=pipeline_id, stage_id__in=stage_ids)
        .values("stage_id", "day", amount_currency=F("currency"))
        .annotate(n=Sum("deals"), total=Sum("amount"))
        .order_by()
    )
    wanted, is_open = set(stage_ids), _open_in(pipeline_id)
    taken_off = _hidden(user, hidden).rows(
        {"stage_id": "stage_id", "amount_currency": "amount_currency", "day": "entered"},
        where=lambda g: is_open(g) and g["stage_id"] in wanted,
    )
    return _merged(rows, taken_off, keys, ("n", "total"))


def closed_rows(
    user: Any,
    start: dt.date,
    end: dt.date,
    *,
    pipeline_id: int | None = None,
    statuses: Iterable[str] = CLOSED,
    owners: Iterable[int] | None = None,
    departments: Iterable[int] | None = None,
    months: Months | None = None,
    hidden: HiddenDeals | None = None,
) -> list[dict[str, Any]]:
    """Won and lost deals the user may see, closed from `start` to `end` (days in
    TIME_ZONE): owner_id, department_id, status, amount_currency, day, n, total, cycle
    (a timedelta). `owners` and `departments`, when either is given: only the deals of
    those owners or of those departments; `months`: see `Months`."""
    months = months if months and months[0] else None
    keys = ("owner_id", "department_id", "status", "amount_currency", "day")
    statuses = list(statuses)
    totals = restrict(ClosedDealTotal.objects.all(), user).filter(
        day__gte=start, day__lte=end, status__in=statuses
    )
    if pipeline_id is not None:
        totals = totals.filter(pipeline_id=pipeline_id)
    whose: tuple[set[int], set[int]] | None = None
    if owners is not None or departments is not None:
        whose = (set(owners or ()), set(departments or ()))
        totals = totals.filter(Q(owner__in=whose[0]) | Q(department__in=whose[1]))
    found = (
        totals.values(
            "owner_id",
            "department_id",
            "status",
            amount_currency=F("currency"),
            on=F("day") if months is None else _month_case("day", months),
        )
        .annotate(n=Sum("deals"), total=Sum("amount"), cycle_us=Sum("cycle_us"))
        .order_by()
    )
    rows: list[dict[str, Any]] = []
    for row in found:
        plain = dict(row)
        plain["day"] = plain.pop("on")
        rows.append(plain)

    def closed(group: dict[str, Any]) -> bool:
        return (
            group["status"] in statuses
            and group["closed"] is not None
            and start <= group["closed"] <= end
            and (pipeline_id is None or group["pipeline_id"] == pipeline_id)
            and (
                whose is None or group["owner_id"] in whose[0] or group["department_id"] in whose[1]
            )
        )

    taken_off = _hidden(user, hidden).rows(
        {**{key: key for key in keys[:-1]}, "day": "closed"}, where=closed
    )
    return [
        {**row, "cycle": dt.timedelta(microseconds=row["cycle_us"] or 0)}
        for row in _merged(
            rows, _in_months(taken_off, "day", months), keys, ("n", "total", "cycle_us")
        )
    ]
