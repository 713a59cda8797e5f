"""BG/NBD purchase model (Fader, Hardie & Lee 2005, "Counting your customers the easy way").

Pure numpy/scipy: `x` repeat purchases, `t_x` time of the last one and `T` age of each
customer, all measured from the first purchase in one time unit (weeks in this project).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import betaln, digamma, gammaln, hyp2f1

from peyvand.analytics.clv.fitting import Fit, FloatArray, compress, maximise, warm_start_sample

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


class _Likelihood:
    """The same sum as `log_likelihood`, and its gradient, for fitting. The special
    functions depend only on x and the logs only on T and t_x, each of which takes few
    distinct values: they are evaluated on the distinct values and gathered, and the
    gradient's x-only factors are summed per distinct x (bincount) rather than per row."""

    def __init__(self, x: FloatArray, t_x: FloatArray, T: FloatArray, weights: FloatArray):
        self.x, self.weights = x, weights
        # int32 indices: gathers over a million rows are a good part of each call.
        self.ux, ix = np.unique(x, return_inverse=True)
        self.uT, iT = np.unique(T, return_inverse=True)
        self.ut, it = np.unique(t_x, return_inverse=True)
        self.ix, self.iT, self.it = (i.astype(np.int32) for i in (ix, iT, it))
        self.repeat = x > 0
        self.ux_safe = np.maximum(self.ux, 1.0)
        self.weight_x = np.bincount(self.ix, weights=weights, minlength=len(self.ux))

    def _parts(self, params: FloatArray) -> tuple[float, FloatArray, FloatArray, FloatArray]:
        r, alpha, a, b = params
        rx = r + self.x
        self.log_T = np.log(alpha + self.uT)[self.iT]
        self.log_t = np.log(alpha + self.ut)[self.it]
        alive = betaln(a, b + self.ux)[self.ix] - rx * self.log_T
        dropped = np.where(
            self.repeat, betaln(a + 1, b + self.ux_safe - 1)[self.ix] - rx * self.log_t, -np.inf
        )
        total = np.logaddexp(alive, dropped)
        common = gammaln(r + self.ux) - gammaln(r) + r * np.log(alpha) - betaln(a, b)
        value = float(np.dot(common, self.weight_x) + np.dot(total, self.weights))
        return value, alive, total, rx

    def __call__(self, params: FloatArray) -> float:
        return self._parts(params)[0]

    def with_gradient(self, params: FloatArray) -> tuple[float, FloatArray]:
        r, alpha, a, b = params
        ux, ix, w, wx = self.ux, self.ix, self.weights, self.weight_x
        value, alive, total, rx = self._parts(params)
        # Share of each customer's likelihood from the still-alive term (1 when x = 0).
        share_w = np.exp(alive - total) * w
        other_w = w - share_w
        alive_x = np.bincount(ix, weights=share_w, minlength=len(ux))
        other_x = wx - alive_x
        inv_T = 1.0 / (alpha + self.uT)
        inv_t = 1.0 / (alpha + self.ut)
        d_r = (
            np.dot(digamma(r + ux) - digamma(r) + np.log(alpha), wx)
            - np.dot(share_w, self.log_T)
            - np.dot(other_w, self.log_t)
        )
        d_alpha = r / alpha * wx.sum() - np.dot(
            rx, share_w * inv_T[self.iT] + other_w * inv_t[self.it]
        )
        psi_abx = digamma(a + b + ux)
        d_a = (
            -(digamma(a) - digamma(a + b)) * wx.sum()
            + np.dot(alive_x, digamma(a) - psi_abx)
            + np.dot(other_x, digamma(a + 1) - psi_abx)
        )
        d_b = (
            -(digamma(b) - digamma(a + b)) * wx.sum()
            + np.dot(alive_x, digamma(b + ux) - psi_abx)
            + np.dot(other_x, digamma(b + self.ux_safe - 1) - psi_abx)
        )
        return value, np.array([d_r, d_alpha, d_a, d_b])


def fit(x: ArrayLike, t_x: ArrayLike, T: ArrayLike) -> Fit:
    """Maximum-likelihood r, alpha, a, b."""
    (ux, ut, uT), weights = compress(*_arrays(x, t_x, T))
    start = np.array([1.0, max(float(np.mean(uT)), 1.0), 1.0, 1.0])
    sample = warm_start_sample(len(ux))
    if sample is not None:
        warm = _Likelihood(ux[sample], ut[sample], uT[sample], weights[sample])
        found = maximise(warm, NAMES, start, n_customers=0, gradient=warm.with_gradient)
        start = np.array([found.params[name] for name in NAMES])
    likelihood = _Likelihood(ux, ut, uT, weights)
    return maximise(
        likelihood, NAMES, start, n_customers=int(weights.sum()), gradient=likelihood.with_gradient
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
