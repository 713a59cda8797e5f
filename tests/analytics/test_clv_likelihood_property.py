"""The vectorised log-likelihoods agree with direct, one-customer-at-a-time implementations
written from the papers' formulas in plain floating point (mpmath for the hypergeometric
function), on random parameters and histories."""

from __future__ import annotations

import math
from typing import Any

import mpmath
import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from peyvand.analytics.clv import bgnbd, gammagamma, paretonbd

positive = st.floats(min_value=0.05, max_value=20.0)


@st.composite
def histories(draw: st.DrawFn) -> list[tuple[int, float, float]]:
    rows = []
    for _ in range(draw(st.integers(min_value=1, max_value=8))):
        T = draw(st.floats(min_value=0.5, max_value=80.0))
        x = draw(st.integers(min_value=0, max_value=15))
        t_x = 0.0 if x == 0 else draw(st.floats(min_value=0.0, max_value=1.0)) * T
        rows.append((x, t_x, T))
    return rows


def bgnbd_slow(r: float, alpha: float, a: float, b: float, x: int, t_x: float, T: float) -> float:
    beta = lambda p, q: math.exp(math.lgamma(p) + math.lgamma(q) - math.lgamma(p + q))  # noqa: E731
    gamma_part = math.exp(math.lgamma(r + x) - math.lgamma(r)) * alpha**r
    value = beta(a, b + x) / beta(a, b) * gamma_part / (alpha + T) ** (r + x)
    if x > 0:
        value += beta(a + 1, b + x - 1) / beta(a, b) * gamma_part / (alpha + t_x) ** (r + x)
    return math.log(value)


def pareto_slow(
    r: float, alpha: float, s: float, beta: float, x: int, t_x: float, T: float
) -> float:
    # Always the alpha-form of A0, continued analytically by mpmath when alpha < beta: the
    # vectorised code switches forms instead, so the two agree only if both are right.
    mp = mpmath.mp
    mp.dps = 40
    r, alpha, s, beta, t_x, T = map(mpmath.mpf, (r, alpha, s, beta, t_x, T))
    n = r + s + x
    a0 = mpmath.hyp2f1(n, s + 1, n + 1, (alpha - beta) / (alpha + t_x)) / (alpha + t_x) ** n
    a0 -= mpmath.hyp2f1(n, s + 1, n + 1, (alpha - beta) / (alpha + T)) / (alpha + T) ** n
    value = (mpmath.gamma(r + x) * alpha**r * beta**s / mpmath.gamma(r)) * (
        1 / ((alpha + T) ** (r + x) * (beta + T) ** s) + s / n * a0
    )
    return float(mpmath.log(value))


def gamma_gamma_slow(p: float, q: float, gamma: float, x: int, m: float) -> float:
    # The density of note 025 as written, in 40-digit arithmetic rather than log space.
    mp = mpmath.mp
    mp.dps = 40
    p, q, gamma, m = map(mpmath.mpf, (p, q, gamma, m))
    density = (
        mpmath.gamma(p * x + q)
        / (mpmath.gamma(p * x) * mpmath.gamma(q))
        * gamma**q
        * m ** (p * x - 1)
        * x ** (p * x)
        / (gamma + m * x) ** (p * x + q)
    )
    return float(mpmath.log(density))


def columns(rows: list[tuple[int, float, float]]) -> tuple[np.ndarray, ...]:
    return tuple(np.array(column, dtype=float) for column in zip(*rows, strict=True))


@given(positive, positive, positive, positive, histories())
def test_bgnbd_vectorised_equals_direct(
    r: float, alpha: float, a: float, b: float, rows: list[tuple[int, float, float]]
) -> None:
    x, t_x, T = columns(rows)
    fast = bgnbd.log_likelihood_terms(r, alpha, a, b, x, t_x, T)
    slow = [bgnbd_slow(r, alpha, a, b, *row) for row in rows]
    np.testing.assert_allclose(fast, slow, rtol=1e-9, atol=1e-9)
    assert math.isclose(
        bgnbd.log_likelihood(r, alpha, a, b, x, t_x, T), sum(slow), rel_tol=1e-9, abs_tol=1e-9
    )


@given(positive, positive, positive, positive, histories())
def test_pareto_nbd_vectorised_equals_direct(
    r: float, alpha: float, s: float, beta: float, rows: list[tuple[int, float, float]]
) -> None:
    x, t_x, T = columns(rows)
    fast = paretonbd.log_likelihood_terms(r, alpha, s, beta, x, t_x, T)
    slow = [pareto_slow(r, alpha, s, beta, *row) for row in rows]
    np.testing.assert_allclose(fast, slow, rtol=1e-7, atol=1e-7)


@given(
    positive,
    positive,
    positive,
    st.lists(
        st.tuples(st.integers(min_value=1, max_value=30), st.floats(min_value=0.5, max_value=500)),
        min_size=1,
        max_size=8,
    ),
)
def test_gamma_gamma_vectorised_equals_direct(
    p: float, q: float, gamma: float, rows: list[tuple[int, float]]
) -> None:
    x, m = (np.array(column, dtype=float) for column in zip(*rows, strict=True))
    fast = gammagamma.log_likelihood_terms(p, q, gamma, x, m)
    slow = [gamma_gamma_slow(p, q, gamma, *row) for row in rows]
    np.testing.assert_allclose(fast, slow, rtol=1e-7, atol=1e-7)


def numeric_gradient(function: Any, params: np.ndarray, step: float = 1e-6) -> np.ndarray:
    gradient = np.zeros_like(params)
    for i in range(len(params)):
        up, down = params.copy(), params.copy()
        up[i] += step * params[i]
        down[i] -= step * params[i]
        gradient[i] = (function(up) - function(down)) / (up[i] - down[i])
    return gradient


@given(
    st.floats(min_value=0.1, max_value=5),
    st.floats(min_value=0.5, max_value=20),
    st.floats(min_value=0.2, max_value=5),
    st.floats(min_value=0.5, max_value=10),
    histories(),
)
def test_bgnbd_gradient_equals_finite_differences(
    r: float, alpha: float, a: float, b: float, rows: list[tuple[int, float, float]]
) -> None:
    x, t_x, T = columns(rows)
    likelihood = bgnbd._Likelihood(x, t_x, T, np.ones_like(x))
    params = np.array([r, alpha, a, b])
    value, gradient = likelihood.with_gradient(params)
    assert math.isclose(value, bgnbd.log_likelihood(r, alpha, a, b, x, t_x, T), rel_tol=1e-9)
    np.testing.assert_allclose(gradient, numeric_gradient(likelihood, params), rtol=1e-4, atol=1e-4)


@given(
    st.floats(min_value=0.5, max_value=10),
    st.floats(min_value=1.5, max_value=10),
    st.floats(min_value=1, max_value=50),
    st.lists(
        st.tuples(st.integers(min_value=1, max_value=20), st.floats(min_value=1, max_value=200)),
        min_size=1,
        max_size=8,
    ),
)
def test_gamma_gamma_gradient_equals_finite_differences(
    p: float, q: float, gamma: float, rows: list[tuple[int, float]]
) -> None:
    x, m = (np.array(column, dtype=float) for column in zip(*rows, strict=True))
    likelihood = gammagamma._Likelihood(x, m)
    params = np.array([p, q, gamma])
    value, gradient = likelihood.with_gradient(params)
    assert math.isclose(value, gammagamma.log_likelihood(p, q, gamma, x, m), rel_tol=1e-9)
    np.testing.assert_allclose(gradient, numeric_gradient(likelihood, params), rtol=1e-4, atol=1e-4)
