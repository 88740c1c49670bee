"""Linear-programming solution concepts of TU games: least core, core point, nucleolus.

All LPs are solved by dual simplex in HiGHS (Huangfu & Hall 2018), without
presolve, through :mod:`accord._highs`.

Formulation
-----------
The excess of a coalition ``S`` at an allocation ``x`` is ``e(S, x) = v(S) - x(S)``.
Every LP here has the ``n + 1`` variables ``(x, t)`` and one row
``x(S) + t >= v(S)`` per proper coalition ``S`` (neither empty nor ``N``), i.e.
``2**n - 2`` rows, plus the efficiency row ``x(N) = v(N)``:

* the least core (Maschler, Peleg & Shapley 1979, Sec. 2) is the set of optimal
  ``x`` of ``min t``; its value ``t`` is the least-core ``eps``;
* the nucleolus (Schmeidler 1969) is found by the sequence of LPs of Maschler,
  Peleg & Shapley (1979, Sec. 6) (see also Peleg & Sudhölter 2007, Sec. 5.1):
  each stage minimises the largest excess of the coalitions that are still free,
  then fixes the excess of every coalition whose dual multiplier is strictly
  positive (these are tight in *every* optimal solution, by complementary
  slackness) and of every free coalition whose incidence vector lies in the span of
  the fixed ones (its excess is then constant on the remaining set).  This is the
  fixing rule that Guajardo & Jörnsten (2015, "Common mistakes in computing the
  nucleolus", EJOR 241(3):931-935) show to be correct; fixing all *tight*
  coalitions instead is wrong in general.  The fixed incidence vectors gain rank
  at every stage, so there are at most ``n - 1`` stages; the sequence stops when
  they span ``R^n`` and the allocation is unique.

Each stage LP is solved by row generation (the LP has ``2**n`` rows but only
``n + 1`` columns, so at most ``n + 1`` rows are basic): a working set of the
rows of largest excess is solved, the excesses of all ``2**n`` coalitions at its
solution are computed by a vectorised subset-sum pass, and the most violated rows
are added until none is violated.  The optimum of the last restricted LP is then
optimal for the full LP and its duals (zero outside the working set) are an
optimal dual solution of the full LP, so the fixing rule above applies unchanged.

Numerics: the game is first normalised to ``w(S) = (v(S) - sum_{i in S} v({i})) /
scale`` with ``scale = max_S |v(S) - sum_{i in S} v({i})|`` (the solution concepts
are covariant under this strategic equivalence), so all tolerances below are
relative to ``scale``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from .. import _highs
from .._backend import is_device_array, like, to_host
from .._masks import grand_mask, membership, singleton_masks, subset_sums
from .._validate import fail, flag, real_array
from .game import FLOAT_MAX, CoalitionalGame, TUGame, TUGameLike, as_dense, largest_abs

__all__ = ["MAX_LP_PLAYERS", "LeastCore", "core_allocation", "least_core", "nucleolus"]

#: Largest number of players of the LP methods (each stage LP has 2**n rows).
MAX_LP_PLAYERS = 20

#: HiGHS primal and dual feasibility tolerance (on the normalised game).
LP_TOL = 1e-9
#: A dual multiplier above this is "strictly positive" (the multipliers of the
#: coalition rows of a stage sum to 1).
DUAL_TOL = 1e-9
#: An incidence vector whose distance to the span of the fixed ones is below this
#: lies in that span.  (For 0/1 vectors in R^n, n <= 20, a vector outside the span
#: is much farther away than this.)
SPAN_TOL = 1e-9
#: Row generation adds a row whose excess exceeds ``t`` by more than this.
VIOLATION_TOL = 1e-9
#: ``nucleolus`` treats ``|v(N) - sum_i v({i})|`` below this (relative to the size
#: of the numbers) as rounding: the imputation set is then the single point
#: ``v({i}) + gap / n``; a larger negative gap is an empty imputation set.
IMPUTATION_TOL = 1e-12
#: ``core_allocation`` treats the core as non-empty when ``eps <= CORE_TOL * scale``.
CORE_TOL = 1e-9


@dataclass(frozen=True)
class LeastCore:
    """Result of :func:`least_core`; unpacks as ``x, eps = least_core(game)``.

    Attributes
    ----------
    x
        a least-core allocation (efficient: ``x.sum() == v(N)``).
    eps
        the least-core value, the smallest ``e`` with ``x(S) >= v(S) - e`` for
        all coalitions other than the empty set and ``N``; ``-inf`` for one
        player (no such coalition).  The core is non-empty iff ``eps <= 0``.
    lp_rows
        rows of the full LP (``2**n - 2`` coalition rows + efficiency).
    lp_cols
        columns of the LP (``n + 1``: ``x`` and ``eps``).
    rows_generated
        coalition rows of the last restricted LP of row generation.
    solve_time
        wall-clock seconds spent in HiGHS and row generation.
    """

    x: np.ndarray
    eps: float
    lp_rows: int
    lp_cols: int
    rows_generated: int
    solve_time: float

    def __iter__(self) -> Iterator:
        yield self.x
        yield self.eps


# ----------------------------------------------------------------------------- input


def _dense(func: str, game: TUGameLike) -> TUGame:
    """The dense table of ``game``, with the player limit and the magnitude of its
    values checked before any work."""
    tg = _dense_table(func, game)
    # x(S) and the additive part sum up to n + 1 values of v: keep them finite.
    bound = FLOAT_MAX / (4.0 * (tg.n + 1))
    largest = largest_abs(tg.values)
    if not largest <= bound:
        fail(
            func,
            f"game values up to {largest:.3g} in magnitude are too large for the LP in "
            f"float64 (at most {bound:.3g} for {tg.n} players, so that the coalition sums "
            "x(S) stay finite); rescale v (divide by a constant: the solution scales "
            "with it)",
        )
    return tg


def _dense_table(func: str, game: TUGameLike) -> TUGame:
    if isinstance(game, CoalitionalGame):
        _check_players(func, game.n)
        return as_dense(func, game)
    if game is None or isinstance(game, (str, bytes, dict, set)):
        fail(
            func,
            "game must be a TUGame, a CoalitionalGame or a 1-D array of 2**n values "
            f"indexed by coalition bitmask; got {type(game).__name__}",
            TypeError,
        )
    if not is_device_array(game):
        arr = real_array(func, "game", game)
        if arr.ndim == 1 and arr.shape[0] >= 2 and not arr.shape[0] & (arr.shape[0] - 1):
            _check_players(func, arr.shape[0].bit_length() - 1)
        game = arr
    try:
        return as_dense(func, game)
    except ValueError as e:
        fail(func, f"game is not a valid TU game: {e}")
    raise AssertionError  # pragma: no cover


def _check_players(func: str, n: int) -> None:
    if n > MAX_LP_PLAYERS:
        fail(
            func,
            f"the LP of a {n}-player game has 2**{n} = {2**n:,} rows (one per "
            f"coalition); the LP methods are limited to n <= {MAX_LP_PLAYERS}. "
            "For large games use a sampled value such as shapley(game, samples=...)",
        )


def _host(values) -> np.ndarray:
    return np.asarray(to_host(values), dtype=np.float64)


# ----------------------------------------------------------------------------- helpers


class _Normalised:
    """``w = (v - additive part) / scale`` and the data to map results back."""

    def __init__(self, v: np.ndarray, n: int) -> None:
        self.n = n
        self.single = v[singleton_masks(n)].copy()
        w = v - subset_sums(self.single)
        self.scale = float(np.max(np.abs(w)))
        self.w = w / self.scale if self.scale > 0 else w

    def allocation(self, x: np.ndarray) -> np.ndarray:
        return self.scale * x + self.single


class _StageLP:
    """Row-generation solver of ``min t`` s.t. ``x(S) + t >= w(S)`` (S free),
    ``B x = r``, ``x >= 0`` if ``imputation``."""

    def __init__(self, func: str, w: np.ndarray, n: int, imputation: bool) -> None:
        self.func = func
        self.w = w
        self.n = n
        self.imputation = imputation
        self.block = 4 * (n + 1)  # rows added per row-generation round
        self.stage = 0

    def solve(
        self,
        free: np.ndarray,
        eq_rows: np.ndarray,
        eq_rhs: np.ndarray,
        start: np.ndarray,
        working: np.ndarray,
        t_lower: float,
    ) -> tuple[np.ndarray, float, np.ndarray, np.ndarray]:
        """Optimal ``(x, t)``, the working-set masks and their dual multipliers."""
        n, w = self.n, self.w
        self.stage += 1
        # Initial working set: the free coalitions of largest excess at `start`.
        exc = w - subset_sums(start)
        exc[~free] = -np.inf
        nfree = int(free.sum())
        k = min(nfree, 2 * self.block)
        top = np.argpartition(exc, -k)[-k:] if k < exc.size else np.flatnonzero(free)
        working = np.union1d(working[free[working]], top[free[top]]).astype(np.int64)
        ncols = n + 1
        c = np.zeros(ncols)
        c[n] = 1.0
        a_eq = np.hstack([eq_rows, np.zeros((eq_rows.shape[0], 1))])
        upper = np.full(ncols, _highs.INF)
        lower = np.full(ncols, 0.0 if self.imputation else -_highs.INF)
        add = self.block
        for _ in range(10 * (1 << n)):  # terminates long before: each round adds rows
            a_ub = -np.hstack([membership(working, n, np.float64), np.ones((working.size, 1))])
            lower[n] = t_lower
            res = _highs.linprog(
                self.func,
                f"LP stage {self.stage}",
                c,
                a_ub=a_ub,
                b_ub=-w[working],
                a_eq=a_eq,
                b_eq=eq_rhs,
                lower=lower,
                upper=upper,
                preset="simplex",
                tol=LP_TOL,
                presolve="off",
            )
            x, t = res.x[:n], float(res.x[n])
            exc = w - subset_sums(x)
            exc[~free] = -np.inf
            viol = np.flatnonzero(exc > t + VIOLATION_TOL)
            if viol.size:
                if viol.size > add:
                    viol = viol[np.argpartition(exc[viol], -add)[-add:]]
                working = np.union1d(working, viol)
                add *= 2  # geometric growth bounds the number of rounds
                continue
            if t <= t_lower + 1e-6:  # the artificial lower bound on t may bind
                t_lower -= 4.0 * (1.0 + abs(t_lower))
                continue
            return x, t, working, -res.row_duals[: working.size]
        fail(self.func, "row generation did not converge", RuntimeError)
        raise AssertionError  # pragma: no cover


def _solve_least_core(func: str, g: _Normalised) -> tuple[np.ndarray, float, int]:
    n = g.n
    full = grand_mask(n)
    free = np.ones(1 << n, dtype=bool)
    free[0] = free[full] = False
    lp = _StageLP(func, g.w, n, imputation=False)
    start = np.full(n, g.w[full] / n)
    working = singleton_masks(n)
    # Singletons give t >= (w(N) - sum w_i) / n - ...: a valid bound, w_i = 0 here.
    t_lower = -abs(g.w[full]) / n - 1.0
    x, t, working, _ = lp.solve(
        free, np.ones((1, n)), np.array([g.w[full]]), start, working, t_lower
    )
    return x, t, int(working.size)


# ----------------------------------------------------------------------------- public


def least_core(game: TUGameLike) -> LeastCore:
    """The least core: ``min eps`` s.t. ``x(S) >= v(S) - eps`` for all coalitions
    ``S`` other than the empty set and ``N``, and ``x(N) = v(N)``.

    Maschler, Peleg & Shapley (1979), "Geometric properties of the kernel,
    nucleolus, and related solution concepts", Math. Oper. Res. 4(4):303-338,
    Sec. 2; Shapley & Shubik (1966) (the strong epsilon-core).

    Parameters
    ----------
    game
        a :class:`TUGame`, a :class:`CoalitionalGame` with ``n <= MAX_LP_PLAYERS``
        or a 1-D array of ``2**n`` values indexed by coalition bitmask.

    Returns
    -------
    LeastCore
        Unpacks as ``(x, eps)``.  ``x`` is one optimal
        vertex of the LP (the least core is a polytope; :func:`nucleolus` picks a
        canonical point of it).  The core is non-empty iff ``eps <= 0``.  For one
        player there is no constraint: ``x = [v(N)]`` and ``eps = -inf``.

    Raises
    ------
    ValueError
        invalid game or ``n > MAX_LP_PLAYERS``.
    RuntimeError
        HiGHS did not solve the LP.
    """
    func = "least_core"
    tg = _dense(func, game)
    v = _host(tg.values)
    n = tg.n
    _check_players(func, n)
    t0 = time.perf_counter()
    if n == 1:
        return LeastCore(like(v[1:2].copy(), tg.values), -math.inf, 1, 2, 0, 0.0)
    g = _Normalised(v, n)
    if g.scale == 0.0:  # additive game: x = (v({i})), all excesses 0
        x, eps, rows = g.single, 0.0, 0
    else:
        xn, t, rows = _solve_least_core(func, g)
        x, eps = g.allocation(xn), g.scale * t + 0.0  # no -0.0
    return LeastCore(
        like(x, tg.values), float(eps), (1 << n) - 1, n + 1, rows, time.perf_counter() - t0
    )


def core_allocation(game: TUGameLike) -> np.ndarray | None:
    """An allocation in the core, or ``None`` when the core is empty.

    The core (Gillies 1959) is non-empty iff the least-core value ``eps <= 0``
    (Bondareva 1963; Shapley 1967); the point returned is the least-core LP vertex
    of :func:`least_core`.  Tolerance: the core counts as non-empty when
    ``eps <= CORE_TOL * scale`` (``scale`` = largest ``|v(S) - sum_{i in S} v({i})|``);
    the point then satisfies ``x(S) >= v(S) - max(eps, 0)``.
    """
    func = "core_allocation"
    tg = _dense(func, game)
    v = _host(tg.values)
    _check_players(func, tg.n)
    x, eps = least_core(tg)
    scale = float(np.max(np.abs(v - subset_sums(v[singleton_masks(tg.n)]))))
    return x if eps <= CORE_TOL * scale else None


def nucleolus(game: TUGameLike, *, imputation: bool = True) -> np.ndarray:
    """The nucleolus (Schmeidler 1969), or the prenucleolus with ``imputation=False``.

    The nucleolus is the allocation that lexicographically minimises the vector
    of excesses ``v(S) - x(S)`` of all coalitions other than the empty set and
    ``N``, sorted in decreasing order, over the imputations
    (``x(N) = v(N)``, ``x_i >= v({i})``); the prenucleolus does the same over all
    efficient allocations.  Computed by the sequence of LPs of Maschler, Peleg &
    Shapley (1979), Sec. 6, with the fixing rule of Guajardo & Jörnsten (2015),
    EJOR 241(3):931-935: fix the coalitions with strictly positive dual multiplier
    (HiGHS marginals) and every free coalition in the span of the fixed ones; stop
    when the fixed ones span ``R^n``.  See the module docstring for tolerances.

    Parameters
    ----------
    game
        a :class:`TUGame`, a :class:`CoalitionalGame` with ``n <= MAX_LP_PLAYERS``
        or a 1-D array of ``2**n`` values indexed by coalition bitmask.
    imputation
        restrict to imputations (the nucleolus); ``False`` gives the
        prenucleolus.  The two coincide when the core is non-empty.

    Returns
    -------
    ndarray
        ``(n,)``, on the device of the game's values.

    Raises
    ------
    ValueError
        invalid game, ``n > MAX_LP_PLAYERS``, or (with ``imputation``)
        an empty imputation set, ``v(N) < sum_i v({i})`` (beyond rounding,
        see ``IMPUTATION_TOL``).
    RuntimeError
        HiGHS failed on a stage LP.
    """
    func = "nucleolus"
    imputation = flag(func, "imputation", imputation)
    tg = _dense(func, game)
    v = _host(tg.values)
    n = tg.n
    _check_players(func, n)
    full = grand_mask(n)
    single = v[singleton_masks(n)]
    if n == 1:
        return like(v[1:2].copy(), tg.values)
    if imputation:
        total = math.fsum(single.tolist())
        gap = float(v[full]) - total
        rounding = IMPUTATION_TOL * max(1.0, abs(float(v[full])), float(np.abs(single).sum()))
        if gap < -rounding:
            fail(
                func,
                f"the imputation set is empty: v(N) = {float(v[full])!r} < sum of "
                f"v({{i}}) = {total!r}; use imputation=False for the prenucleolus",
            )
        if gap <= rounding:  # one imputation (up to rounding): share the gap equally
            return like(single + gap / n, tg.values)
    g = _Normalised(v, n)
    if g.scale == 0.0:  # additive game
        return like(g.single.copy(), tg.values)
    x = _prenucleolus_normalised(func, g, imputation)
    return like(g.allocation(x), tg.values)


def _prenucleolus_normalised(func: str, g: _Normalised, imputation: bool) -> np.ndarray:
    n, w = g.n, g.w
    full = grand_mask(n)
    free = np.ones(1 << n, dtype=bool)
    free[0] = free[full] = False
    eq_rows = np.ones((1, n))
    eq_rhs = np.array([w[full]])
    comp = _complement(eq_rows)  # orthonormal basis of span(eq_rows)^perp, (n, r)
    lp = _StageLP(func, w, n, imputation)
    x = np.full(n, w[full] / n)
    working = singleton_masks(n)
    t_lower = -abs(w[full]) / n - 1.0
    for _ in range(n):
        x, t, working, duals = lp.solve(free, eq_rows, eq_rhs, x, working, t_lower)
        positive = np.flatnonzero(duals > DUAL_TOL)
        if positive.size == 0:  # numerically impossible (they sum to 1); be safe
            positive = np.array([int(np.argmax(duals))])
        for m in working[positive[np.argsort(-duals[positive])]]:
            a = membership(m, n, np.float64)
            if np.linalg.norm(a @ comp) > SPAN_TOL:
                eq_rows = np.vstack([eq_rows, a])
                # the excess is t at every optimum; use x(S) so x stays exactly feasible
                eq_rhs = np.append(eq_rhs, a @ x)
                comp = _complement(eq_rows)
        if comp.shape[1] == 0:
            return x
        # free coalitions in the span of the fixed ones have a constant excess now
        dist2 = np.zeros(1 << n)
        for j in range(comp.shape[1]):
            dist2 += subset_sums(comp[:, j]) ** 2
        free &= dist2 > SPAN_TOL**2
        t_lower = t - 1.0
    fail(
        func,
        "the fixed coalitions did not reach full rank after n stages (numerical trouble)",
        RuntimeError,
    )
    raise AssertionError  # pragma: no cover


def _complement(rows: np.ndarray) -> np.ndarray:
    """Orthonormal basis (columns) of the orthogonal complement of the row space."""
    _, s, vt = np.linalg.svd(rows)
    rank = int((s > SPAN_TOL).sum())
    return vt[rank:].T
