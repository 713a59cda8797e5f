"""Which variant each recipient gets: an even split, the winner of a test, or Thompson
sampling (a bandit). Pure functions over counts, so they are tested without a database."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ArmStats:
    """One variant so far: messages sent and how many of them responded (clicked or
    converted, whichever the campaign is judged by)."""

    sent: int
    responses: int

    @property
    def rate(self) -> float:
        return self.responses / self.sent if self.sent else 0.0


def even_split(n: int, arms: int, start: int = 0) -> list[int]:
    """Arm of each of `n` recipients, in turn, continuing from position `start` (so a send
    resumed after a crash keeps the split even)."""
    return [(start + i) % arms for i in range(n)]


def thompson(stats: Sequence[ArmStats], n: int, rng: np.random.Generator) -> list[int]:
    """Arm of each of `n` recipients: for each one, draw every arm's response rate from its
    Beta(1 + responses, 1 + misses) posterior and take the best draw. Arms that did better
    get more traffic, and an arm with little data still gets some, so a wrong early lead is
    corrected."""
    if not stats:
        return []
    alpha = np.array([1 + s.responses for s in stats], dtype=float)
    beta = np.array([1 + max(s.sent - s.responses, 0) for s in stats], dtype=float)
    draws = rng.beta(alpha, beta, size=(n, len(stats)))
    return [int(i) for i in draws.argmax(axis=1)]


def pick_winner(stats: Sequence[ArmStats], min_sent: int) -> int | None:
    """The arm with the best response rate, once every arm has `min_sent` messages; None
    before that, or while the best is tied (a coin toss is not a result)."""
    if len(stats) < 2 or any(s.sent < min_sent for s in stats):
        return None
    rates = [s.rate for s in stats]
    best = max(rates)
    leaders = [i for i, rate in enumerate(rates) if rate == best]
    return leaders[0] if len(leaders) == 1 else None
