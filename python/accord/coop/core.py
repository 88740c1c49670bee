"""Core membership: the largest excess over all coalitions in one pass."""

from __future__ import annotations

from numpy.typing import ArrayLike

from .. import _backend
from .._masks import grand_mask
from .._validate import finite_vector, real
from .game import FLOAT_MAX, TUGameLike, as_dense, check_scale, largest_abs


def core_violation(
    game: TUGameLike, x: ArrayLike, *, device: str | None = None
) -> tuple[float, int]:
    """Largest excess ``v(S) - x(S)`` over all non-empty coalitions and its mask.

    Returns ``(max_excess, blocking_mask)``; the lowest mask wins ties.  The grand
    coalition is included, so an allocation with ``x(N) < v(N)`` shows a positive
    excess.  ``x(S)`` comes from per-block subset sums (a DP over the low bits), so
    the whole check is one pass over the table (Gillies 1959 for the core).
    """
    g = as_dense("core_violation", game)
    xv = finite_vector("core_violation", "x", _backend.to_host(x), g.n)
    # |v(S) - x(S)| <= max|v| + n max|x|: refuse inputs where that overflows.
    big = largest_abs(g.values) + g.n * largest_abs(xv)
    check_scale("core_violation", "game and x", big, FLOAT_MAX / 2.0, "the excess v(S) - x(S)")
    where = _backend.resolve_device("core_violation", g.values, device)
    if where == "cpu":
        value, mask = _backend.cpu_kernels("coop").max_excess(_backend.to_host(g.values), xv)
    else:
        mod = _backend.cuda_kernels("core_violation")
        v = _backend.device_buffer(g.values)
        value, mask = mod.max_excess(_backend.pointer(v), g.n, xv, _backend.stream())
    return float(value), int(mask)


def in_core(
    game: TUGameLike, x: ArrayLike, tol: float = 1e-9, *, device: str | None = None
) -> bool:
    """True when ``x`` is in the core: ``|x(N) - v(N)| <= tol`` and every
    coalition's excess ``v(S) - x(S)`` is at most ``tol``."""
    tol = real("in_core", "tol", tol, low=0.0)
    g = as_dense("in_core", game)
    xv = finite_vector("in_core", "x", _backend.to_host(x), g.n)
    grand = float(g.values[grand_mask(g.n)])
    if abs(float(xv.sum()) - grand) > tol:
        return False
    excess, _ = core_violation(g, xv, device=device)
    return excess <= tol
