"""Hu & Wellman's (2003) grid games: the rules, and the values of their Nash equilibrium
paths by policy evaluation, best responses and Nash value iteration."""

from __future__ import annotations

import numpy as np
import pytest

from accord.marl import nash_value_iteration
from accord.marl.grid_games import (
    GRID_ACTIONS,
    grid_game_1,
    grid_game_2,
    grid_game_cells,
    grid_game_index,
)

UP, DOWN, LEFT, RIGHT = (GRID_ACTIONS.index(a) for a in ("up", "down", "left", "right"))
START = grid_game_index(0, 2)
GAMMA = 0.99


def _policy(moves: dict[int, int]) -> np.ndarray:
    """Deterministic stationary policy ``(9,)`` over an agent's own cell (unlisted cells:
    up)."""
    pi = np.full(9, UP)
    for cell, a in moves.items():
        pi[cell] = a
    return pi


def _joint_policy(pi0: np.ndarray, pi1: np.ndarray) -> np.ndarray:
    """``(S, 2)`` joint actions of two cell-based policies."""
    s = np.arange(81)
    return np.stack([pi0[s // 9], pi1[s % 9]], axis=1)


def _evaluate(game, joint: np.ndarray) -> np.ndarray:
    """Exact values ``(2, S)`` of a deterministic joint policy: (I - g P) V = R."""
    S = game.num_states
    s = np.arange(S)
    P = game.transitions[s, joint[:, 0], joint[:, 1]]
    R = game.rewards[:, s, joint[:, 0], joint[:, 1]]
    live = ~game.terminal
    P, R = P * live[:, None], R * live
    return np.linalg.solve(np.eye(S) - game.discount * P, R.T).T


def _best_response(game, joint: np.ndarray, i: int) -> np.ndarray:
    """Player ``i``'s optimal values ``(S,)`` against the other's fixed policy."""
    S, s = game.num_states, np.arange(81)
    other = joint[:, 1 - i]
    if i == 0:
        P = game.transitions[s, :, other]  # (S, k, S)
        R = game.rewards[0, s, :, other]
    else:
        P = game.transitions[s, other, :]
        R = game.rewards[1, s, other, :]
    V = np.zeros(S)
    for _ in range(3000):
        Q = R + game.discount * P @ V
        V_new = np.where(game.terminal, 0.0, Q.max(axis=1))
        if np.abs(V_new - V).max() < 1e-12:
            break
        V = V_new
    return V


def test_states_cells_and_terminals():
    g1, g2 = grid_game_1(), grid_game_2()
    for g in (g1, g2):
        assert g.num_states == 81 and g.num_actions == (4, 4) and g.discount == GAMMA
        assert g.initial[START] == 1.0 and grid_game_cells(START) == (0, 2)
    assert g1.terminal[grid_game_index(8, 3)] and g1.terminal[grid_game_index(4, 6)]
    assert not g1.terminal[grid_game_index(6, 8)]  # each agent in the other's goal
    assert g2.terminal[grid_game_index(7, 3)] and g2.terminal[grid_game_index(1, 7)]
    assert g1.terminal[grid_game_index(4, 4)]  # two agents in one cell: unreachable


def test_moves_walls_and_collisions():
    g = grid_game_1()
    s = START
    # deterministic moves; off-grid moves stay without penalty
    nxt = grid_game_index(0, 5)
    assert g.transitions[s, LEFT, UP, nxt] == 1.0 and (g.rewards[:, s, LEFT, UP] == 0).all()
    # both move into cell 1: bounced back, -1 each
    assert g.transitions[s, RIGHT, LEFT, s] == 1.0
    assert (g.rewards[:, s, RIGHT, LEFT] == -1).all()
    # agents may swap cells
    s = grid_game_index(3, 4)
    assert g.transitions[s, RIGHT, LEFT, grid_game_index(4, 3)] == 1.0
    # one agent stays (wall), the other moves into its cell: collision
    s = grid_game_index(3, 4)
    assert g.transitions[s, LEFT, LEFT, s] == 1.0 and (g.rewards[:, s, LEFT, LEFT] == -1).all()
    # reaching the goal: +100, both when both arrive
    s = grid_game_index(7, 3)
    assert g.rewards[0, s, RIGHT, UP] == 100 and g.rewards[1, s, RIGHT, UP] == 100
    assert g.transitions[s, RIGHT, UP, grid_game_index(8, 6)] == 1.0


def test_barriers_of_grid_game_2():
    g = grid_game_2()
    s = START
    # up from a start cell crosses a barrier with probability 1/2
    p = g.transitions[s, UP, UP]
    assert p[grid_game_index(3, 5)] == 0.25 and p[grid_game_index(3, 2)] == 0.25
    assert p[grid_game_index(0, 5)] == 0.25 and p[s] == 0.25
    assert g.transitions[s, RIGHT, UP, grid_game_index(1, 5)] == 0.5
    # down into a start cell crosses it too
    s = grid_game_index(3, 4)
    assert g.transitions[s, DOWN, UP, grid_game_index(0, 7)] == 0.5
    assert g.transitions[s, DOWN, UP, grid_game_index(3, 7)] == 0.5
    # both enter the shared goal: no collision, 100 each
    s = grid_game_index(6, 8)
    assert g.transitions[s, RIGHT, LEFT, grid_game_index(7, 7)] == 1.0
    assert (g.rewards[:, s, RIGHT, LEFT] == 100).all()
    # a collision decided by the barrier: expected reward -1/2
    s = grid_game_index(0, 4)
    assert (g.rewards[:, s, UP, LEFT] == -0.5).all()
    assert g.transitions[s, UP, LEFT, s] == 0.5
    assert g.transitions[s, UP, LEFT, grid_game_index(0, 3)] == 0.5


def test_grid_game_1_equilibrium_paths_are_worth_100_discounted_three_steps():
    g = grid_game_1()
    # agent 0: 0 -> 3 -> 6 -> 7 -> 8, agent 1: 2 -> 1 -> 4 -> 3 -> 6
    pi0 = _policy({0: UP, 3: UP, 6: RIGHT, 7: RIGHT})
    pi1 = _policy({2: LEFT, 1: UP, 4: LEFT, 3: UP})
    joint = _joint_policy(pi0, pi1)
    V = _evaluate(g, joint)
    want = 100 * GAMMA**3  # 97.0299, reward on the fourth step
    assert V[:, START] == pytest.approx([want, want], abs=1e-9)
    # neither agent gains by deviating: a Nash equilibrium from the start
    for i in (0, 1):
        assert _best_response(g, joint, i)[START] == pytest.approx(want, abs=1e-9)
    sol = nash_value_iteration(g)
    assert sol.converged
    assert sol.values[:, START] == pytest.approx([want, want], abs=1e-6)


def test_grid_game_2_asymmetric_equilibria():
    g = grid_game_2()
    # agent 0 through the centre (0 -> 1 -> 4 -> 7); agent 1 tries the barrier until it
    # passes (2 -> 5 -> 8 -> 7)
    pi0 = _policy({0: RIGHT, 1: UP, 4: UP})
    pi1 = _policy({2: UP, 5: UP, 8: LEFT})
    joint = _joint_policy(pi0, pi1)
    V = _evaluate(g, joint)
    centre = 100 * GAMMA**2  # 98.01
    barrier = 0.5 * centre  # 49.005: on time only if the first try passes
    assert V[:, START] == pytest.approx([centre, barrier], abs=1e-9)
    for i in (0, 1):
        assert _best_response(g, joint, i)[START] == pytest.approx(V[i, START], abs=1e-9)
    sol = nash_value_iteration(g)
    assert sol.converged
    assert sorted(sol.values[:, START]) == pytest.approx([barrier, centre], abs=1e-6)


def test_discount_parameter_and_errors():
    assert grid_game_1(0.5).discount == 0.5
    with pytest.raises(ValueError, match=r"grid_game_2\(\): discount must be in \[0, 1\)"):
        grid_game_2(1.0)
    with pytest.raises(TypeError, match=r"grid_game_1\(\): discount must be a real number"):
        grid_game_1("0.9")
    with pytest.raises(ValueError, match=r"grid_game_index\(\): cells must be in 0..8"):
        grid_game_index(9, 0)
    with pytest.raises(ValueError, match=r"grid_game_index\(\): cell_1 must be >= 0"):
        grid_game_index(0, -1)
    with pytest.raises(ValueError, match=r"grid_game_cells\(\): state must be in 0..80"):
        grid_game_cells(81)
    with pytest.raises(TypeError, match=r"grid_game_cells\(\): state must be an integer"):
        grid_game_cells(1.0)
