"""Optimal correlated equilibria of many small games in one call.

The stage-game solver of correlated-Q learning (Greenwald & Hall 2003), which solves
the LP of an optimal correlated equilibrium (Papadimitriou & Roughgarden 2008, Sec. 2)
in every updated state at every step.  Each game's LP is solved by a dense primal
simplex in C++ (``accord._core.games.correlated_equilibrium_batch``: OpenMP over games,
the GIL released), verified by its incentive gains; a game the dense simplex cannot
settle in float64 (rare below ~36 joint actions) and every game of more than
:data:`DENSE_MAX_JOINT` joint actions is solved by HiGHS instead
(:func:`accord.games.correlated_equilibrium`).
"""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from .._backend import cpu_kernels, to_host
from .._validate import check_bytes, fail, flag, real, real_array
from .correlated import _check_lp_size, _equilibrium
from .game import NormalFormGame

__all__ = ["DENSE_MAX_JOINT", "BatchCorrelated", "correlated_equilibrium_batch"]

_kernels = cpu_kernels("games")

#: Games with more joint actions than this go straight to HiGHS: the dense tableau grows
#: as (joint actions)^2 and its degenerate pivots make HiGHS the faster solver there.
DENSE_MAX_JOINT = 49
_CODES = {"welfare": -1, "utilitarian": -1, "egalitarian": -2, "feasibility": -3}


@dataclass(frozen=True)
class BatchCorrelated:
    """An optimal correlated equilibrium of every game of a batch.

    Attributes
    ----------
    distribution
        ``(G, k_1, ..., k_n)`` the joint distributions.
    expected_payoffs
        ``(G, n)`` every player's expected payoff under them.
    violation
        ``(G,)`` the largest incentive gain of each distribution (payoff units; ``<=
        tol * max |u_g|``).
    fallback
        ``(G,)`` True where the game was solved by HiGHS rather than the dense simplex.
    """

    distribution: np.ndarray
    expected_payoffs: np.ndarray
    violation: np.ndarray
    fallback: np.ndarray


def _payoffs(func: str, game) -> np.ndarray:
    if isinstance(game, NormalFormGame):
        if not game.batched:
            fail(func, "needs a batch of games; for one game use correlated_equilibrium()")
        arr = np.asarray(to_host(game.payoffs), dtype=np.float64)
    else:
        arr = real_array(func, "game", to_host(game))
        if arr.ndim < 3 or arr.shape[1] != arr.ndim - 2:
            fail(
                func,
                "game must be payoffs of shape (G, n, k_1, ..., k_n): G games of n players "
                f"(the axis after G has length n); got shape {arr.shape}"
                + ("; for one game use correlated_equilibrium()" if arr.ndim >= 2 else ""),
            )
        if 0 in arr.shape:
            fail(func, f"game must not be empty; got payoffs of shape {arr.shape}")
        if not np.isfinite(arr).all():
            g = int(np.argwhere(~np.isfinite(arr))[0, 0])
            fail(func, f"game: the payoffs must be finite; game {g} is not")
    return np.ascontiguousarray(arr, dtype=np.float64)


def correlated_equilibrium_batch(
    game: ArrayLike | NormalFormGame,
    objective: str | int = "welfare",
    *,
    coarse: bool = False,
    tol: float = 1e-9,
) -> BatchCorrelated:
    """An optimal correlated (or coarse correlated) equilibrium of every game of a batch.

    Parameters
    ----------
    game
        ``(G, n, k_1, ..., k_n)`` payoffs or a batched :class:`NormalFormGame`.
    objective
        ``"welfare"`` (alias ``"utilitarian"``: maximise the sum of expected payoffs),
        ``"egalitarian"`` (maximise the smallest), ``"feasibility"`` (any equilibrium),
        or a player index ``i`` (maximise player ``i``'s expected payoff: the
        dictatorial objective of Greenwald & Hall 2003; their plutocratic one is the
        best of these over the players).
    coarse
        Coarse correlated equilibria instead (Moulin & Vial 1978).
    tol
        Every returned distribution's largest incentive gain is at most
        ``tol * max |u_g|``.

    Returns
    -------
    BatchCorrelated

    Raises
    ------
    ValueError
        bad payoffs, objective or tolerance.
    RuntimeError
        a game that neither the dense simplex nor HiGHS solves exactly.
    """
    func = "correlated_equilibrium_batch"
    U = _payoffs(func, game)
    G, n, ks = U.shape[0], U.shape[1], U.shape[2:]
    if isinstance(objective, str):
        if objective not in _CODES:
            fail(
                func,
                f"objective must be one of {', '.join(map(repr, _CODES))} or a player "
                f"index in 0..{n - 1}; got {objective!r}",
            )
        code = _CODES[objective]
    else:
        try:
            code = operator.index(objective)
        except TypeError:
            fail(
                func,
                f"objective must be a string or a player index; got {objective!r}",
                TypeError,
            )
        if not 0 <= code < n:
            fail(func, f"objective must be a player index in 0..{n - 1}; got {code}")
    coarse = flag(func, "coarse", coarse)
    tol = real(func, "tol", tol, 0.0, 1e-3, low_open=True, high_open=True)
    N = math.prod(ks)
    rows = sum(k if coarse else k * (k - 1) for k in ks) + n + 1
    check_bytes(
        func,
        8 * G * (N + n + 2) + 8 * 64 * (rows + 1) * (N + rows + 3),
        f"the equilibria of {G:,} games of {N:,} joint actions",
        "fewer games per call",
    )
    if N <= DENSE_MAX_JOINT:
        max_pivots = 20 * (rows + N + rows)
        dist, expected, viol, status = _kernels.correlated_equilibrium_batch(
            U, code, coarse, max_pivots, tol
        )
    else:
        _check_lp_size(func, NormalFormGame(U[0]))
        dist = np.full((G, *ks), np.nan)
        expected = np.full((G, n), np.nan)
        viol = np.full(G, np.nan)
        status = np.ones(G, dtype=np.int8)
    failed = np.flatnonzero(status != 0)
    for g in failed:
        u = U[g]
        c = "welfare" if code == -1 else "egalitarian" if code == -2 else "feasibility"
        obj = u[code] if code >= 0 else c
        ce = _equilibrium(func, u, obj, coarse, "auto", tol)
        dist[g] = ce.distribution
        expected[g] = ce.expected_payoffs
        viol[g] = ce.max_violation
    fallback = np.zeros(G, dtype=bool)
    fallback[failed] = True
    return BatchCorrelated(dist, expected, viol, fallback)
