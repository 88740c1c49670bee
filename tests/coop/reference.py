"""Brute-force references for the tests (never used by the package)."""

from __future__ import annotations

import itertools
from math import factorial

import numpy as np


def random_table(n: int, rng: np.random.Generator) -> np.ndarray:
    v = rng.normal(size=1 << n)
    v[0] = 0.0
    return v


def shapley_by_permutations(v: np.ndarray, n: int) -> np.ndarray:
    """Average marginal contribution over all n! orders."""
    phi = np.zeros(n)
    for order in itertools.permutations(range(n)):
        mask = 0
        for p in order:
            phi[p] += v[mask | 1 << p] - v[mask]
            mask |= 1 << p
    return phi / factorial(n)


def banzhaf_brute(v: np.ndarray, n: int) -> np.ndarray:
    beta = np.zeros(n)
    for i in range(n):
        for mask in range(1 << n):
            if not mask >> i & 1:
                beta[i] += v[mask | 1 << i] - v[mask]
    return beta / 2 ** (n - 1)


def max_excess_brute(v: np.ndarray, n: int, x: np.ndarray) -> tuple[float, int]:
    best, arg = -np.inf, 0
    for mask in range(1, 1 << n):
        e = v[mask] - sum(x[i] for i in range(n) if mask >> i & 1)
        if e > best + 1e-12:
            best, arg = e, mask
    return best, arg
