"""RFM quintile scores and named segments (pure numpy/scipy).

Scores are quintiles of the rank with ties averaged, so customers with equal values always
get equal scores (most customers have one order: they share one F score). Segments follow
the usual R x F grid; M is reported but does not move a customer between segments.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.stats import rankdata

# (R scores, F scores) -> segment; together the cells cover all 25 combinations once.
GRID: list[tuple[str, tuple[int, ...], tuple[int, ...]]] = [
    ("champions", (5,), (4, 5)),
    ("loyal", (3, 4), (4, 5)),
    ("potential_loyalist", (4, 5), (2, 3)),
    ("new", (5,), (1,)),
    ("promising", (4,), (1,)),
    ("need_attention", (3,), (3,)),
    ("about_to_sleep", (3,), (1, 2)),
    ("cant_lose", (1, 2), (5,)),
    ("at_risk", (1, 2), (3, 4)),
    ("hibernating", (2,), (1, 2)),
    ("hibernating", (1,), (2,)),
    ("lost", (1,), (1,)),
]

_LOOKUP = np.empty((6, 6), dtype=object)
for _name, _rs, _fs in GRID:
    for _r in _rs:
        for _f in _fs:
            _LOOKUP[_r, _f] = _name


def quintiles(values: ArrayLike) -> NDArray[np.int64]:
    """1..5, higher for larger values; ties share the score of their average rank."""
    values = np.asarray(values, dtype=np.float64)
    if len(values) == 0:
        return np.zeros(0, dtype=np.int64)
    ranks = rankdata(values, method="average")
    return np.clip(np.ceil(5 * ranks / len(values)), 1, 5).astype(np.int64)


def score(
    recency_days: ArrayLike, frequency: ArrayLike, monetary: ArrayLike
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64], NDArray[np.object_]]:
    """R (recent is high), F, M scores and each customer's segment name."""
    r = quintiles(-np.asarray(recency_days, dtype=np.float64))
    f = quintiles(frequency)
    m = quintiles(monetary)
    return r, f, m, _LOOKUP[r, f]
