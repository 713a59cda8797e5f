"""Element effectiveness and holdout lift: intervals against published values, a planted
effect found in generated data and nothing found where nothing was planted."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from scipy.stats import false_discovery_control

from peyvand.marketing.attribution.effectiveness import (
    ELEMENTS,
    Exposure,
    Rate,
    benjamini_hochberg,
    element_effects,
    exposures_from,
    holdout_lifts,
    newcombe_interval,
    two_proportion_p,
)


def test_wilson_interval() -> None:
    """Wilson 95 % for 5/10: centre (0.5 + 1.96²/20)/(1 + 1.96²/10) = 0.5, half-width
    1.96·√(0.025 + 0.0096)/1.384 = 0.2634 → [0.2366, 0.7634]; 0/10 keeps a real upper
    bound (0.2775) where p ± z·se would say [0, 0]."""
    assert Rate(10, 5).wilson() == pytest.approx((0.2366, 0.7634), abs=1e-4)
    assert Rate(10, 0).wilson() == pytest.approx((0.0, 0.2775), abs=1e-4)


def test_newcombe_interval_matches_the_paper() -> None:
    """Newcombe (1998), Statistics in Medicine 17:873, example (a): 56/70 − 48/80 = 0.2,
    method 10 gives 0.0524 to 0.3339."""
    assert newcombe_interval(Rate(70, 56), Rate(80, 48)) == pytest.approx(
        (0.0524, 0.3339), abs=1e-4
    )


def test_benjamini_hochberg_matches_scipy() -> None:
    """p = 0.01, 0.04, 0.03, 0.005: sorted ×4/rank = 0.02, 0.02, 0.04, 0.04, so q = 0.02,
    0.04, 0.04, 0.02 in the given order."""
    p = [0.01, 0.04, 0.03, 0.005]
    assert benjamini_hochberg(p) == pytest.approx([0.02, 0.04, 0.04, 0.02])
    random = list(np.random.default_rng(3).uniform(size=50))
    assert benjamini_hochberg(random) == pytest.approx(list(false_discovery_control(random)))
    assert benjamini_hochberg([]) == []


def test_two_proportion_p() -> None:
    """160/2000 vs 80/2000: pooled 0.06, se = √(0.06·0.94·2/2000) = 0.00751, z = 5.33."""
    assert two_proportion_p(Rate(2000, 160), Rate(2000, 80)) == pytest.approx(9.9e-8, rel=0.05)
    assert two_proportion_p(Rate(100, 5), Rate(100, 5)) == pytest.approx(1.0)
    assert two_proportion_p(Rate(0, 0), Rate(10, 1)) == 1.0


VALUES = {
    "subject": ["Spring sale", "Last chance", "For you", "New arrivals"],
    "offer": ["10% off", "free shipping", "gift"],
    "channel": ["email", "sms"],
    "send_hour": ["8", "12", "18", "21"],
    "segment": ["loyal", "new", "lapsed"],
    "variant": ["A", "B"],
}


def _generated(
    seed: int, n: int = 20_000, planted: tuple[str, str] | None = None
) -> list[Exposure]:
    """Exposures with every element drawn independently and uniformly; 5 % convert, 9 %
    where the planted element value is."""
    rng = np.random.default_rng(seed)
    exposures = []
    for i in range(n):
        elements: dict[str, str | None] = {
            name: str(rng.choice(values)) for name, values in VALUES.items()
        }
        rate = 0.09 if planted and elements[planted[0]] == planted[1] else 0.05
        exposures.append(Exposure(f"c{i % 3}", elements, bool(rng.random() < rate)))
    return exposures


def test_finds_the_planted_effect_and_nothing_else() -> None:
    effects = element_effects(_generated(seed=7, planted=("subject", "Last chance")))
    found = [lift for lift in effects if lift.significant]
    winner = effects[0]
    assert (winner.dimension, winner.label) == ("subject", "Last chance")
    assert winner.significant
    assert winner.interval[0] > 0
    # The planted 4-point lift lies inside its interval.
    assert winner.interval[0] < 0.04 + 0.05 / 3 and winner.interval[1] > 0.03
    # Within the subject line the other values are worse than a "rest" that holds the
    # winner; no other element shows anything.
    assert {lift.dimension for lift in found} == {"subject"}
    assert [lift.label for lift in found if lift.difference > 0] == ["Last chance"]
    # Every value of every element was compared.
    assert len(effects) == sum(len(v) for v in VALUES.values())


def test_reports_nothing_where_nothing_was_planted() -> None:
    effects = element_effects(_generated(seed=11))
    assert effects, "the comparisons were made"
    assert not [lift for lift in effects if lift.significant]
    # Unadjusted, some comparison would be tempting: that is what the adjustment is for.
    assert min(lift.p_value for lift in effects) < max(lift.q_value for lift in effects)


def test_small_groups_and_single_values_are_not_tested() -> None:
    few = [Exposure("c", {"subject": "a"}, True)] * 10 + [
        Exposure("c", {"subject": "b"}, False)
    ] * 10
    assert element_effects(few) == []
    only_one = [Exposure("c", {"subject": "a"}, i % 2 == 0) for i in range(100)]
    assert element_effects(only_one, elements=["subject"]) == []


def _exposures(key: str, n: int, conversions: int, holdout: bool) -> list[Exposure]:
    return [Exposure(key, {}, i < conversions, holdout) for i in range(n)]


def test_holdout_lift_is_treated_against_control() -> None:
    """Spring: sent 160/2000 (8 %), control 80/2000 (4 %) → lift 4 points, z = 5.33, an
    effect. Autumn: 100/2000 both sides → no effect. Winter has no control group."""
    exposures = (
        _exposures("spring", 2000, 160, False)
        + _exposures("spring", 2000, 80, True)
        + _exposures("autumn", 2000, 100, False)
        + _exposures("autumn", 2000, 100, True)
        + _exposures("winter", 500, 50, False)
    )
    lifts = {lift.label: lift for lift in holdout_lifts(exposures)}
    assert set(lifts) == {"spring", "autumn"}
    spring, autumn = lifts["spring"], lifts["autumn"]
    assert spring.difference == pytest.approx(0.04)
    assert spring.significant and spring.interval[0] > 0
    assert spring.treated == Rate(2000, 160) and spring.baseline == Rate(2000, 80)
    assert not autumn.significant and autumn.difference == 0
    # Holdout exposures never count as treated in the element comparison.
    assert element_effects(_exposures("spring", 100, 100, True)) == []


T0 = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)


def test_exposures_from_first_touch_and_window() -> None:
    """Customer 1 is touched by spring on day 0 (subject "a") and day 3 (subject "b"),
    buys on day 10: one exposure, the first touch's elements, converted within 14 days.
    Customer 2 is touched on day 0 and buys on day 20: not converted. Customer 3 bought
    before the touch only: not converted."""
    elements_a = dict.fromkeys(ELEMENTS) | {"subject": "a"}
    elements_b = dict.fromkeys(ELEMENTS) | {"subject": "b"}
    touches = [
        (1, T0 + dt.timedelta(days=3), "spring", elements_b, False),
        (1, T0, "spring", elements_a, False),
        (2, T0, "spring", elements_a, False),
        (3, T0, "spring", elements_a, True),
    ]
    conversions = [
        (1, T0 + dt.timedelta(days=10)),
        (2, T0 + dt.timedelta(days=20)),
        (3, T0 - dt.timedelta(days=1)),
    ]
    exposures = exposures_from(touches, conversions, window=dt.timedelta(days=14))
    assert sorted(exposures, key=lambda e: (e.converted, e.holdout)) == [
        Exposure("spring", elements_a, False, False),
        Exposure("spring", elements_a, False, True),
        Exposure("spring", elements_a, True, False),
    ]
