"""Correlated and coarse correlated equilibria of normal-form games.

A *correlated equilibrium* (CE; Aumann 1974, "Subjectivity and correlation in
randomized strategies", J. Math. Econ. 1:67-96; Aumann 1987, "Correlated equilibrium
as an expression of Bayesian rationality", Econometrica 55:1-18) is a distribution
``p`` over joint actions such that no player gains by deviating from a recommended
action: for every player ``i``, recommendation ``r`` and deviation ``d``,

    g_i(r, d) = sum_{a_-i} p(r, a_-i) [u_i(d, a_-i) - u_i(r, a_-i)] <= 0.

A *coarse correlated equilibrium* (CCE; Moulin & Vial 1978; Hannan 1957) only asks
that no player gains by committing to a fixed action before seeing a recommendation:
``h_i(d) = sum_a p(a) [u_i(d, a_-i) - u_i(a)] = sum_r g_i(r, d) <= 0``.  Every CE is
a CCE.  Both sets are polytopes cut out of the probability simplex by these linear
inequalities, so an optimal one for a linear objective is a linear program
(Papadimitriou & Roughgarden 2008, "Computing correlated equilibria in multi-player
games", J. ACM 55(3), Sec. 2); see also seed 002, "Correlated Equilibrium".

The incentive gains, their maximum and the sparse constraint matrix (one row per
``(i, r, d != r)`` for CE, per ``(i, d)`` for CCE) are computed by the C++ kernels
of ``accord._core.games``; the LP is solved by HiGHS (Huangfu & Hall 2018).
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import lsqr

from .._validate import choice, fail
from .game import PROBABILITY_TOL, NormalFormGame, as_game

__all__ = [
    "MAX_LP_NONZEROS",
    "CorrelatedEquilibrium",
    "cce_violation",
    "ce_violation",
    "coarse_correlated_equilibrium",
    "correlated_equilibrium",
    "incentive_matrix",
]

#: Largest number of non-zeros of the incentive matrix the LP methods accept (the
#: bound ``sum_i (k_i - 1) prod_j k_j`` is checked before any work; ~16 bytes each,
#: and HiGHS keeps several copies).
MAX_LP_NONZEROS = 20_000_000
#: ``method="auto"`` uses PDLP instead of dual simplex for a feasibility-type LP
#: (objective constant on the simplex) with at least this many incentive rows.
PDLP_MIN_ROWS = 2_000
#: Optimality: the verified duality gap must be below this times the payoff scale
#: (``max |u|``) for ``status == "optimal"``; otherwise ``auto`` re-solves by simplex.
GAP_TOL = 1e-7
#: The face projection is applied when an interior-point or PDLP point violates an
#: incentive row by more than this (scaled payoffs; a simplex vertex, solved with
#: feasibility tolerance 1e-10, only above ``0.01 * tol``); it usually reaches ~1e-16.
POLISH_TARGET = 1e-13
#: Rounds of the face projection (each drops negative entries / adds violated rows).
POLISH_ROUNDS = 3


@dataclass(frozen=True)
class CorrelatedEquilibrium:
    """Result of :func:`correlated_equilibrium` / :func:`coarse_correlated_equilibrium`.

    Attributes:
        distribution: the joint distribution, shape ``(k_1, ..., k_n)``; exactly
            non-negative and summing to 1 up to rounding.
        max_violation: :func:`ce_violation` (or :func:`cce_violation` when
            ``coarse``) recomputed from ``distribution`` by the kernel, not read
            from the solver; ``<= tol * scale``.
        objective_value: the objective at ``distribution`` (welfare, smallest
            expected payoff, ``<objective, distribution>``, or 0 for feasibility).
        upper_bound: a verified upper bound on the objective over the whole
            (C)CE polytope, from the solver's dual multipliers clipped to be dual
            feasible: ``max_a (c - M^T y)(a)`` for any ``y >= 0``.  The optimality
            gap is ``upper_bound - objective_value``.
        expected_payoffs: every player's expected payoff, shape ``(n,)``.
        coarse: ``True`` for a coarse correlated equilibrium.
        objective: ``"welfare"``, ``"egalitarian"``, ``"linear"`` or ``"feasibility"``.
        status: ``"optimal"`` when the gap is below ``GAP_TOL * scale``, else
            ``"feasible"`` (an exact equilibrium whose optimality is not certified).
        method: the solver path that produced it (``"simplex"``, ``"ipm"``,
            ``"pdlp"``), ``+polish`` when the face projection was applied.
        lp_shape: ``(rows, columns)`` of the LP passed to HiGHS.
        solve_time: wall-clock seconds (assembly, solve, polish, verification).
        timings: seconds by stage: ``"assembly"`` (the kernel's LP matrix with the
            redundant rows dropped, bounds and costs), ``"solver"`` (inside HiGHS
            ``run`` only, all attempts), ``"model"`` (our side of the HiGHS calls:
            options, ``passModel`` and reading the solution; ``passModel`` copies and
            checks the matrix, a cost of our interface, not of the solve),
            ``"polish"`` (clipping, the kernel check and any face projection) and
            ``"other"`` (argument checks, dual bound, verification).
    """

    distribution: np.ndarray
    max_violation: float
    objective_value: float
    upper_bound: float
    expected_payoffs: np.ndarray
    coarse: bool
    objective: str
    status: str
    method: str
    lp_shape: tuple[int, int]
    solve_time: float
    timings: dict = field(default_factory=dict, compare=False)

    @property
    def gap(self) -> float:
        """Verified optimality gap ``upper_bound - objective_value`` (``>= 0``)."""
        return max(0.0, self.upper_bound - self.objective_value)


def _core():
    from .._core import games

    return games


def _is_cupy(a) -> bool:
    return type(a).__module__.split(".")[0] == "cupy"


def _host_payoffs(game: NormalFormGame) -> np.ndarray:
    """The payoffs as a host float64 array with a leading batch axis."""
    p = game.as_batch()
    if _is_cupy(p):
        p = p.get()
    return np.ascontiguousarray(p, dtype=np.float64)


def _check_distribution(func: str, game: NormalFormGame, distribution,
                        name: str = "distribution") -> tuple[np.ndarray, bool]:
    """``distribution`` as a host float64 array ``(B', k_1, ..., k_n)`` and whether it
    had a batch axis.  Checks shape, finiteness, non-negativity and that every
    distribution sums to 1 within ``PROBABILITY_TOL * N`` (nothing is renormalised)."""
    shape = game.num_actions
    if _is_cupy(distribution):
        distribution = distribution.get()
    try:
        d = np.asarray(distribution, dtype=np.float64)
    except (TypeError, ValueError):
        fail(func, f"{name} must be a numeric array of shape {shape} (the game's joint "
                   f"action shape); got {type(distribution).__name__}", TypeError)
    if d.shape == shape:
        batched = False
        d = d[None]
    elif d.ndim == len(shape) + 1 and d.shape[1:] == shape and d.shape[0] >= 1 and (
            game.batch_size is None or d.shape[0] in (1, game.batch_size)):
        batched = True
    else:
        want = f"{shape}" if game.batch_size is None else \
            f"{shape} or {(game.batch_size,) + shape}"
        extra = " or (B, *joint shape) for several distributions" if not game.batched else ""
        fail(func, f"{name} must have shape {want}{extra}; got {d.shape}")
    if not np.isfinite(d).all():
        idx = tuple(int(i) for i in np.argwhere(~np.isfinite(d))[0])
        fail(func, f"{name} must be finite; entry {idx[1:] if not batched else idx} is "
                   f"{d[idx]}")
    if (d < 0).any():
        idx = tuple(int(i) for i in np.argwhere(d < 0)[0])
        fail(func, f"{name} has a negative probability {d[idx]} at "
                   f"{idx[1:] if not batched else idx}; it must be a probability "
                   "distribution over joint actions")
    n_out = int(np.prod(shape))
    sums = d.reshape(d.shape[0], -1).sum(axis=1)
    dev = np.abs(sums - 1.0)
    if (dev > PROBABILITY_TOL * n_out).any():
        b = int(np.argmax(dev))
        where = f" (distribution {b})" if batched else ""
        fail(func, f"{name} must sum to 1{where}; it sums to {sums[b]!r}. Normalise it first")
    return np.ascontiguousarray(d), batched


def _violation(func: str, game, distribution, coarse: bool):
    g = as_game(func, game)
    dist, dist_batched = _check_distribution(func, g, distribution)
    out = _core().incentive_violation(_host_payoffs(g), dist, coarse)
    if not g.batched and not dist_batched:
        return float(out[0])
    if _is_cupy(g.payoffs) or _is_cupy(distribution):
        import cupy

        return cupy.asarray(out)
    return out


def ce_violation(game, distribution):
    """Largest incentive gain of a joint distribution against the CE constraints.

    ``max_{i, r, d} sum_{a_-i} p(r, a_-i) [u_i(d, a_-i) - u_i(r, a_-i)]``: the most
    any player gains in expectation by playing ``d`` whenever recommended ``r``
    (Aumann 1974, 1987).  It is ``>= 0`` (``d = r`` gains 0) and ``0`` exactly at a
    correlated equilibrium; the gain is unconditional (not divided by ``P(r)``),
    so it is in payoff units and comparable across recommendations.

    Args:
        game: a :class:`NormalFormGame` (one game or a batch) or a payoff array.
        distribution: joint distribution of shape ``(k_1, ..., k_n)``, or a batch
            ``(B, k_1, ..., k_n)`` (one per game of a batched game of size ``B``,
            or several distributions of one game).  Must be finite, non-negative
            and sum to 1 within ``PROBABILITY_TOL * prod(k)``; never renormalised.

    Returns:
        A float for one game and one distribution, else an array ``(B,)``.
    """
    return _violation("ce_violation", game, distribution, coarse=False)


def cce_violation(game, distribution):
    """Largest incentive gain of a joint distribution against the CCE constraints.

    ``max_{i, d} sum_a p(a) [u_i(d, a_-i) - u_i(a)]``: the most any player gains by
    committing to the fixed action ``d`` instead of following the recommendations
    (Moulin & Vial 1978), or 0 when every such gain is negative (not deviating gains
    0).  It is ``>= 0`` and ``0`` exactly at a coarse correlated equilibrium; it never
    exceeds ``max_i (k_i - 1)`` times :func:`ce_violation`.  For the empirical
    distribution of play this is the largest average external regret.

    Arguments and return value as for :func:`ce_violation`.
    """
    return _violation("cce_violation", game, distribution, coarse=True)


# ------------------------------------------------------------------------- the LP

_OBJECTIVES = ("welfare", "egalitarian", "maxmin", "feasibility")
_METHODS = ("auto", "simplex", "ipm", "pdlp")


_local = threading.local()


def _highs():
    """This thread's HiGHS instance, its model cleared (options are kept; see
    :func:`_configure`): ``highspy.Highs``, else the same bindings that SciPy
    (>= 1.15) vendors as ``scipy.optimize._highspy._core``.  One instance per thread
    is reused: constructing one (~0.1 ms) costs more than a small LP's assembly."""
    h = getattr(_local, "highs", None)
    if h is None:
        try:
            import highspy as mod

            solver = mod.Highs()
        except ImportError:
            from scipy.optimize._highspy import _core as mod

            solver = mod._Highs()
        h = _local.highs = (solver, mod)
        _local.configured = None
    else:
        h[0].clearModel()
    return h


