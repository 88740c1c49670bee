"""Expected action values and the expected value of perfect information under beliefs
over partner types (Chalkiadakis & Boutilier 2012, Eqs. 2-4 and 11-13)."""

from __future__ import annotations

import numpy as np

from .. import _backend
from .._validate import as_array, fail
from . import _common as c


def _values(func: str, log_marginals, values, samples, xp):
    """(lp, values, B, m, K, A, N, sampled) after the shared checks."""
    lp, B, m, K = c.check_log_marginals(func, "log_marginals", log_marginals, xp)
    v = c.as_float(func, "values", values, xp)
    if samples is None:
        N = c.joint_size(func, m, K, B, "values")
        if v.ndim != 3 or v.shape[0] != B or v.shape[2] != N:
            fail(
                func,
                f"values must have shape (B, A, K**m) = ({B}, A, {N}) for log_marginals "
                f"of shape {c.shape_str(lp.shape)} (one value per action and joint type "
                f"vector, member 0 slowest; pass samples= for sampled mode); got shape "
                f"{c.shape_str(v.shape)}",
            )
    else:
        _, N = c.check_samples(func, samples, lp, B, m, K, xp)
        if v.ndim != 3 or v.shape[0] != B or v.shape[2] != N:
            fail(
                func,
                f"values must have shape (B, A, S) = ({B}, A, {N}) in sampled mode (one "
                f"value per action and sampled type vector); got shape {c.shape_str(v.shape)}",
            )
    if xp is not np:  # the CPU kernels check each row's values as they read them
        c.check_finite(func, "values", v, xp, "values must be finite")
    # A sampled mean sums N values before dividing; a VPI gain is a difference.
    c.check_magnitude(
        func, "values", v, xp, value_bound(N, samples is not None), "the expected values"
    )
    return lp, v, B, m, K, int(v.shape[1]), N, samples is not None


def value_bound(N: int, sampled: bool) -> float:
    """Largest |value| whose sums (over ``N`` samples) and gains stay finite."""
    return c.FLOAT_MAX / (4.0 * (max(N, 1) if sampled else 1))


def _run(func: str, kernel, *args):
    """Call a CPU kernel; its ValueError (a non-finite value, named) gets our prefix."""
    try:
        return kernel(*args)
    except ValueError as err:
        fail(func, str(err))


def expected_values(log_marginals, values, *, samples=None):
    """Expected value of each coalitional action under product-of-marginals beliefs.

    Chalkiadakis & Boutilier (2012), Eq. 2's inner sum:
    ``Q(b, a) = sum_t P_b(t) values[b, a, t]``, where ``P_b(t) = prod_j P_bj(t_j)`` is
    row ``b``'s belief about the unknown members' joint type vector ``t`` and
    ``values[b, a, t]`` is the value of action ``a`` for that type vector (e.g.
    ``sum_s Pr(s | a, t) R(s)``; Eqs. 3-4 give 540 and 415 for the paper's example).

    Parameters
    ----------
    log_marginals
        ``(B, m, K)`` log-probabilities, as for :func:`update`.
    values
        Enumerated (``samples=None``): ``(B, A, K**m)``, joint vectors indexed row-major,
        member 0 slowest (``K**m <= 2**24``). Sampled: ``(B, A, S)``, the values at the
        ``S`` sampled type vectors, weighted ``1/S`` (Sec. 6).
    samples
        ``None`` or the ``(B, S, m)`` samples from :func:`sample_types` (checked against
        ``log_marginals``).

    Returns
    -------
    ``(B, A)`` float64 on the device of the inputs.
    """
    func = "expected_values"
    xp = c.xp_of(func, log_marginals=log_marginals, values=values, samples=samples)
    lp, v, B, m, K, A, N, sampled = _values(func, log_marginals, values, samples, xp)
    if xp is np:
        core = _backend.cpu_kernels("bayes")
        return (
            _run(func, core.sample_means, v) if sampled else _run(func, core.expected_values, lp, v)
        )
    mod = _backend.cuda_kernels(func)
    out = xp.empty((B, A))
    ptr = _backend.pointer
    mod.bayes_expected_values(
        ptr(None if sampled else lp), ptr(v), B, m, K, A, N, ptr(out), _backend.stream()
    )
    return out


