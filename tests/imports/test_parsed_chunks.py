"""Parsing in a second process (`rows.parsed_chunks`) gives exactly what parsing in the
importing process gives: the same chunks, errors in the same language, a broken file at
the same chunk, and the same import."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from django.utils import translation

from peyvand.audit.services import verify_chain
from peyvand.customers.models import Customer
from peyvand.imports import services
from peyvand.imports.choices import ImportStatus
from peyvand.imports.mapping import resolve_mapping, suggest_mapping
from peyvand.imports.readers import ImportFileError, open_table
from peyvand.imports.rows import ParsedChunk, RowParser, parsed_chunks
from peyvand.imports.services import import_file

HEADER = ["name", "email", "mobile", "tags", "external id"]
ROWS = [
    HEADER,
    ["علي كريمي", "ali@example.com", "۰۹۱۲ ۱۲۳ ۴۵۶۷", "vip;طلایی", "K-1"],
    ["<script>x</script>", "not-an-email", "", "", "K-2"],
    ["Sara 🙂", "sara@example.com", "12", "", "K-3"],
    ["", "noname@example.com", "", "", "K-4"],
    ["Ali Karimi again", "ALI@example.com", "", "new", ""],
    ["Reza", "reza@example.com", "+98 21 8888 7777", "", "K-5"],
    ["Reza", "reza@example.com", "", "", "K-5"],
]


def _chunks(path: Path, *, in_child: bool, size: int = 2) -> list[ParsedChunk]:
    with open_table(path, "csv") as table:
        parser = RowParser(table.headers, resolve_mapping(table.headers, suggest_mapping(HEADER)))
        with parsed_chunks(parser, table.rows, size=size, in_child=in_child) as chunks:
            return list(chunks)


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "fa"])
def test_child_gives_the_same_chunks_and_errors_in_the_users_language(
    write_csv, language: str
) -> None:
    path = write_csv(ROWS)
    with translation.override(language):
        here = _chunks(path, in_child=False)
        there = _chunks(path, in_child=True)
    assert there == here
    assert [last for last, _rows, _errors in there] == [3, 5, 7, 8]
    errors = [e for _last, _rows, chunk_errors in there for e in chunk_errors]
    assert [(line, column) for line, column, _reason in errors] == [
        (3, "email"),
        (4, "mobile"),
        (5, "name"),
    ]
    with translation.override(language):
        required = translation.gettext("A name is required.")
    assert errors[-1][2] == required
    assert (required == "A name is required.") == (language == "en")


@pytest.mark.django_db
def test_a_file_broken_halfway_fails_in_the_child_after_the_chunks_before_it(
    tmp_path: Path,
) -> None:
    import csv as csv_module

    path = tmp_path / "broken.csv"
    path.write_text(
        "name,email\nA,a@example.com\nB,b@example.com\nC,c@example.com\nD," + "x" * 300 + "\n"
    )
    limit = csv_module.field_size_limit(100)
    try:
        seen: list[int] = []
        with open_table(path, "csv") as table:
            parser = RowParser(table.headers, ["display_name", "email"])
            with (
                pytest.raises(ImportFileError, match="not valid CSV"),
                parsed_chunks(parser, table.rows, size=2, in_child=True) as chunks,
            ):
                for last, _rows, _errors in chunks:
                    seen.append(last)
    finally:
        csv_module.field_size_limit(limit)
    assert seen == [3]


def _outcome(job: Any) -> tuple[Any, ...]:
    return (
        job.status,
        job.processed_rows,
        job.created_rows,
        job.updated_rows,
        job.skipped_rows,
        job.error_count,
        job.errors,
        Path(job.error_report.path).read_bytes(),
    )


class _Rollback(Exception):
    pass


def test_an_import_parsed_in_the_child_is_the_import_parsed_here(
    write_csv, sales1: Any, monkeypatch
) -> None:
    monkeypatch.setattr(services, "CHUNK_ROWS", 2)
    path = write_csv(ROWS)
    with translation.override("fa"):
        monkeypatch.setattr(services, "PARSE_PROCESS_FROM_ROWS", 10**9)
        dry_here = _outcome(import_file(path, actor=sales1, dry_run=True))
        # The same import parsed here, then undone, so the child's run starts from the same
        # database.
        with pytest.raises(_Rollback), transaction.atomic():
            here = _outcome(import_file(path, actor=sales1))
            raise _Rollback
        monkeypatch.setattr(services, "PARSE_PROCESS_FROM_ROWS", 0)
        dry_there = _outcome(import_file(path, actor=sales1, dry_run=True))
        assert not Customer.objects.exists()
        job = import_file(path, actor=sales1)
    assert dry_there == dry_here
    assert _outcome(job) == here
    assert (job.status, job.created_rows, job.updated_rows, job.skipped_rows) == (
        ImportStatus.DONE,
        2,
        1,
        1,
    )
    assert [e[:2] for e in job.errors] == [[3, "email"], [4, "mobile"], [5, "name"]]
    ali = Customer.objects.get(external_ref="K-1")
    assert ali.display_name == "Ali Karimi again"
    assert set(ali.tags.values_list("name", flat=True)) == {"vip", "طلایی", "new"}
    assert not Customer.objects.filter(external_ref__in=["K-2", "K-3", "K-4"]).exists()
    assert Customer.objects.filter(external_ref="K-5").count() == 1
    # The file names Ali twice, so a second run renames him twice again; nothing is duplicated.
    again = import_file(path, actor=sales1)
    assert again.created_rows == 0
    assert Customer.objects.count() == 2
    assert verify_chain().ok
