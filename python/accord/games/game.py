"""Normal-form games: one payoff array per game, batched along a leading axis.

A game with ``n`` players and action counts ``k_1, ..., k_n`` is an array of shape
``(n, k_1, ..., k_n)``; entry ``[i, a_1, ..., a_n]`` is player ``i``'s payoff at the
pure profile ``(a_1, ..., a_n)``. A batch of games of the same shape
adds a leading axis. Mixed strategies are lists of probability vectors, one per
player, each of shape ``(k_i,)`` or ``(batch, k_i)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeAlias

import numpy as np
from numpy.typing import ArrayLike

from .._backend import array_module as _xp
from .._backend import is_device_array
from .._validate import as_array, fail, real, real_array, real_dtype

#: A probability vector may miss 1 by this much times its length.
PROBABILITY_TOL = 1e-9


class NormalFormGame:
    """One normal-form game, or a batch of games with the same action counts.

    Parameters
    ----------
    payoffs
        Array of shape ``(n, k_1, ..., k_n)`` (one game) or ``(B, n, k_1, ..., k_n)``
        (a batch). An array whose first axis equals ``ndim - 1`` is one game; any
        other array is read as a batch. float64 unless a float32 array is given;
        a CuPy array stays on its GPU.
    batch
        Force the reading: ``True`` for a batch, ``False`` for one game.

    Attributes
    ----------
    payoffs
        The payoff array (C-contiguous, float64 or float32), owned by the game: a copy
        of the argument whenever the caller could still change the argument's memory,
        read-only for NumPy, so later edits to the caller's array are never seen.
    num_players, num_actions
        ``n`` and the tuple ``(k_1, ..., k_n)``.
    batch_size
        Number of games, or ``None`` for a single game.
    """

    def __init__(self, payoffs: ArrayLike, *, batch: bool | None = None) -> None:
        self._adopt(payoffs, batch, "NormalFormGame", "payoffs")

    @classmethod
    def _checked(
        cls, func: str, name: str, payoffs: ArrayLike, batch: bool | None = None
    ) -> NormalFormGame:
        """The game of ``payoffs``, its errors naming the public function ``func`` and
        its argument ``name`` (a game passed as a payoff array)."""
        game = cls.__new__(cls)
        game._adopt(payoffs, batch, func, name)
        return game

    def _adopt(self, payoffs: ArrayLike, batch: bool | None, func: str, name: str) -> None:
        xp = _xp(payoffs)
        arr: Any  # a NumPy or CuPy array
        if xp is np:
            try:
                arr = np.asarray(payoffs)
            except (TypeError, ValueError):
                fail(
                    func,
                    f"{name} must be a numeric array of shape (n_players, k_1, ..., "
                    f"k_n); got {type(payoffs).__name__}",
                    TypeError,
                )
        else:
            arr = payoffs
        if arr.dtype == object or not (
            np.issubdtype(arr.dtype, np.number) or arr.dtype == np.bool_
        ):
            fail(func, f"{name} must be numeric; got dtype {arr.dtype}", TypeError)
        if np.issubdtype(arr.dtype, np.complexfloating):
            fail(func, f"{name} must be real; got a complex array", TypeError)
        dtype = np.float32 if arr.dtype == np.float32 else np.float64
        owned = xp.ascontiguousarray(arr, dtype=dtype)
        if isinstance(payoffs, xp.ndarray) and xp.may_share_memory(owned, payoffs):
            owned = owned.copy()  # the game owns its payoffs: later edits are not seen
        if xp is np:
            owned.flags.writeable = False
        arr = owned
        if batch is None:
            batch = not (arr.ndim >= 2 and arr.shape[0] == arr.ndim - 1)
        elif not isinstance(batch, bool):
            fail(func, f"batch must be True, False or None (infer); got {batch!r}", TypeError)
        core_ndim = arr.ndim - 1 if batch else arr.ndim
        if core_ndim < 2:
            fail(
                func,
                f"{name} must have shape (n_players, k_1, ..., k_n){' per game' * batch}"
                f"; got shape {arr.shape}",
            )
        shape = arr.shape[1:] if batch else arr.shape
        if shape[0] != len(shape) - 1:
            fail(
                func,
                f"{name} of shape {arr.shape} do not describe "
                f"{'a batch of games' if batch else 'one game'}: the player axis has length "
                f"{shape[0]} but there are {len(shape) - 1} action axes; expected shape "
                f"{'(batch, ' if batch else '('}n_players, k_1, ..., k_n)",
            )
        if any(k < 1 for k in shape[1:]) or (batch and arr.shape[0] < 1):
            fail(
                func,
                f"every player needs at least one action and a batch at least one "
                f"game; got shape {arr.shape}",
            )
        finite = xp.isfinite(arr)
        if not bool(finite.all()):
            idx = tuple(int(i) for i in xp.argwhere(~finite)[0])
            fail(func, f"{name} must be finite; entry {idx} is {arr[idx]}")
        self.payoffs = arr
        self.num_players = int(shape[0])
        self.num_actions: tuple[int, ...] = tuple(int(k) for k in shape[1:])
        self.batch_size: int | None = int(arr.shape[0]) if batch else None

    # -- construction ------------------------------------------------------------------
    @classmethod
    def from_bimatrix(cls, A, B=None) -> NormalFormGame:
        """The two-player game with row payoffs ``A`` and column payoffs ``B``.

        ``B`` defaults to ``-A`` (zero-sum). Both may carry a leading batch axis.
        """
        func = "NormalFormGame.from_bimatrix"
        xp = _xp(A)
        A = as_array(func, "A", A) if xp is np else xp.asarray(A)
        for name, M in (("A", A),) if B is None else (("A", A), ("B", B)):
            if xp is np:
                real_dtype(func, name, as_array(func, name, M), kinds="biuf")
        A = xp.asarray(A, dtype=np.float32 if A.dtype == np.float32 else np.float64)
        B = -A if B is None else xp.asarray(B)
        if A.shape != B.shape or A.ndim not in (2, 3):
            fail(
                func,
                "A and B must be matrices (or batches of "
                f"matrices) of the same shape; got {A.shape} and {B.shape}",
            )
        return cls._checked(func, "A and B", xp.stack([A, B], axis=-3), batch=A.ndim == 3)

    # -- shape -------------------------------------------------------------------------
    @property
    def batched(self) -> bool:
        return self.batch_size is not None

    @property
    def dtype(self):
        return self.payoffs.dtype

    @property
    def device(self) -> str:
        return "cuda" if is_device_array(self.payoffs) else "cpu"

    @property
    def num_outcomes(self) -> int:
        return int(np.prod(self.num_actions))

    def payoff_bounds(self) -> tuple[float, float]:
        """The least and the greatest payoff over all players (and games).

        Computed once for NumPy payoffs (read-only, so they cannot change); CuPy
        payoffs are reduced on every call.
        """
        cached = self.__dict__.get("_bounds")
        if cached is not None:
            return cached
        P = self.payoffs
        bounds = (float(P.min()), float(P.max()))
        if not is_device_array(P):
            self._bounds = bounds
        return bounds

    def as_batch(self):
        """The payoffs with a leading batch axis (a view)."""
        return self.payoffs if self.batched else self.payoffs[None]

    def __len__(self) -> int:
        if self.batch_size is None:
            raise TypeError("a single NormalFormGame has no length; check .batched")
        return self.batch_size

    def __getitem__(self, index) -> NormalFormGame:
        """Game ``index`` of a batch (an int), or a sub-batch (a slice or index array)."""
        if not self.batched:
            raise TypeError("only a batch of games can be indexed")
        sub = self.payoffs[index]
        return NormalFormGame(sub, batch=sub.ndim == self.payoffs.ndim)

    def bimatrix(self) -> tuple[np.ndarray, np.ndarray]:
        """``(A, B)``: the row and column players' payoff matrices of a two-player game."""
        if self.num_players != 2:
            fail(
                "NormalFormGame.bimatrix",
                f"needs a two-player game; this one has {self.num_players} players",
            )
        p = self.payoffs
        return (p[0], p[1]) if not self.batched else (p[:, 0], p[:, 1])

    def is_zero_sum(self, tol: float = 1e-12):
        """Whether the payoffs sum to zero at every outcome (per game for a batch)."""
        tol = real("NormalFormGame.is_zero_sum", "tol", tol, low=0.0)
        s = _xp(self.payoffs).abs(self.as_batch().sum(axis=1))
        out = s.reshape(s.shape[0], -1).max(axis=1) <= tol
        return bool(out[0]) if not self.batched else out

    def __repr__(self) -> str:
        shape = "x".join(map(str, self.num_actions))
        b = f", batch of {self.batch_size}" if self.batched else ""
        return f"NormalFormGame({self.num_players} players, {shape}{b}, {self.dtype})"


