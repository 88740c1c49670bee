"""The value and optimal strategies of a two-player zero-sum game by linear programming.

The minimax theorem (von Neumann 1928): in a finite two-player zero-sum game
``max_x min_y x^T A y = min_y max_x x^T A y``, the value of the game.  The row
player's maximin strategy solves

    maximise v  subject to  A^T x >= v 1,  1^T x = 1,  x >= 0,

and the column player's minimax strategy is the dual of the ``n`` inequality rows
(LP duality; e.g. von Stengel 2007, Algorithmic Game Theory ch. 3, Sec. 3.2).  The LP
is solved by HiGHS (Huangfu & Hall 2018; :mod:`accord._highs`) on the payoffs mapped
onto ``[0, 1]``, and the value mapped back.
"""

from __future__ import annotations

import numpy as np

from .. import _highs
from .._backend import is_device_array
from .._validate import fail, real_dtype
from .game import GameLike, NormalFormGame, as_matrix
from .lemke_howson import PathStatus, lemke_howson_batch

__all__ = ["LP_TOL", "minimax", "minimax_batch"]

#: HiGHS primal and dual feasibility tolerance (on the payoffs mapped onto [0, 1]).
LP_TOL = 1e-10

#: Largest payoff magnitude: the range max(A) - min(A) must be a finite float64.
LP_MAX_PAYOFF = float(np.finfo(np.float64).max) / 4.0


def _distribution(p: np.ndarray) -> np.ndarray:
    # HiGHS may return -1e-17 for a zero; keep probabilities in [0, 1] summing to 1.
    p = np.maximum(p, 0.0)
    return p / p.sum()


def minimax(A: GameLike) -> tuple[float, np.ndarray, np.ndarray]:
    """``(value, x, y)`` of the zero-sum game in which the row player receives ``A``.

    The row player maximises ``x^T A y``, the column player minimises it; ``value``
    is the row player's payoff at the equilibrium, ``x`` (length ``m``) a maximin
    strategy of the row player and ``y`` (length ``n``) a minimax strategy of the
    column player, so ``min(x @ A) == value == max(A @ y)`` up to the LP tolerance.

    Parameters
    ----------
    A
        ``m x n`` payoff matrix of the row player, or a two-player zero-sum
        :class:`NormalFormGame`.

    References: the minimax theorem (von Neumann 1928) and its LP formulation
    (Dantzig 1951).
    """
    func = "minimax"
    if isinstance(A, NormalFormGame):
        if A.num_players != 2 or A.batched:
            fail(func, f"the game must be a single two-player game; got {A!r}")
        if not A.is_zero_sum(tol=1e-12 * max(1.0, float(np.abs(A.payoffs).max()))):
            fail(
                func,
                "the game is not zero-sum; pass the row player's payoff matrix "
                "(game.bimatrix()[0]) to solve A against -A",
            )
        A = A.bimatrix()[0]
        if not isinstance(A, np.ndarray):
            fail(func, "the game must be on the CPU", TypeError)
    A = as_matrix(func, "A", A)
    m, n = A.shape
    largest = float(np.abs(A).max()) if A.size else 0.0
    if not largest <= LP_MAX_PAYOFF:
        fail(
            func,
            f"A has payoffs up to {largest:.3g} in magnitude, too large for the LP in "
            f"float64 (at most {LP_MAX_PAYOFF:.3g}, so that their range is finite); "
            "rescale A (divide by a constant: the value scales with it, the strategies "
            "are unchanged)",
        )
    lo, hi = float(A.min()), float(A.max())
    scale = hi - lo if hi > lo else 1.0
    U = (A - lo) / scale
    # Variables (x_1..x_m, v); minimise -v.
    c = np.zeros(m + 1)
    c[-1] = -1.0
    A_ub = np.hstack([-U.T, np.ones((n, 1))])  # v - (U^T x)_j <= 0
    A_eq = np.ones((1, m + 1))
    A_eq[0, -1] = 0.0
    lower = np.r_[np.zeros(m), -_highs.INF]
    upper = np.full(m + 1, _highs.INF)
    # HiGHS cannot fail here for a finite matrix (the LP is feasible and bounded); it
    # would raise a RuntimeError naming its status
    res = _highs.linprog(
        func,
        "the minimax LP",
        c,
        a_ub=A_ub,
        b_ub=np.zeros(n),
        a_eq=A_eq,
        b_eq=[1.0],
        lower=lower,
        upper=upper,
        preset="choose",
        tol=LP_TOL,
    )
    x = _distribution(res.x[:m])
    y = _distribution(-res.row_duals[:n])
    value = lo + scale * float(res.x[-1])
    return value, x, y


def minimax_batch(A: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(values, X, Y)`` of a batch of zero-sum games, the row player receiving ``A[g]``.

    Each game is solved as the bimatrix game ``(A[g], -A[g])`` by
    :func:`~accord.games.lemke_howson_batch` in one native call: in a zero-sum game
    every Nash equilibrium is a pair of optimal strategies and ``x^T A y`` is the value
    (von Neumann 1928; von Stengel 2007, Sec. 3.2), here found by complementary pivoting
    instead of one LP per game.  A game whose path fails or whose answer fails the
    equilibrium check (a badly scaled game) is solved by :func:`minimax` instead, so
    every game gets an answer.  The stage solver of minimax-Q and of Shapley's value
    iteration.

    Parameters
    ----------
    A
        ``(G, m, n)`` payoff matrices of the row player.

    Returns
    -------
    values, X, Y
        ``(G,)`` game values, ``(G, m)`` maximin strategies of the row player and
        ``(G, n)`` minimax strategies of the column player.
    """
    func = "minimax_batch"
    if is_device_array(A):
        fail(func, "A must be a NumPy array (cupy.asnumpy)", TypeError)
    try:
        arr = np.asarray(A)
    except (TypeError, ValueError):
        fail(func, f"A must be a (G, m, n) payoff array; got {type(A).__name__}", TypeError)
    real_dtype(func, "A", arr, kinds="biuf")
    if arr.ndim != 3 or 0 in arr.shape:
        fail(func, f"A must have shape (G, m, n), one payoff matrix per game; got {arr.shape}")
    arr = arr.astype(np.float64, copy=False)
    largest = max(float(arr.max()), -float(arr.min()))
    if not largest <= LP_MAX_PAYOFF:  # NaN included
        if not np.isfinite(arr).all():
            k = tuple(int(i) for i in np.argwhere(~np.isfinite(arr))[0])
            fail(func, f"A must be finite; entry {k} is {arr[k]}")
        fail(
            func,
            f"A has payoffs up to {largest:.3g} in magnitude, too large for float64 (at "
            f"most {LP_MAX_PAYOFF:.3g}); rescale A",
        )
    P = np.empty((arr.shape[0], 2, *arr.shape[1:]))
    P[:, 0] = arr
    np.negative(arr, out=P[:, 1])
    eq = lemke_howson_batch(P)
    X, Y = eq.x, eq.y
    values = np.einsum("gi,gi->g", X, np.einsum("gij,gj->gi", arr, Y))
    for g in np.flatnonzero(eq.status != PathStatus.SOLVED):
        values[g], X[g], Y[g] = minimax(arr[g])
    return values, X, Y
