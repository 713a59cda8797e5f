"""From transactions to the models' inputs (pure numpy): per customer the repeat purchase
occasions x, the time of the last one t_x and the age T (weeks from the first purchase),
the mean repeat spend, and the occasions in a holdout period.

Several transactions of one customer on one day are one purchase occasion (their amounts add
up), as in Fader & Hardie's CDNOW analyses.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from peyvand.analytics.clv.fitting import FloatArray

DAYS_PER_WEEK = 7.0


@dataclass(frozen=True)
class Transactions:
    """Column arrays: customer index (0..n-1, see `ids`), day number, amount."""

    customer: NDArray[np.int64]
    day: NDArray[np.int64]
    amount: FloatArray
    ids: NDArray[np.str_]


@dataclass(frozen=True)
class Summary:
    """One entry per customer whose first purchase is on or before the calibration end."""

    customer: NDArray[np.int64]
    x: FloatArray
    t_x: FloatArray
    T: FloatArray
    monetary: FloatArray
    holdout: FloatArray
    # Spend over all calibration occasions, the first included (RFM's monetary value).
    total: FloatArray


def day_number(value: dt.date) -> int:
    return int(np.datetime64(value, "D").astype(np.int64))


def _parse_day(text: str) -> int:
    text = text.strip()
    if len(text) == 8 and text.isdigit():
        return day_number(dt.date(int(text[:4]), int(text[4:6]), int(text[6:])))
    return day_number(dt.date.fromisoformat(text[:10]))


def _find_date_column(fields: list[str]) -> int | None:
    for index in range(1, len(fields) - 1):
        try:
            _parse_day(fields[index])
        except ValueError:
            continue
        return index
    return None


class TransactionFileError(ValueError):
    """A transactions file that cannot be read; the message names the line."""


def read_transactions(path: Path) -> Transactions:
    """Read `customer id, date, amount` rows, comma- or whitespace-separated, an optional
    header line. With more columns the date is the first column after the id that reads as
    a date and the amount is the last one (CDNOW_master.txt: id date cds dollars;
    CDNOW_sample.txt: id id_in_sample date cds dollars). Dates are yyyymmdd or ISO 8601."""
    date_column: int | None = None
    ids: list[str] = []
    days: list[int] = []
    amounts: list[float] = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            fields = line.split(",") if "," in line else line.split()
            if len(fields) < 3:
                raise TransactionFileError(
                    f"line {number}: expected customer id, date, amount; got {line.strip()!r}"
                )
            if date_column is None:
                date_column = _find_date_column(fields)
                if date_column is None:
                    if number == 1:
                        continue  # the header line
                    raise TransactionFileError(f"line {number}: no date in {line.strip()!r}")
            try:
                day, amount = _parse_day(fields[date_column]), float(fields[-1])
            except (ValueError, IndexError) as error:
                raise TransactionFileError(f"line {number}: {error}") from error
            ids.append(fields[0].strip())
            days.append(day)
            amounts.append(amount)
    if not ids:
        raise TransactionFileError(f"{path}: no transactions")
    unique, customer = np.unique(np.array(ids), return_inverse=True)
    return Transactions(
        customer=customer.astype(np.int64),
        day=np.array(days, dtype=np.int64),
        amount=np.array(amounts, dtype=np.float64),
        ids=unique,
    )


def _order_by_customer_and_day(
    customer: NDArray[np.int64], day: NDArray[np.int64]
) -> NDArray[np.intp]:
    if len(day) == 0:
        return np.zeros(0, dtype=np.intp)
    span = int(day.max()) - int(day.min()) + 1
    customers = int(customer.max()) - int(customer.min()) + 1
    if customers * span >= 2**62:
        return np.lexsort((day, customer))
    key = (customer - customer.min()) * span + (day - day.min())
    return np.argsort(key)


def summarise(
    customer: NDArray[np.int64],
    day: NDArray[np.int64],
    amount: FloatArray,
    calibration_end: int,
    holdout_end: int | None = None,
) -> Summary:
    """Per-customer model inputs from transactions (day numbers; the ends are inclusive)."""
    customer = np.asarray(customer, dtype=np.int64)
    day = np.asarray(day, dtype=np.int64)
    amount = np.asarray(amount, dtype=np.float64)
    # One occasion per (customer, day): sort by both, then sum each run. One int64 key
    # sorts several times faster than lexsort on two columns.
    order = _order_by_customer_and_day(customer, day)
    customer, day, amount = customer[order], day[order], amount[order]
    starts = np.flatnonzero(np.r_[True, (customer[1:] != customer[:-1]) | (day[1:] != day[:-1])])
    occ_customer, occ_day = customer[starts], day[starts]
    occ_amount = np.add.reduceat(amount, starts) if len(starts) else amount[:0]

    calib = occ_day <= calibration_end
    cal_customer, cal_day, cal_amount = occ_customer[calib], occ_day[calib], occ_amount[calib]
    firsts = np.flatnonzero(np.r_[True, cal_customer[1:] != cal_customer[:-1]])
    ids = cal_customer[firsts]
    counts = np.diff(np.r_[firsts, len(cal_customer)])
    first_day = cal_day[firsts]
    last_day = cal_day[np.r_[firsts[1:], len(cal_customer)] - 1]
    total = np.add.reduceat(cal_amount, firsts) if len(firsts) else cal_amount[:0]
    x = (counts - 1).astype(np.float64)
    repeat_spend = total - cal_amount[firsts]
    monetary = np.divide(repeat_spend, x, out=np.zeros_like(x), where=x > 0)

    holdout = np.zeros_like(x)
    if holdout_end is not None:
        later = (occ_day > calibration_end) & (occ_day <= holdout_end)
        position = np.searchsorted(ids, occ_customer[later])
        known = (position < len(ids)) & (
            ids[np.minimum(position, len(ids) - 1)] == occ_customer[later]
        )
        np.add.at(holdout, position[known], 1.0)

    return Summary(
        customer=ids,
        x=x,
        t_x=(last_day - first_day) / DAYS_PER_WEEK,
        T=(calibration_end - first_day) / DAYS_PER_WEEK,
        monetary=monetary,
        holdout=holdout,
        total=total,
    )
