"""Which parts of a campaign moved sales, with the uncertainty said out loud (no database).

The unit is an exposure: one customer's first touch of one campaign, with its elements
(subject, offer, channel, send hour, segment, variant), converted or not within the
window after it. For each value of each element the conversion rate of its exposures is
compared with the rest of the exposures that have that element: the difference with a
95 % Newcombe interval (built from the two Wilson intervals) and a two-proportion z-test.
Many values are tested at once, so the p-values are adjusted by Benjamini–Hochberg and
only an adjusted q below `alpha` is called an effect — otherwise one test in twenty
"finds" something in pure noise.

Such lifts are associations: customers chosen for an offer may have bought anyway. A
campaign's holdout (control group, chosen at random and sent nothing) gives the causal
lift: treated against control, the same test.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

import numpy as np
from scipy.stats import norm

ELEMENTS = ("subject", "offer", "channel", "send_hour", "segment", "variant")
Z95 = float(norm.ppf(0.975))
ALPHA = 0.05
# Below this many exposures on either side a rate says too little to be tested.
MIN_EXPOSURES = 30


@dataclass(frozen=True)
class Exposure:
    campaign_key: str
    elements: dict[str, str | None]
    converted: bool
    holdout: bool = False


@dataclass(frozen=True)
class Rate:
    n: int
    conversions: int

    @property
    def value(self) -> float:
        return self.conversions / self.n if self.n else 0.0

    def wilson(self, z: float = Z95) -> tuple[float, float]:
        """Wilson score interval: honest near 0 % and 100 % and for small n, unlike p ± z·se."""
        if not self.n:
            return (0.0, 1.0)
        p, n = self.value, self.n
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
        return (max(0.0, centre - half), min(1.0, centre + half))


@dataclass(frozen=True)
class Lift:
    """`treated` against `baseline`: the difference of rates with its interval and test."""

    label: str
    dimension: str
    treated: Rate
    baseline: Rate
    difference: float
    interval: tuple[float, float]
    p_value: float
    q_value: float = 1.0

    @property
    def relative(self) -> float | None:
        base = self.baseline.value
        return self.difference / base if base else None

    @property
    def significant(self) -> bool:
        return self.q_value < ALPHA and not self.interval[0] <= 0.0 <= self.interval[1]


def newcombe_interval(a: Rate, b: Rate, z: float = Z95) -> tuple[float, float]:
    """Interval for a.value − b.value by Newcombe's hybrid score method (1998, method 10)."""
    diff = a.value - b.value
    lo_a, hi_a = a.wilson(z)
    lo_b, hi_b = b.wilson(z)
    lower = diff - math.sqrt((a.value - lo_a) ** 2 + (hi_b - b.value) ** 2)
    upper = diff + math.sqrt((hi_a - a.value) ** 2 + (b.value - lo_b) ** 2)
    return (lower, upper)


def two_proportion_p(a: Rate, b: Rate) -> float:
    """Two-sided p-value of the pooled z-test that both rates are equal."""
    if not a.n or not b.n:
        return 1.0
    pooled = (a.conversions + b.conversions) / (a.n + b.n)
    se = math.sqrt(pooled * (1 - pooled) * (1 / a.n + 1 / b.n))
    if se == 0:
        return 1.0
    return float(2 * norm.sf(abs(a.value - b.value) / se))


def benjamini_hochberg(p_values: Sequence[float]) -> list[float]:
    """Adjusted q-values (step-up), in the order given."""
    m = len(p_values)
    if not m:
        return []
    order = np.argsort(p_values)
    ranked = np.asarray(p_values, dtype=float)[order] * m / np.arange(1, m + 1)
    ranked = np.minimum.accumulate(ranked[::-1])[::-1]
    q = np.empty(m)
    q[order] = np.minimum(ranked, 1.0)
    return [float(v) for v in q]


def _compare(label: str, dimension: str, treated: Rate, baseline: Rate) -> Lift:
    return Lift(
        label=label,
        dimension=dimension,
        treated=treated,
        baseline=baseline,
        difference=treated.value - baseline.value,
        interval=newcombe_interval(treated, baseline),
        p_value=two_proportion_p(treated, baseline),
    )


def _adjusted(lifts: list[Lift]) -> list[Lift]:
    q_values = benjamini_hochberg([lift.p_value for lift in lifts])
    return [replace(lift, q_value=q) for lift, q in zip(lifts, q_values, strict=True)]


def element_effects(
    exposures: Iterable[Exposure], *, elements: Sequence[str] = ELEMENTS
) -> list[Lift]:
    """Each element value against the rest of its element, among treated exposures, with
    q-values adjusted over every comparison made; largest lifts first."""
    tallies: dict[str, dict[str, list[int]]] = {e: defaultdict(lambda: [0, 0]) for e in elements}
    for exposure in exposures:
        if exposure.holdout:
            continue
        for element in elements:
            value = exposure.elements.get(element)
            if value is None or value == "":
                continue
            tally = tallies[element][str(value)]
            tally[0] += 1
            tally[1] += exposure.converted
    lifts: list[Lift] = []
    for element, values in tallies.items():
        if len(values) < 2:
            continue  # one value has no "rest" to be compared with
        n_all = sum(t[0] for t in values.values())
        c_all = sum(t[1] for t in values.values())
        for value, (n, c) in values.items():
            if n < MIN_EXPOSURES or n_all - n < MIN_EXPOSURES:
                continue
            lifts.append(_compare(value, element, Rate(n, c), Rate(n_all - n, c_all - c)))
    return sorted(_adjusted(lifts), key=lambda lift: -lift.difference)


def holdout_lifts(exposures: Iterable[Exposure]) -> list[Lift]:
    """Per campaign with a control group: treated against control, q-values adjusted over
    the campaigns."""
    tallies: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for exposure in exposures:
        tally = tallies[exposure.campaign_key]
        offset = 2 if exposure.holdout else 0
        tally[offset] += 1
        tally[offset + 1] += exposure.converted
    lifts = [
        _compare(key, "holdout", Rate(t[0], t[1]), Rate(t[2], t[3]))
        for key, t in sorted(tallies.items())
        if t[2] and t[0]
    ]
    return _adjusted(lifts)


def exposures_from(
    touches: Iterable[tuple[int, dt.datetime, str, dict[str, str | None], bool]],
    conversions: Iterable[tuple[int, dt.datetime]],
    *,
    window: dt.timedelta,
) -> list[Exposure]:
    """Exposures from touches (customer, time, campaign, elements, holdout) — the first
    touch of each customer in each campaign — converted when the customer bought in
    (time, time + window]."""
    first: dict[tuple[int, str], tuple[dt.datetime, dict[str, str | None], bool]] = {}
    for customer, at, key, elements, holdout in touches:
        seen = first.get((customer, key))
        if seen is None or at < seen[0]:
            first[(customer, key)] = (at, elements, holdout)
    bought: dict[int, list[dt.datetime]] = defaultdict(list)
    for customer, at in conversions:
        bought[customer].append(at)
    for times in bought.values():
        times.sort()
    result = []
    for (customer, key), (at, elements, holdout) in first.items():
        times = bought.get(customer, [])
        index = bisect.bisect_right(times, at)
        converted = bool(index < len(times) and times[index] <= at + window)
        result.append(Exposure(key, elements, converted, holdout))
    return result
