"""All Nash equilibria of a bimatrix game: support enumeration and vertex enumeration.

Avis, Rosenberg, Savani & von Stengel (2010), "Enumeration of Nash equilibria for
two-player games", Economic Theory 42(1):9-37; von Stengel (2007), "Equilibrium
computation for two-player games in strategic and extensive form", Algorithmic Game
Theory ch. 3, Sec. 3.3-3.4.  Both run in C++ (``accord._core.games``); the Python
functions validate, call the kernel once and return a generator over its results.

Labels and polytopes are those of :mod:`accord.games.lemke_howson`: after the payoffs
are mapped positively onto ``[1, 2]``, ``P = {x >= 0, B^T x <= 1}`` and
``Q = {y >= 0, A y <= 1}``; labels ``0..m-1`` are the row player's actions and
``m..m+n-1`` the column player's.

Every equilibrium the exact solvers (these two and :mod:`~accord.games.lemke_howson`)
return is checked against the original payoffs before it is returned: its regret is
at most :data:`EQUILIBRIUM_RTOL` of each player's payoff range.  A game whose
equilibria need payoff differences that float64 does not resolve on ``[1, 2]``
(below about ``1e-10`` of the range) raises ``ValueError`` saying so, never a
profile that is not an equilibrium.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator

import numpy as np
from numpy.typing import ArrayLike

from .._backend import cpu_kernels
from .._validate import fail, integer
from .game import GameLike, as_bimatrix

_kernels = cpu_kernels("games")

__all__ = [
    "MAX_BASES",
    "EQUILIBRIUM_RTOL",
    "MAX_SUPPORT_PAIRS",
    "DegenerateGameWarning",
    "support_enumeration",
    "vertex_enumeration",
]

#: Default bound on the equal-size support pairs of :func:`support_enumeration`
#: (``C(m + n, m) - 1`` for an ``m x n`` game).
MAX_SUPPORT_PAIRS = 1_000_000_000
#: Default bound on the bases visited per best-response polytope by
#: :func:`vertex_enumeration` (each costs ~40 bytes of memory).
MAX_BASES = 50_000_000


class DegenerateGameWarning(UserWarning):
    """The game is degenerate, so support enumeration may miss equilibria (those on
    supports of unequal size, or continua); use :func:`vertex_enumeration`."""


#: Largest regret of a returned equilibrium, as a fraction of the payoff range of
#: the player concerned.  The kernels resolve payoff differences down to ~1e-10 of
#: the range; an equilibrium above this bound means the game is too badly scaled
#: for float64.
EQUILIBRIUM_RTOL = 1e-6


def _unit_range(M: np.ndarray) -> np.ndarray:
    """``M`` mapped positively and affinely onto ``[0, 1]`` without overflow or
    underflow: first scaled exactly by the power of two that brings ``max |M|`` into
    ``[0.5, 1)``, then shifted and divided by the range (in ``(0, 2]``)."""
    big = float(np.abs(M).max()) if M.size else 0.0
    if big == 0.0:
        return np.zeros_like(M)
    S = np.ldexp(M, -math.frexp(big)[1])
    span = float(S.max() - S.min())
    return (S - S.min()) / span if span > 0 else np.zeros_like(M)


def verify_equilibria(
    func: str, A: np.ndarray, B: np.ndarray, X: np.ndarray, Y: np.ndarray
) -> None:
    """Raise ``ValueError`` unless every ``(X[k], Y[k])`` is a Nash equilibrium of
    ``(A, B)`` up to :data:`EQUILIBRIUM_RTOL` of each player's payoff range.

    The check is the safety net of the exact solvers: they work in floating point
    on the payoffs mapped onto ``[1, 2]``, so payoff differences far below the range
    are not resolved, and a game that needs them is refused rather than answered
    with a profile that is not an equilibrium.
    """
    if len(X) == 0:
        return
    tol = EQUILIBRIUM_RTOL
    if len(X) == 1 and _one_is_equilibrium(A, B, X[0], Y[0], tol):
        return  # the common case of Lemke-Howson, in a few microseconds
    with np.errstate(all="ignore"):
        regret = np.maximum(_regrets(A, X, Y), _regrets(B.T, Y, X))
        bad = ~(regret <= tol)  # NaN (non-finite profiles) included
        bad |= (X < -tol).any(axis=1) | (Y < -tol).any(axis=1)
        bad |= (np.abs(X.sum(axis=1) - 1) > tol) | (np.abs(Y.sum(axis=1) - 1) > tol)
    if bad.any():
        k = int(np.argmax(bad))
        spans = [float(np.ptp(M)) for M in (A, B)]
        fail(
            func,
            "the game is too badly scaled to be solved reliably in float64: the "
            f"computed profile {k} has a regret of {float(regret[k]):.3g} times the payoff "
            f"range (tolerance {tol:g}); payoffs span {spans[0]:.3g} (A) and "
            f"{spans[1]:.3g} (B), and payoff differences below ~1e-10 of the span are "
            "not resolved; use exact rational arithmetic or coarser payoffs",
        )


def _one_is_equilibrium(A: np.ndarray, B: np.ndarray, x: np.ndarray, y: np.ndarray, tol) -> bool:
    """The check of :func:`verify_equilibria` for one profile of a game with payoffs
    of moderate size (False for anything else, which the general path decides)."""
    alo, ahi, blo, bhi = A.min(), A.max(), B.min(), B.max()
    if not (
        1e-290 < max(-alo, ahi) < 1e290
        and 1e-290 < max(-blo, bhi) < 1e290
        and x.min() >= -tol
        and y.min() >= -tol
        and abs(x.sum() - 1) <= tol
        and abs(y.sum() - 1) <= tol
    ):
        return False
    u = A @ y
    v = x @ B
    return bool(u.max() - x @ u <= tol * (ahi - alo) and v.max() - y @ v <= tol * (bhi - blo))


def _regrets(M: np.ndarray, P: np.ndarray, Q: np.ndarray) -> np.ndarray:
    """Regret of each mixed strategy ``P[k]`` of the player with payoffs ``M`` (own
    actions x opponent's) against ``Q[k]``, in units of the range of ``M``.  Payoffs
    of moderate size are used as they are (fast); others are first mapped onto
    ``[0, 1]`` by :func:`_unit_range` so that nothing overflows or underflows."""
    lo, hi = float(M.min()), float(M.max())
    if not hi > lo:
        return np.zeros(len(P))
    if 1e-290 < max(-lo, hi) < 1e290:
        u = Q @ M.T
        span = hi - lo
    else:
        u = Q @ _unit_range(M).T
        span = 1.0
    return (u.max(axis=1) - np.einsum("ki,ki->k", P, u)) / span


def _numerical_failure(func: str, err: RuntimeError) -> None:
    """Turn a kernel's numerical failure into the project's ValueError."""
    if "numerical failure" in str(err):
        fail(
            func,
            "the game is too badly scaled to be solved reliably in float64 (the "
            f"kernel reported: {err}); use exact rational arithmetic or coarser payoffs",
        )
    raise err


def _pairs(X: np.ndarray, Y: np.ndarray) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    yield from zip(X, Y, strict=True)


def support_enumeration(
    A: GameLike, B: ArrayLike | None = None, *, max_pairs: int = MAX_SUPPORT_PAIRS
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """All Nash equilibria of a nondegenerate bimatrix game by support enumeration.

    For every pair of supports ``I`` (rows) and ``J`` (columns) of equal size ``k``
    the two indifference systems are solved (``y`` on ``J`` makes every row of ``I``
    a best response, ``x`` on ``I`` every column of ``J``); the pair is an
    equilibrium when both are positive on their supports and no action outside them
    pays more (Avis et al. 2010, Sec. 2; von Stengel 2007, Sec. 3.3, Alg. 3.4).  In
    a nondegenerate game every equilibrium has supports of equal size and is found
    once.  The ``C(m + n, m) - 1`` support pairs are enumerated in C++ with OpenMP.

    Parameters
    ----------
    A, B
        ``m x n`` payoff matrices of the row and the column player, or a two-player
        :class:`NormalFormGame` as ``A``.
    max_pairs
        Refuse games with more equal-size support pairs than this.

    Returns
    -------
    A generator of ``(x, y)`` float64 arrays, ordered by support size, then row
    support, then column support (lexicographically).  The work is done (and a
    :class:`DegenerateGameWarning` issued, when some support pair gives an
    equilibrium on a smaller support or with more pure best responses than its
    support size) when this function is called.
    """
    func = "support_enumeration"
    A, B = as_bimatrix(func, A, B)
    max_pairs = integer(func, "max_pairs", max_pairs, minimum=1)
    m, n = A.shape
    pairs = math.comb(m + n, m) - 1
    if pairs > max_pairs:
        fail(
            func,
            f"a {m}x{n} game has {pairs:,} equal-size support pairs (max_pairs="
            f"{max_pairs:,}); use vertex_enumeration or lemke_howson, or raise max_pairs",
        )
    X, Y, degenerate = _kernels.support_enumeration(A, B)
    verify_equilibria(func, A, B, X, Y)
    if degenerate:
        warnings.warn(
            f"{func}(): the game is degenerate (a strategy has more pure best "
            "responses than its support size); equilibria on supports of unequal "
            "size are not enumerated; use vertex_enumeration",
            DegenerateGameWarning,
            stacklevel=2,
        )
    return _pairs(X, Y)


def vertex_enumeration(
    A: GameLike, B: ArrayLike | None = None, *, max_bases: int = MAX_BASES
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """All extreme Nash equilibria of a bimatrix game, each exactly once, degenerate
    games included.

    The extreme equilibria are the pairs of vertices ``(x, y) != (0, 0)`` of the
    best-response polytopes ``P x Q`` whose label sets together cover all ``m + n``
    labels (von Stengel 2007, Sec. 3.4 and Thm. 3.4; Avis et al. 2010, Sec. 3).  The
    vertices of each polytope are enumerated in C++ by a depth-first search over its
    lexicographically feasible bases (the vertices of the lexicographically
    perturbed polytope, which is simple and has a connected graph; Sec. 3.6); a
    vertex is identified by its label set, so a degenerate vertex with many bases is
    kept once.  The complementary pairs are found by a hash lookup of the missing
    labels (a scan for the degenerate vertices).  Every equilibrium of the game is a
    convex combination of extreme ones within a maximal Nash subset.

    Parameters
    ----------
    A, B
        ``m x n`` payoff matrices (``m + n <= 128``), or a two-player
        :class:`NormalFormGame` as ``A``.
    max_bases
        Raise ``RuntimeError`` when a polytope has more lexicographically feasible
        bases than this (memory grows with it).

    Returns
    -------
    A generator of ``(x, y)`` float64 arrays, computed when this function is called.
    """
    func = "vertex_enumeration"
    A, B = as_bimatrix(func, A, B)
    max_bases = integer(func, "max_bases", max_bases, minimum=1)
    m, n = A.shape
    if m + n > 128:
        fail(
            func,
            f"supports games with m + n <= 128 actions; got {m}x{n}; use "
            "lemke_howson for one equilibrium of a larger game",
        )
    try:
        X, Y, _ = _kernels.vertex_enumeration(A, B, max_bases)
    except RuntimeError as err:
        _numerical_failure(func, err)
    verify_equilibria(func, A, B, X, Y)
    return _pairs(X, Y)