def _configure(h, method: str) -> None:
    """Sets the options of ``method`` on ``h``, from HiGHS's defaults (no output);
    skipped when this thread's cached instance already has them."""
    cached = getattr(_local, "highs", None)
    if cached is not None and cached[0] is h and _local.configured == method:
        return
    h.resetOptions()
    h.setOptionValue("output_flag", False)
    if method == "simplex":
        h.setOptionValue("solver", "simplex")
        h.setOptionValue("primal_feasibility_tolerance", 1e-10)
        h.setOptionValue("dual_feasibility_tolerance", 1e-10)
    elif method == "ipm":
        h.setOptionValue("solver", "ipm")
        h.setOptionValue("run_crossover", "off")
        h.setOptionValue("ipm_optimality_tolerance", 1e-10)
    else:
        h.setOptionValue("solver", "pdlp")
        for opt in ("primal_feasibility_tolerance", "dual_feasibility_tolerance",
                    "pdlp_optimality_tolerance"):
            h.setOptionValue(opt, 1e-8)
    if cached is not None and cached[0] is h:
        _local.configured = method


def _nnz_bound(actions: tuple[int, ...]) -> int:
    n_out = math.prod(actions)
    return sum((k - 1) * n_out for k in actions)


def _check_lp_size(func: str, game: NormalFormGame) -> None:
    n_out = math.prod(game.num_actions)
    nnz = _nnz_bound(game.num_actions)
    if nnz > MAX_LP_NONZEROS or n_out >= 2**31 - 1:
        rows = sum(k * (k - 1) for k in game.num_actions)
        fail(func, f"the LP of this {'x'.join(map(str, game.num_actions))} game has "
                   f"{n_out:,} variables (one per joint action), {rows:,} incentive rows and "
                   f"up to {nnz:,} non-zeros (~{16 * nnz / 2**30:.1f} GiB); the limit is "
                   f"MAX_LP_NONZEROS = {MAX_LP_NONZEROS:,}. For larger games run no-regret "
                   "dynamics (regret_matching) and measure the empirical distribution of "
                   "play with ce_violation / cce_violation")