#: A game argument: a :class:`NormalFormGame`, or its payoff array (NumPy, CuPy or nested
#: sequences) of shape ``(n, k_1, ..., k_n)``, or ``(B, n, k_1, ..., k_n)`` for a batch.
GameLike: TypeAlias = NormalFormGame | ArrayLike

#: A mixed profile: one probability vector per player, ``(k_i,)`` or ``(B, k_i)``.
Profile: TypeAlias = Sequence[ArrayLike]


def as_game(func: str, game: GameLike) -> NormalFormGame:
    """Accept a :class:`NormalFormGame` or a payoff array."""
    if isinstance(game, NormalFormGame):
        return game
    if isinstance(game, (list, tuple)) or hasattr(game, "shape"):
        if not hasattr(game, "dtype"):
            try:
                game = np.asarray(game)
            except (TypeError, ValueError):
                return NormalFormGame._checked(func, "game", game)  # it says what is wrong
        real_dtype(func, "game", game, kinds="biuf")
        return NormalFormGame._checked(func, "game", game)
    fail(
        func,
        f"game must be a NormalFormGame or a payoff array; got {type(game).__name__}",
        TypeError,
    )


def check_profile(
    func: str, game: NormalFormGame, profile: Profile, name: str = "profile"
) -> np.ndarray:
    """Validate a mixed profile; return it as one ``(B, sum k)`` array of the game's dtype.

    Each player's entry may be a probability vector ``(k_i,)`` (shared by every game
    of a batch) or ``(B, k_i)``. Entries must be finite, non-negative and sum to 1
    within ``PROBABILITY_TOL * k_i``; nothing is renormalised.
    """
    xp = _xp(game.payoffs)
    n = game.num_players
    if (
        isinstance(profile, np.ndarray)
        or is_device_array(profile)
        or not isinstance(profile, Sequence)
    ):
        fail(
            func,
            f"{name} must be a list with one probability vector per player; got "
            f"{type(profile).__name__}",
            TypeError,
        )
    if len(profile) != n:
        fail(func, f"{name} must have one strategy per player ({n}); got {len(profile)}")
    B = game.batch_size or 1
    parts = []
    for i, (s, k) in enumerate(zip(profile, game.num_actions, strict=True)):
        s = real_array(func, f"{name}[{i}]", s, xp).astype(game.dtype, copy=False)
        if s.ndim == 1 and s.shape[0] == k:
            s = xp.broadcast_to(s, (B, k))
        elif not (s.ndim == 2 and s.shape == (B, k) and game.batched):
            want = f"({k},) or ({B}, {k})" if game.batched else f"({k},)"
            fail(func, f"{name}[{i}] must have shape {want}; got {s.shape}")
        lo, hi = s.min(), s.max()  # NaN makes both comparisons below fail
        if not (bool(lo >= 0) and bool(hi < np.inf)):
            if not bool(xp.isfinite(s).all()):
                fail(func, f"{name}[{i}] must be finite")
            fail(
                func,
                f"{name}[{i}] has a negative probability; strategies must be probability vectors",
            )
        dev = xp.abs(s @ xp.ones(k, dtype=s.dtype) - 1.0)  # row sums (faster than .sum)
        tol = PROBABILITY_TOL * k if game.dtype == np.float64 else 1e-5 * k
        if bool((dev > tol).any()):
            g = int(xp.argmax(dev))
            fail(
                func,
                f"{name}[{i}] must sum to 1 (game {g} sums to "
                f"{float(s[g].sum())}); normalise it first",
            )
        parts.append(s)
    return xp.ascontiguousarray(xp.concatenate(parts, axis=1))


