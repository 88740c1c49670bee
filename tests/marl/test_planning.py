"""Value iteration against closed forms and an independent LP-per-state reference."""

from __future__ import annotations

import numpy as np
import pytest

import accord.games as G
from accord.marl import MarkovGame, nash_value_iteration, zero_sum_value_iteration


def _zero_sum(rng, S, m, n, terminal=None):
    P = rng.random((S, m, n, S)) ** 3
    P /= P.sum(axis=-1, keepdims=True)
    return MarkovGame.competitive(P, rng.normal(size=(S, m, n)), 0.9, terminal=terminal)


@pytest.mark.parametrize("discount", [0.0, 0.5, 0.95])
def test_repeated_zero_sum_game_is_worth_its_value_over_one_minus_discount(discount):
    A = np.array([[3.0, -1.0, 0.5], [-2.0, 4.0, 1.0]])
    g = MarkovGame.repeated(G.NormalFormGame.from_bimatrix(A, -A), discount)
    sol = zero_sum_value_iteration(g, tol=1e-12)
    v, x, y = G.minimax(A)
    assert sol.converged
    assert sol.values[0, 0] == pytest.approx(v / (1 - discount), abs=1e-10)
    np.testing.assert_allclose(sol.policy[0][0], x, atol=1e-9)


def _reference_values(game, sweeps):
    """Shapley's iteration with one HiGHS LP per state (accord.games.minimax)."""
    V = np.zeros(game.num_states)
    for _ in range(sweeps):
        Q = game.stage_payoffs(np.stack([V, -V]))[:, 0]
        V = np.array(
            [0.0 if game.terminal[s] else G.minimax(Q[s])[0] for s in range(game.num_states)]
        )
    return V


@pytest.mark.parametrize("seed", range(4))
def test_zero_sum_values_match_the_lp_reference_and_are_a_fixed_point(seed):
    rng = np.random.default_rng(seed)
    term = np.zeros(6, dtype=bool)
    term[5] = seed % 2 == 1
    g = _zero_sum(rng, 6, 3, 4, terminal=term)
    sol = zero_sum_value_iteration(g, tol=1e-10)
    assert sol.converged
    ref = _reference_values(g, sol.iterations + 50)
    np.testing.assert_allclose(sol.values[0], ref, atol=1e-9)
    # Fixed point: the value of each state's stage game is the state's value, and the
    # policy guarantees it from both sides.
    for s in np.flatnonzero(~g.terminal):
        Q = sol.stage_payoffs[s, 0]
        assert G.minimax(Q)[0] == pytest.approx(sol.values[0, s], abs=1e-9)
        assert (sol.policy[0][s] @ Q).min() >= sol.values[0, s] - 1e-9
        assert (Q @ sol.policy[1][s]).max() <= sol.values[0, s] + 1e-9
    if term[5]:
        assert sol.values[0, 5] == 0.0


def test_nash_value_iteration_agrees_on_zero_sum_games():
    g = _zero_sum(np.random.default_rng(9), 5, 2, 3)
    zs = zero_sum_value_iteration(g, tol=1e-11)
    ne = nash_value_iteration(g, tol=1e-11)
    assert ne.converged
    np.testing.assert_allclose(ne.values, zs.values, atol=1e-9)


def test_nash_value_iteration_ends_at_stage_equilibria():
    """A general-sum game with a single absorbing outcome: every state's profile is a
    Nash equilibrium of its stage game at the returned values."""
    rng = np.random.default_rng(4)
    S, m, n = 4, 2, 2
    P = rng.random((S, m, n, S)) ** 4
    P /= P.sum(axis=-1, keepdims=True)
    g = MarkovGame(P, rng.random((2, S, m, n)), 0.6)
    sol = nash_value_iteration(g, tol=1e-12)
    assert sol.converged
    for s in range(S):
        A, B = sol.stage_payoffs[s]
        x, y = sol.policy[0][s], sol.policy[1][s]
        assert (A @ y).max() - x @ A @ y <= 1e-9
        assert (x @ B).max() - x @ B @ y <= 1e-9
        assert sol.values[0, s] == pytest.approx(x @ A @ y, abs=1e-9)


def test_planning_refuses_what_it_cannot_solve():
    rng = np.random.default_rng(0)
    general = MarkovGame(np.ones((1, 2, 2, 1)), rng.random((2, 1, 2, 2)), 0.5)
    with pytest.raises(ValueError, match=r"zero_sum_value_iteration\(\): the game is not zero-sum"):
        zero_sum_value_iteration(general)
    three = MarkovGame(np.ones((1, 2, 2, 2, 1)), np.zeros((3, 1, 2, 2, 2)), 0.5)
    with pytest.raises(ValueError, match="two players"):
        nash_value_iteration(three)
    with pytest.raises(TypeError, match="MarkovGame"):
        zero_sum_value_iteration(G.matching_pennies())
    with pytest.raises(ValueError, match="tol"):
        zero_sum_value_iteration(_zero_sum(rng, 2, 2, 2), tol=0)
