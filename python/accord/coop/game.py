"""Transferable-utility games: the dense table and the structured-game protocol.

Coalitions are bitmasks: bit ``i`` of a mask is player ``i`` (:mod:`accord._masks`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import TypeAlias

import numpy as np
from numpy.typing import ArrayLike

from .._backend import array_module
from .._masks import all_masks, from_membership, grand_mask
from .._validate import as_array, fail, integer, real_array

#: Largest number of players of a dense table (2**30 float64 values = 8 GiB).
MAX_DENSE_PLAYERS = 30


class CoalitionalGame(ABC):
    """A TU game that can evaluate a batch of coalitions.

    Subclasses set ``n`` and implement :meth:`value` for an integer array of masks
    (``n <= 62``) or a boolean array of shape ``(..., n)`` (any ``n``).  Sampled
    estimators only ever call :meth:`value`, so structured games of thousands of
    players never materialise ``2**n`` values.
    """

    n: int

    @abstractmethod
    def value(self, coalitions: np.ndarray) -> np.ndarray:
        """v(S) for each coalition in the batch."""

    def grand_value(self) -> float:
        """v(N)."""
        if self.n <= 62:
            return float(self.value(np.array([grand_mask(self.n)], dtype=np.int64))[0])
        return float(self.value(np.ones((1, self.n), dtype=bool))[0])


def _dense_bytes(n: int) -> str:
    if n > 64:  # never build 2**n for a huge n (that alone could take unbounded time)
        return f"2**{n + 3} B"
    b = 8 * 2**n
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if b < 1024 or unit == "PiB":
            return f"{b:.0f} {unit}"
        b /= 1024
    raise AssertionError


#: The largest finite float64.
FLOAT_MAX = float(np.finfo(np.float64).max)


def largest_abs(values) -> float:
    """max |v| of a (NumPy or CuPy) array, 0.0 when empty."""
    return float(abs(values).max()) if values.size else 0.0


def check_scale(func: str, name: str, largest: float, bound: float, what: str) -> None:
    """Refuse values up to ``largest`` in magnitude when above ``bound``, where
    ``what`` would overflow float64; the results are linear in the values, so the
    fix is to rescale them."""
    if not largest <= bound:
        fail(
            func,
            f"{name} must be at most {bound:.3g} in magnitude, or {what} overflows "
            f"float64; got values up to {largest:.3g} (rescale v: the result is "
            "linear in v, so divide v by a constant and multiply the result back)",
        )


def check_dense_size(func: str, n: int) -> None:
    if n > MAX_DENSE_PLAYERS:
        fail(
            func,
            f"a dense table of {n} players needs 2**{n} float64 values ({_dense_bytes(n)}); "
            f"dense games are limited to n <= {MAX_DENSE_PLAYERS}. Use a structured game "
            "(e.g. WeightedVotingGame or a CoalitionalGame subclass) with "
            "shapley(game, samples=...)",
        )


def coalitions_arg(func: str, n: int, coalitions) -> np.ndarray:
    """``coalitions`` checked: a boolean array of shape ``(..., n)`` (returned as is) or
    an integer array of masks in ``0 .. 2**n - 1`` (returned as int64)."""
    c = as_array(func, "coalitions", coalitions)
    if c.dtype == np.bool_:
        if c.ndim < 1 or c.shape[-1] != n:
            fail(func, f"boolean coalitions must have last axis of length {n}; got shape {c.shape}")
        return c
    if c.dtype.kind not in "iu":
        fail(
            func,
            f"coalitions must be integer bitmasks or boolean membership rows; got dtype {c.dtype}",
            TypeError,
        )
    if n > 62:
        fail(func, f"integer masks hold at most 62 players; pass boolean rows of length {n}")
    if c.size and (int(c.min()) < 0 or int(c.max()) > grand_mask(n)):
        bad = int(c.min()) if int(c.min()) < 0 else int(c.max())
        fail(func, f"coalition masks must lie in 0..2**{n}-1 = {grand_mask(n)}; got {bad}")
    return c.astype(np.int64, copy=False)


class TUGame(CoalitionalGame):
    """A TU game given by its characteristic function as a dense table.

    ``values[mask]`` is v(S) for the coalition whose bitmask is ``mask``; the table
    has length ``2**n`` and ``values[0] == 0``.  NumPy tables run on the CPU
    kernels, CuPy tables on the CUDA kernels.

    The game owns its table: ``values`` is a copy of the argument whenever the
    argument's memory could be changed later by the caller, so editing the caller's
    array after construction cannot bypass the checks; a NumPy table is read-only.
    """

    def __init__(self, values: ArrayLike) -> None:
        self._adopt(values, owned=False)

    @classmethod
    def _from_owned(cls, values: np.ndarray, func: str = "TUGame", name: str = "values") -> TUGame:
        """The game of a new table that no caller holds (taken without a copy)."""
        game = cls.__new__(cls)
        game._adopt(values, owned=True, func=func, name=name)
        return game

    @classmethod
    def _checked(cls, func: str, name: str, values: ArrayLike) -> TUGame:
        """``TUGame(values)`` whose errors name the public function ``func`` and its
        argument ``name`` (a game given as a table, or a table built by ``func``)."""
        game = cls.__new__(cls)
        game._adopt(values, owned=False, func=func, name=name)
        return game

    def _adopt(
        self, values: ArrayLike, owned: bool, func: str = "TUGame", name: str = "values"
    ) -> None:
        xp = array_module(values)
        v = real_array(func, name, values, xp)
        if v.ndim != 1:
            fail(func, f"{name} must be 1-dimensional (indexed by mask); got shape {v.shape}")
        length = v.shape[0]
        if length < 2 or length & (length - 1):
            fail(func, f"{name} must have length 2**n for n >= 1 players; got length {length}")
        n = length.bit_length() - 1
        check_dense_size(func, n)
        if not owned and isinstance(values, xp.ndarray) and xp.may_share_memory(v, values):
            v = v.copy()  # the caller keeps ``values``: later edits must not reach the game
        if not bool(xp.isfinite(v).all()):
            i = int(xp.flatnonzero(~xp.isfinite(v))[0])
            fail(func, f"{name} must be finite; {name}[{i}] = {float(v[i])}")
        if float(v[0]) != 0.0:
            fail(func, f"{name}[0] (the empty coalition) must be 0; got {float(v[0])}")
        self.n = n
        v = xp.ascontiguousarray(v)
        if xp is np:
            v.flags.writeable = False
        self.values = v

    @classmethod
    def from_function(
        cls, n: int, f: Callable[[np.ndarray], np.ndarray], batch_size: int = 1 << 20
    ) -> TUGame:
        """Build the table by calling ``f`` on batches of masks (int64 arrays).

        ``f`` must be vectorised: it receives an array of masks and returns their
        values.  ``f(0)`` must be 0.
        """
        func = "TUGame.from_function"
        n = integer(func, "n", n, minimum=1)
        check_dense_size(func, n)
        if not callable(f):
            fail(func, f"f must be a callable (masks -> values); got {type(f).__name__}", TypeError)
        batch_size = integer(func, "batch_size", batch_size, minimum=1)
        size = 1 << n
        values = np.empty(size, dtype=np.float64)
        for start in range(0, size, batch_size):
            masks = np.arange(start, min(size, start + batch_size), dtype=np.int64)
            out = real_array("TUGame.from_function", "f(masks)", f(masks))
            if out.shape != masks.shape:
                fail(
                    "TUGame.from_function",
                    f"f must return one value per mask "
                    f"(shape {masks.shape}); got shape {out.shape}",
                )
            values[start : start + masks.size] = out
        return cls._from_owned(values, func, "f(masks)")

    def value(self, coalitions) -> np.ndarray:
        c = coalitions_arg("TUGame.value", self.n, coalitions)
        if c.dtype == bool:
            c = from_membership(c)
        return np.asarray(self.values)[c]

    def __repr__(self) -> str:
        return f"TUGame(n={self.n})"


#: A TU-game argument: a :class:`CoalitionalGame` (a :class:`TUGame` or a structured game),
#: or a dense table of ``2**n`` values indexed by coalition bitmask (NumPy, CuPy or a sequence).
TUGameLike: TypeAlias = CoalitionalGame | ArrayLike


def as_dense(func: str, game: TUGameLike) -> TUGame:
    """The dense table of ``game`` (a TUGame, or anything TUGame accepts)."""
    if isinstance(game, TUGame):
        return game
    if isinstance(game, CoalitionalGame):
        check_dense_size(func, game.n)
        return TUGame._checked(func, "game.value(masks)", game.value(all_masks(game.n)))
    if game is None or isinstance(game, (str, bytes, dict, set)):
        fail(
            func,
            "game must be a TUGame, a CoalitionalGame or a 1-D array of 2**n values "
            f"indexed by coalition bitmask; got {type(game).__name__}",
            TypeError,
        )
    return TUGame._checked(func, "game", game)
