"""The contextual bandit: VowpalWabbit `--cb_explore_adf` over profile and offer features.

Pure Python and VW, no Django: the same `Bandit` serves the web process (choose), the
worker (learn, then persist the model bytes) and the simulator in bench/nbo_sim.py.

Features: the shared context is the profile (namespace U), each action an offer (namespace
A); `-q UA` crosses them so an offer's appeal can depend on who is asked. Strings become
indicator features (`language=fa`), numbers a log-scaled value plus a band indicator, so
the linear model sees both "more is more" and thresholds.
"""

from __future__ import annotations

import math
import os
import random
import re
import tempfile
import threading
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import vowpalwabbit

# Tuned on the simulator (bench/nbo.py): SquareCB explores in proportion to how much worse
# an action looks, so it wastes far less than epsilon-greedy (which closed 54-73% of the
# random-to-oracle gap against SquareCB's 80-88% over 30,000 decisions). After the
# customers' preferences move, `ShiftDetector` restarts the model (about 150 decisions
# after the move), so recovery is as fast as a blank model learns: with the earlier
# `--power_t 0.25 -l 0.5` and SquareCB's default gamma_scale 10 that was 60-62% of the gap
# 10,000 decisions after a shift. A larger, faster-decaying learning rate (-l 3, power_t
# 0.5) and more exploitation (gamma_scale 60) learn the new preferences sooner: 79% after
# the shift and 92% before it (sweep in bench/results/nbo.md). A constant gamma
# (gamma_exponent 0) or a constant learning rate did worse on both.
DEFAULT_ARGS = "--cb_explore_adf --squarecb -q UA --power_t 0.5 -l 3.0 --gamma_scale 60"

# Cost VW learns from (it minimises cost): an accepted offer is the reward.
COSTS = {"accepted": -1.0, "rejected": 0.0, "ignored": 0.0}

_UNSAFE = re.compile(r"[\s|:]+")


def _token(value: Any) -> str:
    return _UNSAFE.sub("_", str(value)) or "_"


def _band(value: float) -> int:
    """Powers of two: 0, 1, 2-3, 4-7, …; a coarse, scale-free bucket for counts and money."""
    return 0 if value <= 0 else int(math.log2(value)) + 1


def features(values: Mapping[str, Any]) -> str:
    """One VW namespace body from a flat mapping; None values are left out."""
    parts: list[str] = []
    for key in sorted(values):
        value = values[key]
        name = _token(key)
        if value is None:
            continue
        if isinstance(value, (list, tuple, set)):
            parts.extend(f"{name}={_token(item)}" for item in sorted(value))
        elif isinstance(value, bool):
            parts.append(f"{name}={int(value)}")
        elif isinstance(value, (int, float)):
            number = float(value)
            parts.append(f"{name}:{math.log1p(abs(number)):.4f}")
            parts.append(f"{name}_band={_band(abs(number))}")
        else:
            parts.append(f"{name}={_token(value)}")
    return " ".join(parts)


def example(
    context: Mapping[str, Any],
    actions: Sequence[Mapping[str, Any]],
    label: tuple[int, float, float] | None = None,
) -> list[str]:
    """The multi-line ADF example; `label` = (chosen index, cost, probability)."""
    lines = [f"shared |U {features(context)}"]
    for index, action in enumerate(actions):
        prefix = ""
        if label is not None and label[0] == index:
            prefix = f"0:{label[1]}:{label[2]} "
        lines.append(f"{prefix}|A {features(action)}")
    return lines


@dataclass(frozen=True)
class Choice:
    index: int
    probability: float
    pmf: list[float]


