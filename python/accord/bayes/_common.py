"""Argument checks and device dispatch shared by :mod:`accord.bayes`.

Every check runs before any kernel does, except the finiteness of ``values`` for the
CPU kernels of expected_values and vpi, which check each row as they first read it (so
the data is read once); either way a bad input raises before any result is returned.
Messages start with the public function's name, name the argument (and the row,
member or entry at fault) and say how to fix it.
Arrays are read, never modified: a float64 C-contiguous input is passed to the kernel
as is, anything else is converted into a new array.
"""

from __future__ import annotations

import math

import numpy as np

from .. import _backend
from .._validate import as_array, fail

#: Log-marginals must satisfy ``|logsumexp| <= NORM_TOL`` (probabilities summing to 1
#: within about 1e-9); probability vectors (``filter_step``) ``|sum - 1| <= NORM_TOL``.
NORM_TOL = 1e-9

#: Largest number ``K**m`` of joint type vectors that the enumerated mode accepts.
MAX_JOINT = 2**24

#: Rows listed in a ZeroLikelihoodError message (all of them are in ``.rows``).
_LISTED_ROWS = 10


class ZeroLikelihoodError(ValueError):
    """The observation has zero probability under the prior for some rows.

    Raised by :func:`accord.bayes.update` and :func:`accord.bayes.filter_step` when, in
    a row, every state (joint type vector) of positive prior probability gives the
    observation zero likelihood, so Bayes' rule (Chalkiadakis & Boutilier 2012, Eq. 5)
    has no posterior.

    Attributes
    ----------
    rows
        the indices of those rows (ints, ascending).
    requests
        set only by callers that batch rows for requests of their own (the coalition
        system's belief updates): the positions of those requests.
    """

    requests: list[int]

    def __init__(self, func: str, rows, detail: str):
        self.rows = [int(r) for r in rows]
        shown = ", ".join(map(str, self.rows[:_LISTED_ROWS]))
        more = (
            f" (and {len(self.rows) - _LISTED_ROWS} more)" if len(self.rows) > _LISTED_ROWS else ""
        )
        noun = "row" if len(self.rows) == 1 else "rows"
        super().__init__(
            f"{func}(): the observation is impossible under the prior in {noun} {shown}{more}: "
            f"{detail}; check the likelihood model and the prior"
        )


def raise_zero_evidence(func: str, status, detail: str) -> None:
    """Raise ZeroLikelihoodError if any entry of the kernel's status vector is set."""
    xp = _backend.array_module(status)
    if status.size and bool(status.any()):
        rows = _backend.to_host(xp.flatnonzero(status))
        raise ZeroLikelihoodError(func, rows.tolist(), detail)


def xp_of(func: str, **arrays):
    """``numpy`` or ``cupy``: the device of the array arguments, which must agree."""
    named = {k: v for k, v in arrays.items() if v is not None}
    on_gpu = {k: _backend.is_device_array(v) for k, v in named.items()}
    if any(on_gpu.values()):
        host = [k for k, g in on_gpu.items() if not g]
        gpu = next(k for k, g in on_gpu.items() if g)
        if host:
            fail(
                func,
                f"{gpu} is a CuPy (GPU) array but {', '.join(host)} "
                f"{'is' if len(host) == 1 else 'are'} not; pass every array on the same "
                "device (cupy.asarray(...) or .get())",
            )
        return _backend.array_module(named[gpu])
    return np


def as_float(func: str, name: str, x, xp) -> np.ndarray:
    """A C-contiguous float64 array of the real numbers in ``x`` (the same object when
    it already is one), on ``x``'s device: a NumPy array, or a CuPy array for device input."""
    if xp is np:
        try:
            a = np.asarray(x)
        except (TypeError, ValueError):
            fail(func, f"{name} must be a numeric array; got {type(x).__name__}", TypeError)
    else:
        a = x
    if a.dtype == np.bool_ or a.dtype.kind not in "fiu":
        fail(
            func, f"{name} must be a real (float or integer) array; got dtype {a.dtype}", TypeError
        )
    return xp.ascontiguousarray(a, dtype=np.float64)


