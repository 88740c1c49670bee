"""Weighted voting games [q; w_1, ..., w_n]: v(S) = 1 if w(S) >= q else 0.

Structured: the 2**n table is never built.  Exact Shapley-Shubik and Banzhaf
indices come from pseudo-polynomial dynamic programs over integer weights
(Mann & Shapley 1962; Brams & Affuso 1976; Matsui & Matsui 2000) in C++; sampled
estimators walk permutations on the weights directly.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from .. import _backend
from .._masks import membership
from .._validate import check_bytes, check_int64, fail, finite_vector, warn_slow
from .game import CoalitionalGame, coalitions_arg

#: Memory the exact Shapley-Shubik and Banzhaf DPs may use before they refuse (bytes).
MAX_DP_BYTES = 4 * 2**30


class WeightedVotingGame(CoalitionalGame):
    """The simple game in which a coalition wins when its weight reaches ``quota``.

    ``weights`` are finite and non-negative (any reals; the exact indices need
    integers), ``0 < quota <= sum(weights)``.  ``weights`` is a read-only copy of the
    argument: later changes to the caller's array are not seen.
    """

    def __init__(self, weights, quota) -> None:
        w = finite_vector("WeightedVotingGame", "weights", weights)
        if w.shape[0] < 1:
            fail("WeightedVotingGame", "weights must name at least one player")
        if (w < 0).any():
            i = int(np.flatnonzero(w < 0)[0])
            fail("WeightedVotingGame", f"weights must be >= 0; weights[{i}] = {w[i]}")
        if isinstance(quota, (bool, np.bool_)) or not isinstance(quota, numbers.Real):
            fail(
                "WeightedVotingGame",
                f"quota must be a number (a real one); got {quota!r}",
                TypeError,
            )
        q = float(quota)
        total = float(w.sum())
        if not math.isfinite(q) or q <= 0 or q > total:
            fail(
                "WeightedVotingGame",
                f"quota must satisfy 0 < quota <= sum(weights) = {total:g}; got {quota!r}",
            )
        w.flags.writeable = False
        self.weights = w
        self.quota = q
        self.n = int(w.shape[0])

    def value(self, coalitions) -> np.ndarray:
        """1.0 for winning coalitions, 0.0 for losing ones (masks or boolean rows)."""
        c = coalitions_arg("WeightedVotingGame.value", self.n, coalitions)
        if c.dtype == bool:
            weight = c @ self.weights
        else:
            weight = membership(c, self.n, np.int64) @ self.weights
        return (weight >= self.quota).astype(np.float64)

    def _integer_weights(self, func: str) -> tuple[np.ndarray, int]:
        w = self.weights
        if not np.array_equal(w, np.round(w)) or w.max() > 2.0**53:
            fail(
                func,
                "the exact indices need integer weights; scale the weights to "
                "integers (and the quota with them) or use shapley(game, samples=...)",
            )
        # The exact total (Python ints): an int64 sum of large weights wraps around.
        total = sum(int(x) for x in w)
        check_int64(
            func,
            total,
            "the total weight",
            "smaller integer weights (scale them and the quota down) or shapley(game, samples=...)",
        )
        return w.astype(np.int64), math.ceil(self.quota)

    def shapley_shubik(self) -> np.ndarray:
        """Exact Shapley-Shubik index (Shapley & Shubik 1954) by DP over sizes and weights.

        Time O(n * n/2 * W') and memory 2 * (n/2) * W' doubles, W' = max(q, W - q).
        """
        w, q = self._integer_weights("shapley")
        W = sum(int(x) for x in w)
        top = max(q - 1, W - q) + 1
        rows = (self.n - 1) // 2 + 1
        check_bytes(
            "shapley",
            8 * rows * top * 3,
            f"the exact Shapley-Shubik DP for this game (n = {self.n}, total weight {W})",
            "shapley(game, samples=...) or smaller integer weights",
            limit=MAX_DP_BYTES,
        )
        warn_slow(
            "shapley",
            self.n * rows * top,
            f"the exact Shapley-Shubik DP (n = {self.n}, total weight {W})",
            "shapley(game, samples=...) estimates it faster",
        )
        return _backend.cpu_kernels("coop").voting_shapley(w, q)

    def banzhaf_raw(self) -> np.ndarray:
        """Exact raw Banzhaf index: the probability of being a swing voter."""
        w, q = self._integer_weights("banzhaf")
        distinct = len(np.unique(w))
        check_bytes(
            "banzhaf",
            2 * 8 * max(q, 1),
            f"the exact Banzhaf DP for this game (quota {q})",
            "smaller integer weights (scale the weights and the quota down together)",
            limit=MAX_DP_BYTES,
        )
        warn_slow(
            "banzhaf",
            (self.n + distinct) * q,
            f"the exact Banzhaf DP (n = {self.n}, quota {q})",
            "smaller integer weights (scaled with the quota) make it faster",
        )
        return _backend.cpu_kernels("coop").voting_banzhaf(w, q)

    def __repr__(self) -> str:
        return f"WeightedVotingGame(n={self.n}, quota={self.quota:g})"
