"""Argument checks shared by the public functions.

Every message starts with the public function's name and says how to fix the input.
"""

from __future__ import annotations

import numbers
import os
import warnings
from typing import NoReturn

import numpy as np


def fail(func: str, message: str, exc: type[Exception] = ValueError) -> NoReturn:
    """Raise ``exc("func(): message")``: every argument error of the package."""
    raise exc(f"{func}(): {message}")


def real_dtype(func: str, name: str, a, kinds: str = "biuf") -> None:
    """Refuse an array whose dtype is not real numbers: complex (whose imaginary part
    a float64 conversion would silently drop), strings, or any kind outside ``kinds``
    (NumPy dtype kind letters; ``"O"`` admits object arrays of real numbers)."""
    kind = a.dtype.kind
    if kind == "c":
        fail(
            func,
            f"{name} must be real numbers; got complex dtype {a.dtype} (pass x.real or "
            "abs(x) explicitly if that is what is meant)",
            TypeError,
        )
    if kind not in kinds:
        fail(func, f"{name} must be real numbers; got dtype {a.dtype}", TypeError)
    if kind == "O":
        for e in a.flat:
            if isinstance(e, (str, bytes)) or (
                isinstance(e, numbers.Complex) and not isinstance(e, numbers.Real)
            ):
                fail(
                    func,
                    f"{name} must be real numbers; got an entry of type {type(e).__name__}",
                    TypeError,
                )


def real_array(func: str, name: str, x, xp=np, kinds: str = "biufO") -> np.ndarray:
    """``x`` as a float64 array on its device (NumPy, or CuPy when ``xp`` is cupy),
    refusing complex, string and non-numeric input (:func:`real_dtype`).  The result
    may share memory with ``x`` when ``x`` already is a float64 array."""
    raw = as_array(func, name, x) if xp is np else xp.asarray(x)
    real_dtype(func, name, raw, kinds)
    try:
        return xp.asarray(raw, dtype=xp.float64)
    except (TypeError, ValueError, OverflowError):
        fail(func, f"{name} must be real numbers; got entries of {type(x).__name__}", TypeError)


def finite_vector(func: str, name: str, x, length: int | None = None) -> np.ndarray:
    """A 1-D C-contiguous float64 array of finite real values, always a new array (the
    caller's data is never altered, and later changes to it are not seen)."""
    a = real_array(func, name, x)
    if a.ndim != 1:
        fail(func, f"{name} must be 1-dimensional; got shape {a.shape}")
    a = np.array(a, dtype=np.float64, order="C", copy=True)
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


def flag(func: str, name: str, value) -> bool:
    """``value`` as a bool: True or False (a NumPy bool too); anything else, such as an
    array whose truth value is ambiguous, is refused."""
    if not isinstance(value, (bool, np.bool_)):
        fail(func, f"{name} must be True or False; got {value!r}", TypeError)
    return bool(value)


def seed_value(func: str, seed) -> int:
    """A seed for the counter-based generator: a non-negative integer below 2**64."""
    if seed is None:
        return int(np.random.SeedSequence().generate_state(1, dtype=np.uint64)[0])
    s = integer(func, "seed", seed, minimum=0)
    if s >= 2**64:
        fail(func, f"seed must be < 2**64; got {s}")
    return s


def choice(func: str, name: str, value, options: tuple[str, ...]) -> str:
    """``value`` when it is one of the strings ``options``; anything else (another string,
    or a non-string such as an array, which ``in`` could not compare) is refused."""
    if not isinstance(value, str) or value not in options:
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
    try:
        v = float(x)
    except OverflowError:  # an int beyond the float range
        fail(
            func,
            f"{name} must be finite (within the float64 range); got an integer of "
            f"{len(str(abs(x)))} digits",
        )
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


