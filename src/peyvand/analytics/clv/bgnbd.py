"""BG/NBD purchase model (Fader, Hardie & Lee 2005, "Counting your customers the easy way").

Pure numpy/scipy: `x` repeat purchases, `t_x` time of the last one and `T` age of each
customer, all measured from the first purchase in one time unit (weeks in this project).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import betaln, gammaln, hyp2f1

from peyvand.analytics.clv.fitting import Fit, FloatArray, compress, maximise

NAMES = ("r", "alpha", "a", "b")


def _arrays(*values: ArrayLike) -> list[FloatArray]:
    return [np.asarray(v, dtype=np.float64) for v in values]


def log_likelihood_terms(
    r: float, alpha: float, a: float, b: float, x: ArrayLike, t_x: ArrayLike, T: ArrayLike
) -> FloatArray:
    """Each customer's log-likelihood (equation 6 of the paper), in log space throughout."""
    x, t_x, T = _arrays(x, t_x, T)
    common = gammaln(r + x) - gammaln(r) + r * np.log(alpha) - betaln(a, b)
    still_alive = betaln(a, b + x) - (r + x) * np.log(alpha + T)
    repeat = x > 0
    # The dropout term exists only after a repeat purchase; elsewhere it contributes exp(-inf)=0.
    dropped = np.full_like(x, -np.inf)
    dropped[repeat] = betaln(a + 1, b + x[repeat] - 1) - (r + x[repeat]) * np.log(
        alpha + t_x[repeat]
    )
    return common + np.logaddexp(still_alive, dropped)


def log_likelihood(
    r: float,
    alpha: float,
    a: float,
    b: float,
    x: ArrayLike,
    t_x: ArrayLike,
    T: ArrayLike,
    weights: ArrayLike | None = None,
) -> float:
    terms = log_likelihood_terms(r, alpha, a, b, x, t_x, T)
    if weights is None:
        return float(terms.sum())
    return float(np.dot(terms, np.asarray(weights, dtype=np.float64)))


def fit(x: ArrayLike, t_x: ArrayLike, T: ArrayLike) -> Fit:
    """Maximum-likelihood r, alpha, a, b."""
    (ux, ut, uT), weights = compress(*_arrays(x, t_x, T))
    start = np.array([1.0, max(float(np.mean(uT)), 1.0), 1.0, 1.0])
    return maximise(
        lambda p: log_likelihood(*p, ux, ut, uT, weights),
        NAMES,
        start,
        n_customers=int(weights.sum()),
    )


def probability_alive(
    params: dict[str, float], x: ArrayLike, t_x: ArrayLike, T: ArrayLike
) -> FloatArray:
    r, alpha, a, b = (params[n] for n in NAMES)
    x, t_x, T = _arrays(x, t_x, T)
    ratio = np.zeros_like(x)
    repeat = x > 0
    ratio[repeat] = np.exp(
        np.log(a / (b + x[repeat] - 1))
        + (r + x[repeat]) * (np.log(alpha + T[repeat]) - np.log(alpha + t_x[repeat]))
    )
    return 1.0 / (1.0 + ratio)


def conditional_expected_purchases(
    params: dict[str, float], t: float, x: ArrayLike, t_x: ArrayLike, T: ArrayLike
) -> FloatArray:
    """E[Y(t) | x, t_x, T]: purchases expected in the next `t` time units (equation 10)."""
    r, alpha, a, b = (params[n] for n in NAMES)
    x, t_x, T = _arrays(x, t_x, T)
    z = t / (alpha + T + t)
    bracket = 1.0 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp2f1(
        r + x, b + x, a + b + x - 1, z
    )
    return (a + b + x - 1) / (a - 1) * bracket * probability_alive(params, x, t_x, T)


def expected_purchases(params: dict[str, float], t: ArrayLike) -> FloatArray:
    """E[X(t)]: purchases a new customer is expected to make in `t` (equation 9)."""
    r, alpha, a, b = (params[n] for n in NAMES)
    t = np.asarray(t, dtype=np.float64)
    return (
        (a + b - 1)
        / (a - 1)
        * (1.0 - (alpha / (alpha + t)) ** r * hyp2f1(r, b, a + b - 1, t / (alpha + t)))
    )
