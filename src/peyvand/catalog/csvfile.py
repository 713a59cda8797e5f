"""Reading small CSV uploads: encoding, headers, and locale-tolerant numbers and dates.

Shared by the exchange-rate and order importers so both report bad rows the same way.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO, Any, cast

from django.utils.translation import gettext as _

from peyvand.core.dates import calendar_date
from peyvand.core.text import normalize_digits

_GROUPING = re.compile(r"[,\s\u066c\u060c\u00a0\u202f]")
_DATE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")
# Jalali years are around 1300-1500; Gregorian ones are not.


class CsvError(ValueError):
    """The file as a whole cannot be read (encoding, no header, missing columns)."""


@dataclass(frozen=True)
class RowError:
    line: int
    column: str
    reason: str


@dataclass
class ImportReport:
    rows: int = 0
    created: int = 0
    skipped: int = 0
    dry_run: bool = False
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def open_text(source: str | Path | IO[Any]) -> IO[str]:
    """A text stream over a path or an uploaded/binary file, decoded as UTF-8 (BOM allowed)."""
    if isinstance(source, (str, Path)):
        return open(source, encoding="utf-8-sig", newline="")
    if isinstance(source, io.TextIOBase):
        return cast(IO[str], source)
    return cast(IO[str], codecs.getreader("utf-8-sig")(source, "strict"))


def read_rows(
    source: str | Path | IO[Any], required: list[list[str]]
) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row) pairs with stripped values and lower-case headers.

    `required` lists alternatives: [["customer_external_ref", "customer_email"], ["sku"]]
    means one of the first two and the third must be present.
    """
    stream = open_text(source)
    try:
        reader = csv.reader(stream)
        try:
            header = next(reader, None)
        except UnicodeDecodeError as exc:
            raise CsvError(_("The file is not UTF-8 encoded text.")) from exc
        if not header:
            raise CsvError(_("The file is empty."))
        names = [h.strip().lower() for h in header]
        missing = [" | ".join(alt) for alt in required if not any(a in names for a in alt)]
        if missing:
            raise CsvError(_("Missing columns: %(columns)s.") % {"columns": ", ".join(missing)})
        try:
            for values in reader:
                if not any(v.strip() for v in values):
                    continue
                row = {
                    n: (values[i].strip() if i < len(values) else "") for i, n in enumerate(names)
                }
                yield reader.line_num, row
        except UnicodeDecodeError as exc:
            raise CsvError(_("The file is not UTF-8 encoded text.")) from exc
        except csv.Error as exc:
            raise CsvError(
                _("Line %(line)s cannot be read as CSV.") % {"line": reader.line_num + 1}
            ) from exc
    finally:
        if isinstance(source, (str, Path)):
            stream.close()


def parse_decimal(text: str) -> Decimal:
    """A number typed with Persian/Arabic digits, thousands separators or a Persian decimal mark."""
    cleaned = _GROUPING.sub("", normalize_digits(text)).replace("\u066b", ".")
    try:
        value = Decimal(cleaned)
    except InvalidOperation as exc:
        raise ValueError(_("Enter a number.")) from exc
    if not value.is_finite():
        raise ValueError(_("Enter a number."))
    return value


def parse_date(text: str) -> dt.date:
    """YYYY-MM-DD or YYYY/MM/DD, Gregorian, or Jalali when the year says so (1403/05/12)."""
    match = _DATE.match(normalize_digits(text).strip())
    if match is None:
        raise ValueError(_("Enter a date as YYYY-MM-DD."))
    year, month, day = (int(g) for g in match.groups())
    try:
        return calendar_date(year, month, day)
    except ValueError as exc:
        raise ValueError(_("This date does not exist.")) from exc
