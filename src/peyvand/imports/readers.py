"""Streaming readers for uploaded tables: CSV in the encodings Iranian offices produce, and XLSX.

Both yield one row at a time, so memory stays flat however long the file is. Cell values
are always text; nothing is evaluated (an XLSX formula arrives as its formula text).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext

from peyvand.imports.choices import ImportFormat

_BLOCK = 1 << 20
_SAMPLE = 64 * 1024
# Windows-1256 is what Persian Windows and old Excel save "CSV" as.
_FALLBACK_ENCODING = "cp1256"
_DELIMITERS = ",;\t|"
# Text has few control characters; binary data decoded as Windows-1256 has plenty.
_CONTROL = {chr(c) for c in range(32)} - {"\t", "\n", "\r"}


class ImportFileError(ValueError):
    """The file cannot be imported at all; the message is ready to show the user."""


@dataclass
class Table:
    headers: list[str]
    rows: Iterator[tuple[int, list[str]]]
    # An estimate for the progress bar; the exact count is known at the end.
    estimated_rows: int | None


def format_for(filename: str) -> str:
    suffix = Path(filename).suffix.lower()
    if suffix in {".csv", ".txt", ".tsv"}:
        return ImportFormat.CSV
    if suffix == ".xlsx":
        return ImportFormat.XLSX
    raise ImportFileError(gettext("Only CSV and XLSX files can be imported."))


def check_size(size: int) -> None:
    limit = settings.PEYVAND_MAX_IMPORT_BYTES
    if size > limit:
        raise ImportFileError(
            gettext("The file is %(size)s; the largest file you can import is %(limit)s.")
            % {"size": filesizeformat(size), "limit": filesizeformat(limit)}
        )


def _looks_like_text(sample: str) -> bool:
    if not sample:
        return True
    if "\x00" in sample:
        return False
    controls = sum(1 for ch in sample if ch in _CONTROL)
    return controls * 200 < len(sample)


def _decode_all(path: Path, encoding: str) -> tuple[str, int] | None:
    """Decode the whole file incrementally: (first characters, newline count), or None."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    sample, newlines = "", 0
    try:
        with path.open("rb") as handle:
            while block := handle.read(_BLOCK):
                text = decoder.decode(block)
                newlines += text.count("\n")
                if len(sample) < _SAMPLE:
                    sample += text[: _SAMPLE - len(sample)]
            text = decoder.decode(b"", final=True)
            newlines += text.count("\n")
    except (UnicodeDecodeError, UnicodeError):
        return None
    return sample, newlines


def detect_encoding(path: Path) -> tuple[str, str, int]:
    """(encoding, sample text, newline count) for a CSV file, or a clear refusal."""
    with path.open("rb") as handle:
        head = handle.read(4)
    if head.startswith(codecs.BOM_UTF8):
        candidates = ["utf-8-sig"]
    elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ["utf-16"]
    else:
        candidates = ["utf-8", _FALLBACK_ENCODING]
    for encoding in candidates:
        decoded = _decode_all(path, encoding)
        if decoded is not None and _looks_like_text(decoded[0]):
            return encoding, decoded[0], decoded[1]
    raise ImportFileError(
        gettext(
            "The file is not text in a supported encoding (UTF-8, UTF-16 with BOM or "
            "Windows-1256). Save it from your spreadsheet as “CSV UTF-8” and try again."
        )
    )


def _dialect(sample: str) -> type[csv.Dialect] | csv.Dialect:
    complete = sample[: sample.rfind("\n") + 1] or sample
    try:
        return csv.Sniffer().sniff(complete, delimiters=_DELIMITERS)
    except csv.Error:
        first_line = complete.splitlines()[0] if complete else ""
        delimiter = max(_DELIMITERS, key=first_line.count)

        class Sniffed(csv.excel):
            pass

        Sniffed.delimiter = delimiter if first_line.count(delimiter) else ","
        return Sniffed


def _csv_rows(reader: Any) -> Iterator[tuple[int, list[str]]]:
    """Rows with the file line they start on; blank lines are passed over."""
    previous = reader.line_num
    try:
        for cells in reader:
            line, previous = previous + 1, reader.line_num
            if cells and any(cells):
                yield line, cells
    except csv.Error as exc:
        raise ImportFileError(
            gettext("The file is not valid CSV near line %(line)s: %(reason)s")
            % {"line": reader.line_num, "reason": exc}
        ) from exc


@contextmanager
def _open_csv(path: Path) -> Iterator[Table]:
    encoding, sample, newlines = detect_encoding(path)
    dialect = _dialect(sample)
    with path.open(encoding=encoding, newline="") as handle:
        reader = csv.reader(handle, dialect)
        try:
            headers = next(reader)
        except StopIteration:
            raise ImportFileError(gettext("The file is empty.")) from None
        except csv.Error as exc:
            raise ImportFileError(gettext("The header row is not valid CSV: %s") % exc) from exc
        yield Table(
            headers=[h.strip() for h in headers],
            rows=_csv_rows(reader),
            estimated_rows=max(newlines - 1, 0),
        )


def cell_text(value: Any) -> str:
    """An XLSX cell as the text a person sees in it."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value)


def _xlsx_rows(rows: Iterator[tuple[Any, ...]]) -> Iterator[tuple[int, list[str]]]:
    for line, values in enumerate(rows, start=2):
        cells = [cell_text(v) for v in values]
        if any(cells):
            yield line, cells


@contextmanager
def _open_xlsx(path: Path) -> Iterator[Table]:
    import openpyxl

    try:
        # data_only=False: a formula cell gives its formula text, never a computed value.
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ImportFileError(gettext("The file is not a valid XLSX workbook.")) from exc
    try:
        sheet = workbook.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        try:
            headers = [cell_text(v).strip() for v in next(rows)]
        except StopIteration:
            raise ImportFileError(gettext("The file is empty.")) from None
        estimated = sheet.max_row - 1 if sheet.max_row else None
        yield Table(headers=headers, rows=_xlsx_rows(rows), estimated_rows=estimated)
    finally:
        workbook.close()


@contextmanager
def open_table(path: Path | str, fmt: str) -> Iterator[Table]:
    """Open an import file for streaming; raises ImportFileError with a readable reason."""
    path = Path(path)
    check_size(path.stat().st_size)
    opener = _open_xlsx if fmt == ImportFormat.XLSX else _open_csv
    with opener(path) as table:
        if not any(table.headers):
            raise ImportFileError(gettext("The first row must hold the column names."))
        yield table


def preview(path: Path | str, fmt: str, rows: int = 5) -> tuple[list[str], list[list[str]]]:
    """The header and the first rows, for the mapping step."""
    with open_table(path, fmt) as table:
        first: list[list[str]] = []
        for _line, cells in table.rows:
            first.append(cells)
            if len(first) >= rows:
                break
        return table.headers, first
