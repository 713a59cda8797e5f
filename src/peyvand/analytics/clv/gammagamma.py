"""Gamma-Gamma spend model (Fader, Hardie & Lee 2005, note 025): each customer's mean
repeat spend `m` over `x` repeat purchases; independent of the purchase process."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import gammaln

from peyvand.analytics.clv.fitting import Fit, FloatArray, compress, maximise

NAMES = ("p", "q", "gamma")


def log_likelihood_terms(
    p: float, q: float, gamma: float, x: ArrayLike, m: ArrayLike
) -> FloatArray:
    x, m = np.asarray(x, dtype=np.float64), np.asarray(m, dtype=np.float64)
    px = p * x
    return (
        gammaln(px + q)
        - gammaln(px)
        - gammaln(q)
        + q * np.log(gamma)
        + (px - 1) * np.log(m)
        + px * np.log(x)
        - (px + q) * np.log(gamma + x * m)
    )


def log_likelihood(
    p: float, q: float, gamma: float, x: ArrayLike, m: ArrayLike, weights: ArrayLike | None = None
) -> float:
    terms = log_likelihood_terms(p, q, gamma, x, m)
    if weights is None:
        return float(terms.sum())
    return float(np.dot(terms, np.asarray(weights, dtype=np.float64)))


def fit(x: ArrayLike, m: ArrayLike) -> Fit:
    """Fit on repeat buyers only (x > 0, m > 0); others carry no spend information."""
    x, m = np.asarray(x, dtype=np.float64), np.asarray(m, dtype=np.float64)
    keep = (x > 0) & (m > 0)
    (ux, um), weights = compress(x[keep], m[keep])
    return maximise(
        lambda params: log_likelihood(*params, ux, um, weights),
        NAMES,
        np.array([1.0, 1.0, max(float(np.mean(um)), 1.0)]),
        n_customers=int(weights.sum()),
    )


def expected_spend(params: dict[str, float], x: ArrayLike, m: ArrayLike) -> FloatArray:
    """E[M | x, m]: the customer's expected mean spend per purchase (population mean when x=0)."""
    p, q, gamma = (params[n] for n in NAMES)
    x, m = np.asarray(x, dtype=np.float64), np.asarray(m, dtype=np.float64)
    weight = p * x / (p * x + q - 1)
    population = p * gamma / (q - 1)
    return (1 - weight) * population + weight * np.where(x > 0, m, 0.0)
