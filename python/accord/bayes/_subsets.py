"""Distributions of an additive statistic of the members' types over every subset."""

from __future__ import annotations

import numpy as np

from .. import _backend
from .._validate import check_bytes, fail
from . import _common as c
from ._filter import _probability_rows

#: Most members :func:`subset_sums` takes (``2**24`` subsets).
MAX_MEMBERS = 24


def subset_sums(probabilities, points, *, values=None):
    """The distribution of ``sum_{j in S} points[t_j]`` for every subset ``S`` of ``n``
    members with independent types, by a subset dynamic programme.

    When an outcome model depends on a coalition's types only through such a sum (the
    software company of Chalkiadakis & Boutilier 2012, Appendix A: total quality
    points), the belief-weighted sums of Eq. 2 and Eqs. 11-13 run over the
    distribution of the sum instead of the ``K**m`` joint type vectors, exactly. The
    distribution for ``S`` is that of ``S`` without its highest member convolved with
    that member's points distribution; a depth-first walk visits all ``2**n`` subsets
    with one convolution each.

    Parameters
    ----------
    probabilities
        ``(Z, n, K)``: in view ``z``, member ``j``'s distribution over ``K`` types (each
        row non-negative and summing to 1 within 1e-9). A known member is a point mass.
    points
        ``(K,)`` non-negative integers, each type's contribution to the sum (on the host
        or the device).
    values
        Optional ``(2**n, A, L)`` with ``L = n * max(points) + 1``: a value per subset,
        action and total (e.g. ``sum_s Pr(s | a, total) R(s)``).

    Returns
    -------
    ``(Z, 2**n, L)`` probabilities ``P(sum over S = l)`` (subset ``S`` as a bitmask,
    bit ``j`` for member ``j``; the empty set a point mass on 0), or, with ``values``,
    the expectations ``sum_l P_S(l) values[S, a, l]``, ``(Z, 2**n, A)``; on the device of
    the inputs.
    """
    func = "subset_sums"
    xp = c.xp_of(func, probabilities=probabilities, values=values)
    p = c.as_float(func, "probabilities", probabilities, xp)
    if p.ndim != 3 or p.shape[2] < 1:
        fail(
            func,
            f"probabilities must have shape (Z, n, K) (views, members, types); got shape "
            f"{c.shape_str(p.shape)}",
        )
    z_n, n, k = (int(x) for x in p.shape)
    if n > MAX_MEMBERS:
        fail(func, f"at most {MAX_MEMBERS} members are supported (2**n subsets); got n = {n}")
    pts = np.asarray(_backend.to_host(points))
    if pts.dtype == np.bool_ or pts.dtype.kind not in "iu":
        fail(func, f"points must be an integer array; got dtype {pts.dtype}", TypeError)
    if pts.shape != (k,):
        fail(
            func,
            f"points must have one entry per type, shape ({k},); got {c.shape_str(pts.shape)}",
        )
    if (pts < 0).any():
        fail(func, f"points must be >= 0; points[{int(np.argmax(pts < 0))}] is negative")
    top = int(pts.max())
    L = n * top + 1
    _probability_rows(func, "probabilities", p, xp, "probabilities", "normalise each member's row")
    m_n = 1 << n
    v = None
    width = L
    if values is not None:
        v = c.as_float(func, "values", values, xp)
        if v.ndim != 3 or v.shape[0] != m_n or v.shape[2] != L:
            fail(
                func,
                f"values must have shape (2**n, A, L) = ({m_n}, A, {L}) for {n} members with "
                f"at most {top} points each; got shape {c.shape_str(v.shape)}",
            )
        c.check_finite(func, "values", v, xp)
        width = int(v.shape[1])
    check_bytes(
        func,
        8 * z_n * m_n * width,
        f"the result for {z_n} views x 2**{n} subsets",
        "fewer views per call, or pass values= to get expectations instead of distributions",
    )
    if xp is np:
        return _backend.cpu_kernels("bayes").subset_sums(p, pts.astype(np.int64), L, v)
    mod = _backend.cuda_kernels(func)
    out = xp.empty((z_n, m_n, width))
    dev_pts = xp.asarray(pts, dtype=np.int64)
    ptr = _backend.pointer
    mod.bayes_subset_sums(
        ptr(p), z_n, n, k, ptr(dev_pts), top, L, ptr(v), width, ptr(out), _backend.stream()
    )
    return out
