"""Reading uploaded tables: encodings, delimiters, XLSX cells, refusals."""

from __future__ import annotations

import codecs
import os
from pathlib import Path

import pytest

from peyvand.imports.choices import ImportFormat
from peyvand.imports.readers import ImportFileError, format_for, open_table, preview

PERSIAN = [["نام", "ایمیل", "موبایل"], ["علی رضایی", "ali@example.com", "۰۹۱۲۱۲۳۴۵۶۷"]]


# What Persian Windows writes: Arabic yeh and kaf, ASCII digits (cp1256 has no Persian ی).
WINDOWS_1256 = [["نام", "ايميل", "موبايل"], ["علي كريمي", "ali@example.com", "09121234567"]]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16"])
def test_persian_csv_in_unicode_encodings(write_csv, encoding: str) -> None:
    path = write_csv(PERSIAN, encoding=encoding)
    headers, rows = preview(path, ImportFormat.CSV)
    assert headers == PERSIAN[0]
    assert rows == [PERSIAN[1]]


def test_windows_1256_is_the_fallback(write_csv) -> None:
    path = write_csv(WINDOWS_1256, encoding="cp1256")
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")
    assert preview(path, ImportFormat.CSV) == (WINDOWS_1256[0], [WINDOWS_1256[1]])


def test_utf16_big_endian_with_bom(tmp_path: Path) -> None:
    path = tmp_path / "be.csv"
    path.write_bytes(codecs.BOM_UTF16_BE + "name,email\nSara,s@x.com\n".encode("utf-16-be"))
    assert preview(path, ImportFormat.CSV) == (["name", "email"], [["Sara", "s@x.com"]])


def test_binary_garbage_is_refused_as_wrong_encoding(tmp_path: Path) -> None:
    path = tmp_path / "garbage.csv"
    path.write_bytes(os.urandom(200_000))
    with pytest.raises(ImportFileError, match="not text in a supported encoding"):
        preview(path, ImportFormat.CSV)


def test_utf16_bom_followed_by_garbage_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad16.csv"
    path.write_bytes(codecs.BOM_UTF16_LE + b"\x00\xd8" + os.urandom(1001))
    with pytest.raises(ImportFileError, match="encoding"):
        preview(path, ImportFormat.CSV)


@pytest.mark.parametrize("delimiter", [";", "\t", "|"])
def test_delimiter_is_sniffed(write_csv, delimiter: str) -> None:
    path = write_csv([["name", "email"], ["Sara, Jr", "s@x.com"]], delimiter=delimiter)
    assert preview(path, ImportFormat.CSV)[1] == [["Sara, Jr", "s@x.com"]]


def test_line_numbers_count_the_header_and_skip_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "blank.csv"
    path.write_text('name,notes\nA,x\n\nB,"two\nlines"\nC,y\n', encoding="utf-8")
    with open_table(path, ImportFormat.CSV) as table:
        assert [line for line, _cells in table.rows] == [2, 4, 6]


def test_xlsx_formula_cells_arrive_as_their_text(write_xlsx) -> None:
    path = write_xlsx([["name", "notes", "phone"], ["Ali", "=1+2", 9121234567]])
    headers, rows = preview(path, ImportFormat.XLSX)
    assert headers == ["name", "notes", "phone"]
    assert rows == [["Ali", "=1+2", "9121234567"]]


def test_not_an_xlsx_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "fake.xlsx"
    path.write_bytes(b"name,email\n")
    with pytest.raises(ImportFileError, match="not a valid XLSX"):
        preview(path, ImportFormat.XLSX)


def test_empty_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(ImportFileError, match="empty"):
        preview(path, ImportFormat.CSV)


def test_unknown_extension_is_refused() -> None:
    with pytest.raises(ImportFileError, match="CSV and XLSX"):
        format_for("customers.pdf")


def test_file_over_the_limit_is_refused_before_reading(write_csv, settings) -> None:
    settings.PEYVAND_MAX_IMPORT_BYTES = 100
    path = write_csv([["name"], *[[f"Customer {i}"] for i in range(50)]])
    with pytest.raises(ImportFileError, match="largest file you can import"):
        preview(path, ImportFormat.CSV)
