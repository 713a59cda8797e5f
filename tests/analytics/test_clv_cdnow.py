"""The CLV models reproduce Fader & Hardie's published CDNOW figures (see ../shared/data/README.md)."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np
import pytest

from peyvand.analytics.clv import bgnbd, gammagamma, paretonbd
from peyvand.analytics.clv.summary import day_number, read_transactions, summarise


def significant(value: float, digits: int = 3) -> float:
    return round(value, digits - 1 - math.floor(math.log10(abs(value))))


@pytest.fixture(scope="module")
def sample(cdnow: Path) -> dict[str, np.ndarray]:
    data = np.genfromtxt(
        cdnow / "cdnow_customers_summary_with_transactions.csv", delimiter=",", names=True
    )
    return {name: data[name] for name in ("ID", "x", "t_x", "T", "zbar")}


def test_bgnbd_reproduces_fader_hardie_lee(sample: dict[str, np.ndarray]) -> None:
    fit = bgnbd.fit(sample["x"], sample["t_x"], sample["T"])
    published = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    assert {k: significant(v) for k, v in fit.params.items()} == {
        k: significant(v) for k, v in published.items()
    }
    assert round(fit.log_likelihood, 1) == -9582.4
    expected = bgnbd.conditional_expected_purchases(fit.params, 39, 2, 30.43, 38.86)
    assert round(float(expected), 3) == 1.226


def test_bgnbd_cumulative_repeat_purchases_at_week_78(
    sample: dict[str, np.ndarray], cdnow: Path
) -> None:
    fit = bgnbd.fit(sample["x"], sample["t_x"], sample["T"])
    # Each customer's forecast runs from their own first purchase: t = 78 - (39 - T) weeks.
    forecast = bgnbd.expected_purchases(fit.params, sample["T"] + 39).sum()
    assert abs(forecast - 4160) < 20
    transactions = read_transactions(cdnow / "CDNOW_sample.txt")
    data = summarise(
        transactions.customer,
        transactions.day,
        transactions.amount,
        day_number(dt.date(1997, 9, 30)),
        day_number(dt.date(1998, 6, 30)),
    )
    assert data.x.sum() + data.holdout.sum() == 4339


def test_pareto_nbd_reproduces_published_fit(sample: dict[str, np.ndarray]) -> None:
    fit = paretonbd.fit(sample["x"], sample["t_x"], sample["T"])
    published = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}
    assert {k: significant(v) for k, v in fit.params.items()} == {
        k: significant(v) for k, v in published.items()
    }
    assert round(fit.log_likelihood, 1) == -9595.0
    alive = paretonbd.probability_alive(fit.params, sample["x"], sample["t_x"], sample["T"])
    assert ((alive > 0) & (alive <= 1)).all()


def test_gamma_gamma_reproduces_note_025(sample: dict[str, np.ndarray]) -> None:
    fit = gammagamma.fit(sample["x"], sample["zbar"])
    assert fit.n_customers == 946
    assert {k: significant(v) for k, v in fit.params.items()} == {
        "p": 6.25,
        "q": 3.74,
        "gamma": 15.4,
    }


def test_summary_of_the_sample_file_equals_the_published_summary(
    sample: dict[str, np.ndarray], cdnow: Path
) -> None:
    transactions = read_transactions(cdnow / "CDNOW_sample.txt")
    data = summarise(
        transactions.customer,
        transactions.day,
        transactions.amount,
        day_number(dt.date(1997, 9, 30)),
    )
    # The published summary is keyed by the id within the sample (second column).
    in_sample = {}
    for line in (cdnow / "CDNOW_sample.txt").read_text().splitlines():
        fields = line.split()
        in_sample[fields[0]] = int(fields[1])
    order = np.array([in_sample[i] for i in transactions.ids[data.customer]])
    position = np.searchsorted(sample["ID"], order)
    assert (data.x == sample["x"][position]).all()
    # The published weeks and spends are rounded to two decimals.
    assert np.abs(data.t_x - sample["t_x"][position]).max() < 0.006
    assert np.abs(data.T - sample["T"][position]).max() < 0.006
    assert np.abs(data.monetary - sample["zbar"][position]).max() < 0.006
