"""Argument checks shared by the public functions.

Every message starts with the public function's name and says how to fix the input.
"""

from __future__ import annotations

import numbers

import numpy as np


def fail(func: str, message: str, exc: type[Exception] = ValueError) -> None:
    raise exc(f"{func}(): {message}")


def finite_vector(func: str, name: str, x, length: int | None = None) -> np.ndarray:
    """A 1-D float64 array of finite values (a copy is never silently altered)."""
    try:
        a = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        fail(func, f"{name} must be a sequence of numbers; got {type(x).__name__}", TypeError)
    if a.ndim != 1:
        fail(func, f"{name} must be 1-dimensional; got shape {a.shape}")
    if length is not None and a.shape[0] != length:
        fail(func, f"{name} must have length {length} (one entry per player); got {a.shape[0]}")
    bad = ~np.isfinite(a)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        fail(func, f"{name} must be finite; entry {i} is {a[i]}")
    return a


def integer(func: str, name: str, x, minimum: int | None = None) -> int:
    if isinstance(x, bool) or not isinstance(x, numbers.Integral):
        fail(func, f"{name} must be an integer; got {x!r}", TypeError)
    x = int(x)
    if minimum is not None and x < minimum:
        fail(func, f"{name} must be >= {minimum}; got {x}")
    return x


def seed_value(func: str, seed) -> int:
    """A seed for the counter-based generator: a non-negative integer below 2**64."""
    if seed is None:
        return int(np.random.SeedSequence().generate_state(1, dtype=np.uint64)[0])
    s = integer(func, "seed", seed, minimum=0)
    if s >= 2**64:
        fail(func, f"seed must be < 2**64; got {s}")
    return s


def choice(func: str, name: str, value, options: tuple[str, ...]) -> str:
    if value not in options:
        fail(func, f"{name} must be one of {', '.join(map(repr, options))}; got {value!r}")
    return value
