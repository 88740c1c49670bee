"""Best responses, expected payoffs and NashConv, batched over games.

Each player's payoff tensor is contracted with the other players' mixed strategies
in one pass over the payoffs, batched over games. NumPy inputs run on the C++
kernels, CuPy inputs on the CUDA kernels.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _backend
from .._validate import real
from .game import GameLike, NormalFormGame, Profile, as_game, check_profile, split_profile

#: Default tie tolerance: actions within ``tol * max(1, |best|)`` of the best
#: expected payoff count as best responses, and the lowest index among them is
#: returned.
DEFAULT_TOL = {np.dtype(np.float64): 1e-10, np.dtype(np.float32): 1e-5}


def _tol(func: str, game: NormalFormGame, tol: float | None) -> float:
    if tol is None:
        return DEFAULT_TOL[np.dtype(game.dtype)]
    return real(func, "tol", tol, low=0.0)


def _kernel(func: str, game: NormalFormGame, flat, tol: float, with_u: bool):
    """(actions, best, current, u) arrays of shape (B, n) / (B, sum k)."""
    if game.device == "cuda":
        mod = _backend.cuda_kernels(func)
        P = game.as_batch()
        xp = _backend.array_module(P)
        B = P.shape[0]
        n = game.num_players
        actions = xp.empty((B, n), dtype=np.int64)
        best = xp.empty((B, n), dtype=game.dtype)
        cur = xp.empty((B, n), dtype=game.dtype)
        u = xp.empty((B, flat.shape[1]) if with_u else (0,), dtype=game.dtype)
        ptr = _backend.pointer
        mod.best_response(
            ptr(P),
            ptr(flat),
            B,
            list(game.num_actions),
            np.dtype(game.dtype).itemsize,
            tol,
            ptr(actions),
            ptr(best),
            ptr(cur),
            ptr(u if with_u else None),
            _backend.stream(),
        )
        return actions, best, cur, u
    return _backend.cpu_kernels("games").best_response(game.as_batch(), flat, tol, with_u)


def _unbatch(game: NormalFormGame, a):
    """Per-player columns of a (B, n) array; scalars for a single game."""
    cols = [a[:, i] for i in range(game.num_players)]
    return cols if game.batched else [c[0] for c in cols]


def best_response(
    game: GameLike, profile: Profile, *, tol: float | None = None
) -> tuple[list[Any], list[Any]]:
    """Best responses of every player to the others' mixed strategies.

    Parameters
    ----------
    game
        A :class:`NormalFormGame` (one game or a batch) or a payoff array.
    profile
        One mixed strategy per player: ``(k_i,)`` or ``(B, k_i)`` for a batch.
    tol
        Ties: actions whose expected payoff is within ``tol * max(1, |best|)`` of the
        best are best responses, and the lowest such index is returned. Default
        1e-10 for float64 games and 1e-5 for float32.

    Returns
    -------
    (actions, values)
        Lists with one entry per player: the best-response action and its expected
        payoff, arrays of shape ``(B,)`` for a batch, scalars for one game.
    """
    func = "best_response"
    game = as_game(func, game)
    flat = check_profile(func, game, profile)
    actions, best, _, _ = _kernel(func, game, flat, _tol(func, game, tol), False)
    return _unbatch(game, actions), _unbatch(game, best)


def expected_payoffs(game: GameLike, profile: Profile) -> list[np.ndarray]:
    """Each player's expected payoff of each of its actions against the others.

    Returns a list with one array per player, ``(k_i,)`` or ``(B, k_i)``.
    """
    func = "expected_payoffs"
    game = as_game(func, game)
    flat = check_profile(func, game, profile)
    _, _, _, u = _kernel(func, game, flat, 0.0, True)
    return split_profile(game, u)


def regrets(game: GameLike, profile: Profile) -> np.ndarray:
    """Each player's regret: best-response payoff minus the payoff of its strategy.

    Returns an array of shape ``(n,)`` for one game or ``(B, n)`` for a batch.
    """
    return _regrets("regrets", game, profile)


def _regrets(func: str, game: GameLike, profile: Profile) -> np.ndarray:
    game = as_game(func, game)
    flat = check_profile(func, game, profile)
    _, best, cur, _ = _kernel(func, game, flat, 0.0, False)
    r = best - cur
    xp = _backend.array_module(r)
    r = xp.maximum(r, 0)  # a strategy never beats its best response; drop rounding
    return r if game.batched else r[0]


def nash_conv(game: GameLike, profile: Profile) -> float | np.ndarray:
    """NashConv: the sum over players of their regrets; zero exactly at a Nash
    equilibrium (Lanctot et al. 2017). One value per game (a float for one game)."""
    r = _regrets("nash_conv", game, profile)
    return r.sum(axis=-1) if r.ndim == 2 else float(r.sum())