def _single_game(func: str, game) -> tuple[NormalFormGame, np.ndarray]:
    g = as_game(func, game)
    if g.batched:
        fail(func, f"needs one game; got a batch of {g.batch_size}. Solve the games one at a "
                   f"time: [{func}(game[b]) for b in range(len(game))]")
    _check_lp_size(func, g)
    return g, _host_payoffs(g)[0]


def _objective_vector(func: str, game: NormalFormGame, u: np.ndarray, objective):
    """``(kind, c)``: ``c`` is the linear objective over joint actions (flat, float64),
    or ``None`` for the egalitarian objective."""
    shape = game.num_actions
    if isinstance(objective, str):
        choice(func, "objective", objective, _OBJECTIVES)
        if objective == "welfare":
            return "welfare", u.sum(axis=0).ravel()
        if objective == "feasibility":
            return "feasibility", np.zeros(math.prod(shape))
        return "egalitarian", None
    if _is_cupy(objective):
        objective = objective.get()
    try:
        c = np.asarray(objective, dtype=np.float64)
    except (TypeError, ValueError):
        fail(func, "objective must be 'welfare', 'egalitarian', 'maxmin', 'feasibility' or "
                   f"an array of shape {shape}; got {type(objective).__name__}", TypeError)
    if c.shape != shape:
        fail(func, f"an objective array must have the game's joint action shape {shape} "
                   f"(one coefficient per joint action); got shape {c.shape}")
    if not np.isfinite(c).all():
        fail(func, "the objective array must be finite")
    return "linear", c.ravel().copy()