def vpi(log_marginals, values, share, best, second, is_best, *, samples=None):
    """Expected value of perfect information of each coalitional action.

    Chalkiadakis & Boutilier (2012), Sec. 4.2, Eqs. 11-13 (after Dearden,
    Friedman & Russell 1998). If the unknown members' types ``t`` were revealed, action
    ``a`` of row ``b`` would be worth ``q*(t) = share[b, a] * values[b, a, t]`` (Eq. 11,
    ``share`` being the agent's relative demand ``r_i``). The gain of that knowledge
    (Eq. 12) is ``second[b] - q*`` if ``a`` is the current best action
    (``is_best[b, a]``) and ``q* < second[b]``; ``q* - best[b]`` if it is not and
    ``q* > best[b]``; else 0. Eq. 13: ``VPI(b, a) = sum_t P_b(t) gain(q*(t))``; in
    sampled mode the mean over the samples. Eq. 15 then uses ``E[q] + VPI``.

    Parameters
    ----------
    log_marginals, values, samples
        As for :func:`expected_values` (enumerated ``(B, A, K**m)`` or sampled
        ``(B, A, S)`` values).
    share
        ``(B, A)`` the agent's share of each action's value, in ``[0, 1]``.
    best, second
        ``(B,)`` expected values ``q_1 >= q_2`` of the agent's best and second-best
        actions under its current beliefs.
    is_best
        ``(B, A)`` boolean: action ``a`` is the current best action of row ``b``.

    Returns
    -------
    ``(B, A)`` float64, non-negative, on the device of the inputs.
    """
    func = "vpi"
    xp = c.xp_of(
        func,
        log_marginals=log_marginals,
        values=values,
        share=share,
        best=best,
        second=second,
        is_best=is_best,
        samples=samples,
    )
    lp, v, B, m, K, A, N, sampled = _values(func, log_marginals, values, samples, xp)
    sh = c.as_float(func, "share", share, xp)
    c.check_shape(func, "share", sh, (B, A), "= (B, A), one share per row and action")
    c.check_finite(func, "share", sh, xp, "shares must be finite numbers in [0, 1]")
    if sh.size:
        out_of = (sh < 0) | (sh > 1)
        if bool(out_of.any()):
            i = c.first_index(out_of)
            fail(
                func,
                f"share{c.fmt_index(i)} = {float(sh[i])} is not in [0, 1]; pass the "
                "agent's relative demand d_i / sum_j d_j",
            )
    q1 = c.as_float(func, "best", best, xp)
    q2 = c.as_float(func, "second", second, xp)
    c.check_shape(func, "best", q1, (B,), "= (B,), one value per row")
    c.check_shape(func, "second", q2, (B,), "= (B,), one value per row")
    c.check_finite(func, "best", q1, xp, "expected values must be finite")
    c.check_finite(func, "second", q2, xp, "expected values must be finite")
    bound = value_bound(N, sampled)
    c.check_magnitude(func, "best", q1, xp, bound, "the gains q* - best")
    c.check_magnitude(func, "second", q2, xp, bound, "the gains second - q*")
    if B:
        above = q2 > q1
        if bool(above.any()):
            (b,) = c.first_index(above)
            fail(
                func,
                f"second[{b}] = {float(q2[b])} exceeds best[{b}] = {float(q1[b])}; pass "
                "the best and the second-best expected values (q_1 >= q_2)",
            )
    ib = as_array(func, "is_best", is_best) if xp is np else is_best
    if ib.dtype != np.bool_:
        if ib.dtype.kind not in "iu":
            fail(func, f"is_best must be a boolean array; got dtype {ib.dtype}", TypeError)
        if ib.size and bool(((ib != 0) & (ib != 1)).any()):
            fail(func, "is_best must be boolean (or 0/1); got other integers")
    c.check_shape(func, "is_best", ib, (B, A), "= (B, A), True for each row's current best action")
    ib = xp.ascontiguousarray(ib, dtype=np.uint8)
    if xp is np:
        return _run(
            func, _backend.cpu_kernels("bayes").vpi, None if sampled else lp, v, sh, q1, q2, ib
        )
    mod = _backend.cuda_kernels(func)
    out = xp.empty((B, A))
    ptr = _backend.pointer
    mod.bayes_vpi(
        ptr(None if sampled else lp),
        ptr(v),
        B,
        m,
        K,
        A,
        N,
        ptr(sh),
        ptr(q1),
        ptr(q2),
        ptr(ib),
        ptr(out),
        _backend.stream(),
    )
    return out
