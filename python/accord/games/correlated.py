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
games", J. ACM 55(3), Sec. 2).

The incentive gains, their maximum and the sparse constraint matrix (one row per
``(i, r, d != r)`` for CE, per ``(i, d)`` for CCE) are computed by the C++ kernels
of ``accord._core.games``; the LP (:mod:`accord.games.incentive_lp`) is solved by
HiGHS (Huangfu & Hall 2018).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike

from .._backend import cpu_kernels, is_device_array, like, to_host
from .._validate import choice, fail, flag, real, real_array
from .game import PROBABILITY_TOL, GameLike, NormalFormGame, as_game
from .incentive_lp import POLISH_TARGET, IncentiveLP, polish

_kernels = cpu_kernels("games")

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


@dataclass(frozen=True)
class CorrelatedEquilibrium:
    """Result of :func:`correlated_equilibrium` / :func:`coarse_correlated_equilibrium`.

    Attributes
    ----------
    distribution
        the joint distribution, shape ``(k_1, ..., k_n)``; exactly
        non-negative and summing to 1 up to rounding.
    max_violation
        :func:`ce_violation` (or :func:`cce_violation` when
        ``coarse``) recomputed from ``distribution`` by the kernel, not read
        from the solver; ``<= tol * scale``.
    objective_value
        the objective at ``distribution`` (welfare, smallest
        expected payoff, ``<objective, distribution>``, or 0 for feasibility).
    upper_bound
        a verified upper bound on the objective over the whole
        (C)CE polytope, from the solver's dual multipliers clipped to be dual
        feasible: ``max_a (c - M^T y)(a)`` for any ``y >= 0``.  The optimality
        gap is ``upper_bound - objective_value``.
    expected_payoffs
        every player's expected payoff, shape ``(n,)``.
    coarse
        ``True`` for a coarse correlated equilibrium.
    objective
        ``"welfare"``, ``"egalitarian"``, ``"linear"`` or ``"feasibility"``.
    status
        ``"optimal"`` when the gap is below ``GAP_TOL * scale``, else
        ``"feasible"`` (an exact equilibrium whose optimality is not certified).
    method
        the solver path that produced it (``"simplex"``, ``"ipm"``,
        ``"pdlp"``), ``+polish`` when the face projection was applied.
    lp_shape
        ``(rows, columns)`` of the LP passed to HiGHS.
    solve_time
        wall-clock seconds (assembly, solve, polish, verification).
    timings
        seconds by stage: ``"assembly"`` (the kernel's LP matrix with the
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


_MAX = float(np.finfo(np.float64).max)


def _host_payoffs(game: NormalFormGame) -> np.ndarray:
    """The payoffs as a host float64 array with a leading batch axis."""
    return np.ascontiguousarray(to_host(game.as_batch()), dtype=np.float64)


def _check_distribution(
    func: str, game: NormalFormGame, distribution, name: str = "distribution"
) -> tuple[np.ndarray, bool]:
    """``distribution`` as a host float64 array ``(B', k_1, ..., k_n)`` and whether it
    had a batch axis.  Checks shape, finiteness, non-negativity and that every
    distribution sums to 1 within ``PROBABILITY_TOL * N`` (nothing is renormalised)."""
    shape = game.num_actions
    distribution = to_host(distribution)
    d = real_array(func, name, distribution)
    if d.shape == shape:
        batched = False
        d = d[None]
    elif (
        d.ndim == len(shape) + 1
        and d.shape[1:] == shape
        and d.shape[0] >= 1
        and (game.batch_size is None or d.shape[0] in (1, game.batch_size))
    ):
        batched = True
    else:
        want = f"{shape}" if game.batch_size is None else f"{shape} or {(game.batch_size,) + shape}"
        extra = " or (B, *joint shape) for several distributions" if not game.batched else ""
        fail(func, f"{name} must have shape {want}{extra}; got {d.shape}")
    if not np.isfinite(d).all():
        idx = tuple(int(i) for i in np.argwhere(~np.isfinite(d))[0])
        fail(func, f"{name} must be finite; entry {idx[1:] if not batched else idx} is {d[idx]}")
    if (d < 0).any():
        idx = tuple(int(i) for i in np.argwhere(d < 0)[0])
        fail(
            func,
            f"{name} has a negative probability {d[idx]} at "
            f"{idx[1:] if not batched else idx}; it must be a probability "
            "distribution over joint actions",
        )
    n_out = int(np.prod(shape))
    sums = d.reshape(d.shape[0], -1).sum(axis=1)
    dev = np.abs(sums - 1.0)
    if (dev > PROBABILITY_TOL * n_out).any():
        b = int(np.argmax(dev))
        where = f" (distribution {b})" if batched else ""
        fail(func, f"{name} must sum to 1{where}; it sums to {sums[b]!r}. Normalise it first")
    return np.ascontiguousarray(d), batched


def _violation(
    func: str, game: GameLike, distribution: ArrayLike, coarse: bool
) -> float | np.ndarray:
    g = as_game(func, game)
    dist, dist_batched = _check_distribution(func, g, distribution)
    out = _kernels.incentive_violation(_host_payoffs(g), dist, coarse)
    if not g.batched and not dist_batched:
        return float(out[0])
    return like(out, g.payoffs if is_device_array(g.payoffs) else distribution)


def ce_violation(game: GameLike, distribution: ArrayLike) -> float | np.ndarray:
    """Largest incentive gain of a joint distribution against the CE constraints.

    ``max_{i, r, d} sum_{a_-i} p(r, a_-i) [u_i(d, a_-i) - u_i(r, a_-i)]``: the most
    any player gains in expectation by playing ``d`` whenever recommended ``r``
    (Aumann 1974, 1987).  It is ``>= 0`` (``d = r`` gains 0) and ``0`` exactly at a
    correlated equilibrium; the gain is unconditional (not divided by ``P(r)``),
    so it is in payoff units and comparable across recommendations.

    Parameters
    ----------
    game
        a :class:`NormalFormGame` (one game or a batch) or a payoff array.
    distribution
        joint distribution of shape ``(k_1, ..., k_n)``, or a batch
        ``(B, k_1, ..., k_n)`` (one per game of a batched game of size ``B``,
        or several distributions of one game).  Must be finite, non-negative
        and sum to 1 within ``PROBABILITY_TOL * prod(k)``; never renormalised.

    Returns
    -------
    float or ndarray
        A float for one game and one distribution, else an array ``(B,)``.
    """
    return _violation("ce_violation", game, distribution, coarse=False)


def cce_violation(game: GameLike, distribution: ArrayLike) -> float | np.ndarray:
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


def _nnz_bound(actions: tuple[int, ...]) -> int:
    n_out = math.prod(actions)
    return sum((k - 1) * n_out for k in actions)


def _check_lp_size(func: str, game: NormalFormGame) -> None:
    n_out = math.prod(game.num_actions)
    nnz = _nnz_bound(game.num_actions)
    if nnz > MAX_LP_NONZEROS or n_out >= 2**31 - 1:
        rows = sum(k * (k - 1) for k in game.num_actions)
        fail(
            func,
            f"the LP of this {'x'.join(map(str, game.num_actions))} game has "
            f"{n_out:,} variables (one per joint action), {rows:,} incentive rows and "
            f"up to {nnz:,} non-zeros (~{16 * nnz / 2**30:.1f} GiB); the limit is "
            f"MAX_LP_NONZEROS = {MAX_LP_NONZEROS:,}. For larger games run no-regret "
            "dynamics (regret_matching) and measure the empirical distribution of "
            "play with ce_violation / cce_violation",
        )


def _single_game(func: str, game) -> tuple[NormalFormGame, np.ndarray]:
    g = as_game(func, game)
    if g.batched:
        fail(
            func,
            f"needs one game; got a batch of {g.batch_size}. Solve the games one at a "
            f"time: [{func}(game[b]) for b in range(len(game))]",
        )
    _check_lp_size(func, g)
    u = _host_payoffs(g)[0]
    # The welfare objective and the bound sum n payoffs; deviations differ by two.
    bound = float(np.finfo(np.float64).max) / (4.0 * g.num_players)
    largest = float(np.abs(u).max()) if u.size else 0.0
    if not largest <= bound:
        fail(
            func,
            f"the payoffs go up to {largest:.3g} in magnitude, too large for the LP in "
            f"float64 (at most {bound:.3g} for {g.num_players} players, so that payoff "
            "sums and differences stay finite); rescale the payoffs (divide by a "
            "constant: the equilibria are unchanged)",
        )
    return g, u


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
    objective = to_host(objective)
    c = real_array(func, "objective", objective)
    if c.shape != shape:
        fail(
            func,
            f"an objective array must have the game's joint action shape {shape} "
            f"(one coefficient per joint action); got shape {c.shape}",
        )
    if not np.isfinite(c).all():
        fail(func, "the objective array must be finite")
    return "linear", c.ravel().copy()


def incentive_matrix(game: GameLike, *, coarse: bool = False) -> sp.csr_matrix:
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
    indptr, indices, data, shape = _kernels.incentive_matrix(
        u, flag("incentive_matrix", "coarse", coarse)
    )
    return sp.csr_matrix((data, indices, indptr), shape=shape)


def _equilibrium(
    func: str, game, objective, coarse: bool, method: str, tol: float
) -> CorrelatedEquilibrium:
    t0 = time.perf_counter()
    g, u = _single_game(func, game)
    kind, c = _objective_vector(func, g, u, objective)
    choice(func, "method", method, _METHODS)
    tol = real(func, "tol", tol, 0.0, 1e-3, low_open=True, high_open=True)
    n, shape = g.num_players, g.num_actions
    scale = float(np.max(np.abs(u))) or 1.0
    if c is not None and not float(np.abs(c).max(initial=0.0)) <= _MAX / 4.0 * scale:
        fail(
            func,
            f"the objective goes up to {float(np.abs(c).max()):.3g} in magnitude, too "
            f"large for the LP in float64 next to payoffs of scale {scale:.3g}; rescale "
            "the objective",
        )
    us = u / scale
    cs = None if c is None else c / scale
    t_asm = time.perf_counter()
    lp = IncentiveLP(us, cs, coarse)
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
        checked = _kernels.incentive_violation(u[None], feasible.reshape(shape)[None], coarse)[0]
        projected = False
        if checked <= target * scale:
            viol = checked / scale
        else:
            checked = None
            feasible, viol, projected = polish(lp.M, x, target, face)
        t_polish += time.perf_counter() - t1
        if viol > 0.5 * tol:
            continue
        bound = lp.upper_bound(duals)
        value = _objective_value(kind, feasible, cs, lp.U)
        optimal = bound - value <= GAP_TOL
        if optimal or m == "simplex":
            break
    else:
        fail(
            func,
            f"HiGHS did not yield an exact {'coarse ' * coarse}correlated "
            f"equilibrium (tried {', '.join(tried)})",
            RuntimeError,
        )
    p = feasible.reshape(shape)
    viol = (
        checked
        if checked is not None
        else _kernels.incentive_violation(u[None], p[None], coarse)[0]
    )
    if viol > tol * scale:
        fail(
            func,
            f"the polished distribution violates the incentive constraints by "
            f"{viol:.3g} > tol * scale = {tol * scale:.3g}",
            RuntimeError,
        )
    U = u.reshape(n, -1)
    payoffs = U @ feasible
    value = _objective_value(kind, feasible, c, U)
    bound = max(bound * scale, value)
    total = time.perf_counter() - t0
    timings = {
        "assembly": t_asm,
        "solver": t_solver,
        "model": t_model,
        "polish": t_polish,
        "other": total - t_asm - t_solver - t_model - t_polish,
    }
    return CorrelatedEquilibrium(
        distribution=p,
        max_violation=float(viol),
        objective_value=value,
        upper_bound=float(bound),
        expected_payoffs=payoffs,
        coarse=coarse,
        objective=kind,
        status="optimal" if optimal else "feasible",
        method=tried[-1] + "+polish" * projected,
        lp_shape=(lp.rows, lp.cols),
        solve_time=total,
        timings=timings,
    )


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

    Parameters
    ----------
    game
        one :class:`NormalFormGame` or a payoff array ``(n, k_1, ..., k_n)``.
        A batch of games is refused (solve them one at a time).
    objective
        ``"welfare"`` (maximise the sum of expected payoffs),
        ``"egalitarian"`` or ``"maxmin"`` (maximise the smallest player's
        expected payoff: ``max z`` s.t. ``z <= E_p[u_i]``, one extra variable),
        ``"feasibility"`` (any equilibrium), or an array of the game's joint
        action shape ``(k_1, ..., k_n)``, whose inner product with ``p`` is
        maximised.
    method
        ``"auto"``, ``"simplex"``, ``"ipm"`` or ``"pdlp"``.
    tol
        the returned distribution's verified ``max_violation`` is at most
        ``tol * scale`` (it is usually ~1e-16 * scale).

    Returns
    -------
    CorrelatedEquilibrium

    Raises
    ------
    ValueError
        bad game, objective or method, a batch of games, or an LP with
        more than ``MAX_LP_NONZEROS`` non-zeros.
    RuntimeError
        HiGHS failed to produce an exact equilibrium.
    """


def correlated_equilibrium(
    game: GameLike,
    objective: str | ArrayLike = "welfare",
    *,
    method: str = "auto",
    tol: float = 1e-9,
) -> CorrelatedEquilibrium:
    return _equilibrium("correlated_equilibrium", game, objective, False, method, tol)


def coarse_correlated_equilibrium(
    game: GameLike,
    objective: str | ArrayLike = "welfare",
    *,
    method: str = "auto",
    tol: float = 1e-9,
) -> CorrelatedEquilibrium:
    return _equilibrium("coarse_correlated_equilibrium", game, objective, True, method, tol)


correlated_equilibrium.__doc__ = (
    """An optimal correlated equilibrium (Aumann 1974, 1987).

    Solves ``max objective(p)`` over joint distributions ``p`` with
    ``sum_{a_-i} p(r, a_-i) [u_i(d, a_-i) - u_i(r, a_-i)] <= 0`` for every player
    ``i`` and actions ``r != d`` (``sum_i k_i (k_i - 1)`` rows; Papadimitriou &
    Roughgarden 2008, Sec. 2).
"""
    + _SOLVER_DOC
)

coarse_correlated_equilibrium.__doc__ = (
    """An optimal coarse correlated equilibrium
    (Moulin & Vial 1978).

    Solves ``max objective(p)`` over joint distributions ``p`` with
    ``sum_a p(a) [u_i(d, a_-i) - u_i(a)] <= 0`` for every player ``i`` and action
    ``d`` (``sum_i k_i`` rows).  Every correlated equilibrium is one, so the optimum
    is at least that of :func:`correlated_equilibrium`.
"""
    + _SOLVER_DOC
)
