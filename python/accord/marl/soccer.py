"""Littman's (1994) two-player zero-sum soccer as a :class:`MarkovGame`.

The field has 4 rows and 5 columns.  Player A attacks the left goal and B the right
one; each goal spans the middle two rows, just outside the field.  Each step both
players choose N, S, E, W or stand; the two moves are executed in a random order
(each order with probability 1/2).  A move into the square of the other player does
not happen and gives the ball to the player who did not move (Littman 1994).  A
player with the ball who moves off the field through a goal ends the game: through
the left goal A scores (+1 for A, -1 for B), through the right one B scores, whoever
carries the ball.  Any other move off the field leaves the player where it is.

States number every placement of the two players on different squares with the ball
at either (760), then the two terminal states "A scored" and "B scored".  A game
starts with A at row 1, column 3 and B at row 2, column 1 (0-based; Littman's figure),
and the ball with either player with probability 1/2.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validate import real
from .markov_game import MarkovGame

__all__ = ["SOCCER_ACTIONS", "SoccerState", "soccer", "soccer_index", "soccer_state"]

ROWS, COLS = 4, 5
GOAL_ROWS = (1, 2)
#: The actions of each player, in order: the row and column steps.
SOCCER_ACTIONS = {"N": (-1, 0), "S": (1, 0), "E": (0, 1), "W": (0, -1), "stand": (0, 0)}
_STEPS = list(SOCCER_ACTIONS.values())
_SQUARES = ROWS * COLS
A_START, B_START = (1, 3), (2, 1)


@dataclass(frozen=True)
class SoccerState:
    """A non-terminal soccer state: squares ``(row, column)`` and who has the ball
    (0 for A, 1 for B)."""

    a: tuple[int, int]
    b: tuple[int, int]
    ball: int


def _index(a: int, b: int, ball: int) -> int:
    """State number of A on square ``a``, B on ``b != a`` and ``ball``."""
    return (a * (_SQUARES - 1) + (b - (b > a))) * 2 + ball


def _decode(s: int) -> tuple[int, int, int]:
    pair, ball = divmod(s, 2)
    a, rest = divmod(pair, _SQUARES - 1)
    return a, rest + (rest >= a), ball


def _move(sq: int, step: tuple[int, int], has_ball: bool):
    """Where a move from square ``sq`` leads: ``("square", sq)`` or ``("goal", side)``
    with side 0 for the left goal and 1 for the right one."""
    r, c = divmod(sq, COLS)
    nr, nc = r + step[0], c + step[1]
    if 0 <= nr < ROWS and 0 <= nc < COLS:
        return "square", nr * COLS + nc
    if has_ball and nr == r and r in GOAL_ROWS:
        return "goal", 0 if nc < 0 else 1
    return "square", sq  # bumps into the boundary


def soccer(discount: float = 0.9) -> MarkovGame:
    """Littman's soccer game (see the module docstring); rewards are A's (+1 when A
    scores, -1 when B scores), B receives their negation."""
    discount = real("soccer", "discount", discount, 0.0, 1.0, high_open=True)
    live = _SQUARES * (_SQUARES - 1) * 2
    S = live + 2
    A_GOAL, B_GOAL = live, live + 1  # terminal: A scored, B scored
    k = len(_STEPS)
    P = np.zeros((S, k, k, S))
    R = np.zeros((S, k, k))
    for s in range(live):
        a0, b0, ball0 = _decode(s)
        for ia, sa in enumerate(_STEPS):
            for ib, sb in enumerate(_STEPS):
                for first in (0, 1):  # who moves first
                    pos, ball, end = [a0, b0], ball0, None
                    for mover in (first, 1 - first):
                        if end is not None:
                            break
                        step = sa if mover == 0 else sb
                        kind, to = _move(pos[mover], step, ball == mover)
                        if kind == "goal":
                            end = A_GOAL if to == 0 else B_GOAL
                        elif to == pos[1 - mover] and to != pos[mover]:
                            ball = 1 - mover  # blocked: the stationary player gets the ball
                        else:
                            pos[mover] = to
                    t = end if end is not None else _index(pos[0], pos[1], ball)
                    P[s, ia, ib, t] += 0.5
                    if end is not None:
                        R[s, ia, ib] += 0.5 * (1.0 if end == A_GOAL else -1.0)
    terminal = np.zeros(S, dtype=bool)
    terminal[[A_GOAL, B_GOAL]] = True
    a, b = A_START[0] * COLS + A_START[1], B_START[0] * COLS + B_START[1]
    initial = np.zeros(S)
    initial[[_index(a, b, 0), _index(a, b, 1)]] = 0.5
    return MarkovGame.competitive(P, R, discount, initial=initial, terminal=terminal)


def soccer_state(s: int) -> SoccerState | str:
    """The placement of state ``s`` of :func:`soccer`, or ``"A scored"`` /
    ``"B scored"`` for the terminal states."""
    live = _SQUARES * (_SQUARES - 1) * 2
    if s == live:
        return "A scored"
    if s == live + 1:
        return "B scored"
    a, b, ball = (int(v) for v in _decode(int(s)))
    return SoccerState(divmod(a, COLS), divmod(b, COLS), ball)


def soccer_index(state: SoccerState) -> int:
    """The state number of a placement (the inverse of :func:`soccer_state`)."""
    a = state.a[0] * COLS + state.a[1]
    b = state.b[0] * COLS + state.b[1]
    return _index(a, b, state.ball)
