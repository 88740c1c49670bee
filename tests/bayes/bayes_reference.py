"""Straightforward NumPy references for accord.bayes (test oracles, not optimised)."""

from __future__ import annotations

import numpy as np

NEG_INF = -np.inf


def lse(a: np.ndarray, axis) -> np.ndarray:
    """logsumexp that returns -inf (without warnings) where every entry is -inf."""
    mx = np.max(a, axis=axis, keepdims=True)
    mx = np.where(np.isfinite(mx), mx, 0.0)
    with np.errstate(divide="ignore"):
        out = np.log(np.sum(np.exp(a - mx), axis=axis, keepdims=True)) + mx
    return np.squeeze(out, axis=axis)


def log_of(p: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return np.log(p)


def random_log_marginals(rng, B: int, m: int, K: int, pad: float = 0.3) -> np.ndarray:
    """(B, m, K) log-marginals; each type is impossible (-inf) with probability ``pad``,
    but every member keeps at least one possible type."""
    p = rng.random((B, m, K)) + 0.05
    dead = rng.random((B, m, K)) < pad
    keep = rng.integers(0, K, size=(B, m))
    dead[np.arange(B)[:, None], np.arange(m)[None, :], keep] = False
    p[dead] = 0.0
    p /= p.sum(axis=2, keepdims=True)
    return log_of(p)


def joint_log_prior(lp: np.ndarray) -> np.ndarray:
    """(B, K**m) log B(t), joint vectors row-major with member 0 slowest."""
    B, m, K = lp.shape
    out = np.zeros((B,) + (K,) * m)
    for j in range(m):
        shape = [B] + [1] * m
        shape[1 + j] = K
        out = out + lp[:, j, :].reshape(shape)
    return out.reshape(B, -1)


def digits(t: np.ndarray, m: int, K: int) -> np.ndarray:
    """(..., m) types of joint indices t."""
    t = np.asarray(t)
    out = np.empty(t.shape + (m,), dtype=np.int64)
    for j in range(m - 1, -1, -1):
        out[..., j] = t % K
        t = t // K
    return out


def index_of(types: np.ndarray, K: int) -> np.ndarray:
    """Joint index of type vectors (..., m)."""
    m = types.shape[-1]
    w = K ** np.arange(m - 1, -1, -1)
    return (types * w).sum(axis=-1)


def update_reference(lp: np.ndarray, ll: np.ndarray):
    """(log_post (B, m, K), log_joint (B, T), zero-evidence rows) by Eq. 5."""
    B, m, K = lp.shape
    lj = joint_log_prior(lp) + ll
    lz = lse(lj, axis=1)
    zero = np.flatnonzero(lz == NEG_INF)
    lzs = np.where(np.isfinite(lz), lz, 0.0)
    joint = lj - lzs[:, None]
    t = lj.reshape((B,) + (K,) * m)
    post = np.empty((B, m, K))
    for j in range(m):
        axes = tuple(1 + q for q in range(m) if q != j)
        post[:, j, :] = (lse(t, axis=axes) if axes else t) - lzs[:, None]
    return post, joint, zero


def sampled_reference(lp: np.ndarray, ll: np.ndarray) -> np.ndarray:
    """Rao-Blackwellised posterior: prior_j(k) mean_s exp(ll[b, s, j, k]), normalised."""
    v = lp + lse(ll, axis=1)
    return v - lse(v, axis=2)[..., None]


def vpi_reference(lp, values, share, best, second, is_best) -> np.ndarray:
    """Eqs. 11-13 by brute force over the joint."""
    P = np.exp(joint_log_prior(lp))                      # (B, T)
    q = share[..., None] * values                        # (B, A, T)
    gain_best = np.maximum(second[:, None, None] - q, 0.0)
    gain_other = np.maximum(q - best[:, None, None], 0.0)
    gain = np.where(is_best[..., None], gain_best, gain_other)
    return (gain * P[:, None, :]).sum(axis=2)
