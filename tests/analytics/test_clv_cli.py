"""`peyvand analytics clv` on the CDNOW master file and on bad input."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError


def run_clv(path: Path, calibration_end: str, holdout_end: str) -> dict:
    out = StringIO()
    call_command(
        "analytics",
        "clv",
        "--transactions",
        str(path),
        "--calibration-end",
        calibration_end,
        "--holdout-end",
        holdout_end,
        stdout=out,
    )
    return json.loads(out.getvalue())


def test_clv_on_cdnow_master(cdnow: Path) -> None:
    result = run_clv(cdnow / "CDNOW_master.txt", "1997-09-30", "1998-06-30")
    assert result["customers"] == 23570
    assert result["transactions"] == 69659
    assert result["time_unit"] == "weeks"
    params = result["bgnbd"]["params"]
    # The full data set behaves like its 1/10 sample (r=0.243, alpha=4.41, a=0.79, b=2.43).
    assert 0.2 < params["r"] < 0.3 and 3.5 < params["alpha"] < 6 and 0.6 < params["a"] < 0.9
    assert result["bgnbd"]["converged"] and result["gamma_gamma"]["converged"]
    assert result["gamma_gamma"]["repeat_buyers"] > 9000
    holdout = result["holdout"]
    assert holdout["weeks"] == 39.0
    # Repeat purchase occasions Oct 1997 - Jun 1998, counted from the file independently below.
    days: dict[str, set[str]] = {}
    for line in (cdnow / "CDNOW_master.txt").read_text().splitlines()[1:]:
        customer, day, _cds, _dollars = line.split()
        if "19971001" <= day <= "19980630":
            days.setdefault(customer, set()).add(day)
    assert holdout["actual_purchases"] == sum(len(d) for d in days.values())
    assert 0.8 < holdout["predicted_purchases"] / holdout["actual_purchases"] < 1.0
    assert 0.6 < holdout["correlation"] < 0.8


def test_clv_reads_csv_with_header_and_iso_dates(tmp_path: Path) -> None:
    rows = ["customer,date,amount"]
    for customer in range(40):
        for week in range(0, 60, 3 + customer % 7):
            rows.append(
                f"c{customer},2024-{1 + week // 5 % 12:02d}-{1 + week % 27:02d},{10 + customer}"
            )
    path = tmp_path / "orders.csv"
    path.write_text("\n".join(rows))
    result = run_clv(path, "2024-08-31", "2024-12-31")
    assert result["customers"] == 40
    assert result["bgnbd"]["log_likelihood"] < 0
    assert result["holdout"]["actual_purchases"] >= 0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("a,2024-01-01,5\nb,yesterday,5\n", "line 2"),
        ("a,2024-01-01\n", "line 1"),
        ("", "no transactions"),
    ],
)
def test_clv_refuses_bad_files(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(CommandError, match=message):
        run_clv(path, "2024-06-30", "2024-12-31")


def test_clv_refuses_holdout_before_calibration(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("a,2024-01-01,5\n")
    with pytest.raises(CommandError, match="after"):
        run_clv(path, "2024-06-30", "2024-01-31")
