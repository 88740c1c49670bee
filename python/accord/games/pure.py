"""Pure-strategy Nash equilibria by one vectorised pass over the payoffs."""

from __future__ import annotations

import numpy as np

from .. import _backend
from .._validate import real
from .game import GameLike, as_game


def pure_nash_equilibria(
    game: GameLike, *, tol: float = 0.0
) -> list[tuple[int, ...]] | list[list[tuple[int, ...]]]:
    """All pure Nash equilibria: outcomes where no player gains more than ``tol`` by a
    unilateral deviation (Nash 1951). Each player's payoff is compared with its
    maximum along its own action axis, so the cost is one pass over the payoffs.

    Returns a list of action tuples for one game, or a list of such lists for a batch.
    """
    game = as_game("pure_nash_equilibria", game)
    tol = real("pure_nash_equilibria", "tol", tol, low=0.0)
    P = _backend.to_host(game.as_batch())
    ok = np.ones((P.shape[0],) + game.num_actions, dtype=bool)
    for i in range(game.num_players):
        Pi = P[:, i]
        ok &= Pi >= Pi.max(axis=1 + i, keepdims=True) - tol
    out = [[tuple(int(a) for a in idx) for idx in np.argwhere(ok[b])] for b in range(len(ok))]
    return out if game.batched else out[0]