def split_profile(game: NormalFormGame, flat) -> list:
    """Split a ``(B, sum k)`` array into per-player arrays (squeezed for one game)."""
    offs = np.cumsum((0,) + game.num_actions)
    out = [flat[:, offs[i] : offs[i + 1]] for i in range(game.num_players)]
    return out if game.batched else [o[0] for o in out]


def uniform_profile(game: NormalFormGame) -> list:
    xp = _xp(game.payoffs)
    return [xp.full(k, 1.0 / k, dtype=game.dtype) for k in game.num_actions]


def as_matrix(func: str, name: str, M: ArrayLike) -> np.ndarray:
    """One player's payoff matrix ``M`` as a C-contiguous float64 array (a view when it
    already is one): numeric, real, 2-D, non-empty and finite."""
    try:
        a = np.asarray(M)
    except (TypeError, ValueError):
        fail(func, f"{name} must be a 2-D array of payoffs; got {type(M).__name__}", TypeError)
    if a.dtype == object or not (np.issubdtype(a.dtype, np.number) or a.dtype == np.bool_):
        fail(func, f"{name} must be a numeric 2-D array; got dtype {a.dtype}", TypeError)
    if np.issubdtype(a.dtype, np.complexfloating):
        fail(func, f"{name} must be real; got a complex array", TypeError)
    if a.ndim != 2:
        fail(
            func,
            f"{name} must be a 2-D payoff matrix (rows: the row player's actions, "
            f"columns: the column player's); got shape {a.shape}",
        )
    if a.shape[0] < 1 or a.shape[1] < 1:
        fail(func, f"{name} must have at least one row and one column; got shape {a.shape}")
    a = np.ascontiguousarray(a, dtype=np.float64)
    bad = ~np.isfinite(a)
    if bad.any():
        i, j = (int(t) for t in np.argwhere(bad)[0])
        fail(func, f"{name} must be finite; entry ({i}, {j}) is {a[i, j]}")
    return a


def as_bimatrix(func: str, A: GameLike, B: ArrayLike | None) -> tuple[np.ndarray, np.ndarray]:
    """Validate ``(A, B)`` (or a two-player :class:`NormalFormGame` and ``B=None``);
    return C-contiguous float64 copies-or-views of the same shape."""
    if isinstance(A, NormalFormGame):
        if B is not None:
            fail(
                func,
                "pass either a two-player NormalFormGame or the matrices A and B; got "
                "a NormalFormGame and B",
                TypeError,
            )
        if A.num_players != 2 or A.batched:
            fail(func, f"the game must be a single two-player game; got {A!r}")
        if A.device != "cpu":
            fail(
                func,
                "the game must be on the CPU; move it with NormalFormGame(cupy.asnumpy("
                "game.payoffs))",
                TypeError,
            )
        A, B = A.bimatrix()
    elif B is None:
        fail(
            func,
            "B (the column player's payoff matrix) is missing; pass A and B, or a "
            "two-player NormalFormGame",
            TypeError,
        )
    A = as_matrix(func, "A", A)
    B = as_matrix(func, "B", B)
    if A.shape != B.shape:
        fail(func, f"A and B must have the same shape (m, n); got {A.shape} and {B.shape}")
    return A, B