def incentive_matrix(game, *, coarse: bool = False) -> sp.csr_matrix:
    """The incentive-constraint matrix ``M`` of a game (C++ kernel), as SciPy CSR.

    Rows: one per player ``i``, recommendation ``r`` and deviation ``d != r``
    (``d`` ascending), ``sum_i k_i (k_i - 1)`` rows, for correlated equilibria; one per
    player and deviation, ``sum_i k_i`` rows, with ``coarse=True``.  Columns: joint
    actions in row-major (C) order.  ``(M p)`` are the incentive gains of ``p``, so
    ``p`` is a (C)CE iff ``M p <= 0`` (Papadimitriou & Roughgarden 2008, Sec. 2).
    Explicit zeros are not stored.
    """
    func = "incentive_matrix"
    _, u = _single_game(func, game)
    indptr, indices, data, shape = _core().incentive_matrix(u, bool(coarse))
    return sp.csr_matrix((data, indices, indptr), shape=shape)


class _LP:
    """max c.p (or max min_i U_i.p) s.t. M p <= 0, sum p = 1, p >= 0 on scaled payoffs
    ``us`` (shape ``(n, k_1, ..., k_n)``).

    The row-wise matrix comes whole from the kernel (``incentive_lp``): the incentive
    rows with a positive coefficient (a row without one holds for every ``p >= 0``),
    then the egalitarian rows ``z - U_i.p <= 0`` and the row ``sum p = 1``; it is
    handed to HiGHS as it is (int32 offsets, no SciPy objects on the way)."""

    def __init__(self, us: np.ndarray, c: np.ndarray | None, coarse: bool):
        self.n = us.shape[0]
        self.U = us.reshape(self.n, -1)
        self.N = self.U.shape[1]
        self.c = c
        egal = c is None
        self.indptr, self.indices, self.data, self.kept = _core().incentive_lp(
            us, coarse, egal)
        self.m = self.kept.size
        self.rows = self.indptr.size - 1
        self.cols = ncols = self.N + egal
        if egal:
            cost = np.zeros(ncols)
            cost[-1] = -1.0
        else:
            cost = -c
        self.cost = cost
        self.row_lower = np.full(self.rows, -np.inf)
        self.row_lower[-1] = 1.0
        self.row_upper = np.zeros(self.rows)
        self.row_upper[-1] = 1.0
        self.col_lower = np.zeros(ncols)
        if egal:
            self.col_lower[-1] = -np.inf
        self.col_upper = np.full(ncols, np.inf)
        self._M = None

    @property
    def M(self) -> sp.csr_matrix:
        """The kept incentive rows as SciPy CSR (built on first use: only the face
        projection needs it)."""
        if self._M is None:
            end = self.indptr[self.m]
            self._M = sp.csr_matrix(
                (self.data[:end], self.indices[:end], self.indptr[:self.m + 1]),
                shape=(self.m, self.N))
        return self._M

    def solve(self, func: str, method: str):
        """Approximate primal ``p``, row duals (HiGHS sign convention), the seconds
        spent in HiGHS ``run``, the seconds spent passing the model and reading the
        solution, and, for simplex, the face of the final basis (basic columns,
        non-basic incentive rows) or ``None``."""
        t0 = time.perf_counter()
        h, mod = _highs()
        _configure(h, method)
        # the array overload of passModel: no element-wise copies through Python
        status = h.passModel(
            self.cols, self.rows, int(self.indptr[-1]), int(mod.MatrixFormat.kRowwise),
            int(mod.ObjSense.kMinimize), 0.0, self.cost, self.col_lower, self.col_upper,
            self.row_lower, self.row_upper, self.indptr, self.indices, self.data,
            np.zeros(self.cols, dtype=np.int32))
        if status == mod.HighsStatus.kError:
            fail(func, "HiGHS rejected the LP", RuntimeError)
        t1 = time.perf_counter()
        h.run()
        t2 = time.perf_counter()
        sol = h.getSolution()
        if not sol.value_valid:
            status = h.modelStatusToString(h.getModelStatus())
            fail(func, f"HiGHS ({method}) returned no solution (status: {status})",
                 RuntimeError)
        x = np.array(sol.col_value[:self.N], dtype=np.float64)
        duals = np.array(sol.row_dual, dtype=np.float64) if sol.dual_valid else \
            np.zeros(self.rows)
        face = None
        if method == "simplex":
            def face():  # read lazily: only a polish needs it
                basis = h.getBasis()
                if not basis.valid:
                    return None
                basic = mod.HighsBasisStatus.kBasic
                cols = np.array([st == basic for st in basis.col_status[:self.N]])
                rows = np.array([st != basic for st in basis.row_status[:self.m]])
                return cols, rows
        return x, duals, t2 - t1, (t1 - t0) + (time.perf_counter() - t2), face

    def upper_bound(self, duals: np.ndarray) -> float:
        """``max_a (c - M^T y)(a)`` with ``y = max(0, -row_dual)`` (and for the
        egalitarian objective ``c = sum_i w_i U_i``, ``w`` the normalised duals of
        the ``z`` rows): a valid bound for every (C)CE, since ``M p <= 0``."""
        y = np.maximum(0.0, -duals[:self.m])
        if self.c is None:
            w = np.maximum(0.0, -duals[self.m:self.m + self.n])
            w = w / w.sum() if w.sum() > 0 else np.full(self.n, 1.0 / self.n)
            c = w @ self.U
        else:
            c = self.c
        # M^T y row by row, in the order of a CSR transpose product
        end = self.indptr[self.m]
        weights = self.data[:end] * np.repeat(y, np.diff(self.indptr[:self.m + 1]))
        mty = np.bincount(self.indices[:end], weights=weights, minlength=self.N)
        return float(np.max(c - mty))


