"""On a simulator with known acceptance probabilities the bandit beats uniform random."""

from __future__ import annotations

import math
import random
from typing import Any

from bench.nbo_sim import Simulator

from peyvand.personalization.engine import COSTS, Bandit

DECISIONS = 3000
JUDGED = 1500


def test_bandit_beats_uniform_random_by_a_clear_margin() -> None:
    sim = Simulator(seed=11)
    bandit = Bandit()
    rng = random.Random(5)
    actions = sim.actions()
    advantages: list[float] = []
    closed: list[tuple[float, float, float]] = []
    for step in range(DECISIONS):
        profile: dict[str, Any] = sim.customer()
        choice = bandit.choose(profile, actions, rng)
        probabilities = sim.probabilities(profile)
        accepted = sim.accepted(profile, choice.index)
        bandit.learn(
            profile,
            actions,
            choice.index,
            COSTS["accepted" if accepted else "rejected"],
            choice.probability,
        )
        if step >= DECISIONS - JUDGED:
            uniform = sum(probabilities) / len(probabilities)
            # The exact expected gain over a random pick for this customer, so the margin
            # is measured without the noise of the coin flips.
            advantages.append(probabilities[choice.index] - uniform)
            closed.append((probabilities[choice.index], uniform, max(probabilities)))
    mean = sum(advantages) / len(advantages)
    spread = math.sqrt(sum((a - mean) ** 2 for a in advantages) / (len(advantages) - 1))
    standard_error = spread / math.sqrt(len(advantages))
    assert mean > 5 * standard_error, (mean, standard_error)
    policy, uniform, oracle = (sum(c[i] for c in closed) for i in range(3))
    assert (policy - uniform) / (oracle - uniform) > 0.2


def test_logged_propensity_is_what_the_draw_used() -> None:
    """Drawing many times from one distribution lands on each offer at its logged rate."""
    sim = Simulator(seed=2, offers=4)
    bandit = Bandit()
    profile, actions = sim.customer(), sim.actions()
    rng = random.Random(9)
    draws = [bandit.choose(profile, actions, rng) for _ in range(4000)]
    for index in range(4):
        hits = [d for d in draws if d.index == index]
        expected = draws[0].pmf[index]
        assert all(d.probability == expected for d in hits)
        assert abs(len(hits) / len(draws) - expected) < 4 * math.sqrt(expected / len(draws)) + 0.01


def test_shift_detector_sees_a_drop_in_acceptance_and_not_learning() -> None:
    from peyvand.personalization.engine import ShiftDetector

    rng = random.Random(3)
    detector = ShiftDetector()
    # Learning: acceptance climbs from 0.25 to 0.7 over 20,000 decisions, never a shift.
    for step in range(20_000):
        rate = 0.25 + 0.45 * min(1.0, step / 5000)
        assert not detector.update(float(rng.random() < rate)), step
    # Preferences move: acceptance falls to 0.3 and the drop is seen within a few hundred.
    seen_at = next(
        (step for step in range(2000) if detector.update(float(rng.random() < 0.3))), None
    )
    assert seen_at is not None and seen_at < 600, seen_at


def test_bandit_starts_over_after_a_shift_and_learns_the_new_preferences() -> None:
    sim = Simulator(seed=5)
    bandit = Bandit()
    rng = random.Random(8)
    actions = sim.actions()

    def play(decisions: int) -> None:
        for _ in range(decisions):
            profile: dict[str, Any] = sim.customer()
            choice = bandit.choose(profile, actions, rng)
            accepted = sim.accepted(profile, choice.index)
            bandit.learn(
                profile, actions, choice.index, -1.0 if accepted else 0.0, choice.probability
            )

    play(5000)
    assert bandit.restarts == 0
    sim.shift(1234)  # every offer's appeal moves: yesterday's favourites are not today's
    play(1500)
    assert bandit.restarts == 1