def as_array(func: str, name: str, x, xp=np) -> np.ndarray:
    """``xp.asarray(x)`` (NumPy by default, or CuPy), refusing strings, None and ragged
    nesting with a clear message."""
    if isinstance(x, (str, bytes)) or x is None:
        fail(func, f"{name} must be numbers (a numeric array); got {type(x).__name__}", TypeError)
    try:
        return xp.asarray(x)
    except ValueError as exc:
        fail(func, f"{name} must be a rectangular array of numbers; NumPy says: {exc}")


def numeric_array(func: str, name: str, x, kinds: str = "biuf") -> np.ndarray:
    """``x`` as a float64 copy (the caller's data is never altered); ``kinds`` are the
    accepted NumPy dtype kinds (complex and string arrays are always refused)."""
    raw = as_array(func, name, x)
    real_dtype(func, name, raw, kinds)
    try:
        return np.array(raw, dtype=np.float64)
    except (TypeError, ValueError):
        fail(func, f"{name} must be real numbers; got entries of {type(x).__name__}", TypeError)


def _physical_memory(fallback: int = 16 * 2**30) -> int:
    """The machine's physical memory in bytes, or ``fallback`` where it cannot be read."""
    try:
        pages = os.sysconf("SC_PHYS_PAGES")
        page = os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, OSError, ValueError):
        return fallback
    if not isinstance(pages, int) or not isinstance(page, int) or pages <= 0 or page <= 0:
        return fallback
    return pages * page


#: Largest allocation (bytes) that an argument may ask for: the machine's physical
#: memory, read once at import (16 GiB where it cannot be read).  Larger requests are
#: refused by :func:`check_bytes` before any work starts.
MEMORY_LIMIT: int = _physical_memory()

#: Largest value an int64 kernel argument (a count, a total weight) may hold.
INT64_MAX: int = 2**63 - 1

#: Estimated work (elementary table updates) above which an exact computation warns
#: with :class:`SlowComputationWarning`: roughly ten seconds on one machine.
SLOW_WORK: int = 2 * 10**10


class SlowComputationWarning(UserWarning):
    """An exact computation is estimated to take long; the message names the estimate
    and a faster alternative (usually sampling)."""


def format_bytes(nbytes: int) -> str:
    """``nbytes`` in binary units with one decimal: ``16.0 GiB``."""
    b = float(nbytes)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if b < 1024 or unit == "PiB":
            return f"{b:.1f} {unit}" if unit != "B" else f"{int(nbytes)} B"
        b /= 1024
    raise AssertionError


def check_bytes(func: str, nbytes: int, what: str, instead: str, limit: int | None = None) -> None:
    """Refuse an allocation of ``nbytes`` (an exact Python int, so never overflowing)
    above ``limit`` (default :data:`MEMORY_LIMIT`) with
    ``func(): <what> needs 16.0 GiB (the limit is ...); use <instead>``."""
    nbytes = int(nbytes)
    cap = MEMORY_LIMIT if limit is None else int(limit)
    if nbytes > cap:
        fail(
            func,
            f"{what} needs {format_bytes(nbytes)} (more than the {format_bytes(cap)} "
            f"allowed); use {instead}",
        )


def check_int64(func: str, value: int, what: str, instead: str) -> None:
    """Refuse an exact integer ``value`` that an int64 cannot hold."""
    if not -INT64_MAX - 1 <= int(value) <= INT64_MAX:
        fail(func, f"{what} is {value}, beyond the int64 range (|x| < 2**63); use {instead}")


def warn_slow(func: str, work: int, what: str, instead: str, threshold: int | None = None) -> None:
    """Warn with :class:`SlowComputationWarning` when ``work`` (elementary steps)
    exceeds ``threshold`` (default :data:`SLOW_WORK`), before the work starts."""
    cap = SLOW_WORK if threshold is None else threshold
    if work > cap:
        warnings.warn(
            f"{func}(): {what} takes about {work:.2g} elementary steps (roughly "
            f"{work / 2e9:.0f} s or more); {instead}",
            SlowComputationWarning,
            stacklevel=3,
        )