def _lstsq_min_norm(K: sp.csr_matrix, r: np.ndarray) -> np.ndarray:
    """The minimum-norm ``delta`` with ``K delta = r`` (``K`` may be rank-deficient)."""
    rows, cols = K.shape
    if rows * cols * min(rows, cols) <= 3e7:
        return np.linalg.lstsq(K.toarray(), r, rcond=None)[0]
    delta = np.zeros(cols)
    for _ in range(3):  # LSQR, then refine on the residual
        delta += lsqr(K, r - K @ delta, atol=1e-16, btol=1e-16, iter_lim=20 * cols)[0]
        if np.max(np.abs(r - K @ delta)) <= 1e-15:
            break
    return delta


def _polish(M: sp.csr_matrix, x: np.ndarray, target: float, face=None
            ) -> tuple[np.ndarray, float, bool]:
    """Project an approximate (C)CE onto the face it lies on, making it exact.

    The support ``S`` and the active rows ``A`` are the basic columns and non-basic
    rows of a simplex basis (``face()``, when given and valid), else read from
    ``x``: ``x > 1e-9 max x`` and ``(Mx)_r > -1e-7`` (scaled payoffs).  The
    minimum-norm
    correction ``delta`` on ``S`` with ``M_{A,S} (x + delta) = 0`` and
    ``sum (x + delta) = 1`` is solved (dense least squares, or LSQR for large faces).
    Entries that turn negative leave ``S`` and rows that become violated join ``A``,
    for ``POLISH_ROUNDS`` rounds.  Returns the better of ``x`` (clipped to ``>= 0`` and
    normalised) and the projection, its largest gain, and whether it was projected.
    """
    x = np.maximum(x, 0.0)
    if not x.sum() > 0:
        x = np.full_like(x, 1.0 / x.size)
    x = x / x.sum()
    gains = M @ x
    best = (x, float(gains.max(initial=0.0)), False)
    if best[1] <= target:
        return best
    face = face() if face is not None else None
    if face is not None:
        S, A = face
    else:
        S, A = x > 1e-9 * x.max(), gains > -1e-7
    Mc = M.tocsc()
    for _ in range(POLISH_ROUNDS):
        cols = np.flatnonzero(S)
        MS = Mc[:, cols].tocsr()
        act = np.flatnonzero(A & (np.diff(MS.indptr) > 0))
        K = sp.vstack([MS[act], sp.csr_matrix(np.ones((1, cols.size)))]).tocsr()
        r = np.r_[np.zeros(act.size), 1.0] - K @ x[cols]
        xs = x[cols] + _lstsq_min_norm(K, r)
        neg = xs < -1e-14
        x = np.zeros_like(x)
        x[cols] = np.maximum(xs, 0.0)
        x /= x.sum()
        if neg.any():
            S[cols[neg]] = False
            continue
        gains = M @ x
        viol = float(gains.max(initial=0.0))
        if viol < best[1]:
            best = (x, viol, True)
        bad = gains > target
        if not bad.any():
            break
        A |= bad
    return best


