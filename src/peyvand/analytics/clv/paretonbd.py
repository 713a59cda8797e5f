"""Pareto/NBD purchase model (Schmittlein, Morrison & Colombo 1987), likelihood as in
Fader & Hardie's note "A note on deriving the Pareto/NBD model and related expressions"."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import gammaln, hyp2f1

from peyvand.analytics.clv.fitting import Fit, FloatArray, compress, maximise

NAMES = ("r", "alpha", "s", "beta")


def _log_a0(
    r: float, alpha: float, s: float, beta: float, x: FloatArray, t_x: FloatArray, T: FloatArray
) -> FloatArray:
    """log A0: the dropout part of the likelihood; the hypergeometric argument is written
    around the larger of alpha and beta so it stays inside [0, 1)."""
    big = max(alpha, beta)
    second: float | FloatArray = s + 1 if alpha >= beta else r + x
    gap = abs(alpha - beta)
    first = r + s + x
    at_tx = np.log(hyp2f1(first, second, first + 1, gap / (big + t_x))) - first * np.log(big + t_x)
    at_T = np.log(hyp2f1(first, second, first + 1, gap / (big + T))) - first * np.log(big + T)
    return at_tx + np.log1p(-np.exp(at_T - at_tx))


def log_likelihood_terms(
    r: float, alpha: float, s: float, beta: float, x: ArrayLike, t_x: ArrayLike, T: ArrayLike
) -> FloatArray:
    x, t_x, T = (np.asarray(v, dtype=np.float64) for v in (x, t_x, T))
    common = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
    alive = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
    # t_x == T (a purchase on the last day) makes A0 zero: log1p(-1) = -inf, exp(-inf) = 0.
    with np.errstate(divide="ignore"):
        dropout = np.log(s / (r + s + x)) + _log_a0(r, alpha, s, beta, x, t_x, T)
    return common + np.logaddexp(alive, dropout)


def log_likelihood(
    r: float,
    alpha: float,
    s: float,
    beta: float,
    x: ArrayLike,
    t_x: ArrayLike,
    T: ArrayLike,
    weights: ArrayLike | None = None,
) -> float:
    terms = log_likelihood_terms(r, alpha, s, beta, x, t_x, T)
    if weights is None:
        return float(terms.sum())
    return float(np.dot(terms, np.asarray(weights, dtype=np.float64)))


def fit(x: ArrayLike, t_x: ArrayLike, T: ArrayLike) -> Fit:
    """Maximum-likelihood r, alpha, s, beta."""
    (ux, ut, uT), weights = compress(*(np.asarray(v, dtype=np.float64) for v in (x, t_x, T)))
    start = np.array([1.0, max(float(np.mean(uT)), 1.0), 1.0, max(float(np.mean(uT)), 1.0)])
    return maximise(
        lambda p: log_likelihood(p[0], p[1], p[2], p[3], ux, ut, uT, weights),
        NAMES,
        start,
        n_customers=int(weights.sum()),
    )


def probability_alive(
    params: dict[str, float], x: ArrayLike, t_x: ArrayLike, T: ArrayLike
) -> FloatArray:
    r, alpha, s, beta = (params[n] for n in NAMES)
    x, t_x, T = (np.asarray(v, dtype=np.float64) for v in (x, t_x, T))
    with np.errstate(divide="ignore"):
        log_ratio = (
            np.log(s / (r + s + x))
            + (r + x) * np.log(alpha + T)
            + s * np.log(beta + T)
            + _log_a0(r, alpha, s, beta, x, t_x, T)
        )
    return 1.0 / (1.0 + np.exp(log_ratio))


def conditional_expected_purchases(
    params: dict[str, float], t: float, x: ArrayLike, t_x: ArrayLike, T: ArrayLike
) -> FloatArray:
    r, alpha, s, beta = (params[n] for n in NAMES)
    x, t_x, T = (np.asarray(v, dtype=np.float64) for v in (x, t_x, T))
    rate = (r + x) * (beta + T) / ((alpha + T) * (s - 1))
    return (
        rate * (1 - ((beta + T) / (beta + T + t)) ** (s - 1)) * probability_alive(params, x, t_x, T)
    )
