"""`peyvand analytics churn` on the Telco table: the AUC bar of issue 4 and the shape of
its answer."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.analytics.shared_data import DATA

TELCO = DATA / "telco-churn"


def run_churn(train: Path, test: Path, target: str) -> dict[str, Any]:
    out = io.StringIO()
    call_command(
        "analytics",
        "churn",
        "--train",
        str(train),
        "--test",
        str(test),
        "--target",
        target,
        stdout=out,
    )
    result: dict[str, Any] = json.loads(out.getvalue())
    return result


@pytest.mark.slow
def test_telco_reaches_the_auc_bar_without_knowing_the_columns(tmp_path: Path) -> None:
    # The same files with every column renamed to an opaque name and the columns shuffled:
    # nothing in the pipeline may depend on Telco's names or order.
    renamed = {}
    for name in ("train.csv", "test.csv"):
        with open(TELCO / name, newline="") as handle:
            rows = list(csv.reader(handle))
        header = rows[0]
        order = sorted(range(len(header)), key=lambda i: (i * 7919) % len(header))
        names = {header[i]: f"c{k}" for k, i in enumerate(order)}
        path = tmp_path / name
        with open(path, "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow([names[header[i]] for i in order])
            writer.writerows([[row[i] for i in order] for row in rows[1:]])
        renamed = names
    result = run_churn(tmp_path / "train.csv", tmp_path / "test.csv", renamed["churn"])
    assert result["roc_auc"] >= 0.84, result
    assert 0 < result["log_loss"] < 0.5
    assert result["positive_label"] == "Yes"
    assert result["model"] in result["cross_validated_auc"]
    assert result["model"] == max(
        result["cross_validated_auc"], key=lambda k: result["cross_validated_auc"][k]
    )
    # The opaque customer id is an identifier, not a feature.
    assert renamed["customer_id"] in result["columns"]["dropped"]
    assert renamed["tenure"] in result["columns"]["numeric"]
    assert renamed["contract"] in result["columns"]["categorical"]
    drivers = [d["column"] for d in result["top_drivers"]]
    assert renamed["tenure"] in drivers[:3]


def test_missing_target_column_is_a_clear_error(tmp_path: Path) -> None:
    table = tmp_path / "t.csv"
    table.write_text("a,b\n1,x\n2,y\n")
    with pytest.raises(CommandError, match="no column 'churn'"):
        run_churn(table, table, "churn")


def test_target_with_three_values_is_refused(tmp_path: Path) -> None:
    table = tmp_path / "t.csv"
    table.write_text("a,label\n1,x\n2,y\n3,z\n4,x\n")
    with pytest.raises(CommandError, match="exactly two values"):
        run_churn(table, table, "label")
