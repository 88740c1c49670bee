"""correlated_equilibrium_batch against the HiGHS LP of correlated_equilibrium."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.games import (
    NormalFormGame,
    cce_violation,
    ce_violation,
    coarse_correlated_equilibrium,
    correlated_equilibrium,
    correlated_equilibrium_batch,
)


def _reference(u, objective, coarse):
    solve = coarse_correlated_equilibrium if coarse else correlated_equilibrium
    obj = u[objective] if isinstance(objective, int) else objective
    return solve(u, obj).objective_value


def _value(expected, objective):
    if objective == "welfare":
        return expected.sum()
    if objective == "egalitarian":
        return expected.min()
    return expected[objective]


@pytest.mark.parametrize("coarse", [False, True])
@pytest.mark.parametrize("objective", ["welfare", "egalitarian", 0, 1])
@pytest.mark.parametrize("shape", [(2, 2, 2), (2, 3, 4), (2, 5, 5), (3, 2, 3, 2)])
def test_optimal_values_match_highs(shape, objective, coarse):
    rng = np.random.default_rng(sum(shape))
    U = rng.normal(size=(25, *shape))
    r = correlated_equilibrium_batch(U, objective, coarse=coarse)
    check = cce_violation if coarse else ce_violation
    for g in range(len(U)):
        assert r.distribution[g].min() >= 0.0
        assert r.distribution[g].sum() == pytest.approx(1.0, abs=1e-12)
        assert check(U[g], r.distribution[g]) <= 1e-9 * np.abs(U[g]).max()
        want = _reference(U[g], objective, coarse)
        assert _value(r.expected_payoffs[g], objective) == pytest.approx(want, abs=1e-8)
        np.testing.assert_allclose(
            r.expected_payoffs[g],
            np.tensordot(U[g], r.distribution[g], axes=U[g].ndim - 1),
            atol=1e-12,
        )


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 4),
    st.integers(1, 4),
    st.integers(0, 2**32 - 1),
    st.sampled_from(["welfare", "egalitarian", "feasibility"]),
)
def test_degenerate_integer_games(m, n, seed, objective):
    """Small integer payoffs (ties everywhere: highly degenerate LPs) are solved exactly."""
    rng = np.random.default_rng(seed)
    U = rng.integers(-2, 3, size=(8, 2, m, n)).astype(float)
    r = correlated_equilibrium_batch(U, objective)
    for g in range(len(U)):
        assert ce_violation(U[g], r.distribution[g]) <= 1e-9 * max(np.abs(U[g]).max(), 1.0)
        if objective != "feasibility":
            want = _reference(U[g], objective, False)
            assert _value(r.expected_payoffs[g], objective) == pytest.approx(want, abs=1e-8)


def test_known_games():
    # chicken: the welfare-optimal CE puts 1/3 on each of (D,C), (C,D), (C,C)
    # (Aumann 1974); payoffs (C,C)=6, (C,D)=(2,7), (D,C)=(7,2), (D,D)=0
    u = np.array([[[6, 2], [7, 0]], [[6, 7], [2, 0]]], dtype=float)
    r = correlated_equilibrium_batch(u[None], "welfare")
    assert r.expected_payoffs[0].sum() == pytest.approx(10.5)
    # all-zero game: every distribution is optimal, the payoffs are 0
    z = correlated_equilibrium_batch(np.zeros((3, 2, 2, 3)), "egalitarian")
    np.testing.assert_allclose(z.expected_payoffs, 0.0)
    np.testing.assert_allclose(z.distribution.sum(axis=(1, 2)), 1.0)


def test_large_games_fall_back_to_highs():
    rng = np.random.default_rng(3)
    U = rng.normal(size=(3, 2, 8, 8))
    r = correlated_equilibrium_batch(U)
    assert r.fallback.all()
    for g in range(3):
        want = correlated_equilibrium(U[g]).objective_value
        assert r.expected_payoffs[g].sum() == pytest.approx(want, abs=1e-8)


def test_batched_normal_form_game():
    rng = np.random.default_rng(4)
    U = rng.normal(size=(4, 2, 3, 3))
    a = correlated_equilibrium_batch(NormalFormGame(U, batch=True))
    b = correlated_equilibrium_batch(U)
    np.testing.assert_array_equal(a.distribution, b.distribution)


@pytest.mark.parametrize(
    "args, exc, match",
    [
        ((np.zeros((2, 3)),), ValueError, r"game must be payoffs of shape \(G, n"),
        ((np.zeros((2, 2, 2, 2)), "best"), ValueError, "objective must be one of"),
        ((np.zeros((2, 2, 2, 2)), 2), ValueError, r"player index in 0\.\.1"),
        ((np.zeros((2, 2, 2, 2)), 1.5), TypeError, "objective must be a string"),
        ((np.full((1, 2, 2, 2), np.nan),), ValueError, "must be finite; game 0"),
        ((np.zeros((0, 2, 2, 2)),), ValueError, "must not be empty"),
    ],
)
def test_bad_input(args, exc, match):
    with pytest.raises(exc, match=rf"correlated_equilibrium_batch\(\): .*{match}"):
        correlated_equilibrium_batch(*args)


def test_bad_tolerance():
    with pytest.raises(ValueError, match="tol"):
        correlated_equilibrium_batch(np.zeros((1, 2, 2, 2)), tol=0.0)
