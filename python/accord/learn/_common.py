"""Argument checks and small array helpers shared by the learners of :mod:`accord.learn`.

Every message starts with the public class/method name, names the argument and says how to
fix it; checks run before any state is touched, so a rejected call changes nothing.
"""

from __future__ import annotations

import numpy as np

from .._validate import as_array, check_bytes, fail, generator, integer, real

__all__ = [
    "check_bytes",
    "generator",
    "integer",
    "real",
    "learner_index",
    "index_array",
    "float_array",
    "done_array",
    "random_argmax",
    "sequential_passes",
]


def learner_index(func: str, learners, n_learners: int) -> tuple[np.ndarray, tuple[int, ...]]:
    """(flat int64 indices, shape of the per-learner arguments and results).

    ``None`` means every learner in order, shape ``(n_learners,)``; otherwise an int or a
    1-D integer array of indices in ``[0, n_learners)`` (repeats allowed).
    """
    if learners is None:
        return np.arange(n_learners, dtype=np.int64), (n_learners,)
    idx = index_array(func, "learners", learners, n_learners, None, "n_learners")
    if idx.ndim > 1:
        fail(
            func,
            f"learners must be an int or a 1-D array of learner indices; got shape {idx.shape}",
        )
    return idx.reshape(-1), idx.shape


def _shape_msg(shape: tuple[int, ...]) -> str:
    return "a scalar" if shape == () else f"shape {shape}"


def index_array(
    func: str, name: str, x, upper: int | None, shape: tuple[int, ...] | None, upper_name: str = ""
) -> np.ndarray:
    """An int64 copy of integer array ``x`` with entries in ``[0, upper)`` (``upper=None``:
    only ``>= 0``) and the given ``shape``."""
    a = as_array(func, name, x)
    if a.dtype.kind not in "iu" and not (a.size == 0 and a.dtype.kind == "f"):  # [] is float
        fail(func, f"{name} must be integers; got dtype {a.dtype}", TypeError)
    if shape is not None and a.shape != shape:
        fail(
            func,
            f"{name} must have {_shape_msg(shape)} (one entry per selected learner); "
            f"got {_shape_msg(a.shape)}",
        )
    a = a.astype(np.int64)
    bad = (a < 0) if upper is None else (a < 0) | (a >= upper)
    if bad.any():
        pos = tuple(int(i) for i in np.argwhere(bad)[0])
        where = ">= 0" if upper is None else f"in [0, {upper_name}={upper})"
        fail(func, f"{name} must be {where}; entry {pos} is {a[pos]}")
    return a


def float_array(
    func: str,
    name: str,
    x,
    shape: tuple[int, ...] | None = None,
    ndims: tuple[int, ...] | None = None,
) -> np.ndarray:
    """A finite float64 copy of ``x`` with the given ``shape`` (or number of dimensions)."""
    a = as_array(func, name, x)
    if a.dtype.kind not in "biuf":
        fail(func, f"{name} must be real numbers; got dtype {a.dtype}", TypeError)
    a = np.array(a, dtype=np.float64)
    if shape is not None and a.shape != shape:
        fail(func, f"{name} must have {_shape_msg(shape)}; got {_shape_msg(a.shape)}")
    if ndims is not None and a.ndim not in ndims:
        fail(
            func, f"{name} must have {' or '.join(map(str, ndims))} dimensions; got shape {a.shape}"
        )
    bad = ~np.isfinite(a)
    if bad.any():
        pos = tuple(int(i) for i in np.argwhere(bad)[0])
        fail(func, f"{name} must be finite; entry {pos} is {a[pos]}")
    return a


def done_array(func: str, x, shape: tuple[int, ...]) -> np.ndarray:
    """Episode-end flags: None (all False), bools, or 0/1 numbers, as a bool array."""
    if x is None:
        return np.zeros(shape, dtype=bool)
    a = as_array(func, "done", x)
    if a.shape != shape:
        fail(
            func,
            f"done must have {_shape_msg(shape)} (one flag per transition); "
            f"got {_shape_msg(a.shape)}",
        )
    if a.dtype == bool:
        return a.copy()
    if a.dtype.kind not in "iuf" or not np.isin(a, (0, 1)).all():
        fail(func, "done must be booleans (or 0/1); pass True where the episode ended")
    return a.astype(bool)


def random_argmax(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Argmax over the last axis with ties broken uniformly at random (one uniform per
    entry, so the number of draws does not depend on the values)."""
    keys = rng.random(values.shape)
    best = values == values.max(axis=-1, keepdims=True)
    return np.argmax(np.where(best, keys, -1.0), axis=-1)


def sequential_passes(idx: np.ndarray) -> list[np.ndarray]:
    """Split positions ``0..len(idx)-1`` into passes in which every learner occurs at most
    once; pass ``k`` holds each learner's ``k``-th occurrence, so applying the passes in
    order is the same as applying the updates one at a time in their given order."""
    n = idx.size
    if n == 0:
        return []
    order = np.argsort(idx, kind="stable")
    s = idx[order]
    starts = np.ones(n, dtype=bool)
    starts[1:] = s[1:] != s[:-1]
    first = np.maximum.accumulate(np.where(starts, np.arange(n), 0))
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n) - first
    if rank.max() == 0:
        return [np.arange(n)]
    by_rank = np.argsort(rank, kind="stable")
    return np.split(by_rank, np.cumsum(np.bincount(rank))[:-1])
