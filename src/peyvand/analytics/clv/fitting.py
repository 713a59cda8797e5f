"""Maximum-likelihood fitting shared by the purchase and spend models (numpy/scipy only).

Parameters are optimised on the log scale so every model parameter stays positive without
bounds; the data are compressed to unique rows with weights first, because on a CRM with a
million customers many share the same (x, t_x, T) and each likelihood call then costs less.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import minimize

FloatArray = NDArray[np.float64]
LOG_BOUND = 12.0


@dataclass(frozen=True)
class Fit:
    """Fitted parameters (by name), the maximised log-likelihood and how the optimiser ended."""

    params: dict[str, float]
    log_likelihood: float
    n_customers: int
    iterations: int
    converged: bool


def compress(*columns: FloatArray) -> tuple[list[FloatArray], FloatArray]:
    """Unique rows of the given equal-length columns and how often each occurs."""
    arrays = [np.asarray(c, dtype=np.float64) for c in columns]
    if len(arrays[0]) == 0:
        return arrays, np.zeros(0)
    # lexsort and run boundaries: much faster than np.unique(axis=0) on a million rows.
    order = np.lexsort(arrays[::-1])
    ordered = [a[order] for a in arrays]
    change = np.zeros(len(order), dtype=bool)
    change[0] = True
    for a in ordered:
        change[1:] |= a[1:] != a[:-1]
    starts = np.flatnonzero(change)
    counts = np.diff(np.r_[starts, len(order)]).astype(np.float64)
    return [a[starts] for a in ordered], counts


def maximise(
    log_likelihood: Callable[[FloatArray], float],
    names: tuple[str, ...],
    start: FloatArray,
    n_customers: int,
    gradient: Callable[[FloatArray], tuple[float, FloatArray]] | None = None,
) -> Fit:
    """Maximise `log_likelihood(params)` over positive params (searched as logs).
    `gradient(params)`, if given, returns the log-likelihood and its derivatives by params."""

    def objective(log_params: FloatArray) -> float:
        with np.errstate(all="ignore"):  # line searches may step outside the domain
            value = log_likelihood(np.exp(log_params))
        # Outside the model's domain the likelihood is nan or -inf; a large finite value
        # keeps the search away from there instead of stopping it.
        return -value if np.isfinite(value) else 1e300

    def objective_and_gradient(log_params: FloatArray) -> tuple[float, FloatArray]:
        params = np.exp(log_params)
        assert gradient is not None
        with np.errstate(all="ignore"):  # line searches may step outside the domain
            value, derivatives = gradient(params)
        if not np.isfinite(value) or not np.isfinite(derivatives).all():
            return 1e300, np.zeros_like(params)
        # Chain rule for the log scale: d/d(log p) = p * d/dp.
        return -value, -derivatives * params

    # Quasi-Newton: a few dozen likelihood calls where a simplex needs hundreds, which is
    # what matters on a million customers; analytic gradients save the finite differences.
    result = minimize(
        objective if gradient is None else objective_and_gradient,
        np.log(start),
        method="L-BFGS-B",
        jac=gradient is not None,
        # Thin data can push a pair of parameters towards infinity along a ridge (BG/NBD's
        # r and alpha in the Poisson limit), where the scoring formulas overflow; the box
        # is far outside any fitted customer base's values. Only with analytic gradients:
        # finite differences against the 1e300 wall stall inside a box.
        bounds=[(-LOG_BOUND, LOG_BOUND)] * len(start) if gradient is not None else None,
        options={"ftol": 1e-10, "gtol": 1e-6, "maxiter": 1000},
    )
    params = np.exp(result.x)
    return Fit(
        params={name: float(value) for name, value in zip(names, params, strict=True)},
        log_likelihood=float(-result.fun),
        n_customers=n_customers,
        iterations=int(result.nit),
        converged=bool(result.success),
    )


# Above this many rows a fit first runs on a random subsample of this size and starts the
# full fit from its optimum: the full data then need a few iterations instead of twenty.
WARM_START_ROWS = 50_000


def warm_start_sample(rows: int) -> NDArray[np.intp] | None:
    """Row indices of the subsample for the warm start, or None for small data (seeded, so
    the same data always give the same fit)."""
    if rows <= 2 * WARM_START_ROWS:
        return None
    return np.sort(np.random.default_rng(0).choice(rows, WARM_START_ROWS, replace=False))
