"""Textbook TU games, built vectorised over all masks."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from numpy.typing import ArrayLike

from .._masks import all_masks, mask_of, subset_reduce, subset_sums
from .._validate import fail, finite_vector, integer, real
from .game import TUGame, check_dense_size


def glove_game(left: int, right: int) -> TUGame:
    """Players 0..left-1 hold a left glove, the rest a right glove; v(S) is the
    number of pairs S can form (Shapley & Shubik 1969)."""
    left = integer("glove_game", "left", left, minimum=0)
    right = integer("glove_game", "right", right, minimum=0)
    n = left + right
    if n < 1:
        fail("glove_game", "need at least one player")
    check_dense_size("glove_game", n)
    is_left = np.arange(n) < left
    ones = np.ones(n)
    lcount = subset_sums(ones * is_left)
    rcount = subset_sums(ones * ~is_left)
    return TUGame._from_owned(np.minimum(lcount, rcount))


def airport_game(costs: ArrayLike) -> TUGame:
    """Cost-sharing game of a runway (Littlechild & Owen 1973): v(S) = max cost in S.

    The Shapley value is the sequential equal-sharing rule.
    """
    c = finite_vector("airport_game", "costs", costs)
    n = c.shape[0]
    if n < 1:
        fail("airport_game", "costs must have one entry per player (at least one); got none")
    check_dense_size("airport_game", n)
    return TUGame._from_owned(subset_reduce(c, np.maximum, 0.0))


def unanimity_game(n: int, carrier: Iterable[int]) -> TUGame:
    """``u_T(S) = 1`` if ``T`` is a subset of ``S``, else 0; its Shapley value is ``1/|T|``
    on ``T``."""
    n = integer("unanimity_game", "n", n, minimum=1)
    check_dense_size("unanimity_game", n)
    if isinstance(carrier, (str, bytes)) or not isinstance(carrier, Iterable):
        fail(
            "unanimity_game",
            f"carrier must be an iterable of player indices; got {type(carrier).__name__}",
            TypeError,
        )
    players = []
    for i in carrier:
        i = integer("unanimity_game", "carrier entry", i, minimum=0)
        if i >= n:
            fail("unanimity_game", f"carrier entries must be < n = {n}; got {i}")
        players.append(i)
    t = mask_of(players)
    if t == 0:
        fail("unanimity_game", "carrier must be non-empty")
    m = all_masks(n)
    return TUGame._from_owned(((m & t) == t).astype(np.float64))


def bankruptcy_game(estate: float, claims: ArrayLike) -> TUGame:
    """v(S) = max(0, E - sum of the claims outside S) (O'Neill 1982; Aumann &
    Maschler 1985, whose nucleolus is the Talmud rule)."""
    func = "bankruptcy_game"
    c = finite_vector(func, "claims", claims)
    e = real(func, "estate", estate, low=0.0)
    n = c.shape[0]
    if n < 1:
        fail(func, "claims must have one entry per player (at least one); got none")
    if (c < 0).any():
        i = int(np.flatnonzero(c < 0)[0])
        fail(func, f"claims must be >= 0; entry {i} is {c[i]}")
    if e > float(c.sum()):
        fail(
            func,
            f"estate must not exceed the total claim {float(c.sum()):g} (else the empty "
            f"coalition would get a positive value); got {e:g}",
        )
    check_dense_size(func, n)
    inside = subset_sums(c)
    return TUGame._from_owned(np.maximum(0.0, e - (c.sum() - inside)))
