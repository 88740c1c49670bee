"""Littman's soccer: the rules, and the symmetry of its value."""

from __future__ import annotations

import numpy as np
import pytest

from accord.marl import (
    SOCCER_ACTIONS,
    SoccerState,
    soccer,
    soccer_index,
    soccer_state,
    zero_sum_value_iteration,
)

ACT = {name: i for i, name in enumerate(SOCCER_ACTIONS)}


@pytest.fixture(scope="module")
def game():
    return soccer()


def _next(game, state, a, b):
    """{next state (decoded): probability} after A plays ``a`` and B plays ``b``."""
    row = game.transitions[soccer_index(state), ACT[a], ACT[b]]
    return {soccer_state(t): p for t, p in enumerate(row) if p > 0}


def test_states_and_start(game):
    assert game.num_states == 20 * 19 * 2 + 2 and game.num_actions == (5, 5)
    assert game.is_zero_sum() and game.discount == 0.9
    starts = [soccer_state(s) for s in np.flatnonzero(game.initial)]
    assert starts == [SoccerState((1, 3), (2, 1), 0), SoccerState((1, 3), (2, 1), 1)]
    for s in range(760):
        assert soccer_index(soccer_state(s)) == s


def test_moves_in_either_order(game):
    s = SoccerState((0, 0), (3, 4), 0)
    assert _next(game, s, "S", "N") == {SoccerState((1, 0), (2, 4), 0): 1.0}
    # into the boundary: nothing happens
    assert _next(game, s, "N", "stand") == {s: 1.0}


def test_a_blocked_move_gives_the_ball_to_the_player_who_stood(game):
    s = SoccerState((1, 1), (1, 2), 0)  # A has the ball, B to its east
    assert _next(game, s, "E", "stand") == {SoccerState((1, 1), (1, 2), 1): 1.0}
    # both step toward the same square: whoever moves first takes it, the other is
    # blocked and the ball goes to the player who now stands there
    s = SoccerState((1, 1), (1, 3), 1)
    assert _next(game, s, "E", "W") == {
        SoccerState((1, 2), (1, 3), 0): 0.5,  # A first; B's move into A fails
        SoccerState((1, 1), (1, 2), 1): 0.5,  # B first; A's move into B fails: B keeps it
    }


def test_scoring_ends_the_game(game):
    s = SoccerState((1, 0), (3, 3), 0)  # A with the ball at the left goal mouth
    assert _next(game, s, "W", "stand") == {"A scored": 1.0}
    assert game.rewards[0, soccer_index(s), ACT["W"], ACT["stand"]] == 1.0
    s = SoccerState((0, 0), (3, 3), 0)  # outside the goal rows: a wall
    assert _next(game, s, "W", "stand") == {s: 1.0}
    s = SoccerState((2, 4), (0, 0), 0)  # A carries the ball into B's goal: B scores
    assert _next(game, s, "E", "stand") == {"B scored": 1.0}
    assert game.rewards[1, soccer_index(s), ACT["E"], ACT["stand"]] == 1.0


def _mirror(s: SoccerState) -> SoccerState:
    """The half-turn of the field, which swaps the players' roles."""
    rot = lambda sq: (3 - sq[0], 4 - sq[1])  # noqa: E731
    return SoccerState(rot(s.b), rot(s.a), 1 - s.ball)


def test_the_value_is_antisymmetric_under_the_half_turn(game):
    sol = zero_sum_value_iteration(game, tol=1e-9)
    assert sol.converged
    V = sol.values[0]
    for s in range(0, 760, 7):
        assert V[soccer_index(_mirror(soccer_state(s)))] == pytest.approx(-V[s], abs=1e-8)
    assert game.initial @ V == pytest.approx(0.0, abs=1e-9)
    assert 0 < V[np.flatnonzero(game.initial)[0]] < 1  # A with the ball is ahead
