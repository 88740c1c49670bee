"""Linear and integer programs solved by HiGHS (Huangfu & Hall 2018).

Every LP of the package goes through this module:

* :func:`instance` is this thread's HiGHS solver object, its model cleared
  (constructing one costs more than a small LP's assembly, so one is reused per
  thread);
* :func:`session` is that instance with the options of a preset from
  :data:`PRESETS` (reset to HiGHS's defaults first, so results never depend on what
  ran before; skipped when the instance already has them);
* :func:`solve` passes a model with ranged rows ``row_lower <= A x <= row_upper``
  and bounded columns, runs it and returns a :class:`Solution`, or raises a
  ``RuntimeError`` that names the calling function, what was solved and HiGHS's
  model status;
* :func:`linprog` is :func:`solve` for the form of ``scipy.optimize.linprog``
  (``A_ub x <= b_ub``, ``A_eq x = b_eq``), with the same model and the same duals.

Huangfu, Q. & Hall, J. A. J. (2018), "Parallelizing the dual revised simplex
method", Mathematical Programming Computation 10(1):119-142.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypedDict

import highspy
import numpy as np
import scipy.sparse as sp

try:  # the solver class without the wrapper's logging callback (highspy >= 1.8)
    from highspy._core import _Highs
except ImportError:  # pragma: no cover - older highspy: the wrapper (its banner may print)
    from highspy import Highs as _Highs

from ._validate import fail

__all__ = [
    "InfeasibleError",
    "INF",
    "PRESETS",
    "Preset",
    "Solution",
    "instance",
    "linprog",
    "session",
    "solve",
    "status_text",
]

#: HiGHS's infinity (``inf``): an absent row or column bound.
INF = highspy.kHighsInf


class Preset(TypedDict):
    """HiGHS options of a preset and the tolerance options that ``tol`` sets."""

    options: dict[str, bool | float | str]
    tolerances: tuple[str, ...]


#: Solver presets.  ``tol`` in :func:`session` sets each preset's tolerances
#: (the options listed under ``"tolerances"``).
PRESETS: Mapping[str, Preset] = {
    # HiGHS chooses the solver (dual simplex for these LPs); presolve on.
    "choose": {
        "options": {"presolve": "on"},
        "tolerances": ("primal_feasibility_tolerance", "dual_feasibility_tolerance"),
    },
    # Dual simplex: an optimal basis, its vertex and duals.
    "simplex": {
        "options": {"solver": "simplex"},
        "tolerances": ("primal_feasibility_tolerance", "dual_feasibility_tolerance"),
    },
    # Interior point without crossover: a point in the relative interior of the face.
    "ipm": {
        "options": {"solver": "ipm", "run_crossover": "off"},
        "tolerances": ("ipm_optimality_tolerance",),
    },
    # First-order primal-dual hybrid gradient (Applegate et al. 2021).
    "pdlp": {
        "options": {"solver": "pdlp"},
        "tolerances": (
            "primal_feasibility_tolerance",
            "dual_feasibility_tolerance",
            "pdlp_optimality_tolerance",
        ),
    },
    # Branch and bound to a proven optimum (zero gaps), reproducibly seeded; the
    # feasibility-jump heuristic costs milliseconds per call and does not pay on small
    # set-packing and set-covering programs.
    "mip": {
        "options": {
            "mip_rel_gap": 0.0,
            "mip_abs_gap": 0.0,
            "random_seed": 0,
            "mip_heuristic_run_feasibility_jump": False,
        },
        "tolerances": (
            "primal_feasibility_tolerance",
            "dual_feasibility_tolerance",
            "mip_feasibility_tolerance",
        ),
    },
}

_local = threading.local()


class InfeasibleError(RuntimeError):
    """HiGHS proved the model infeasible."""


@dataclass(frozen=True)
class Solution:
    """An optimal solution read from HiGHS.

    Attributes
    ----------
    x
        column values.
    row_duals
        row dual values (HiGHS's sign convention, that of the
        ``marginals`` of ``scipy.optimize.linprog``); zeros for an integer program.
    objective
        the objective value.
    """

    x: np.ndarray
    row_duals: np.ndarray
    objective: float


def instance() -> _Highs:
    """This thread's HiGHS object with its model cleared (options are kept).

    It is highspy's solver class without the Python conveniences (``_Highs``, which
    highspy exports): the ``highspy.Highs`` wrapper installs its logging callback
    in the constructor, which prints HiGHS's banner before output can be switched off.
    """
    h = getattr(_local, "highs", None)
    if h is None:
        h = _local.highs = _Highs()
        h.setOptionValue("output_flag", False)
        _local.configured = None
    else:
        h.clearModel()
    return h


def session(preset: str, tol: float | None = None, **options) -> _Highs:
    """:func:`instance` set to HiGHS's defaults, no output, and the options of
    ``preset`` (:data:`PRESETS`), ``tol`` for its tolerances and any ``options``."""
    if preset not in PRESETS:
        fail("session", f"preset must be one of {', '.join(map(repr, PRESETS))}; got {preset!r}")
    h = instance()
    key = (preset, tol, tuple(sorted(options.items())))
    if getattr(_local, "highs", None) is h and _local.configured == key:
        return h
    h.resetOptions()
    h.setOptionValue("output_flag", False)
    spec = PRESETS[preset]
    for name, value in spec["options"].items():
        h.setOptionValue(name, value)
    if tol is not None:
        for name in spec["tolerances"]:
            h.setOptionValue(name, float(tol))
    for name, value in options.items():
        h.setOptionValue(name, value)
    if getattr(_local, "highs", None) is h:
        _local.configured = key
    return h


def status_text(h: _Highs) -> str:
    """HiGHS's model status in words (``"Optimal"``, ``"Infeasible"``, ...)."""
    return h.modelStatusToString(h.getModelStatus())