def _equilibrium(func: str, game, objective, coarse: bool, method: str, tol: float
                 ) -> CorrelatedEquilibrium:
    t0 = time.perf_counter()
    g, u = _single_game(func, game)
    kind, c = _objective_vector(func, g, u, objective)
    choice(func, "method", method, _METHODS)
    if not (isinstance(tol, (int, float)) and 0 < tol < 1e-3):
        fail(func, f"tol must be a number in (0, 1e-3); got {tol!r}")
    n, shape = g.num_players, g.num_actions
    scale = float(np.max(np.abs(u))) or 1.0
    us = u / scale
    cs = None if c is None else c / scale
    t_asm = time.perf_counter()
    lp = _LP(us, cs, coarse)
    t_asm = time.perf_counter() - t_asm
    t_solver = t_model = t_polish = 0.0
    if method == "auto":
        if cs is None:
            method = "ipm"
        elif lp.m >= PDLP_MIN_ROWS and np.ptp(cs) <= 1e-12:  # feasibility-type LP
            method = "pdlp"
        else:
            method = "simplex"
    tried = []
    for m in (method, "simplex"):
        if m in tried:
            continue
        tried.append(m)
        x, duals, t_run, t_pass, face = lp.solve(func, m)
        t_solver += t_run
        t_model += t_pass
        t1 = time.perf_counter()
        # a simplex vertex (feasibility tolerance 1e-10) is projected only if needed
        target = 0.01 * tol if m == "simplex" else POLISH_TARGET
        # the solver's point, clipped and normalised, verified by the violation kernel
        # on the unscaled payoffs (the check reported as max_violation); it is kept as
        # it is when that is already below the target, else projected
        feasible = np.maximum(x, 0.0)
        if not feasible.sum() > 0:
            feasible = np.full_like(feasible, 1.0 / feasible.size)
        feasible = feasible / feasible.sum()
        checked = _core().incentive_violation(u[None], feasible.reshape(shape)[None],
                                              coarse)[0]
        projected = False
        if checked <= target * scale:
            viol = checked / scale
        else:
            checked = None
            feasible, viol, projected = _polish(lp.M, x, target, face)
        t_polish += time.perf_counter() - t1
        if viol > 0.5 * tol:
            continue
        bound = lp.upper_bound(duals)
        value = _objective_value(kind, feasible, cs, lp.U)
        optimal = bound - value <= GAP_TOL
        if optimal or m == "simplex":
            break
    else:
        fail(func, f"HiGHS did not yield an exact {'coarse ' * coarse}correlated "
                   f"equilibrium (tried {', '.join(tried)})", RuntimeError)
    p = feasible.reshape(shape)
    viol = checked if checked is not None else \
        _core().incentive_violation(u[None], p[None], coarse)[0]
    if viol > tol * scale:
        fail(func, f"the polished distribution violates the incentive constraints by "
                   f"{viol:.3g} > tol * scale = {tol * scale:.3g}", RuntimeError)
    U = u.reshape(n, -1)
    payoffs = U @ feasible
    value = _objective_value(kind, feasible, c, U)
    bound = max(bound * scale, value)
    total = time.perf_counter() - t0
    timings = {"assembly": t_asm, "solver": t_solver, "model": t_model, "polish": t_polish,
               "other": total - t_asm - t_solver - t_model - t_polish}
    return CorrelatedEquilibrium(
        distribution=p, max_violation=float(viol), objective_value=value,
        upper_bound=float(bound), expected_payoffs=payoffs, coarse=coarse, objective=kind,
        status="optimal" if optimal else "feasible",
        method=tried[-1] + "+polish" * projected,
        lp_shape=(lp.rows, lp.cols), solve_time=total, timings=timings)


