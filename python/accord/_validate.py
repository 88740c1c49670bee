"""Argument checks shared by the public functions.

Every message starts with the public function's name and says how to fix the input.
"""

from __future__ import annotations

import numbers
from typing import NoReturn

import numpy as np


def fail(func: str, message: str, exc: type[Exception] = ValueError) -> NoReturn:
    """Raise ``exc("func(): message")``: every argument error of the package."""
    raise exc(f"{func}(): {message}")


def finite_vector(func: str, name: str, x, length: int | None = None) -> np.ndarray:
    """A 1-D C-contiguous float64 array of finite values (a copy when ``x`` is not one;
    the caller's data is never altered)."""
    try:
        a = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        fail(func, f"{name} must be a sequence of numbers; got {type(x).__name__}", TypeError)
    if a.ndim != 1:
        fail(func, f"{name} must be 1-dimensional; got shape {a.shape}")
    a = np.ascontiguousarray(a)
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


def generator(func: str, seed) -> np.random.Generator:
    """``seed`` as a Generator: None (fresh entropy), a non-negative int, or a Generator
    (used as is, not copied)."""
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None:
        return np.random.default_rng()
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        fail(
            func,
            f"seed must be None, a non-negative int or a numpy.random.Generator; "
            f"got {type(seed).__name__}",
            TypeError,
        )
    if seed < 0:
        fail(func, f"seed must be a non-negative int; got {seed}")
    return np.random.default_rng(int(seed))


def real(
    func: str,
    name: str,
    x,
    low: float = -np.inf,
    high: float = np.inf,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """A finite real number in the interval ``low..high`` (ends open or closed)."""
    if isinstance(x, (bool, np.bool_)) or not isinstance(x, numbers.Real):
        fail(func, f"{name} must be a real number; got {x!r}", TypeError)
    v = float(x)
    if not np.isfinite(v):
        fail(func, f"{name} must be finite; got {v}")
    below = v <= low if low_open else v < low
    above = v >= high if high_open else v > high
    if below or above:
        if high == np.inf:
            fail(func, f"{name} must be {'>' if low_open else '>='} {low:g}; got {v:g}")
        if low == -np.inf:
            fail(func, f"{name} must be {'<' if high_open else '<='} {high:g}; got {v:g}")
        lo = "(" if low_open else "["
        hi = ")" if high_open else "]"
        fail(func, f"{name} must be in {lo}{low:g}, {high:g}{hi}; got {v:g}")
    return v


def as_array(func: str, name: str, x) -> np.ndarray:
    """``np.asarray(x)``, refusing strings, None and ragged nesting with a clear message."""
    if isinstance(x, (str, bytes)) or x is None:
        fail(func, f"{name} must be numbers (an array); got {type(x).__name__}", TypeError)
    try:
        return np.asarray(x)
    except ValueError as exc:
        fail(func, f"{name} must be a rectangular array of numbers; NumPy says: {exc}")


def numeric_array(func: str, name: str, x, kinds: str = "biuf") -> np.ndarray:
    """``x`` as a float64 copy (the caller's data is never altered); ``kinds`` are the
    accepted NumPy dtype kinds."""
    raw = as_array(func, name, x)
    if raw.dtype.kind not in kinds:
        fail(func, f"{name} must be real numbers; got dtype {raw.dtype}", TypeError)
    try:
        return np.array(raw, dtype=np.float64)
    except (TypeError, ValueError):
        fail(func, f"{name} must be real numbers; got entries of {type(x).__name__}", TypeError)
