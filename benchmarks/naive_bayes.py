"""A straightforward NumPy implementation of the ``accord.bayes`` functions.

This is the baseline the batched kernels are measured against
(``benchmarks/compare_coalition.py``): the same estimators written the obvious way,
materialising the joint distribution of every row with NumPy broadcasting.
"""

from __future__ import annotations

import numpy as np
from scipy.special import logsumexp


def _joint_log(log_marginals: np.ndarray) -> np.ndarray:
    """(B, k**m) log joint of independent members (row-major, member 0 slowest)."""
    b, m, k = log_marginals.shape
    out = np.zeros((b, 1))
    for j in range(m):
        out = (out[:, :, None] + log_marginals[:, j, None, :]).reshape(b, -1)
    return out


def sample_types(log_marginals, samples, seed):
    rng = np.random.default_rng(seed)
    b, m, k = log_marginals.shape
    p = np.exp(log_marginals)
    out = np.empty((b, samples, m), dtype=np.int32)
    for r in range(b):
        for j in range(m):
            out[r, :, j] = rng.choice(k, size=samples, p=p[r, j] / p[r, j].sum())
    return out


def update(log_prior, log_likelihood, *, samples=None):
    b, m, k = log_prior.shape
    if samples is None:
        post = _joint_log(log_prior) + log_likelihood
        with np.errstate(invalid="ignore"):
            post = post - logsumexp(post, axis=1, keepdims=True)
        grid = post.reshape((b,) + (k,) * m)
        out = np.empty_like(log_prior)
        for j in range(m):
            axes = tuple(a + 1 for a in range(m) if a != j)
            out[:, j] = logsumexp(grid, axis=axes) if axes else grid
        return out
    lik = logsumexp(log_likelihood, axis=1) - np.log(log_likelihood.shape[1])
    post = log_prior + lik
    return post - logsumexp(post, axis=2, keepdims=True)


def expected_values(log_marginals, values, *, samples=None):
    if samples is not None:
        return values.mean(axis=2)
    p = np.exp(_joint_log(log_marginals))
    return np.einsum("bt,bat->ba", p, values)


def vpi(log_marginals, values, share, best, second, is_best, *, samples=None):
    q = share[..., None] * values
    gain = np.where(is_best[..., None], np.maximum(second[:, None, None] - q, 0.0),
                    np.maximum(q - best[:, None, None], 0.0))
    if samples is not None:
        return gain.mean(axis=2)
    p = np.exp(_joint_log(log_marginals))
    return np.einsum("bt,bat->ba", p, gain)
