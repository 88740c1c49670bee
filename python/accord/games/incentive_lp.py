"""The linear program of an optimal (coarse) correlated equilibrium, and the face
projection that makes an approximate solution exact.

:class:`IncentiveLP` holds the LP of :func:`accord.games.correlated_equilibrium` on
scaled payoffs: one variable per joint action, the incentive rows assembled by the
C++ kernel (``incentive_lp``; rows without a positive coefficient are dropped), the
egalitarian rows when the objective is max-min, and ``sum p = 1``
(Papadimitriou & Roughgarden 2008, "Computing correlated equilibria in multi-player
games", J. ACM 55(3), Sec. 2).  It is solved in this thread's HiGHS session
(:mod:`accord._highs`; Huangfu & Hall 2018) by dual simplex, interior point or PDLP
(Applegate et al. 2021).  :func:`polish` projects an approximate solution onto the
face it lies on by minimum-norm least squares.
"""

from __future__ import annotations

import time

import highspy
import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import lsqr

from .. import _highs
from .._backend import cpu_kernels
from .._validate import fail

__all__ = ["POLISH_ROUNDS", "POLISH_TARGET", "SOLVER_TOL", "IncentiveLP", "polish"]

_kernels = cpu_kernels("games")

#: HiGHS tolerance of each solver (on payoffs scaled to ``max |u| = 1``): primal and
#: dual feasibility for simplex, the optimality tolerance of interior point (without
#: crossover), and the feasibility and optimality tolerances of PDLP.
SOLVER_TOL = {"simplex": 1e-10, "ipm": 1e-10, "pdlp": 1e-8}
#: The face projection is applied when an interior-point or PDLP point violates an
#: incentive row by more than this (scaled payoffs; a simplex vertex, solved with
#: feasibility tolerance 1e-10, only above ``0.01 * tol``); it usually reaches ~1e-16.
POLISH_TARGET = 1e-13
#: Rounds of the face projection (each drops negative entries / adds violated rows).
POLISH_ROUNDS = 3


class IncentiveLP:
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
        self.indptr, self.indices, self.data, self.kept = _kernels.incentive_lp(us, coarse, egal)
        self.m = self.kept.size
        self.rows = self.indptr.size - 1
        self.cols = ncols = self.N + egal
        if c is None:  # egalitarian
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
        self._M: sp.csr_matrix | None = None

    @property
    def M(self) -> sp.csr_matrix:
        """The kept incentive rows as SciPy CSR (built on first use: only the face
        projection needs it)."""
        if self._M is None:
            end = self.indptr[self.m]
            self._M = sp.csr_matrix(
                (self.data[:end], self.indices[:end], self.indptr[: self.m + 1]),
                shape=(self.m, self.N),
            )
        return self._M

    def solve(self, func: str, method: str):
        """Approximate primal ``p``, row duals (HiGHS sign convention), the seconds
        spent in HiGHS ``run``, the seconds spent passing the model and reading the
        solution, and, for simplex, the face of the final basis (basic columns,
        non-basic incentive rows) or ``None``."""
        t0 = time.perf_counter()
        h = _highs.session(method, SOLVER_TOL[method])
        # the array overload of passModel: no element-wise copies through Python
        status = h.passModel(
            self.cols,
            self.rows,
            int(self.indptr[-1]),
            int(highspy.MatrixFormat.kRowwise),
            int(highspy.ObjSense.kMinimize),
            0.0,
            self.cost,
            self.col_lower,
            self.col_upper,
            self.row_lower,
            self.row_upper,
            self.indptr,
            self.indices,
            self.data,
            np.zeros(self.cols, dtype=np.int32),
        )
        if status == highspy.HighsStatus.kError:
            fail(func, "HiGHS rejected the LP", RuntimeError)
        t1 = time.perf_counter()
        h.run()
        t2 = time.perf_counter()
        sol = h.getSolution()
        if not sol.value_valid:
            fail(
                func,
                f"HiGHS ({method}) returned no solution (status: {_highs.status_text(h)})",
                RuntimeError,
            )
        x = np.array(sol.col_value[: self.N], dtype=np.float64)
        duals = np.array(sol.row_dual, dtype=np.float64) if sol.dual_valid else np.zeros(self.rows)
        face = None
        if method == "simplex":

            def face():  # read lazily: only a polish needs it
                basis = h.getBasis()
                if not basis.valid:
                    return None
                basic = highspy.HighsBasisStatus.kBasic
                cols = np.array([st == basic for st in basis.col_status[: self.N]])
                rows = np.array([st != basic for st in basis.row_status[: self.m]])
                return cols, rows

        return x, duals, t2 - t1, (t1 - t0) + (time.perf_counter() - t2), face

    def upper_bound(self, duals: np.ndarray) -> float:
        """``max_a (c - M^T y)(a)`` with ``y = max(0, -row_dual)`` (and for the
        egalitarian objective ``c = sum_i w_i U_i``, ``w`` the normalised duals of
        the ``z`` rows): a valid bound for every (C)CE, since ``M p <= 0``."""
        y = np.maximum(0.0, -duals[: self.m])
        if self.c is None:
            w = np.maximum(0.0, -duals[self.m : self.m + self.n])
            w = w / w.sum() if w.sum() > 0 else np.full(self.n, 1.0 / self.n)
            c = w @ self.U
        else:
            c = self.c
        # M^T y row by row, in the order of a CSR transpose product
        end = self.indptr[self.m]
        weights = self.data[:end] * np.repeat(y, np.diff(self.indptr[: self.m + 1]))
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


def polish(
    M: sp.csr_matrix, x: np.ndarray, target: float, face=None
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
