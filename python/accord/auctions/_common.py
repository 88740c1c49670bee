"""Argument checks shared by the auction functions (messages start with the public name)."""

from __future__ import annotations

import numpy as np

from .._validate import choice, fail, generator, numeric_array, real

__all__ = [
    "MECHANISMS",
    "TIE_BREAKS",
    "check_finite_nonneg",
    "generator",
    "numeric_array",
    "real",
    "tie_break_and_mechanism",
]

MECHANISMS = ("first", "second")
TIE_BREAKS = ("lowest-index", "random")


def check_finite_nonneg(func: str, name: str, a: np.ndarray, what: str) -> None:
    """Raise naming the first NaN/inf or negative entry of the NumPy array ``a``."""
    bad = ~np.isfinite(a)
    if bad.any():
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        where = idx[0] if len(idx) == 1 else idx
        fail(
            func,
            f"{name} must be finite; entry {where} is {a[idx]} (drop that {what} or give a number)",
        )
    neg = a < 0
    if neg.any():
        idx = tuple(int(i) for i in np.argwhere(neg)[0])
        where = idx[0] if len(idx) == 1 else idx
        fail(func, f"{name} must be >= 0; entry {where} is {a[idx]}")


def tie_break_and_mechanism(func: str, mechanism, tie_break) -> None:
    choice(func, "mechanism", mechanism, MECHANISMS)
    choice(func, "tie_break", tie_break, TIE_BREAKS)
