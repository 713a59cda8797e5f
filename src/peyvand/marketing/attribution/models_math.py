"""Attribution models as pure functions over customer paths (no database).

A path is the campaign touches one customer had before a conversion, within the lookback
window, oldest first; paths that ended without a conversion are kept too, because the
data-driven models learn from what did not sell as much as from what did. Every model
answers the same question — how much of the conversions and of the revenue each campaign
(or channel) earned — so the page can show them side by side.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

# Exact Shapley values sum over every coalition (2^n of them): 12 channels are 4 096
# coalitions and run in milliseconds; 20 would be a million per report. Beyond the limit
# the model refuses rather than silently approximating.
MAX_SHAPLEY_CHANNELS = 12

# Position-based ("U-shaped"): the first and the last touch earn 40 % each, the touches in
# between share the remaining 20 %.
ENDS_SHARE = 0.4


@dataclass(frozen=True)
class Path:
    touches: tuple[str, ...]
    converted: bool
    revenue: float = 0.0


@dataclass
class Attribution:
    """Credit per campaign: conversions (fractional) and revenue."""

    conversions: dict[str, float] = field(default_factory=dict)
    revenue: dict[str, float] = field(default_factory=dict)


class TooManyChannels(ValueError):
    def __init__(self, count: int) -> None:
        super().__init__(
            f"Shapley values are computed exactly for at most {MAX_SHAPLEY_CHANNELS} "
            f"channels; these paths have {count}."
        )
        self.count = count


def build_paths(
    touches: Iterable[tuple[int, dt.datetime, str]],
    conversions: Iterable[tuple[int, dt.datetime, float]],
    *,
    lookback: dt.timedelta,
    end: dt.datetime,
    since: dt.datetime | None = None,
) -> list[Path]:
    """Cut each customer's touches into paths.

    `touches` are (customer, time, campaign), `conversions` (customer, time, revenue). A
    conversion's path is the touches in (time − lookback, time] made after the customer's
    previous conversion, so no touch is credited twice; a conversion with no such touch is
    not a campaign's and is left out. The touches after a customer's last conversion that
    fall within the lookback before `end` are a path that has not converted (yet).
    Conversions before `since` only cut paths: give them (and the touches in the lookback
    before `since`) so that a touch already credited to one is not credited again.
    """
    by_customer: dict[int, list[tuple[dt.datetime, str]]] = defaultdict(list)
    for customer, at, key in touches:
        by_customer[customer].append((at, key))
    bought: dict[int, list[tuple[dt.datetime, float]]] = defaultdict(list)
    for customer, at, revenue in conversions:
        bought[customer].append((at, revenue))
    paths: list[Path] = []
    for customer, timeline in by_customer.items():
        timeline.sort()
        start = 0
        for at, revenue in sorted(bought.get(customer, ())):
            stop = start
            while stop < len(timeline) and timeline[stop][0] <= at:
                stop += 1
            window = [key for when, key in timeline[start:stop] if when > at - lookback]
            if window and (since is None or at >= since):
                paths.append(Path(tuple(window), True, revenue))
            start = stop
        rest = [key for when, key in timeline[start:] if end - lookback < when <= end]
        if rest:
            paths.append(Path(tuple(rest), False))
    return paths


def _rule_based(paths: Sequence[Path], weights: Callable[[int], np.ndarray]) -> Attribution:
    result = Attribution()
    conversions: dict[str, float] = defaultdict(float)
    revenue: dict[str, float] = defaultdict(float)
    for path in paths:
        if not path.converted or not path.touches:
            continue
        for key, weight in zip(path.touches, weights(len(path.touches)), strict=True):
            if not weight:
                continue  # a touch the model gives nothing is not credited at all
            conversions[key] += float(weight)
            revenue[key] += float(weight) * path.revenue
    result.conversions, result.revenue = dict(conversions), dict(revenue)
    return result


def _first(n: int) -> np.ndarray:
    weights = np.zeros(n)
    weights[0] = 1.0
    return weights


def _last(n: int) -> np.ndarray:
    weights = np.zeros(n)
    weights[-1] = 1.0
    return weights


def _linear(n: int) -> np.ndarray:
    return np.full(n, 1.0 / n)


def _position(n: int) -> np.ndarray:
    if n <= 2:
        return np.full(n, 1.0 / n)
    weights = np.full(n, (1.0 - 2 * ENDS_SHARE) / (n - 2))
    weights[0] = weights[-1] = ENDS_SHARE
    return weights


def first_touch(paths: Sequence[Path]) -> Attribution:
    return _rule_based(paths, _first)


def last_touch(paths: Sequence[Path]) -> Attribution:
    return _rule_based(paths, _last)


def linear(paths: Sequence[Path]) -> Attribution:
    return _rule_based(paths, _linear)


def position_based(paths: Sequence[Path]) -> Attribution:
    return _rule_based(paths, _position)


def _shared(paths: Sequence[Path], shares: dict[str, float]) -> Attribution:
    """Spread the total conversions and revenue over the channels by `shares` (sum 1)."""
    conversions = sum(1 for p in paths if p.converted)
    revenue = sum(p.revenue for p in paths if p.converted)
    return Attribution(
        {key: share * conversions for key, share in shares.items()},
        {key: share * revenue for key, share in shares.items()},
    )


def _conversion_probability(transitions: np.ndarray, start: int, conv: int) -> float:
    """Probability of reaching the conversion state from `start` in an absorbing chain
    whose rows are (sub-)stochastic: solve (I − Q) x = r, Q the transient block."""
    size = transitions.shape[0]
    transient = [i for i in range(size) if i != conv and transitions[i].sum() > 0]
    q = transitions[np.ix_(transient, transient)]
    r = transitions[transient, conv]
    x = np.linalg.solve(np.eye(len(transient)) - q, r)
    return float(x[transient.index(start)])


def markov_removal_effects(paths: Sequence[Path]) -> dict[str, float]:
    """Removal effect of each channel in a first-order Markov chain of the paths.

    The method of Anderl, Becker, von Wangenheim and Schumann (2014), "Mapping the customer
    journey", as the R package ChannelAttribution (Altomare and Loris, `markov_model`) and
    Python ports such as pychattr implement it: states start → channels → conversion or
    null, transition probabilities counted from all paths, converting or not; removing a
    channel sends every transition into it to null, and its removal effect is the share of
    the conversion probability lost, 1 − P(conv without it) / P(conv). ChannelAttribution
    estimates the probabilities by simulation; with a first-order chain they are solved
    exactly here from the absorbing chain's fundamental matrix.
    """
    channels = sorted({key for path in paths for key in path.touches})
    if not channels or not any(p.converted for p in paths):
        return {}
    index = {key: i + 1 for i, key in enumerate(channels)}
    start, conv, null = 0, len(channels) + 1, len(channels) + 2
    counts = np.zeros((null + 1, null + 1))
    for path in paths:
        states = [start, *(index[key] for key in path.touches), conv if path.converted else null]
        for origin, target in itertools.pairwise(states):
            counts[origin, target] += 1
    totals = counts.sum(axis=1, keepdims=True)
    transitions = np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0)
    base = _conversion_probability(transitions, start, conv)
    effects: dict[str, float] = {}
    for key, i in index.items():
        removed = transitions.copy()
        removed[:, null] += removed[:, i]
        removed[:, i] = 0.0
        removed[i, :] = 0.0
        effects[key] = 1.0 - _conversion_probability(removed, start, conv) / base
    return effects


def markov(paths: Sequence[Path]) -> Attribution:
    """Conversions and revenue shared in proportion to the removal effects."""
    effects = markov_removal_effects(paths)
    total = sum(effects.values())
    if total <= 0:
        return Attribution()
    return _shared(paths, {key: effect / total for key, effect in effects.items()})


def shapley_values(paths: Sequence[Path], *, value: str = "conversions") -> dict[str, float]:
    """Exact Shapley value of each channel in the cooperative game whose worth of a set of
    channels S is what the converting paths using only channels in S brought (their count,
    or their revenue with `value="revenue"`), as in Dalessandro et al. (2012) and Zhao et
    al. (2018), "Shapley value methods for attribution modeling in online advertising".
    The values sum to the total (efficiency). Raises TooManyChannels past the limit."""
    channels = sorted({key for path in paths for key in path.touches})
    n = len(channels)
    if n > MAX_SHAPLEY_CHANNELS:
        raise TooManyChannels(n)
    if n == 0:
        return {}
    bit = {key: 1 << i for i, key in enumerate(channels)}
    worth = np.zeros(1 << n)
    for path in paths:
        if path.converted and path.touches:
            mask = 0
            for key in path.touches:
                mask |= bit[key]
            worth[mask] += path.revenue if value == "revenue" else 1.0
    masks = np.arange(1 << n)
    # Subset sums: worth[S] becomes the total over every coalition contained in S.
    for i in range(n):
        has = (masks >> i) & 1 == 1
        worth[has] += worth[masks[has] ^ (1 << i)]
    sizes = np.array([int(m).bit_count() for m in masks])
    # |S|! (n − |S| − 1)! / n! for a coalition S not containing the player.
    weight = np.array(
        [math.factorial(s) * math.factorial(n - s - 1) / math.factorial(n) for s in range(n)]
    )
    values: dict[str, float] = {}
    for i, key in enumerate(channels):
        without = masks[(masks >> i) & 1 == 0]
        gain = worth[without | (1 << i)] - worth[without]
        values[key] = float(np.sum(weight[sizes[without]] * gain))
    return values


def shapley(paths: Sequence[Path]) -> Attribution:
    return Attribution(shapley_values(paths), shapley_values(paths, value="revenue"))
