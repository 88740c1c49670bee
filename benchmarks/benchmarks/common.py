"""Shared inputs of the asv benchmarks and of ``benchmarks/compare.py``.

Every input comes from a fixed seed and is cached per process, so each asv
benchmark process builds its tables once and all parameter sets see the same data.
"""

from __future__ import annotations

import functools
import importlib

import numpy as np

from accord._masks import subset_sums

#: Seed of every random input (each input also mixes in its own size).
SEED = 20240611

#: The structured game of the sampled benchmarks: 1,000 players, weights 1..20.
VOTING_PLAYERS = 1000


def popcounts(n: int) -> np.ndarray:
    """``out[mask] = popcount(mask)`` for all ``2**n`` masks (int64)."""
    return subset_sums(np.ones(n)).astype(np.int64)


def dense_values(n: int) -> np.ndarray:
    """A random dense table: ``v[mask]`` uniform on [0, 1), ``v[0] = 0``."""
    v = np.random.default_rng([SEED, n]).random(1 << n)
    v[0] = 0.0
    return v


@functools.cache
def dense_game(n: int):
    from accord.coop import TUGame

    return TUGame(dense_values(n))


@functools.cache
def lp_game(n: int):
    """A random game for the LP methods with a non-empty imputation set:
    ``v(S) = a(S) + |S|**2 / n * (1 + u_S) / 2`` with ``a_i, u_S`` uniform on [0, 1)."""
    from accord.coop import TUGame

    rng = np.random.default_rng([SEED, 1, n])
    a = rng.random(n)
    size = popcounts(n).astype(np.float64)
    v = subset_sums(a) + size**2 / n * 0.5 * (1.0 + rng.random(1 << n))
    v[0] = 0.0
    return TUGame(v)


@functools.cache
def voting_game(n: int = VOTING_PLAYERS):
    """Weighted voting game: integer weights uniform on 1..20, quota = floor(W/2) + 1
    (a strict majority of the total weight W)."""
    from accord.coop import WeightedVotingGame

    w = np.random.default_rng([SEED, 2, n]).integers(1, 21, size=n).astype(np.float64)
    return WeightedVotingGame(w, float(w.sum() // 2 + 1))


def efficient_allocation(v: np.ndarray) -> np.ndarray:
    """The equal split of ``v(N)``: the allocation passed to ``core_violation``."""
    n = v.shape[0].bit_length() - 1
    return np.full(n, float(v[-1]) / n)


def lp_module():
    """``accord.coop.lp`` (least core, nucleolus), or None while it does not exist."""
    try:
        return importlib.import_module("accord.coop.lp")
    except ImportError:
        return None


def cuda_available() -> str | None:
    """None when the CUDA benchmarks can run, else the reason they cannot."""
    from accord import _backend

    if _backend.cuda_module() is None:
        return "accord._cuda was not built"
    if _backend.cuda_device_count() == 0:
        return "no CUDA device is visible"
    try:
        import cupy  # noqa: F401
    except ImportError:
        return "cupy is not installed"
    return None


def require_cuda() -> None:
    """Raise NotImplementedError (asv: skip) unless the CUDA benchmarks can run."""
    reason = cuda_available()
    if reason is not None:
        raise NotImplementedError(reason)


@functools.cache
def device_game(n: int):
    """A random dense table on the GPU (CuPy), ``v[0] = 0``."""
    import cupy

    from accord.coop import TUGame

    v = cupy.random.default_rng(SEED + n).random(1 << n, dtype=cupy.float64)
    v[0] = 0.0
    return TUGame(v)


def synchronize() -> None:
    import cupy

    cupy.cuda.get_current_stream().synchronize()
