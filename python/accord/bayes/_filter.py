"""The belief filter over hidden states (Kaelbling, Littman & Cassandra 1998)."""

from __future__ import annotations

import numpy as np

from .. import _backend
from .._validate import fail
from . import _common as c


def _probability_rows(func: str, name: str, a, xp, what: str, fix: str | None) -> None:
    """Every entry finite and >= 0; with ``fix``, every last-axis row summing to 1 within
    NORM_TOL."""
    if a.size == 0:
        return
    if xp is np:
        code, r, col, v = _backend.cpu_kernels("bayes").check_probability_rows(
            a, c.NORM_TOL if fix else -1.0
        )
        if code == 0:
            return
        row = np.unravel_index(r, a.shape[:-1]) if a.ndim > 1 else ()
        at = tuple(int(i) for i in row)
        where = c.fmt_index(at + (int(col),))
        if code == 1:
            fail(func, f"{name}{where} is {v}; {what} must be finite")
        if code == 2:
            fail(func, f"{name}{where} = {v} is negative; {what} must be >= 0")
        fail(
            func,
            f"{name}{c.fmt_index(at)} sums to {v:.12g}, not 1 (tolerance {c.NORM_TOL:g}); {fix}",
        )
    c.check_finite(func, name, a, xp, f"{what} must be finite")
    neg = a < 0
    if bool(neg.any()):
        i = c.first_index(neg)
        fail(func, f"{name}{c.fmt_index(i)} = {float(a[i])} is negative; {what} must be >= 0")
    if fix:
        total = a.sum(axis=-1)
        off = xp.abs(total - 1.0) > c.NORM_TOL
        if bool(off.any()):
            i = c.first_index(off)
            fail(
                func,
                f"{name}{c.fmt_index(i)} sums to {float(total[i]):.12g}, not 1 "
                f"(tolerance {c.NORM_TOL:g}); {fix}",
            )


def filter_step(belief, transition, observation_likelihood):
    """One step of the Bayes filter over hidden states, batched over rows.

    The belief-state update of a POMDP (Kaelbling, Littman & Cassandra 1998, Sec. 3.3),
    as each agent of a Dec-POMDP (Bernstein et al. 2002) runs it on its own
    observations: an agent's belief ``b(s)`` over the hidden state is updated after
    the joint action by predicting with the transition model and correcting by the
    likelihood of its private observation ``o``::

        b'(s') = P(o | s') sum_s P(s' | s) b(s) / sum_s' P(o | s') sum_s P(s' | s) b(s)

    computed in probability space (``b @ T``, times the likelihood, normalised);
    nothing is clipped or renormalised on the way in.

    Parameters
    ----------
    belief
        ``(B, S)`` probabilities: each row non-negative and summing to 1 within 1e-9.
    transition
        ``(S, S)`` shared by every row, or ``(B, S, S)`` one per row (the transition
        under that row's joint action): ``transition[..., s, s'] = P(s' | s)``, rows
        non-negative and summing to 1 within 1e-9.
    observation_likelihood
        ``(B, S)`` non-negative ``P(o_b | s')`` (need not sum to 1).

    Returns
    -------
    ``(B, S)`` float64 posterior beliefs on the device of the inputs.

    Raises
    ------
    ZeroLikelihoodError
        (a ``ValueError``) when the observation has zero probability in a row (every
        reachable state has zero likelihood); ``.rows`` lists those rows.
    """
    func = "filter_step"
    xp = c.xp_of(
        func, belief=belief, transition=transition, observation_likelihood=observation_likelihood
    )
    b = c.as_float(func, "belief", belief, xp)
    T = c.as_float(func, "transition", transition, xp)
    o = c.as_float(func, "observation_likelihood", observation_likelihood, xp)
    if b.ndim != 2 or b.shape[1] < 1:
        fail(
            func,
            f"belief must have shape (B, S) with S >= 1 states; got shape {c.shape_str(b.shape)}",
        )
    B, S = (int(x) for x in b.shape)
    if T.shape not in ((S, S), (B, S, S)):
        fail(
            func,
            f"transition must have shape (S, S) = ({S}, {S}) (shared) or (B, S, S) = "
            f"({B}, {S}, {S}) (one per row) for belief of shape {c.shape_str(b.shape)}; got "
            f"shape {c.shape_str(T.shape)}",
        )
    c.check_shape(
        func,
        "observation_likelihood",
        o,
        (B, S),
        f"= (B, S), matching belief of shape {c.shape_str(b.shape)}",
    )
    _probability_rows(func, "belief", b, xp, "beliefs", "normalise the belief rows")
    _probability_rows(
        func,
        "transition",
        T,
        xp,
        "transition probabilities",
        "each row T[s, :] must be the distribution P(s' | s)",
    )
    _probability_rows(func, "observation_likelihood", o, xp, "likelihoods", None)
    stride = S * S if T.ndim == 3 else 0
    if xp is np:
        out, status = _backend.cpu_kernels("bayes").filter_step(b, T, o)
    else:
        mod = _backend.cuda_kernels(func)
        out = xp.empty((B, S))
        status = xp.empty(B, dtype=np.uint8)
        ptr = _backend.pointer
        mod.bayes_filter_step(
            ptr(b), ptr(T), stride, ptr(o), B, S, ptr(out), ptr(status), _backend.stream()
        )
    c.raise_zero_evidence(
        func,
        status,
        "every state reachable under the belief and the transition has zero observation likelihood",
    )
    return out
