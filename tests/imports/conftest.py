from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _english(settings: Any) -> Any:
    # Requests activate the signed-in user's language; start every test from English.
    from django.utils import translation

    with translation.override("en"):
        yield


def csv_bytes(
    rows: Sequence[Sequence[str]], *, encoding: str = "utf-8", delimiter: str = ","
) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter).writerows(rows)
    return buffer.getvalue().encode(encoding)


@pytest.fixture
def write_csv(tmp_path: Path) -> Callable[..., Path]:
    """`write_csv(rows, name=..., encoding=..., delimiter=...)` -> path of the file."""

    def make(
        rows: Sequence[Sequence[str]],
        *,
        name: str = "customers.csv",
        encoding: str = "utf-8",
        delimiter: str = ",",
    ) -> Path:
        path = tmp_path / name
        path.write_bytes(csv_bytes(rows, encoding=encoding, delimiter=delimiter))
        return path

    return make


@pytest.fixture
def write_xlsx(tmp_path: Path) -> Callable[..., Path]:
    def make(rows: Sequence[Sequence[Any]], *, name: str = "customers.xlsx") -> Path:
        import openpyxl

        workbook = openpyxl.Workbook()
        sheet = workbook.active
        for row in rows:
            sheet.append(list(row))
        path = tmp_path / name
        workbook.save(path)
        return path

    return make
