"""The attribution models on hand-built paths whose answers are worked out by hand."""

from __future__ import annotations

import datetime as dt
import itertools
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from peyvand.marketing.attribution.models_math import (
    MAX_SHAPLEY_CHANNELS,
    Path,
    TooManyChannels,
    build_paths,
    first_touch,
    last_touch,
    linear,
    markov,
    markov_removal_effects,
    position_based,
    shapley,
    shapley_values,
)

# Two conversions and one path that did not convert:
#   email → social → search   converted, revenue 100
#   search → email            converted, revenue 50
#   social                    not converted (ignored by the rule-based models)
PATHS = [
    Path(("email", "social", "search"), True, 100.0),
    Path(("search", "email"), True, 50.0),
    Path(("social",), False),
]


def test_first_touch() -> None:
    """First touch: path 1 → email (1 conversion, 100), path 2 → search (1, 50)."""
    result = first_touch(PATHS)
    assert result.conversions == {"email": 1.0, "search": 1.0}
    assert result.revenue == {"email": 100.0, "search": 50.0}


def test_last_touch() -> None:
    """Last touch: path 1 → search (1, 100), path 2 → email (1, 50)."""
    result = last_touch(PATHS)
    assert result.conversions == {"search": 1.0, "email": 1.0}
    assert result.revenue == {"search": 100.0, "email": 50.0}


def test_linear() -> None:
    """Linear: path 1 gives each of three 1/3 (33.33 each), path 2 each of two 1/2 (25).
    email = 1/3 + 1/2 = 5/6 conversions, 33.33 + 25 = 58.33; social = 1/3, 33.33;
    search = 1/3 + 1/2 = 5/6, 58.33."""
    result = linear(PATHS)
    assert result.conversions == pytest.approx({"email": 5 / 6, "social": 1 / 3, "search": 5 / 6})
    assert result.revenue == pytest.approx({"email": 175 / 3, "social": 100 / 3, "search": 175 / 3})


def test_position_based() -> None:
    """40/20/40: path 1 (three touches) → email 0.4, social 0.2, search 0.4; path 2 (two
    touches) splits evenly, 0.5 each. email = 0.9 conversions, 40 + 25 = 65; social = 0.2,
    20; search = 0.9, 40 + 25 = 65. A four-touch path gives the middle two 0.1 each."""
    result = position_based(PATHS)
    assert result.conversions == pytest.approx({"email": 0.9, "social": 0.2, "search": 0.9})
    assert result.revenue == pytest.approx({"email": 65.0, "social": 20.0, "search": 65.0})
    four = position_based([Path(("a", "b", "c", "d"), True, 10.0)])
    assert four.conversions == pytest.approx({"a": 0.4, "b": 0.1, "c": 0.1, "d": 0.4})
    one = position_based([Path(("a",), True, 10.0)])
    assert one.conversions == {"a": 1.0}


def test_repeated_touches_add_up() -> None:
    """email → email → web, linear: email 2/3, web 1/3."""
    result = linear([Path(("email", "email", "web"), True, 30.0)])
    assert result.conversions == pytest.approx({"email": 2 / 3, "web": 1 / 3})
    assert result.revenue == pytest.approx({"email": 20.0, "web": 10.0})


# The textbook example of Markov removal effects (S. Bryl, "Marketing Multi-Channel
# Attribution model with R", analyzecore.com 2016; the markovattribution JS library's tests):
#   C1 → C2 → C3 converted,  C1 not converted,  C2 → C3 not converted.
BRYL = [
    Path(("C1", "C2", "C3"), True, 1000.0),
    Path(("C1",), False),
    Path(("C2", "C3"), False),
]


def test_markov_removal_effect_textbook() -> None:
    """Transitions: start→C1 2/3, start→C2 1/3; C1→C2 1/2, C1→null 1/2; C2→C3 1;
    C3→conv 1/2, C3→null 1/2. P(conv) = (2/3·1/2 + 1/3)·1·1/2 = 1/3.
    Without C1: only start→C2 survives, P = 1/3·1·1/2 = 1/6, removal effect 1 − (1/6)/(1/3)
    = 0.5. Without C2 or C3 nothing converts: removal effect 1. Shares 0.5 : 1 : 1 of 2.5 →
    C1 0.2, C2 0.4, C3 0.4 of the one conversion and of its 1 000."""
    assert markov_removal_effects(BRYL) == pytest.approx({"C1": 0.5, "C2": 1.0, "C3": 1.0})
    result = markov(BRYL)
    assert result.conversions == pytest.approx({"C1": 0.2, "C2": 0.4, "C3": 0.4})
    assert result.revenue == pytest.approx({"C1": 200.0, "C2": 400.0, "C3": 400.0})


def test_markov_with_a_loop() -> None:
    """A → B → A → conv, and B not converted. Transitions: start→A 1/2, start→B 1/2;
    A→B 1/2, A→conv 1/2; B→A 1/2, B→null 1/2. From A: a = 1/2 + 1/2·b, b = 1/2·a, so
    a = 2/3, b = 1/3, P = 1/2·2/3 + 1/2·1/3 = 1/2.
    Without A: nothing converts, effect 1. Without B: a = 1/2, P = 1/4, effect 1/2.
    Shares 2/3 and 1/3."""
    paths = [Path(("A", "B", "A"), True, 90.0), Path(("B",), False)]
    assert markov_removal_effects(paths) == pytest.approx({"A": 1.0, "B": 0.5})
    assert markov(paths).revenue == pytest.approx({"A": 60.0, "B": 30.0})


