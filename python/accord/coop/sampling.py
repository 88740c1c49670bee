"""Monte Carlo Shapley values with standard errors.

Methods (``method=``):

* ``"permutation"``: average marginal contributions along uniformly random player
  orders (Castro, Gomez & Tejada 2009, "Polynomial calculation of the Shapley value
  based on sampling").
* ``"antithetic"``: each order is paired with its reverse and the pair mean is one
  sample (antithetic variates; cf. Mitchell et al. 2022, "Sampling permutations
  for Shapley value estimation").
* ``"stratified"``: for every player and every position k, marginal contributions
  to uniformly random k-subsets of the others, equal allocation over positions
  (Maleki et al. 2013, "Bounding the estimation error of sampling-based Shapley
  value approximation").

``samples`` counts marginal contributions per player: ``samples`` orders for the
permutation method, ``samples/2`` pairs for antithetic, ``samples // n`` subsets
per position for stratified (the count actually used is reported).  Draws come
from Philox streams keyed by ``seed``, identical on CPU and GPU.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import _backend
from .._masks import from_membership, singleton_masks
from .._validate import check_int64, choice, fail, integer, real_array, seed_value
from .game import (
    FLOAT_MAX,
    CoalitionalGame,
    TUGame,
    TUGameLike,
    as_dense,
    check_scale,
    largest_abs,
)
from .weighted_voting import WeightedVotingGame

METHODS = ("permutation", "antithetic", "stratified")


@dataclass(frozen=True)
class ShapleyEstimate:
    """A sampled Shapley value: estimates, their standard errors, samples used."""

    values: np.ndarray
    stderr: np.ndarray
    samples: int
    method: str
    seed: int


_WHAT = "the sum of squared marginal contributions (for the standard error)"


def sample_bound(samples: int) -> float:
    """Largest |v(S)| whose marginal contributions (at most 2 max|v|, shifted by up
    to max|v|), squared and summed over ``samples`` draws, stay finite."""
    return float(np.sqrt(FLOAT_MAX / (16.0 * samples)) / 4.0)


#: Most samples per kernel call.  A CUDA kernel cannot be interrupted once launched,
#: so Ctrl-C during a GPU estimate is answered between calls: ~2**26 samples is well
#: under a second of GPU time (the CPU kernels also poll for Ctrl-C inside a call).
MAX_CHUNK = 1 << 26


def _chunks(total: int, progress: bool, desc: str, per_unit: int = 1):
    """Split [0, total) into ranges of at most :data:`MAX_CHUNK` samples (``per_unit``
    samples per unit of ``total``: the strata of stratified sampling); a tqdm bar when
    ``progress``."""
    step = max(1, min(total, MAX_CHUNK // per_unit, max(total // 100, 1 << 12)))
    ranges = ((a, min(step, total - a)) for a in range(0, total, step))
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=total, desc=desc, unit="sample", leave=False, disable=None)
        for a, c in ranges:
            yield a, c
            bar.update(c)
        bar.close()
    else:
        yield from ranges


def _moments(s, q, count: int, shift):
    mean = s / count
    var = np.maximum(q - count * mean * mean, 0.0) / max(count - 1, 1)
    return mean + shift, var


def sample_shapley(
    game: TUGameLike,
    samples: int,
    seed: int | None = None,
    method: str = "permutation",
    *,
    device: str | None = None,
    progress: bool = False,
) -> ShapleyEstimate:
    func = "shapley"
    samples = integer(func, "samples", samples, minimum=1)
    check_int64(func, samples, "samples", "fewer samples")
    method = choice(func, "method", method, METHODS)
    seed = seed_value(func, seed)
    if not isinstance(game, CoalitionalGame):
        game = as_dense(func, game)
    n = game.n
    if n < 2:
        fail(func, "sampling needs at least 2 players; use the exact shapley(game)")
    if method == "antithetic" and samples % 2:
        fail(
            func,
            f"method='antithetic' pairs each order with its reverse: samples must be "
            f"even; got {samples}",
        )
    per = samples // n
    if method == "stratified" and per < 2:
        fail(
            func,
            f"method='stratified' needs samples >= 2*n = {2 * n} (at least two "
            f"samples per position, for the standard error); got {samples}",
        )
    if isinstance(game, TUGame):
        where = _backend.resolve_device(func, game.values, device)
    else:
        where = "cpu" if device is None else _backend.resolve_device(func, None, device)
    if where == "cuda":
        mod = _backend.cuda_kernels(func)
    else:
        mod = _backend.cpu_kernels("coop")
    if isinstance(game, TUGame):
        check_scale(func, "game", largest_abs(game.values), sample_bound(samples), _WHAT)
        return _dense(mod, where, game, samples, seed, method, per, progress)
    if isinstance(game, WeightedVotingGame):
        return _voting(mod, game, samples, seed, method, per, progress)
    if where == "cuda":
        fail(
            func,
            "device='cuda' supports TUGame and WeightedVotingGame; other structured "
            "games are evaluated on the CPU",
        )
    return _generic(game, samples, seed, method, per, progress, sample_bound(samples))


def _dense(mod, where, game: TUGame, samples, seed, method, per, progress):
    n = game.n
    v = np.asarray(_backend.to_host(game.values))
    head: tuple[Any, ...]
    tail: tuple[Any, ...]
    if where == "cpu":
        head, tail = (v,), ()
    else:
        dv = _backend.device_buffer(game.values)
        head, tail = (_backend.pointer(dv), n), (_backend.stream(),)
    # Shift by v({i}) so the variance is accumulated near the mean.
    shift = v[singleton_masks(n)].astype(np.float64)
    if method == "stratified":
        s: np.ndarray = np.zeros((n, n))
        q: np.ndarray = np.zeros((n, n))
        for a, c in _chunks(per, progress, "stratified", n * n):
            ds, dq = mod.stratified_sample_dense(*head, seed, per, a, c, shift, *tail)
            s += ds
            q += dq
        return _stratified_estimate(s, q, per, shift[:, None], seed, where)
    units = samples // 2 if method == "antithetic" else samples
    s = np.zeros(n)
    q = np.zeros(n)
    for a, c in _chunks(units, progress, method):
        ds, dq = mod.permutation_sample_dense(
            *head, seed, a, c, method == "antithetic", shift, *tail
        )
        s += ds
        q += dq
    return _estimate(s, q, units, shift, samples, method, seed, where)


def _voting(mod, game: WeightedVotingGame, samples, seed, method, per, progress):
    n, w, quota = game.n, game.weights, game.quota
    if method == "stratified":
        s: np.ndarray = np.zeros((n, n))
        q: np.ndarray = np.zeros((n, n))
        for a, c in _chunks(per, progress, "stratified", n * n):
            ds, dq = mod.stratified_sample_voting(w, quota, seed, per, a, c)
            s += ds
            q += dq
        return _stratified_estimate(s, q, per, 0.0, seed, "cpu")
    units = samples // 2 if method == "antithetic" else samples
    s = np.zeros(n)
    q = np.zeros(n)
    for a, c in _chunks(units, progress, method):
        ds, dq = mod.permutation_sample_voting(w, quota, seed, a, c, method == "antithetic")
        s += ds
        q += dq
    return _estimate(s, q, units, 0.0, samples, method, seed, "cpu")


def _estimate(s, q, units, shift, samples, method, seed, where) -> ShapleyEstimate:
    mean, var = _moments(s, q, units, shift)
    stderr = np.sqrt(var / units)
    return ShapleyEstimate(_place(mean, where), _place(stderr, where), samples, method, seed)


def _stratified_estimate(s, q, per, shift, seed, where) -> ShapleyEstimate:
    n = s.shape[0]
    mean, var = _moments(s, q, per, shift)
    values = mean.mean(axis=1)
    stderr = np.sqrt((var / per).sum(axis=1)) / n
    return ShapleyEstimate(
        _place(values, where), _place(stderr, where), per * n, "stratified", seed
    )


def _place(x, where):
    return _backend.to_device(x) if where == "cuda" else x


def _generic(
    game: CoalitionalGame, samples, seed, method, per, progress, bound: float
) -> ShapleyEstimate:
    """Any game with a batched ``value``: the same draws as the native samplers."""
    core = _backend.cpu_kernels("coop")
    n = game.n
    players = np.arange(n)
    if method == "stratified":
        s: np.ndarray = np.zeros((n, n))
        q: np.ndarray = np.zeros((n, n))
        for i in players:
            for k in range(n):
                rows = core.stratum_subsets(n, seed, per, int(i), k, 0, per)
                with_i = rows.copy()
                with_i[:, i] = True
                d = _values(game, with_i, bound) - _values(game, rows, bound)
                s[i, k] = d.sum()
                q[i, k] = (d * d).sum()
        return _stratified_estimate(s, q, per, 0.0, seed, "cpu")
    units = samples // 2 if method == "antithetic" else samples
    s = np.zeros(n)
    q = np.zeros(n)
    batch = max(1, (1 << 24) // (n * (n + 1)))  # orders per call of game.value
    for a, c in _chunks(units, progress, method):
        for b in range(a, a + c, batch):
            perms = core.permutations(n, seed, b, min(batch, a + c - b))
            m = _marginals(game, perms, bound)
            if method == "antithetic":
                m = 0.5 * (m + _marginals(game, perms[:, ::-1], bound))
            s += m.sum(axis=0)
            q += (m * m).sum(axis=0)
    return _estimate(s, q, units, 0.0, samples, method, seed, "cpu")


def _values(game: CoalitionalGame, rows: np.ndarray, bound: float) -> np.ndarray:
    out = game.value(from_membership(rows) if game.n <= 62 else rows)
    name = f"{type(game).__name__}.value(coalitions)"
    out = real_array("shapley", name, out)
    check_scale("shapley", name, largest_abs(out), bound, _WHAT)
    return out


def _marginals(game: CoalitionalGame, perms: np.ndarray, bound: float) -> np.ndarray:
    """Marginal contributions (count, n) by player for each order in ``perms``."""
    count, n = perms.shape
    member = np.zeros((count, n + 1, n), dtype=bool)
    rows = np.arange(count)[:, None]
    pos = np.arange(n)[None, :]
    # member[r, k, p] = player p is among the first k of order r.
    first_pos = np.empty_like(perms)
    first_pos[rows, perms] = pos
    member[:, 1:, :] = first_pos[:, None, :] < np.arange(1, n + 1)[None, :, None]
    vals = _values(game, member.reshape(-1, n), bound).reshape(count, n + 1)
    gains = np.diff(vals, axis=1)
    out = np.empty((count, n))
    out[rows, perms] = gains
    return out
