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
    stacked = np.column_stack([np.asarray(c, dtype=np.float64) for c in columns])
    unique, counts = np.unique(stacked, axis=0, return_counts=True)
    return [unique[:, i] for i in range(unique.shape[1])], counts.astype(np.float64)


def maximise(
    log_likelihood: Callable[[FloatArray], float],
    names: tuple[str, ...],
    start: FloatArray,
    n_customers: int,
) -> Fit:
    """Maximise `log_likelihood(params)` over positive params (searched as logs)."""

    def objective(log_params: FloatArray) -> float:
        value = log_likelihood(np.exp(log_params))
        # Outside the model's domain the likelihood is nan or -inf; a large finite value
        # keeps the simplex away from there instead of stopping the search.
        return -value if np.isfinite(value) else 1e300

    result = minimize(
        objective,
        np.log(start),
        method="Nelder-Mead",
        options={"xatol": 1e-7, "fatol": 1e-9, "maxiter": 4000, "maxfev": 8000, "adaptive": True},
    )
    params = np.exp(result.x)
    return Fit(
        params={name: float(value) for name, value in zip(names, params, strict=True)},
        log_likelihood=float(-result.fun),
        n_customers=n_customers,
        iterations=int(result.nit),
        converged=bool(result.success),
    )
