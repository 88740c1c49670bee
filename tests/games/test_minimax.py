"""Tests of accord.games.minimax (zero-sum value by LP)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.games import (
    NormalFormGame,
    battle_of_the_sexes,
    colonel_blotto,
    matching_pennies,
    minimax,
    rock_paper_scissors,
    vertex_enumeration,
)


def assert_optimal(A, value, x, y, tol=1e-9):
    """x guarantees the row player at least `value`, y holds him to at most it."""
    A = np.asarray(A, float)
    assert x.dtype == np.float64 and y.dtype == np.float64
    assert x.shape == (A.shape[0],) and y.shape == (A.shape[1],)
    assert (x >= 0).all() and (y >= 0).all()
    assert abs(x.sum() - 1) < 1e-12 and abs(y.sum() - 1) < 1e-12
    scale = max(1.0, float(np.abs(A).max()))
    assert (x @ A).min() >= value - tol * scale
    assert (A @ y).max() <= value + tol * scale


def two_by_two_value(a, b, c, d):
    """Closed form for a 2x2 game without a saddle point."""
    return (a * d - b * c) / (a + d - b - c)


def test_value_one_ninth():
    # No saddle point (maximin -1 < minimax 1); value (4 - 3) / (1 + 4 + 1 + 3) = 1/9,
    # x = (7/9, 2/9), y = (5/9, 4/9).
    A = np.array([[1.0, -1.0], [-3.0, 4.0]])
    value, x, y = minimax(A)
    assert value == pytest.approx(1 / 9, abs=1e-12)
    np.testing.assert_allclose(x, [7 / 9, 2 / 9], atol=1e-12)
    np.testing.assert_allclose(y, [5 / 9, 4 / 9], atol=1e-12)
    assert_optimal(A, value, x, y)


@pytest.mark.parametrize("A, want", [
    ([[2.0, -1.0], [-1.0, 1.0]], 1 / 5),
    ([[3.0, -2.0], [-1.0, 2.0]], two_by_two_value(3, -2, -1, 2)),
    ([[0.0, 5.0], [4.0, 1.0]], two_by_two_value(0, 5, 4, 1)),
])
def test_two_by_two_closed_form(A, want):
    value, x, y = minimax(A)
    assert value == pytest.approx(want, abs=1e-12)
    assert_optimal(A, value, x, y)


def test_saddle_point():
    A = np.array([[1.0, 2.0], [0.0, 3.0]])  # row 0 / column 0 is a saddle point, value 1
    value, x, y = minimax(A)
    assert value == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_allclose(x, [1.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(y, [1.0, 0.0], atol=1e-12)


@pytest.mark.parametrize("game, k", [(matching_pennies(), 2), (rock_paper_scissors(), 3)])
def test_symmetric_classics_are_uniform_value_zero(game, k):
    value, x, y = minimax(game)
    assert value == pytest.approx(0.0, abs=1e-12)
    np.testing.assert_allclose(x, np.full(k, 1 / k), atol=1e-10)
    np.testing.assert_allclose(y, np.full(k, 1 / k), atol=1e-10)


def test_colonel_blotto_symmetric_value_zero():
    game = colonel_blotto(6, 3)
    value, x, y = minimax(game)
    assert value == pytest.approx(0.0, abs=1e-9)
    assert_optimal(game.bimatrix()[0], value, x, y)


def test_rectangular_and_constant():
    A = np.array([[3.0, 1.0, 4.0], [1.0, 5.0, 9.0]])
    value, x, y = minimax(A)
    assert_optimal(A, value, x, y)
    assert value == pytest.approx(two_by_two_value(3, 1, 1, 5), abs=1e-12)  # col 2 dominated
    value, x, y = minimax(np.full((3, 4), 2.5))
    assert value == 2.5
    assert_optimal(np.full((3, 4), 2.5), value, x, y)


def test_random_games_match_vertex_enumeration():
    rng = np.random.default_rng(3)
    for m, n in [(1, 5), (5, 1), (4, 4), (6, 3), (12, 15), (40, 30)]:
        A = rng.normal(size=(m, n))
        value, x, y = minimax(A)
        assert_optimal(A, value, x, y)
        if m + n <= 12:  # every equilibrium of (A, -A) has the value
            for xe, ye in vertex_enumeration(A, -A):
                assert xe @ A @ ye == pytest.approx(value, abs=1e-9)


def test_affine_invariance():
    rng = np.random.default_rng(8)
    A = rng.random((5, 7))
    v, _, _ = minimax(A)
    w, x, y = minimax(1e5 * A - 42.0)
    assert w == pytest.approx(1e5 * v - 42.0, rel=1e-10)
    assert_optimal(1e5 * A - 42.0, w, x, y, tol=1e-9)


@settings(max_examples=50, deadline=None)
@given(st.integers(1, 6), st.integers(1, 6), st.data())
def test_property_value_bounds(m, n, data):
    vals = st.integers(-5, 5)
    A = np.array(data.draw(st.lists(vals, min_size=m * n, max_size=m * n)), float)
    A = A.reshape(m, n)
    value, x, y = minimax(A)
    assert_optimal(A, value, x, y)
    # maximin over pure strategies <= value <= minimax over pure strategies
    assert A.min(axis=1).max() - 1e-9 <= value <= A.max(axis=0).min() + 1e-9


def test_bad_input():
    with pytest.raises(ValueError, match=r"minimax\(\): A must be finite; entry \(0, 1\)"):
        minimax([[1.0, np.nan]])
    with pytest.raises(ValueError, match="2-D payoff matrix"):
        minimax([1.0, 2.0])
    with pytest.raises(ValueError, match="at least one row"):
        minimax(np.zeros((0, 3)))
    with pytest.raises(TypeError, match="numeric"):
        minimax([["a"]])
    with pytest.raises(ValueError, match="not zero-sum"):
        minimax(battle_of_the_sexes())
    with pytest.raises(ValueError, match="single two-player game"):
        minimax(NormalFormGame(np.zeros((3, 2, 2, 2))))