def as_index(func: str, name: str, x, xp):
    """A C-contiguous int32 array of the integers in ``x``."""
    a = as_array(func, name, x) if xp is np else x
    if a.dtype == np.bool_ or a.dtype.kind not in "iu":
        fail(
            func,
            f"{name} must be an integer array (as returned by sample_types); got dtype {a.dtype}",
            TypeError,
        )
    return a


def first_index(mask) -> tuple[int, ...]:
    """The first True position of a boolean array, as a tuple of ints."""
    xp = _backend.array_module(mask)
    idx = _backend.to_host(xp.argwhere(mask)[0])
    return tuple(int(i) for i in idx)


def fmt_index(idx: tuple[int, ...]) -> str:
    return "[" + ", ".join(map(str, idx)) + "]"


def shape_str(shape) -> str:
    return "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"


def check_log_marginals(func: str, name: str, x, xp, fix: str = "normalise the prior"):
    """(array, B, m, K) for log-marginals of shape (B, m, K): no NaN or +inf, and every
    member's probabilities summing to 1 (``|logsumexp| <= NORM_TOL``)."""
    lp = as_float(func, name, x, xp)
    if lp.ndim != 3:
        fail(
            func,
            f"{name} must have shape (B, m, K) (batch rows, unknown members, types); "
            f"got shape {shape_str(lp.shape)}",
        )
    B, m, K = (int(s) for s in lp.shape)
    if K < 1:
        fail(func, f"{name} must have at least one type (K >= 1); got shape {shape_str(lp.shape)}")
    if lp.size == 0:
        return lp, B, m, K
    if xp is np:
        code, b, j, k, v = _backend.cpu_kernels("bayes").check_log_marginals(lp, NORM_TOL)
    else:
        code, b, j, k, v = _device_marginal_check(lp, xp)
    if code == 1:
        fail(
            func,
            f"{name}[{b}, {j}, {k}] is {v}; log-probabilities must be finite or -inf (an "
            "impossible type)",
        )
    if code == 2:
        fail(
            func,
            f"{name}: row {b}, member {j} has no possible type (every log-probability "
            f"is -inf); {fix}",
        )
    if code == 3:
        fail(
            func,
            f"{name}: row {b}, member {j} is not normalised: its probabilities sum to "
            f"{_exp_str(v)} (logsumexp {v:.3g}, tolerance {NORM_TOL:g}); {fix} (subtract "
            "its logsumexp over the last axis)",
        )
    return lp, B, m, K


def _exp_str(v: float) -> str:
    """exp(v) for a message; the expression itself where it overflows float64."""
    try:
        return f"{math.exp(v):.12g}"
    except OverflowError:
        return f"exp({v:.6g}) (beyond float64)"


#: The largest finite float64.
FLOAT_MAX = float(np.finfo(np.float64).max)


def check_magnitude(func: str, name: str, a, xp, bound: float, why: str) -> None:
    """Every finite entry of ``a`` at most ``bound`` in magnitude (infinities are
    left to the other checks); ``why`` says what would overflow otherwise."""
    if a.size == 0:
        return
    big = xp.isfinite(a) & (xp.abs(a) > bound)
    if bool(big.any()):
        i = first_index(big)
        fail(
            func,
            f"{name}{fmt_index(i)} = {float(a[i]):.6g} exceeds {bound:.3g} in magnitude, so "
            f"{why} would overflow float64; rescale it",
        )


def _device_marginal_check(lp, xp):
    """check_log_marginals' (code, row, member, type, value) computed with CuPy."""
    bad = xp.isnan(lp) | (lp == math.inf)
    if bool(bad.any()):
        b, j, k = first_index(bad)
        return 1, b, j, k, float(lp[b, j, k])
    top = lp.max(axis=2)
    dead = top == -math.inf
    if bool(dead.any()):
        b, j = first_index(dead)
        return 2, b, j, 0, -math.inf
    lse = top + xp.log(xp.exp(lp - top[..., None]).sum(axis=2))
    off = xp.abs(lse) > NORM_TOL
    if bool(off.any()):
        b, j = first_index(off)
        return 3, b, j, 0, float(lse[b, j])
    return 0, 0, 0, 0, 0.0