def _objective_value(kind: str, p: np.ndarray, c: np.ndarray | None, U: np.ndarray) -> float:
    if kind == "egalitarian":
        return float(np.min(U @ p))
    return float(c @ p)


_SOLVER_DOC = """
    The LP has one variable per joint action; the incentive matrix is assembled by
    the C++ kernel (rows without a positive coefficient are dropped: they hold for
    every ``p >= 0``) and the LP is solved by HiGHS (Huangfu & Hall 2018) on payoffs
    scaled by ``scale = max |u|``.  ``method="auto"`` uses dual simplex, except
    (a) for a feasibility-type LP (objective constant on the simplex:
    ``"feasibility"``, or the welfare of a constant-sum game) with at least
    ``PDLP_MIN_ROWS`` incentive rows, where the first-order PDLP (Applegate et al.
    2021, "Practical large-scale linear programming using primal-dual hybrid
    gradient") converges much faster than simplex, which stalls on the degenerate
    vertices, and (b) for the egalitarian objective, whose max-min LP is highly
    degenerate for simplex: there it uses interior point without crossover
    (``"ipm"``).  The approximate solution is then made exact by projecting it
    onto the face it lies on (support and near-active rows; minimum-norm least
    squares), and verified by the violation kernel; if that fails, or if the
    verified gap from the solver's duals exceeds ``GAP_TOL * scale``, the LP is
    re-solved by simplex.

    Args:
        game: one :class:`NormalFormGame` or a payoff array ``(n, k_1, ..., k_n)``.
            A batch of games is refused (solve them one at a time).
        objective: ``"welfare"`` (maximise the sum of expected payoffs),
            ``"egalitarian"`` or ``"maxmin"`` (maximise the smallest player's
            expected payoff: ``max z`` s.t. ``z <= E_p[u_i]``, one extra variable),
            ``"feasibility"`` (any equilibrium), or an array of the game's joint
            action shape ``(k_1, ..., k_n)``, whose inner product with ``p`` is
            maximised.
        method: ``"auto"``, ``"simplex"``, ``"ipm"`` or ``"pdlp"``.
        tol: the returned distribution's verified ``max_violation`` is at most
            ``tol * scale`` (it is usually ~1e-16 * scale).

    Returns:
        :class:`CorrelatedEquilibrium`.

    Raises:
        ValueError: bad game, objective or method, a batch of games, or an LP with
            more than ``MAX_LP_NONZEROS`` non-zeros.
        RuntimeError: HiGHS failed to produce an exact equilibrium.
    """


