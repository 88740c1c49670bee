"""Coalitions as bitmasks: bit ``i`` of a mask is player ``i``.

Every package module that turns masks into members, membership rows or subset sums
does it through these helpers.  Masks are Python ints or int64 arrays, so at most
62 players fit in one mask.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

__all__ = [
    "all_masks",
    "from_membership",
    "grand_mask",
    "is_member",
    "mask_of",
    "members",
    "membership",
    "membership_table",
    "singleton_masks",
    "subcoalitions",
    "subset_reduce",
    "subset_sums",
]


def all_masks(n: int) -> np.ndarray:
    """The ``2**n`` masks ``0, 1, ..., 2**n - 1`` as int64."""
    return np.arange(1 << n, dtype=np.int64)


def grand_mask(n: int) -> int:
    """The mask of all ``n`` players, ``2**n - 1``."""
    return (1 << n) - 1


def singleton_masks(n: int) -> np.ndarray:
    """``[1, 2, 4, ..., 2**(n-1)]``: the mask of each player alone, int64."""
    return np.left_shift(1, np.arange(n, dtype=np.int64))


def membership(masks, n: int, dtype=bool) -> np.ndarray:
    """``out[..., i]`` is bit ``i`` of each mask: shape ``masks.shape + (n,)``."""
    m = np.asarray(masks, dtype=np.int64)
    return ((m[..., None] >> np.arange(n, dtype=np.int64)) & 1).astype(dtype)


def membership_table(n: int) -> np.ndarray:
    """``(2**n, n)`` booleans: whether player ``i`` is in coalition ``S``, for every mask."""
    return membership(all_masks(n), n)


def from_membership(rows) -> np.ndarray:
    """The masks of boolean (or 0/1) membership rows ``(..., n)``, int64; the inverse of
    :func:`membership`."""
    r = np.asarray(rows)
    n = r.shape[-1]
    return (r.astype(np.int64) << np.arange(n, dtype=np.int64)).sum(axis=-1)


def members(mask: int) -> np.ndarray:
    """The players in ``mask``, ascending, as int64."""
    mask = int(mask)
    return np.asarray([i for i in range(mask.bit_length()) if mask >> i & 1], dtype=np.int64)


def mask_of(players: Iterable[int]) -> int:
    """The mask of a collection of player indices (repeats are ignored)."""
    out = 0
    for i in players:
        out |= 1 << int(i)
    return out


def is_member(mask: int, player: int) -> bool:
    """Whether ``player`` is in ``mask``."""
    return bool(int(mask) >> int(player) & 1)


def subcoalitions(players) -> np.ndarray:
    """The masks of all subsets of ``players`` (ascending indices), ``2**k`` of them,
    ordered by the local mask: entry ``t`` holds ``players[j]`` for every bit ``j`` of
    ``t``."""
    p = np.asarray(players, dtype=np.int64)
    return membership(all_masks(p.size), p.size, np.int64) @ np.left_shift(1, p)


def subset_reduce(values, ufunc=np.add, empty: float = 0.0) -> np.ndarray:
    """``out[S] = ufunc.reduce([empty] + [values[i] for i in S])`` for all ``2**n`` masks.

    One pass of the dynamic program ``out[S + i] = ufunc(out[S], values[i])`` over the
    masks ``S`` below ``2**i``: ``2**n`` operations in all.
    """
    a = np.asarray(values, dtype=np.float64)
    n = a.shape[0]
    out = np.empty(1 << n, dtype=np.float64)
    out[0] = empty
    for i in range(n):
        ufunc(out[: 1 << i], a[i], out=out[1 << i : 2 << i])
    return out


def subset_sums(values) -> np.ndarray:
    """``out[S] = sum of values[i] over the players i in S``, for all ``2**n`` masks."""
    return subset_reduce(values, np.add, 0.0)
