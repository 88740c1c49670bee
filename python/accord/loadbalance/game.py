"""The spare-capacity game of a server coalition in the load-balancing model of
:mod:`accord.loadbalance`, and its Shapley values (Shapley 1953).

v(S) = sum over s in S of (capacity_s - load_s), optionally capped at a demand D:
v(S) = min(sum, D).  Without the cap the game is additive, so every server's Shapley
value is its own spare capacity; with it, servers share the credit for covering D.
"""

from __future__ import annotations

import numpy as np

from .._masks import membership
from .._validate import as_array, fail, finite_vector, integer, real, real_array
from ..coop import CoalitionalGame, shapley
from ..coop.game import coalitions_arg

__all__ = ["SpareCapacityGame", "coalition_shapley"]


class SpareCapacityGame(CoalitionalGame):
    """v(S) = sum_{s in S} spare_s, or min(that, demand) when ``demand`` is given."""

    def __init__(self, spare, demand: float | None = None) -> None:
        func = "SpareCapacityGame"
        s = np.array(real_array(func, "spare", spare), dtype=np.float64)
        if s.ndim != 1 or s.shape[0] < 1:
            fail(func, f"spare must be a non-empty 1-D array; got shape {s.shape}")
        if not np.isfinite(s).all():
            fail(func, "spare must be finite")
        self.n = int(s.shape[0])
        self.spare = s
        self.demand = None if demand is None else real(func, "demand", demand)

    def value(self, coalitions) -> np.ndarray:
        c = coalitions_arg("SpareCapacityGame.value", self.n, coalitions)
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

    ``capacity``, ``load`` and ``coalition`` (non-negative integer ids) have one finite
    entry per server; ``demand`` is a finite number or None; ``1 <= exact_limit <= 25``.
    """
    func = "coalition_shapley"
    capacity = finite_vector(func, "capacity", capacity)
    n = capacity.shape[0]
    if n == 0:
        fail(func, "capacity must hold at least one server; got an empty array")
    spare = capacity - finite_vector(func, "load", load, n)
    c = as_array(func, "coalition", coalition)
    if c.shape != (n,) or c.dtype.kind not in "iu" or (c < 0).any():
        fail(func, f"coalition must be {n} non-negative integer ids; got {coalition!r}")
    coalition = c.astype(np.int64)
    if demand is not None:
        demand = real(func, "demand", demand)
    exact_limit = integer(func, "exact_limit", exact_limit, minimum=1)
    if exact_limit > 25:
        fail(func, f"exact_limit must be <= 25 (a dense table of 2**n values); got {exact_limit}")
    samples = integer(func, "samples", samples, minimum=1)
    if seed is not None:
        seed = integer(func, "seed", seed, minimum=0)
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
