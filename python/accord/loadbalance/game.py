"""The spare-capacity game of a server coalition in the load-balancing model of
:mod:`accord.loadbalance`, and its Shapley values (Shapley 1953).

v(S) = sum over s in S of (capacity_s - load_s), optionally capped at a demand D:
v(S) = min(sum, D).  Without the cap the game is additive, so every server's Shapley
value is its own spare capacity; with it, servers share the credit for covering D.
"""

from __future__ import annotations

import numpy as np

from .._masks import membership
from .._validate import fail
from ..coop import CoalitionalGame, shapley

__all__ = ["SpareCapacityGame", "coalition_shapley"]


class SpareCapacityGame(CoalitionalGame):
    """v(S) = sum_{s in S} spare_s, or min(that, demand) when ``demand`` is given."""

    def __init__(self, spare, demand: float | None = None) -> None:
        s = np.asarray(spare, dtype=np.float64)
        if s.ndim != 1 or s.shape[0] < 1:
            fail("SpareCapacityGame", f"spare must be a non-empty 1-D array; got shape {s.shape}")
        if not np.isfinite(s).all():
            fail("SpareCapacityGame", "spare must be finite")
        if demand is not None and not np.isfinite(demand):
            fail("SpareCapacityGame", f"demand must be finite or None; got {demand}")
        self.n = int(s.shape[0])
        self.spare = s
        self.demand = None if demand is None else float(demand)

    def value(self, coalitions) -> np.ndarray:
        c = np.asarray(coalitions)
        if c.dtype == bool:
            total = c.astype(np.float64) @ self.spare
        else:
            total = membership(c, self.n, np.float64) @ self.spare
        if self.demand is not None:
            total = np.minimum(total, self.demand)
            total = np.where(c.any(axis=-1) if c.dtype == bool else c != 0, total, 0.0)
        return total


def coalition_shapley(
    capacity,
    load,
    coalition,
    *,
    demand: float | None = None,
    exact_limit: int = 16,
    samples: int = 2000,
    seed: int | None = None,
) -> np.ndarray:
    """Each server's Shapley value in its coalition's spare-capacity game.

    Coalitions of at most ``exact_limit`` servers are solved exactly (a dense table,
    :func:`accord.coop.shapley`); larger ones by ``samples`` permutations.
    """
    capacity = np.asarray(capacity, dtype=np.float64)
    spare = capacity - np.asarray(load, dtype=np.float64)
    coalition = np.asarray(coalition)
    out = np.empty_like(spare)
    for k, cid in enumerate(np.unique(coalition)):
        members = np.flatnonzero(coalition == cid)
        game = SpareCapacityGame(spare[members], demand)
        if members.size <= exact_limit:
            out[members] = shapley(game)
        else:
            sub = None if seed is None else seed + k
            out[members] = shapley(game, samples=samples, seed=sub).values
    return out
