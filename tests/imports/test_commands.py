"""`peyvand import` / `peyvand export` through call_command and the real CLI entry point."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from peyvand.customers.models import Customer
from peyvand.imports.models import ImportJob
from tests.factories import CustomerFactory

from .conftest import csv_bytes


def _file(tmp_path: Path, rows: list[list[str]]) -> Path:
    path = tmp_path / "in.csv"
    path.write_bytes(csv_bytes(rows))
    return path


def test_import_data_reports_progress_and_counts(tmp_path: Path, sales1: Any) -> None:
    path = _file(
        tmp_path, [["name", "email"], ["Ali", "ali@example.com"], ["Sara", "s@example.com"]]
    )
    out, err = io.StringIO(), io.StringIO()
    call_command("import_data", "customers", str(path), "--as", "sales1", stdout=out, stderr=err)
    assert "created 2" in out.getvalue()
    assert "rows/s" in err.getvalue()
    assert Customer.objects.filter(owner=sales1).count() == 2


def test_import_data_exits_1_and_names_the_report_when_rows_fail(
    tmp_path: Path, sales1: Any
) -> None:
    path = _file(tmp_path, [["name", "email"], ["Ali", "nope"]])
    out = io.StringIO()
    with pytest.raises(CommandError, match="1 errors; see the report") as caught:
        call_command(
            "import_data",
            "customers",
            str(path),
            "--as",
            "sales1",
            stdout=out,
            stderr=io.StringIO(),
        )
    assert caught.value.returncode == 1
    job = ImportJob.objects.get()
    assert f"error report: {job.error_report.path}" in out.getvalue()


def test_import_data_dry_run_mapping_and_skip_existing(tmp_path: Path, sales1: Any) -> None:
    CustomerFactory(display_name="Old", external_ref="X1", owner=sales1)
    path = _file(tmp_path, [["Kunde", "Nummer"], ["New", "X1"], ["Other", "X2"]])
    mapping = json.dumps({"Kunde": "display_name", "Nummer": "external_ref"})
    out = io.StringIO()
    call_command(
        "import_data",
        "customers",
        str(path),
        "--as",
        "sales1",
        "--mapping",
        mapping,
        "--dry-run",
        stdout=out,
        stderr=io.StringIO(),
    )
    assert "would create 1, updated 1" in out.getvalue()
    assert Customer.objects.count() == 1
    call_command(
        "import_data",
        "customers",
        str(path),
        "--as",
        "sales1",
        "--mapping",
        mapping,
        "--skip-existing",
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )
    assert set(Customer.objects.values_list("display_name", flat=True)) == {"Old", "Other"}


def test_import_data_defaults_to_a_manager_and_refuses_bad_input(
    tmp_path: Path, manager: Any
) -> None:
    path = _file(tmp_path, [["name"], ["Ali"]])
    call_command("import_data", "customers", str(path), stdout=io.StringIO(), stderr=io.StringIO())
    assert Customer.objects.get().owner == manager
    with pytest.raises(CommandError, match="not valid JSON"):
        call_command("import_data", "customers", str(path), "--mapping", "{", stderr=io.StringIO())
    with pytest.raises(CommandError, match="may not import"):
        call_command(
            "import_data", "customers", str(path), "--as", "service1", stderr=io.StringIO()
        )
    with pytest.raises(CommandError, match="Required columns"):
        call_command(
            "import_data",
            "customers",
            str(path),
            "--mapping",
            '{"name": "email"}',
            stderr=io.StringIO(),
        )


def test_export_data_csv_and_xlsx_per_user(tmp_path: Path, sales1: Any, sales2: Any) -> None:
    CustomerFactory(display_name="Mine", owner=sales1)
    CustomerFactory(display_name="=Theirs", owner=sales2)
    target = tmp_path / "out.csv"
    call_command(
        "export_data", "customers", "--as", "sales2", "--output", str(target), stderr=io.StringIO()
    )
    text = target.read_bytes().decode("utf-8-sig")
    assert "'=Theirs" in text
    assert "Mine" not in text
    book = tmp_path / "out.xlsx"
    call_command(
        "export_data",
        "customers",
        "--as",
        "sales1",
        "--format",
        "xlsx",
        "--output",
        str(book),
        stderr=io.StringIO(),
    )
    import openpyxl

    rows = list(openpyxl.load_workbook(book).active.iter_rows(values_only=True))
    assert [r[1] for r in rows[1:]] == ["Mine"]


def test_peyvand_cli_maps_import_and_export_to_these_commands() -> None:
    import subprocess
    import sys

    for verb, option in (("import", "--skip-existing"), ("export", "--format")):
        result = subprocess.run(
            [sys.executable, "-m", "peyvand.cli", verb, "--help"],
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        )
        assert option in result.stdout
