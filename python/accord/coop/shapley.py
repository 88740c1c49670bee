"""The Shapley value: exact, or sampled with standard errors."""

from __future__ import annotations

from typing import overload

import numpy as np

from .game import TUGameLike
from .sampling import ShapleyEstimate, sample_shapley
from .semivalues import shapley_exact


@overload
def shapley(
    game: TUGameLike,
    samples: None = None,
    seed: int | None = None,
    method: str = "permutation",
    *,
    device: str | None = None,
    progress: bool = False,
) -> np.ndarray: ...


@overload
def shapley(
    game: TUGameLike,
    samples: int,
    seed: int | None = None,
    method: str = "permutation",
    *,
    device: str | None = None,
    progress: bool = False,
) -> ShapleyEstimate: ...


@overload
def shapley(
    game: TUGameLike,
    samples: int | None,
    seed: int | None = None,
    method: str = "permutation",
    *,
    device: str | None = None,
    progress: bool = False,
) -> np.ndarray | ShapleyEstimate: ...


def shapley(
    game: TUGameLike,
    samples: int | None = None,
    seed: int | None = None,
    method: str = "permutation",
    *,
    device: str | None = None,
    progress: bool = False,
) -> np.ndarray | ShapleyEstimate:
    """Shapley value of every player (Shapley 1953).

    Without ``samples``: exact, as an ndarray of shape (n,) — one pass over a dense
    table (C++/OpenMP, or CUDA for CuPy tables), or the pseudo-polynomial DP for a
    :class:`WeightedVotingGame` with integer weights (the Shapley–Shubik index).

    With ``samples``: a :class:`ShapleyEstimate` from ``method`` in
    ``"permutation"``, ``"antithetic"`` or ``"stratified"`` (see
    :mod:`accord.coop.sampling`), reproducible from ``seed`` on CPU and GPU.
    ``device`` ('cpu' or 'cuda') overrides where the input's arrays live.
    """
    if samples is None:
        return shapley_exact(game, device=device)
    return sample_shapley(game, samples, seed, method, device=device, progress=progress)


__all__ = ["ShapleyEstimate", "shapley"]
