"""Customer lifetime value: expected purchases per future period from the purchase model,
times expected spend from Gamma-Gamma, discounted per period (Fader, Hardie & Lee 2005)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from peyvand.analytics.clv import bgnbd
from peyvand.analytics.clv.fitting import FloatArray

WEEKS_PER_MONTH = 365.25 / 12 / 7


def lifetime_value(
    purchase_params: dict[str, float],
    spend: ArrayLike,
    x: ArrayLike,
    t_x: ArrayLike,
    T: ArrayLike,
    *,
    months: int = 12,
    monthly_discount: float = 0.01,
) -> FloatArray:
    """Discounted value of the next `months` months, T in weeks: month i's expected
    purchases (BG/NBD, conditional on the history) times the expected spend per purchase,
    divided by (1 + monthly_discount) ** i."""
    spend = np.asarray(spend, dtype=np.float64)
    total = np.zeros_like(spend)
    previous = np.zeros_like(spend)
    for month in range(1, months + 1):
        cumulative = bgnbd.conditional_expected_purchases(
            purchase_params, month * WEEKS_PER_MONTH, x, t_x, T
        )
        total += (cumulative - previous) * spend / (1 + monthly_discount) ** month
        previous = cumulative
    return total
