"""Gamma-Gamma spend model (Fader, Hardie & Lee 2005, note 025): each customer's mean
repeat spend `m` over `x` repeat purchases; independent of the purchase process."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import digamma, gammaln

from peyvand.analytics.clv.fitting import Fit, FloatArray, maximise, warm_start_sample

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


class _Likelihood:
    """log_likelihood and its gradient for fitting: every term but log(gamma + x m) depends
    on x alone (few distinct values) or is a constant, so only one log runs per row."""

    def __init__(self, x: FloatArray, m: FloatArray):
        self.x, self.m = x, m
        self.ux, ix = np.unique(x, return_inverse=True)
        self.count_x = np.bincount(ix).astype(np.float64)
        self.xm = x * m
        log_m = np.log(m)
        self.sum_x_log_m = float(np.dot(x, log_m))
        self.sum_log_m = float(log_m.sum())
        self.sum_x_log_x = float(np.dot(self.count_x, self.ux * np.log(self.ux)))
        self.sum_x = float(x.sum())

    def with_gradient(self, params: FloatArray) -> tuple[float, FloatArray]:
        p, q, gamma = params
        ux, n_x = self.ux, self.count_x
        log_tail = np.log(gamma + self.xm)
        inv_tail = 1.0 / (gamma + self.xm)
        pxq = p * ux + q
        value = (
            np.dot(gammaln(pxq) - gammaln(p * ux), n_x)
            + len(self.x) * (q * np.log(gamma) - gammaln(q))
            + p * self.sum_x_log_m
            - self.sum_log_m
            + p * self.sum_x_log_x
            - p * np.dot(self.x, log_tail)
            - q * log_tail.sum()
        )
        psi = digamma(pxq)
        d_p = (
            np.dot(ux * (psi - digamma(p * ux)), n_x)
            + self.sum_x_log_m
            + self.sum_x_log_x
            - np.dot(self.x, log_tail)
        )
        d_q = np.dot(psi, n_x) + len(self.x) * (np.log(gamma) - digamma(q)) - log_tail.sum()
        d_gamma = len(self.x) * q / gamma - p * np.dot(self.x, inv_tail) - q * inv_tail.sum()
        return float(value), np.array([d_p, d_q, d_gamma])

    def __call__(self, params: FloatArray) -> float:
        return self.with_gradient(params)[0]


def fit(x: ArrayLike, m: ArrayLike) -> Fit:
    """Fit on repeat buyers only (x > 0, m > 0); others carry no spend information."""
    x, m = np.asarray(x, dtype=np.float64), np.asarray(m, dtype=np.float64)
    keep = (x > 0) & (m > 0)
    x, m = x[keep], m[keep]
    start = np.array([1.0, 1.0, max(float(np.mean(m)), 1.0)])
    sample = warm_start_sample(len(x))
    if sample is not None:
        warm = _Likelihood(x[sample], m[sample])
        found = maximise(warm, NAMES, start, n_customers=0, gradient=warm.with_gradient)
        start = np.array([found.params[name] for name in NAMES])
    likelihood = _Likelihood(x, m)
    return maximise(
        likelihood,
        NAMES,
        start,
        n_customers=len(x),
        gradient=likelihood.with_gradient,
    )


def expected_spend(params: dict[str, float], x: ArrayLike, m: ArrayLike) -> FloatArray:
    """E[M | x, m]: the customer's expected mean spend per purchase (population mean when x=0)."""
    p, q, gamma = (params[n] for n in NAMES)
    x, m = np.asarray(x, dtype=np.float64), np.asarray(m, dtype=np.float64)
    weight = p * x / (p * x + q - 1)
    population = p * gamma / (q - 1)
    return (1 - weight) * population + weight * np.where(x > 0, m, 0.0)