def solve(
    func: str,
    what: str,
    *,
    cost,
    matrix,
    row_lower,
    row_upper,
    col_lower,
    col_upper,
    preset: str,
    tol: float | None = None,
    integer: bool = False,
    **options,
) -> Solution:
    """Minimise ``cost @ x`` s.t. ``row_lower <= matrix @ x <= row_upper`` and
    ``col_lower <= x <= col_upper`` (``x`` integer with ``integer=True``).

    ``matrix`` is dense or SciPy sparse (passed column-wise); ``-inf``/``inf`` bounds
    are absent.  ``preset``, ``tol`` and ``options`` configure :func:`session`.  Any
    other status than optimal raises ``RuntimeError``, ``"func(): HiGHS did not solve
    what: status"``; an infeasible model raises its subclass :class:`InfeasibleError`.
    """
    A = sp.csc_array(matrix)
    cost = np.ascontiguousarray(cost, dtype=np.float64)
    n_rows, n_cols = A.shape
    h = session(preset, tol, **options)
    kind = np.ones if integer else np.zeros
    status = h.passModel(
        int(n_cols),
        int(n_rows),
        int(A.nnz),
        int(highspy.MatrixFormat.kColwise),
        int(highspy.ObjSense.kMinimize),
        0.0,
        cost,
        _bound(col_lower, n_cols),
        _bound(col_upper, n_cols),
        _bound(row_lower, n_rows),
        _bound(row_upper, n_rows),
        A.indptr.astype(np.int32),
        A.indices.astype(np.int32),
        np.ascontiguousarray(A.data, dtype=np.float64),
        kind(n_cols, dtype=np.int32),
    )
    if status == highspy.HighsStatus.kError:
        fail(func, f"HiGHS rejected the model of {what}", RuntimeError)
    h.run()
    model_status = h.getModelStatus()
    if model_status != highspy.HighsModelStatus.kOptimal:
        infeasible = model_status == highspy.HighsModelStatus.kInfeasible
        fail(
            func,
            f"HiGHS did not solve {what}: {status_text(h)}",
            InfeasibleError if infeasible else RuntimeError,
        )
    sol = h.getSolution()
    duals = (
        np.array(sol.row_dual, dtype=np.float64)
        if sol.dual_valid and not integer
        else np.zeros(n_rows)
    )
    return Solution(
        np.array(sol.col_value, dtype=np.float64),
        duals,
        float(h.getInfo().objective_function_value),
    )


def linprog(
    func: str,
    what: str,
    c,
    *,
    a_ub=None,
    b_ub=None,
    a_eq=None,
    b_eq=None,
    lower,
    upper,
    preset: str,
    tol: float | None = None,
    **options,
) -> Solution:
    """``min c @ x`` s.t. ``a_ub @ x <= b_ub``, ``a_eq @ x = b_eq``,
    ``lower <= x <= upper``: the model ``scipy.optimize.linprog`` passes to HiGHS
    (rows ``a_ub`` then ``a_eq``), so ``row_duals[:len(b_ub)]`` and the rest are its
    ``ineqlin`` and ``eqlin`` marginals."""
    n = np.asarray(c).shape[0]
    blocks: list[sp.csr_array] = []
    lo: list[np.ndarray] = [np.empty(0)]
    hi: list[np.ndarray] = [np.empty(0)]
    if a_ub is not None:
        b = np.asarray(b_ub, dtype=np.float64)
        blocks.append(sp.csr_array(a_ub))
        lo.append(np.full(b.shape[0], -INF))
        hi.append(b)
    if a_eq is not None:
        b = np.asarray(b_eq, dtype=np.float64)
        blocks.append(sp.csr_array(a_eq))
        lo.append(b)
        hi.append(b)
    A = sp.vstack(blocks) if blocks else sp.csr_array((0, n))
    return solve(
        func,
        what,
        cost=c,
        matrix=A,
        row_lower=np.concatenate(lo),
        row_upper=np.concatenate(hi),
        col_lower=lower,
        col_upper=upper,
        preset=preset,
        tol=tol,
        **options,
    )


def _bound(b, size: int) -> np.ndarray:
    """A bound vector of ``size`` float64 entries (a scalar is broadcast)."""
    return np.ascontiguousarray(np.broadcast_to(np.asarray(b, dtype=np.float64), (size,)))
