"""CSV import of exchange rates (date,base,quote,rate[,source]): all rows or none."""

from __future__ import annotations

from pathlib import Path
from typing import IO, Any

from django.db import transaction

from peyvand.catalog.csvfile import (
    CsvError,
    ImportReport,
    RowError,
    parse_date,
    parse_decimal,
    read_rows,
)
from peyvand.catalog.services import record_exchange_rate
from peyvand.core.problems import ServiceError

_COLUMNS = ["date", "base", "quote", "rate"]


class _Rollback(Exception):
    """Leaves the transaction without committing: a dry run, or a file with bad rows."""


class _RowProblem(Exception):
    def __init__(self, column: str, reason: str) -> None:
        super().__init__(reason)
        self.column, self.reason = column, reason


def import_exchange_rates_csv(
    source: str | Path | IO[Any], *, actor: Any, dry_run: bool = False
) -> ImportReport:
    """Record every rate of the file, or, if any row is bad, none of them; the report names
    each bad row's line, column and reason."""
    report = ImportReport(dry_run=dry_run)
    try:
        with transaction.atomic():
            for line, row in read_rows(source, [[c] for c in _COLUMNS]):
                report.rows += 1
                try:
                    values = {
                        "date": _parse(row, "date", parse_date),
                        "rate": _parse(row, "rate", parse_decimal),
                    }
                except _RowProblem as problem:
                    report.errors.append(RowError(line, problem.column, problem.reason))
                    continue
                try:
                    with transaction.atomic():
                        record_exchange_rate(
                            actor=actor,
                            base=row["base"],
                            quote=row["quote"],
                            source=row.get("source", ""),
                            **values,
                        )
                except ServiceError as exc:
                    report.errors.append(RowError(line, exc.field or "", exc.message))
                    continue
                report.created += 1
            if report.errors or dry_run:
                raise _Rollback
    except _Rollback:
        if report.errors:
            report.created = 0
    except CsvError as exc:
        report.errors.append(RowError(0, "", str(exc)))
    return report


def _parse(row: dict[str, str], column: str, parser: Any) -> Any:
    try:
        return parser(row[column])
    except ValueError as exc:
        raise _RowProblem(column, str(exc)) from exc