def correlated_equilibrium(game, objective="welfare", *, method: str = "auto",
                           tol: float = 1e-9) -> CorrelatedEquilibrium:
    return _equilibrium("correlated_equilibrium", game, objective, False, method, tol)


def coarse_correlated_equilibrium(game, objective="welfare", *, method: str = "auto",
                                  tol: float = 1e-9) -> CorrelatedEquilibrium:
    return _equilibrium("coarse_correlated_equilibrium", game, objective, True, method, tol)


correlated_equilibrium.__doc__ = """An optimal correlated equilibrium (Aumann 1974, 1987).

    Solves ``max objective(p)`` over joint distributions ``p`` with
    ``sum_{a_-i} p(r, a_-i) [u_i(d, a_-i) - u_i(r, a_-i)] <= 0`` for every player
    ``i`` and actions ``r != d`` (``sum_i k_i (k_i - 1)`` rows; Papadimitriou &
    Roughgarden 2008, Sec. 2; seed 002, "Correlated Equilibrium").
""" + _SOLVER_DOC

coarse_correlated_equilibrium.__doc__ = """An optimal coarse correlated equilibrium
    (Moulin & Vial 1978).

    Solves ``max objective(p)`` over joint distributions ``p`` with
    ``sum_a p(a) [u_i(d, a_-i) - u_i(a)] <= 0`` for every player ``i`` and action
    ``d`` (``sum_i k_i`` rows).  Every correlated equilibrium is one, so the optimum
    is at least that of :func:`correlated_equilibrium`.
""" + _SOLVER_DOC