def test_markov_without_conversions_credits_nobody() -> None:
    assert markov([Path(("a",), False)]).conversions == {}
    assert markov([]).conversions == {}


def test_shapley_textbook() -> None:
    """A three-player game worked by hand. Converting paths: {A, B} twice, {A, C} once,
    {A, B, C} once (a path that did not convert is worth nothing).
    v(S) = converting paths whose channels all lie in S:
        v(AB)=2, v(AC)=1, v(BC)=0, v(ABC)=4, singles 0.
    φ_A = 1/3·[v(A)−0] + 1/6·[v(AB)−v(B)] + 1/6·[v(AC)−v(C)] + 1/3·[v(ABC)−v(BC)]
        = 0 + 2/6 + 1/6 + 4/3 = 11/6
    φ_B = 1/6·[v(AB)−v(A)] + 1/6·[v(BC)−v(C)] + 1/3·[v(ABC)−v(AC)] = 2/6 + 0 + 3/3 = 8/6
    φ_C = 1/6·[v(AC)−v(A)] + 1/6·[v(BC)−v(B)] + 1/3·[v(ABC)−v(AB)] = 1/6 + 0 + 2/3 = 5/6
    Sum 24/6 = 4 = v(ABC) (efficiency)."""
    paths = [
        Path(("A", "B"), True, 10.0),
        Path(("B", "A"), True, 10.0),
        Path(("A", "C"), True, 10.0),
        Path(("C", "B", "A"), True, 10.0),
        Path(("B",), False),
    ]
    values = shapley_values(paths)
    assert values == pytest.approx({"A": 11 / 6, "B": 8 / 6, "C": 5 / 6})
    assert shapley(paths).revenue == pytest.approx({"A": 110 / 6, "B": 80 / 6, "C": 50 / 6})


def _brute_force_shapley(paths: list[Path]) -> dict[str, float]:
    """Shapley by its definition: the average marginal worth over every ordering."""
    channels = sorted({k for p in paths for k in p.touches})

    def worth(coalition: set[str]) -> float:
        return sum(1.0 for p in paths if p.converted and set(p.touches) <= coalition)

    totals = dict.fromkeys(channels, 0.0)
    orderings = list(itertools.permutations(channels))
    for order in orderings:
        seen: set[str] = set()
        for key in order:
            before = worth(seen)
            seen.add(key)
            totals[key] += worth(seen) - before
    return {key: total / len(orderings) for key, total in totals.items()}


@given(
    st.lists(
        st.tuples(st.lists(st.sampled_from("abcde"), min_size=1, max_size=4), st.booleans()),
        min_size=1,
        max_size=12,
    )
)
def test_shapley_matches_the_definition(raw: list[tuple[list[str], bool]]) -> None:
    paths = [Path(tuple(touches), converted, 1.0) for touches, converted in raw]
    assert shapley_values(paths) == pytest.approx(_brute_force_shapley(paths))
    total = sum(1 for p in paths if p.converted)
    assert math.isclose(sum(shapley_values(paths).values()), total, abs_tol=1e-9)


def test_shapley_refuses_more_channels_than_its_limit() -> None:
    many = [Path(tuple(f"c{i}" for i in range(MAX_SHAPLEY_CHANNELS + 1)), True, 1.0)]
    with pytest.raises(TooManyChannels) as caught:
        shapley(many)
    assert caught.value.count == MAX_SHAPLEY_CHANNELS + 1
    exactly = [Path(tuple(f"c{i}" for i in range(MAX_SHAPLEY_CHANNELS)), True, 12.0)]
    assert sum(shapley_values(exactly).values()) == pytest.approx(1.0)


def test_every_model_shares_out_the_same_totals() -> None:
    for model in (first_touch, last_touch, linear, position_based, markov, shapley):
        result = model(PATHS)
        assert sum(result.conversions.values()) == pytest.approx(2.0), model
        assert sum(result.revenue.values()) == pytest.approx(150.0), model


T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def day(n: float) -> dt.datetime:
    return T0 + dt.timedelta(days=n)


def test_build_paths_lookback_and_previous_conversion() -> None:
    """Customer 1: email day 0, sms day 20, web day 25, buys day 30 (100), search day 31,
    buys day 32 (40), social day 40. Lookback 14 days:
      - the day-30 purchase takes the touches in (16, 30] → sms, web (email is too old);
      - the day-32 purchase takes only what came after day 30 → search;
      - social (day 40) is an open path if `end` is within 14 days of it.
    Customer 2 buys on day 5 with no touch before: no path. Customer 3 only touched on
    day 1: too long before the end (day 45), so no open path either."""
    touches = [
        (1, day(0), "email"),
        (1, day(20), "sms"),
        (1, day(25), "web"),
        (1, day(31), "search"),
        (1, day(40), "social"),
        (3, day(1), "email"),
    ]
    conversions = [(1, day(30), 100.0), (1, day(32), 40.0), (2, day(5), 70.0)]
    paths = build_paths(touches, conversions, lookback=dt.timedelta(days=14), end=day(45))
    assert sorted(paths, key=lambda p: p.touches) == [
        Path(("search",), True, 40.0),
        Path(("sms", "web"), True, 100.0),
        Path(("social",), False),
    ]
    # A conversion before `since` still cuts the path but is not itself reported.
    later = build_paths(
        touches, conversions, lookback=dt.timedelta(days=14), end=day(45), since=day(31)
    )
    assert Path(("sms", "web"), True, 100.0) not in later
    assert Path(("search",), True, 40.0) in later
