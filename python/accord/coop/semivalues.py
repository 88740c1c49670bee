"""Exact semivalues of TU games: the Shapley value and the Banzhaf index.

Dense tables are reduced in one pass by the ``semivalue_sums`` kernel (C++/OpenMP
or CUDA): phi_i = sum_{S∋i} c(|S|) v(S) - sum_S b(|S|) v(S) with c(s) = p(s-1) + p(s)
and b(s) = p(s) for the semivalue weights p (Weber 1988).  Weighted voting games
use the pseudo-polynomial dynamic programs of :mod:`accord.coop.weighted_voting`.
"""

from __future__ import annotations

from math import comb

import numpy as np
from numpy.typing import ArrayLike

from .. import _backend
from .._validate import check_bytes, fail, flag, integer, real_array
from .game import FLOAT_MAX, TUGame, TUGameLike, as_dense, check_scale, largest_abs


def _players(func: str, n) -> int:
    """The number of players ``n`` of a weight vector: an integer >= 1 whose vector fits
    in memory."""
    n = integer(func, "n", n, minimum=1)
    # n floats of weights: refuse lengths no array could hold before any allocation.
    check_bytes(func, 8 * n, f"a weight vector of n = {n} entries", "a smaller n")
    return n


def shapley_weights(n: int) -> np.ndarray:
    """p(s) = s!(n-s-1)!/n! for s = 0..n-1 (Shapley 1953)."""
    n = _players("shapley_weights", n)
    return np.array([1.0 / (n * comb(n - 1, s)) for s in range(n)])


def banzhaf_weights(n: int) -> np.ndarray:
    """p(s) = 2**(1-n) for every s (Banzhaf 1965; Dubey & Shapley 1979)."""
    n = _players("banzhaf_weights", n)
    return np.full(n, 2.0 ** (1 - n))


def _coefficients(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n = p.shape[0]
    b = np.zeros(n + 1)
    b[:n] = p
    c = b.copy()
    c[1:] += p
    return c, b


def semivalue(game: TUGameLike, weights: ArrayLike, *, device: str | None = None) -> np.ndarray:
    """The semivalue of ``game`` with weights ``p(s)``, s = 0..n-1, in one pass.

    ``phi_i = sum_{S not containing i} p(|S|) (v(S + i) - v(S))``.  Shapley and Banzhaf
    are the special cases :func:`shapley_weights` and :func:`banzhaf_weights`.
    """
    g = as_dense("semivalue", game)
    p = real_array("semivalue", "weights", _backend.to_host(weights))
    if p.shape != (g.n,):
        fail(
            "semivalue",
            f"weights must have shape ({g.n},) (one per coalition size 0..n-1); got {p.shape}",
        )
    if not np.isfinite(p).all():
        fail("semivalue", "weights must be finite")
    return _dense_semivalue("semivalue", g, p, device)


def _dense_semivalue(func: str, g: TUGame, p: np.ndarray, device: str | None) -> np.ndarray:
    # Each of the two sums is at most max|v| * sum_s |p(s)| C(n-1, s) per coalition
    # side; refuse tables whose sums (or their difference) would overflow.
    mass = float(sum(abs(float(p[s])) * comb(g.n - 1, s) for s in range(g.n)))
    check_scale(
        func,
        "game",
        largest_abs(g.values),
        FLOAT_MAX / (8.0 * max(1.0, mass)),
        "the weighted sums of v",
    )
    c, b = _coefficients(p)
    where = _backend.resolve_device(func, g.values, device)
    if where == "cpu":
        A, T = _backend.cpu_kernels("coop").semivalue_sums(_backend.to_host(g.values), c, b)
        return A - T
    mod = _backend.cuda_kernels(func)
    v = _backend.device_buffer(g.values)
    A, T = mod.semivalue_sums(_backend.pointer(v), g.n, c, b, _backend.stream())
    return _backend.to_device(A - T)


def shapley_exact(game: TUGameLike, device: str | None = None) -> np.ndarray:
    from .weighted_voting import WeightedVotingGame

    if isinstance(game, WeightedVotingGame) and device is None:
        return game.shapley_shubik()
    g = as_dense("shapley", game)
    return _dense_semivalue("shapley", g, shapley_weights(g.n), device)


def banzhaf(game: TUGameLike, *, normalized: bool = False, device: str | None = None) -> np.ndarray:
    """The Banzhaf index of every player (Banzhaf 1965), exact.

    Raw: beta_i = 2**(1-n) sum_{S not containing i} (v(S + i) - v(S)).  With
    ``normalized=True`` the indices are divided by their sum (Coleman/Penrose
    normalisation), which must then be non-zero.
    """
    from .weighted_voting import WeightedVotingGame

    if isinstance(game, WeightedVotingGame) and device is None:
        beta = game.banzhaf_raw()
    else:
        g = as_dense("banzhaf", game)
        beta = _dense_semivalue("banzhaf", g, banzhaf_weights(g.n), device)
    if flag("banzhaf", "normalized", normalized):
        total = float(beta.sum())
        if total == 0.0:
            fail("banzhaf", "normalized=True is undefined: every raw Banzhaf index is 0")
        beta = beta / total
    return beta