def joint_size(func: str, m: int, K: int, B: int, what: str) -> int:
    """K**m, checked against MAX_JOINT."""
    T = K**m
    if T > MAX_JOINT:
        fail(
            func,
            f"K**m = {K}**{m} = {T:,} joint type vectors exceed the enumeration limit "
            f"2**24 = {MAX_JOINT:,} ({what} alone would need {8 * B * T:,} bytes); use sampled "
            "mode: samples = sample_types(log_marginals, 100, seed) and pass samples=samples "
            "(Chalkiadakis & Boutilier 2012, Sec. 6, sample 100 type vectors)",
        )
    return T


def check_no_nan_posinf(func: str, name: str, a, xp, what: str) -> None:
    """No NaN and no +inf in ``a`` (-inf is allowed: zero likelihood)."""
    if a.size == 0:
        return
    top = float(a.max())  # NaN propagates
    if math.isnan(top) or top == math.inf:
        i = first_index(xp.isnan(a) | (a == math.inf))
        fail(func, f"{name}{fmt_index(i)} is {float(a[i])}; {what}")


def check_finite(func: str, name: str, a, xp, what: str = "values must be finite") -> None:
    if a.size == 0:
        return
    lo, hi = float(a.min()), float(a.max())
    if not (math.isfinite(lo) and math.isfinite(hi)):
        i = first_index(~xp.isfinite(a))
        fail(func, f"{name}{fmt_index(i)} is {float(a[i])}; {what}")


def check_shape(func: str, name: str, a, shape, why: str) -> None:
    if tuple(a.shape) != tuple(shape):
        fail(
            func, f"{name} must have shape {shape_str(shape)} {why}; got shape {shape_str(a.shape)}"
        )


def check_samples(func: str, samples, lp, B: int, m: int, K: int, xp):
    """(int32 samples, S) for sampled mode: shape (B, S, m), S >= 1, types in [0, K) of
    positive probability under ``lp`` (so they could have been drawn from it)."""
    s = as_index(func, "samples", samples, xp)
    if s.ndim != 3 or s.shape[0] != B or s.shape[2] != m:
        fail(
            func,
            f"samples must have shape (B, S, m) = ({B}, S, {m}) to match log-marginals "
            f"of shape {shape_str(lp.shape)}; got shape {shape_str(s.shape)} (draw them with "
            "sample_types(log_marginals, S, seed))",
        )
    S = int(s.shape[1])
    if S < 1:
        fail(func, "samples must hold at least one sampled type vector (S >= 1)")
    if s.size == 0:
        return xp.ascontiguousarray(s, dtype=np.int32), S
    lo, hi = int(s.min()), int(s.max())
    if lo < 0 or hi >= K:
        i = first_index((s < 0) | (s >= K))
        fail(func, f"samples{fmt_index(i)} = {int(s[i])} is not a type index in [0, {K})")
    s = xp.ascontiguousarray(s, dtype=np.int32)
    if xp is np:
        pos = _backend.cpu_kernels("bayes").first_invalid_sample(lp, s)
        bad_at = None if pos < 0 else tuple(int(x) for x in np.unravel_index(pos, s.shape))
    else:
        drawn = xp.take_along_axis(lp, xp.transpose(s, (0, 2, 1)).astype(np.int64), axis=2)
        bad = drawn == -math.inf
        bad_at = None
        if bool(bad.any()):
            b, j, q = first_index(bad)
            bad_at = (b, q, j)
    if bad_at is not None:
        b, q, j = bad_at
        fail(
            func,
            f"samples[{b}, {q}, {j}] = {int(s[b, q, j])} is a type of zero "
            f"probability for member {j} of row {b}; samples must be drawn from these "
            "beliefs (sample_types)",
        )
    return s, S
