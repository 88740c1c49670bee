"""Hu & Wellman's (2003) grid games 1 and 2 as Markov games.

Hu & Wellman (2003, "Nash Q-learning for general-sum stochastic games", JMLR 4,
Sec. 5.1, Fig. 4): two agents on a 3x3 grid, each moving one cell per step (up, down,
left, right), simultaneously.  Cells are numbered ``3 * row + column`` with row 0 at
the bottom::

    6 7 8
    3 4 5
    0 1 2

Agent 0 starts in cell 0, agent 1 in cell 2.

* Grid game 1: agent 0's goal is cell 8, agent 1's cell 6 (the opposite top corners);
  moves are deterministic.
* Grid game 2: both agents' goal is cell 7 (top centre); semi-walls (barriers) lie
  between the start cells and the cells above them (0-3 and 2-5): a move across one
  succeeds with probability 1/2, otherwise the agent stays.

Rules: an agent that reaches its goal receives 100 and the game ends (both receive
100 when both arrive on the same step); two agents whose moves would end in the same
cell, other than a goal cell, are both bounced back to their previous cells and each
receives -1; the discount is 0.99.

Rules the paper leaves open, as fixed here: a move off the grid leaves the agent in
place without penalty; agents may swap cells (only ending in the same cell collides);
ending in the same cell collides also when one agent stayed (a move off the grid or
through a barrier that failed); the barriers hold in both directions (a downward move
into a start cell crosses them too).  A collision decided by a barrier crossing is
stochastic, and the game's reward ``R(s, a)`` is then its expectation (e.g. -1/2).

States are the agents' cells, index ``9 * cell_0 + cell_1``; a state in which an agent
stands on its goal is terminal (as are the unreachable states with both agents in one
cell).  Equilibrium values from the start (tested): grid game 1, 100 * 0.99**3 for
both agents along any shortest coordinated paths (four steps); grid game 2, with one
agent through the centre and the other trying the barrier, 100 * 0.99**2 for the
first and half of that for the second (it arrives on time only when the barrier lets
it through at once, and the game ends when the first agent arrives).
"""

from __future__ import annotations

import numpy as np

from .._validate import fail, integer, real
from .markov_game import MarkovGame

__all__ = [
    "GRID_ACTIONS",
    "GRID_GAME_DISCOUNT",
    "grid_game_1",
    "grid_game_2",
    "grid_game_cells",
    "grid_game_index",
]

#: Actions of both agents, in order.
GRID_ACTIONS = ("up", "down", "left", "right")
#: The discount of Hu & Wellman (2003), Sec. 5.1.
GRID_GAME_DISCOUNT = 0.99

_STEP = {0: (1, 0), 1: (-1, 0), 2: (0, -1), 3: (0, 1)}  # (d_row, d_col)
_BARRIERS = {(0, 3), (3, 0), (2, 5), (5, 2)}  # (from, to) crossings of grid game 2
_START = (0, 2)


def grid_game_index(cell_0: int, cell_1: int) -> int:
    """State index of agent 0 in ``cell_0`` and agent 1 in ``cell_1`` (cells 0..8)."""
    c0 = integer("grid_game_index", "cell_0", cell_0, minimum=0)
    c1 = integer("grid_game_index", "cell_1", cell_1, minimum=0)
    if c0 > 8 or c1 > 8:
        fail("grid_game_index", f"cells must be in 0..8; got {c0}, {c1}")
    return 9 * c0 + c1


def grid_game_cells(state: int) -> tuple[int, int]:
    """The agents' cells ``(cell_0, cell_1)`` of a state index (0..80)."""
    s = integer("grid_game_cells", "state", state, minimum=0)
    if s > 80:
        fail("grid_game_cells", f"state must be in 0..80; got {s}")
    return divmod(s, 9)


def _moves(cell: int, action: int, barriers: bool) -> list[tuple[int, float]]:
    """(cell reached, probability) of one agent's move."""
    r, c = divmod(cell, 3)
    dr, dc = _STEP[action]
    nr, nc = r + dr, c + dc
    if not (0 <= nr < 3 and 0 <= nc < 3):
        return [(cell, 1.0)]
    to = 3 * nr + nc
    if barriers and (cell, to) in _BARRIERS:
        return [(to, 0.5), (cell, 0.5)]
    return [(to, 1.0)]


def _grid_game(goals: tuple[int, int], barriers: bool, discount: float) -> MarkovGame:
    S = 81
    P = np.zeros((S, 4, 4, S))
    R = np.zeros((2, S, 4, 4))
    terminal = np.zeros(S, dtype=bool)
    goal_cells = set(goals)
    for c0 in range(9):
        for c1 in range(9):
            s = 9 * c0 + c1
            if c0 == goals[0] or c1 == goals[1] or c0 == c1:
                terminal[s] = True
                continue
            for a0 in range(4):
                for a1 in range(4):
                    for n0, p0 in _moves(c0, a0, barriers):
                        for n1, p1 in _moves(c1, a1, barriers):
                            p = p0 * p1
                            if n0 == n1 and n0 not in goal_cells:
                                n0_, n1_ = c0, c1
                                R[:, s, a0, a1] -= p
                            else:
                                n0_, n1_ = n0, n1
                            R[0, s, a0, a1] += 100.0 * p * (n0_ == goals[0])
                            R[1, s, a0, a1] += 100.0 * p * (n1_ == goals[1])
                            P[s, a0, a1, 9 * n0_ + n1_] += p
    initial = np.zeros(S)
    initial[9 * _START[0] + _START[1]] = 1.0
    return MarkovGame(P, R, discount, initial=initial, terminal=terminal)


def grid_game_1(discount: float = GRID_GAME_DISCOUNT) -> MarkovGame:
    """Grid game 1 of Hu & Wellman (2003), Sec. 5.1: goals in the opposite top corners,
    deterministic moves (see the module docstring for the rules)."""
    d = real("grid_game_1", "discount", discount, 0.0, 1.0, high_open=True)
    return _grid_game((8, 6), False, d)


def grid_game_2(discount: float = GRID_GAME_DISCOUNT) -> MarkovGame:
    """Grid game 2 of Hu & Wellman (2003), Sec. 5.1: one shared goal at the top centre,
    barriers above the start cells crossed with probability 1/2 (see the module
    docstring for the rules)."""
    d = real("grid_game_2", "discount", discount, 0.0, 1.0, high_open=True)
    return _grid_game((7, 7), True, d)
