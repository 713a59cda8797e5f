"""A next-best-offer simulator with known acceptance probabilities (no database, no analytics).

Customers are profiles shaped like `peyvand.personalization.profile.build_profile` output
(language, preferred channel, recency, frequency, money, tenure, recent interactions); each
of 20 offers has an acceptance probability that depends on the profile through a logistic
model with per-offer weights on the profile's bands. Because the probabilities are known,
a policy's value is measured exactly (the mean acceptance probability of what it chose),
beside the uniform random policy and the oracle that always picks the best offer.

Used by tests/personalization (the bandit beats random) and bench/nbo.py (gap closed,
recovery after a shift).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

KINDS = ("discount", "product", "content", "retention_call")
LANGUAGES = ("fa", "en")
CHANNELS = ("email", "sms", "phone", "portal")


def _band(value: float) -> int:
    return 0 if value <= 0 else int(math.log2(value)) + 1


@dataclass
class Simulator:
    offers: int = 20
    seed: int = 0
    rng: random.Random = field(init=False)
    weights: dict[tuple[int, str], float] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.shift(self.seed)

    def shift(self, seed: int) -> None:
        """Draw new preferences: every offer's appeal to every kind of customer changes."""
        draw = random.Random(seed * 7919 + 1)
        self.weights = {}
        for offer in range(self.offers):
            self.weights[(offer, "base")] = draw.gauss(-1.8, 0.4)
            for key in self._keys_all():
                self.weights[(offer, key)] = draw.gauss(0.0, 0.6)

    @staticmethod
    def _keys_all() -> Iterator[str]:
        for language in LANGUAGES:
            yield f"language={language}"
        for channel in CHANNELS:
            yield f"channel={channel}"
        for band in range(6):
            yield f"frequency={band}"
        for band in range(4, 10):
            yield f"recency={band}"

    @staticmethod
    def _keys(profile: dict[str, Any]) -> list[str]:
        # The same powers-of-two bands the bandit's features use, merged below 16 and
        # above 256 days: what a customer's recency says, not a quirk of the encoding.
        recency_band = min(max(_band(profile["recency_days"]), 4), 9)
        return [
            f"language={profile['language']}",
            f"channel={profile['preferred_channel']}",
            f"frequency={min(_band(profile['frequency']), 5)}",
            f"recency={recency_band}",
        ]

    def customer(self) -> dict[str, Any]:
        rng = self.rng
        frequency = int(rng.expovariate(1 / 4))
        return {
            "language": rng.choice(LANGUAGES),
            "preferred_channel": rng.choice(CHANNELS),
            "frequency": frequency,
            "recency_days": float(int(rng.expovariate(1 / 120))) if frequency else 9999.0,
            "monetary": round(frequency * rng.uniform(50, 500), 2),
            "tenure_days": float(rng.randint(1, 2000)),
            "interactions_30d": int(rng.expovariate(1 / 2)),
            "interactions_90d": int(rng.expovariate(1 / 5)),
            "open_tasks": rng.randint(0, 2),
        }

    def actions(self) -> list[dict[str, Any]]:
        return [{"offer": index, "kind": KINDS[index % len(KINDS)]} for index in range(self.offers)]

    def probability(self, profile: dict[str, Any], offer: int) -> float:
        logit = self.weights[(offer, "base")] + sum(
            self.weights[(offer, key)] for key in self._keys(profile)
        )
        return 1.0 / (1.0 + math.exp(-logit))

    def probabilities(self, profile: dict[str, Any]) -> list[float]:
        return [self.probability(profile, offer) for offer in range(self.offers)]

    def accepted(self, profile: dict[str, Any], offer: int) -> bool:
        return self.rng.random() < self.probability(profile, offer)


@dataclass
class Window:
    """Expected acceptance of the policy, random and oracle over a stretch of decisions."""

    policy: float = 0.0
    random: float = 0.0
    oracle: float = 0.0
    n: int = 0

    def add(self, probabilities: list[float], chosen: int) -> None:
        self.policy += probabilities[chosen]
        self.random += sum(probabilities) / len(probabilities)
        self.oracle += max(probabilities)
        self.n += 1

    @property
    def gap_closed(self) -> float:
        """(policy − random) / (oracle − random): 0 is random, 1 is the oracle."""
        span = self.oracle - self.random
        return (self.policy - self.random) / span if span else 0.0


Chooser = Callable[[dict[str, Any], list[dict[str, Any]]], tuple[int, float]]
Learner = Callable[[dict[str, Any], list[dict[str, Any]], int, float, float], None]


def run(
    sim: Simulator,
    choose: Chooser,
    learn: Learner,
    decisions: int,
    window: int = 2000,
) -> list[Window]:
    """Play `decisions` rounds; one Window per `window` decisions, in order."""
    windows: list[Window] = []
    actions = sim.actions()
    for step in range(decisions):
        if step % window == 0:
            windows.append(Window())
        profile = sim.customer()
        chosen, probability = choose(profile, actions)
        windows[-1].add(sim.probabilities(profile), chosen)
        cost = -1.0 if sim.accepted(profile, chosen) else 0.0
        learn(profile, actions, chosen, cost, probability)
    return windows
