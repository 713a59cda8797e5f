"""`peyvand analytics clv`: BG/NBD and Gamma-Gamma fitted on a transactions file, checked
on a holdout period; the same model code the CRM runs on its own orders."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
from django.core.management.base import CommandError

from peyvand.analytics.clv import bgnbd, gammagamma
from peyvand.analytics.clv.summary import (
    DAYS_PER_WEEK,
    TransactionFileError,
    day_number,
    read_transactions,
    summarise,
)

HELP = "BG/NBD + Gamma-Gamma on a transactions file (customer id, date, amount), weeks"


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from error


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--transactions", type=Path, required=True)
    parser.add_argument("--calibration-end", type=_date, required=True)
    parser.add_argument("--holdout-end", type=_date, required=True)


def run(options: dict[str, Any]) -> dict[str, Any]:
    calibration_end, holdout_end = options["calibration_end"], options["holdout_end"]
    if holdout_end <= calibration_end:
        raise CommandError("--holdout-end must be after --calibration-end")
    path: Path = options["transactions"]
    if not path.is_file():
        raise CommandError(f"no such file: {path}")
    try:
        transactions = read_transactions(path)
    except TransactionFileError as error:
        raise CommandError(str(error)) from error
    cal, hold = day_number(calibration_end), day_number(holdout_end)
    data = summarise(transactions.customer, transactions.day, transactions.amount, cal, hold)
    if len(data.x) == 0:
        raise CommandError("no customer bought on or before --calibration-end")
    purchases = bgnbd.fit(data.x, data.t_x, data.T)
    spend = gammagamma.fit(data.x, data.monetary)
    weeks = (hold - cal) / DAYS_PER_WEEK
    predicted = bgnbd.conditional_expected_purchases(
        purchases.params, weeks, data.x, data.t_x, data.T
    )
    return {
        "customers": len(data.x),
        "transactions": len(transactions.day),
        "time_unit": "weeks",
        "calibration_end": calibration_end.isoformat(),
        "holdout_end": holdout_end.isoformat(),
        "bgnbd": {
            "params": purchases.params,
            "log_likelihood": purchases.log_likelihood,
            "converged": purchases.converged,
        },
        "gamma_gamma": {
            "params": spend.params,
            "log_likelihood": spend.log_likelihood,
            "repeat_buyers": spend.n_customers,
            "converged": spend.converged,
        },
        "holdout": {
            "weeks": weeks,
            "predicted_purchases": float(predicted.sum()),
            "actual_purchases": float(data.holdout.sum()),
            "correlation": float(np.corrcoef(predicted, data.holdout)[0, 1]),
        },
    }
