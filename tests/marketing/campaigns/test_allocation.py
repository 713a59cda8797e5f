"""The pure selection logic: even split, winner once there is enough data, and Thompson
sampling shifting traffic toward the better arm in a simulation."""

from __future__ import annotations

import numpy as np

from peyvand.marketing.campaigns.allocation import ArmStats, even_split, pick_winner, thompson


def test_even_split_continues_where_it_stopped() -> None:
    assert even_split(5, 2) == [0, 1, 0, 1, 0]
    assert even_split(3, 3, start=5) == [2, 0, 1]


def test_no_winner_before_enough_data_or_on_a_tie() -> None:
    assert pick_winner([ArmStats(50, 10), ArmStats(100, 5)], min_sent=100) is None
    assert pick_winner([ArmStats(100, 10), ArmStats(100, 10)], min_sent=100) is None
    assert pick_winner([ArmStats(100, 10), ArmStats(120, 30)], min_sent=100) == 1
    assert pick_winner([ArmStats(100, 10)], min_sent=1) is None


def test_thompson_sampling_shifts_traffic_to_the_better_arm() -> None:
    rng = np.random.default_rng(7)
    true_rates = [0.02, 0.05, 0.10]
    sent, responses = [0, 0, 0], [0, 0, 0]
    shares = []
    for _wave in range(20):
        stats = [ArmStats(s, r) for s, r in zip(sent, responses, strict=True)]
        arms = thompson(stats, 500, rng)
        counts = np.bincount(arms, minlength=3)
        shares.append(counts / counts.sum())
        for arm, n in enumerate(counts):
            sent[arm] += int(n)
            responses[arm] += int(rng.binomial(int(n), true_rates[arm]))
    assert abs(shares[0][2] - 1 / 3) < 0.1  # no data: about even
    assert shares[-1][2] > 0.8  # the best arm takes most of the traffic by the end
    assert sent[2] > sent[1] > sent[0]


def test_thompson_with_equal_arms_stays_balanced() -> None:
    rng = np.random.default_rng(3)
    arms = thompson([ArmStats(1000, 50), ArmStats(1000, 50)], 10_000, rng)
    assert 0.45 < sum(arms) / len(arms) < 0.55
