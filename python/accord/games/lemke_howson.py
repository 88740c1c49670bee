"""The Lemke–Howson algorithm for one Nash equilibrium of a bimatrix game.

Lemke & Howson (1964), "Equilibrium points of bimatrix games", J. SIAM 12(2):413-423,
in the tableau form of von Stengel (2007), "Equilibrium computation for two-player
games in strategic and extensive form", Algorithmic Game Theory ch. 3:

* the payoffs are mapped positively and affinely onto ``[1, 2]`` (no equilibrium
  changes) and the best-response polytopes are ``P = {x >= 0, B^T x <= 1}`` and
  ``Q = {y >= 0, A y <= 1}`` (Sec. 3.2);
* labels ``0..m-1`` are the row player's actions and ``m..m+n-1`` the column
  player's; a pair of points of ``P x Q`` other than ``(0, 0)`` that together have
  all labels is, normalised, an equilibrium (Thm. 3.4);
* starting at ``(0, 0)``, the algorithm drops one label and follows the unique
  path of almost completely labelled pairs by complementary pivoting on the two
  tableaux until the missing label is picked up again (Sec. 3.5);
* the leaving variable is chosen by the *lexicographic* minimum-ratio test, which
  is the pivoting of the lexicographically perturbed (hence nondegenerate) game,
  so the path is unique and terminates in degenerate games too (Sec. 3.6).

The pivoting runs in C++ (``accord._core.games``), with the GIL released.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import IntEnum

import numpy as np
from numpy.typing import ArrayLike

from .._backend import cpu_kernels, is_device_array
from .._validate import check_bytes, fail, integer, real_dtype, warn_slow
from .enumeration import EQUILIBRIUM_RTOL, _numerical_failure, verify_equilibria
from .game import GameLike, NormalFormGame, as_bimatrix

_kernels = cpu_kernels("games")

__all__ = [
    "MAX_PIVOTS",
    "BatchEquilibria",
    "PathStatus",
    "lemke_howson",
    "lemke_howson_all",
    "lemke_howson_batch",
]

#: Default bound on the pivots of one path.  The lexicographic rule terminates in
#: exact arithmetic; the bound only guards against floating-point failure (and the
#: exponentially long paths of Savani & von Stengel 2006, which need ~2**(n/2)).
MAX_PIVOTS = 10_000_000

_F64 = np.dtype(np.float64)


def _max_pivots(func: str, max_pivots) -> int:
    return integer(func, "max_pivots", max_pivots, minimum=1)


def _path_bound(A: np.ndarray) -> int:
    """More pivots than any Lemke–Howson path of an ``m x n`` game has: the path
    visits each pair of lexicographically feasible bases of the two polytopes at most
    once, and each polytope has at most ``C(m + n, m)`` bases."""
    m, n = A.shape if A.ndim == 2 else (1, 1)
    return 2 * math.comb(m + n, m) ** 2 + 2


def _check_size(func: str, A: np.ndarray, paths: int) -> None:
    """Size the kernel's memory (two tableaux and the scaled payoffs, ``O(mn)``, and
    ``paths`` equilibria of ``m + n`` entries) and warn when the lexicographic ratio
    tests of a degenerate game may take long (``(m + n)**2 min(m, n)`` steps)."""
    m, n = A.shape if A.ndim == 2 else (1, 1)
    check_bytes(
        func,
        8 * (4 * m * n + 3 * (m + n)) + 8 * paths * (m + n),
        f"the Lemke-Howson tableaux of a {m} x {n} game"
        + (f" and its {paths} paths' equilibria" if paths > 1 else ""),
        "lemke_howson() with chosen initial_dropped_label values, or a smaller game"
        if paths > 1
        else "a smaller game (remove dominated strategies first)",
    )
    warn_slow(
        func,
        (m + n) ** 2 * min(m, n),
        f"Lemke-Howson on a {m} x {n} game (if it is degenerate)",
        "removing dominated or duplicate strategies first makes it faster",
    )


def _run(func: str, kernel, A, B, *args, max_pivots: int):
    """Call a Lemke–Howson kernel, with the pivots capped at the path bound: a path
    longer than that cycles, which only rounding can cause."""
    bound = _path_bound(A)
    try:
        return kernel(A, B, *args, min(max_pivots, bound))
    except RuntimeError as err:
        if bound < max_pivots and "no equilibrium after" in str(err):
            fail(
                func,
                "the game is too badly scaled to be solved reliably in float64: the "
                f"pivoting path cycled (more than {bound:,} pivots, more than the game "
                "has pairs of bases), because payoff differences below ~1e-10 of the "
                "range are not resolved; use exact rational arithmetic or coarser payoffs",
            )
        _numerical_failure(func, err)
        raise


def lemke_howson(
    A: GameLike,
    B: ArrayLike | None = None,
    initial_dropped_label: int = 0,
    *,
    max_pivots: int = MAX_PIVOTS,
) -> tuple[np.ndarray, np.ndarray]:
    """One Nash equilibrium ``(x, y)`` of the bimatrix game ``(A, B)`` by Lemke–Howson.

    Lemke & Howson (1964); complementary pivoting with the lexicographic
    minimum-ratio test of von Stengel (2007, Algorithmic Game Theory ch. 3, Sec. 3.5
    and 3.6), so it terminates in degenerate games too.

    Parameters
    ----------
    A, B
        ``m x n`` payoff matrices of the row and the column player, or a two-player
        :class:`NormalFormGame` as ``A`` (and no ``B``).
    initial_dropped_label
        The label dropped at the artificial equilibrium: ``0..m-1`` are the row
        player's actions, ``m..m+n-1`` the column player's.  Different labels may
        reach different equilibria (see :func:`lemke_howson_all`).
    max_pivots
        Raise ``RuntimeError`` after this many pivots.  A path longer than the
        game's pairs of bases (``2 C(m + n, m)**2 + 2`` pivots) can only be a
        floating-point cycle and raises ``ValueError`` at that bound, as does an
        answer that fails the equilibrium check of
        :mod:`~accord.games.enumeration`.

    Returns
    -------
    (x, y)
        float64 mixed strategies of the row (length ``m``) and column (length ``n``)
        player.
    """
    if not (
        type(A) is np.ndarray
        and type(B) is np.ndarray
        and A.dtype == _F64
        and B.dtype == _F64
        and A.flags.c_contiguous
        and B.flags.c_contiguous
    ):
        A, B = as_bimatrix("lemke_howson", A, B)
    label = initial_dropped_label
    if type(label) is not int:
        label = integer("lemke_howson", "initial_dropped_label", label)
    if max_pivots is not MAX_PIVOTS:
        max_pivots = _max_pivots("lemke_howson", max_pivots)
    # The kernel checks the shapes, finiteness and the label's range.
    _check_size("lemke_howson", A, 1)
    x, y = _run("lemke_howson", _kernels.lemke_howson, A, B, label, max_pivots=max_pivots)
    verify_equilibria("lemke_howson", A, B, x[None], y[None])
    return x, y


def lemke_howson_all(
    A: GameLike, B: ArrayLike | None = None, *, max_pivots: int = MAX_PIVOTS
) -> list[tuple[np.ndarray, np.ndarray]]:
    """The distinct equilibria that Lemke–Howson reaches from each of the ``m + n``
    initial dropped labels, in the order of the first label that reached each.

    A subset of all equilibria (Shapley 1974; von Stengel 2007, Sec. 3.5): every
    path from the artificial equilibrium ends at one with positive index; use
    :func:`~accord.games.vertex_enumeration` for all of them.  Arguments as in
    :func:`lemke_howson`.
    """
    func = "lemke_howson_all"
    A, B = as_bimatrix(func, A, B)
    max_pivots = _max_pivots(func, max_pivots)
    _check_size(func, A, sum(A.shape))
    X, Y, _ = _run(func, _kernels.lemke_howson_all, A, B, max_pivots=max_pivots)
    verify_equilibria(func, A, B, X, Y)
    return list(zip(X, Y, strict=True))


class PathStatus(IntEnum):
    """Outcome of one game of :func:`lemke_howson_batch`."""

    #: The path ended at a verified equilibrium.
    SOLVED = 0
    #: The path took more than ``max_pivots`` pivots.
    PIVOT_LIMIT = 1
    #: Floating-point failure: an unbounded pivot column or a return to the
    #: artificial equilibrium.
    NUMERICAL_FAILURE = 2
    #: The path ended, but its profile failed the equilibrium check (regret above
    #: :data:`~accord.games.enumeration.EQUILIBRIUM_RTOL` of the payoff range): the game is
    #: too badly scaled for float64.
    NOT_VERIFIED = 3


@dataclass(frozen=True)
class BatchEquilibria:
    """One equilibrium per game of a batch (:func:`lemke_howson_batch`).

    Attributes
    ----------
    x, y
        ``(G, m)`` and ``(G, n)`` mixed strategies; NaN rows for games not solved.
    status
        ``(G,)`` int8 :class:`PathStatus` codes.
    regret
        ``(G,)`` the larger player's regret of ``(x, y)`` in units of its payoff range
        (NaN where no profile was found).
    """

    x: np.ndarray
    y: np.ndarray
    status: np.ndarray
    regret: np.ndarray

    @property
    def solved(self) -> np.ndarray:
        """``(G,)`` bool: the games whose ``x, y`` are verified equilibria."""
        return self.status == PathStatus.SOLVED


def _batch_payoffs(func: str, game) -> np.ndarray:
    """The ``(G, 2, m, n)`` float64 payoffs of a batch of two-player games: a batched
    :class:`NormalFormGame`, or an array (always read as a batch, never copied when
    it is already C-contiguous float64; the kernel checks that it is finite)."""
    if isinstance(game, NormalFormGame):
        if game.num_players != 2:
            fail(func, f"the games must have two players; got {game.num_players}")
        if game.device != "cpu":
            fail(func, "the games must be NumPy arrays (cupy.asnumpy)", TypeError)
        if not game.batched:
            fail(
                func,
                "game must be a batch of games, shape (G, 2, m, n) or a batched "
                "NormalFormGame; for one game use lemke_howson()",
            )
        return np.ascontiguousarray(game.payoffs, dtype=np.float64)
    if is_device_array(game):
        fail(func, "the games must be NumPy arrays (cupy.asnumpy)", TypeError)
    try:
        arr = np.asarray(game)
    except (TypeError, ValueError):
        fail(func, f"game must be a (G, 2, m, n) payoff array; got {type(game).__name__}")
    real_dtype(func, "game", arr, kinds="biuf")
    if arr.ndim != 4 or arr.shape[1] != 2 or 0 in arr.shape:
        fail(
            func,
            "game must have shape (G, 2, m, n): G >= 1 games, the row and the column "
            f"player's m x n payoffs (m, n >= 1); got shape {arr.shape}"
            + ("; for one game use lemke_howson()" if arr.ndim == 3 else ""),
        )
    return np.ascontiguousarray(arr, dtype=np.float64)


def lemke_howson_batch(
    game: GameLike, *, initial_dropped_label: ArrayLike = 0, max_pivots: int = MAX_PIVOTS
) -> BatchEquilibria:
    """One Nash equilibrium of every game of a batch of bimatrix games, by Lemke–Howson.

    The algorithm of :func:`lemke_howson` (Lemke & Howson 1964; von Stengel 2007,
    Sec. 3.5-3.6) run over the games in one native call (OpenMP over games, the GIL
    released): the stage-game solver of multi-agent learners such as Nash-Q, which
    solve many small games per step.  A game that fails does not stop the others: its
    :class:`PathStatus` says why, and its strategies are NaN.  Every returned
    equilibrium is verified as in :func:`lemke_howson`.

    Parameters
    ----------
    game
        ``(G, 2, m, n)`` payoffs (``[g, 0]`` the row player's, ``[g, 1]`` the column
        player's) or a batched two-player :class:`NormalFormGame`.
    initial_dropped_label
        One label for every game, or a ``(G,)`` array of labels in ``0..m+n-1``.
    max_pivots
        Pivots allowed per game (:func:`lemke_howson`).

    Returns
    -------
    BatchEquilibria
    """
    func = "lemke_howson_batch"
    P = _batch_payoffs(func, game)
    G, _, m, n = P.shape
    max_pivots = _max_pivots(func, max_pivots)
    labels = np.asarray(initial_dropped_label)
    if labels.dtype == object or not (np.issubdtype(labels.dtype, np.integer) and labels.ndim <= 1):
        fail(
            func,
            "initial_dropped_label must be an integer or a 1-D integer array; got "
            f"{initial_dropped_label!r}",
            TypeError,
        )
    if labels.ndim == 1 and labels.shape != (G,):
        fail(func, f"initial_dropped_label must have shape ({G},); got {labels.shape}")
    if ((labels < 0) | (labels >= m + n)).any():
        fail(
            func,
            f"initial_dropped_label must lie in 0..{m + n - 1} (0..{m - 1} the row "
            f"player's actions, {m}..{m + n - 1} the column player's); got "
            f"{initial_dropped_label!r}",
        )
    labels = np.ascontiguousarray(np.broadcast_to(labels, (G,)), dtype=np.int32)
    check_bytes(
        func,
        8 * G * (m + n + 2) + 8 * 6 * (m * n + m + n) * 64,
        f"the equilibria of {G:,} games of {m} x {n} actions",
        "fewer games per call",
    )
    bound = 2 * math.comb(m + n, m) ** 2 + 2
    X, Y, regret, status = _kernels.lemke_howson_batch(
        P, labels, min(max_pivots, bound), EQUILIBRIUM_RTOL
    )
    return BatchEquilibria(X, Y, status, regret)
