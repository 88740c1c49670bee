"""Argument checks shared by the auction functions (messages start with the public name)."""

from __future__ import annotations

import numbers

import numpy as np

from .._validate import fail

MECHANISMS = ("first", "second")
TIE_BREAKS = ("lowest-index", "random")


def generator(func: str, seed) -> np.random.Generator:
    """A ``numpy.random.Generator`` from ``seed`` (None, a non-negative int or a Generator)."""
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None:
        return np.random.default_rng()
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        fail(func, f"seed must be None, a non-negative integer or a numpy.random.Generator; "
                   f"got {seed!r}", TypeError)
    if seed < 0:
        fail(func, f"seed must be >= 0; got {seed}")
    return np.random.default_rng(int(seed))


def real(func: str, name: str, x, *, minimum: float | None = None) -> float:
    """A finite real number (bools and strings are refused)."""
    if isinstance(x, (bool, np.bool_)) or not isinstance(x, numbers.Real):
        fail(func, f"{name} must be a real number; got {x!r}", TypeError)
    x = float(x)
    if not np.isfinite(x):
        fail(func, f"{name} must be finite; got {x}")
    if minimum is not None and x < minimum:
        fail(func, f"{name} must be >= {minimum}; got {x}")
    return x


def numbers_array(func: str, name: str, x) -> np.ndarray:
    """``x`` as a float64 NumPy array (a copy); TypeError for non-numbers."""
    if isinstance(x, (str, bytes)) or x is None:
        fail(func, f"{name} must be an array of numbers; got {type(x).__name__}", TypeError)
    try:
        raw = np.asarray(x)
    except ValueError as exc:
        fail(func, f"{name} must be a rectangular array of numbers; NumPy says: {exc}")
    if raw.dtype.kind not in "biuf":
        fail(func, f"{name} must be real numbers; got dtype {raw.dtype}", TypeError)
    return np.array(raw, dtype=np.float64)


def check_finite_nonneg(func: str, name: str, a: np.ndarray, what: str) -> None:
    """Raise naming the first NaN/inf or negative entry of the NumPy array ``a``."""
    bad = ~np.isfinite(a)
    if bad.any():
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        where = idx[0] if len(idx) == 1 else idx
        fail(func, f"{name} must be finite; entry {where} is {a[idx]} (drop that {what} or "
                   "give a number)")
    neg = a < 0
    if neg.any():
        idx = tuple(int(i) for i in np.argwhere(neg)[0])
        where = idx[0] if len(idx) == 1 else idx
        fail(func, f"{name} must be >= 0; entry {where} is {a[idx]}")


def tie_break_and_mechanism(func: str, mechanism, tie_break) -> None:
    if mechanism not in MECHANISMS:
        fail(func, f"mechanism must be one of {', '.join(map(repr, MECHANISMS))}; "
                   f"got {mechanism!r}")
    if tie_break not in TIE_BREAKS:
        fail(func, f"tie_break must be one of {', '.join(map(repr, TIE_BREAKS))}; "
                   f"got {tie_break!r}")
