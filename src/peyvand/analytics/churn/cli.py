"""`peyvand analytics churn --train FILE --test FILE --target COLUMN`: the CRM's churn
pipeline on an exported customer table (any columns; one of them the label)."""

from __future__ import annotations

import argparse
from typing import Any

from django.core.management.base import CommandError

from peyvand.analytics.churn import pipeline

HELP = "train the churn model on one table, report ROC AUC, log loss and drivers on another"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--train", required=True, help="CSV/TSV with a header row")
    parser.add_argument("--test", required=True, help="same columns as --train")
    parser.add_argument("--target", required=True, help="the label column (two values)")


def run(options: dict[str, Any]) -> dict[str, Any]:
    target = options["target"]
    try:
        train = pipeline.read_table(options["train"])
        test = pipeline.read_table(options["test"])
    except OSError as exc:
        raise CommandError(str(exc)) from exc
    for name, rows in (("--train", train), ("--test", test)):
        if not rows or target not in rows[0]:
            raise CommandError(f"{name}: no column {target!r}")
    try:
        model = pipeline.fit(train, target)
    except ValueError as exc:
        raise CommandError(str(exc)) from exc
    report = pipeline.evaluate(model, test, target)
    return {
        "model": model.chosen,
        "calibration": "sigmoid",
        "positive_label": model.positive,
        "roc_auc": report["roc_auc"],
        "log_loss": report["log_loss"],
        "top_drivers": report["top_drivers"],
        "cross_validated_auc": model.cv_auc,
        "columns": {
            "numeric": model.columns.numeric,
            "categorical": model.columns.categorical,
            "dropped": model.columns.dropped,
        },
        "n_train": len(train),
        "n_test": len(test),
    }