class ShiftDetector:
    """Notices that the chosen offers are accepted far less often than they have been: a
    fast moving average of the reward (about the last `fast` decisions) falling below
    `1 - drop` of a slow one (about the last `slow`), once `warmup` rewards were seen.
    While a policy learns the fast average runs above the slow one, so learning never
    looks like a shift; at an acceptance near 0.7 the noise of the fast average is about
    0.02, a 20% drop is seven times that."""

    def __init__(
        self, fast: int = 300, slow: int = 5000, drop: float = 0.2, warmup: int = 2000
    ) -> None:
        self.fast_rate, self.slow_rate = 1 / fast, 1 / slow
        self.drop, self.warmup = drop, warmup
        self.reset()

    def reset(self) -> None:
        self.seen = 0
        self.fast = self.slow = 0.0

    def update(self, reward: float) -> bool:
        """Add one reward; True when the drop is seen (the detector starts over)."""
        self.seen += 1
        # Plain running means until the windows fill, so the first rewards weigh no more
        # than the later ones.
        self.fast += max(self.fast_rate, 1 / self.seen) * (reward - self.fast)
        self.slow += max(self.slow_rate, 1 / self.seen) * (reward - self.slow)
        if self.seen >= self.warmup and self.fast < (1 - self.drop) * self.slow:
            self.reset()
            return True
        return False


class Bandit:
    """One VW workspace behind a lock (a workspace is not thread-safe).

    With `detect_shift` (the default) it watches the rewards it learns from; when they
    drop (`ShiftDetector`) it starts a blank workspace and replays into it the last
    `replay` examples, the ones made after the drop, so exploration starts over on what
    customers want now. `restarts` counts how often that happened in this process."""

    def __init__(
        self,
        args: str = DEFAULT_ARGS,
        model: bytes | None = None,
        *,
        detect_shift: bool = True,
        replay: int = 250,
    ) -> None:
        self.args = args
        self._lock = threading.Lock()
        self.detector = ShiftDetector() if detect_shift else None
        self._recent: deque[list[str]] = deque(maxlen=replay)
        self.restarts = 0
        if model:
            with tempfile.NamedTemporaryFile(suffix=".vw", delete=False) as handle:
                handle.write(model)
                path = handle.name
            try:
                self._vw = vowpalwabbit.Workspace(f"{args} --quiet -i {path}")
            finally:
                os.unlink(path)
        else:
            self._vw = vowpalwabbit.Workspace(f"{args} --quiet")

    def pmf(self, context: Mapping[str, Any], actions: Sequence[Mapping[str, Any]]) -> list[float]:
        """The exploration distribution over `actions` (same order)."""
        with self._lock:
            raw = self._vw.predict(example(context, actions))
        # VW returns float32-ish values that may miss 1.0 by rounding; renormalise.
        total = float(sum(raw)) or 1.0
        return [float(p) / total for p in raw]

    def choose(
        self,
        context: Mapping[str, Any],
        actions: Sequence[Mapping[str, Any]],
        rng: random.Random,
    ) -> Choice:
        pmf = self.pmf(context, actions)
        draw, cumulative, index = rng.random(), 0.0, len(pmf) - 1
        for i, p in enumerate(pmf):
            cumulative += p
            if draw < cumulative:
                index = i
                break
        return Choice(index, pmf[index], pmf)

    def learn(
        self,
        context: Mapping[str, Any],
        actions: Sequence[Mapping[str, Any]],
        chosen: int,
        cost: float,
        probability: float,
    ) -> None:
        lines = example(context, actions, (chosen, cost, probability))
        with self._lock:
            self._vw.learn(lines)
            if self.detector is None:
                return
            self._recent.append(lines)
            if self.detector.update(-cost):
                self._restart()

    def _restart(self) -> None:
        """A blank workspace taught the examples since the drop (the lock is held)."""
        self._vw.finish()
        self._vw = vowpalwabbit.Workspace(f"{self.args} --quiet")
        for lines in self._recent:
            self._vw.learn(lines)
        self.restarts += 1

    def model_bytes(self) -> bytes:
        with tempfile.NamedTemporaryFile(suffix=".vw", delete=False) as handle:
            path = handle.name
        try:
            with self._lock:
                self._vw.save(path)
            with open(path, "rb") as saved:
                return saved.read()
        finally:
            os.unlink(path)

    def close(self) -> None:
        with self._lock:
            self._vw.finish()
