"""accord.bayes.filter_step: the Dec-POMDP belief filter (Bernstein et al. 2002)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import accord.bayes as bayes


def _stochastic(rng, shape, zeros: float = 0.0) -> np.ndarray:
    p = rng.random(shape)
    p[rng.random(shape) < zeros] = 0.0
    p[..., 0] += 1e-3
    return p / p.sum(axis=-1, keepdims=True)


def _reference(b, T, o):
    pred = np.einsum("bs,bst->bt", b, np.broadcast_to(T, (b.shape[0],) + T.shape[-2:]))
    post = pred * o
    return post / post.sum(axis=1, keepdims=True)


def test_two_state_example():
    out = bayes.filter_step(np.array([[0.5, 0.5]]), np.array([[0.9, 0.1], [0.2, 0.8]]),
                            np.array([[0.3, 0.7]]))
    np.testing.assert_allclose(out, [[0.165 / 0.48, 0.315 / 0.48]], rtol=1e-14)


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 6), st.integers(1, 40), st.booleans(), st.integers(0, 2**32 - 1))
def test_matches_reference(B, S, per_row, seed):
    rng = np.random.default_rng(seed)
    b = _stochastic(rng, (B, S), zeros=0.3)
    T = _stochastic(rng, (B, S, S) if per_row else (S, S), zeros=0.3)
    o = rng.random((B, S)) + 0.01
    np.testing.assert_allclose(bayes.filter_step(b, T, o), _reference(b, T, o), rtol=1e-12,
                               atol=1e-15)


def test_zero_evidence_names_rows():
    b = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.2, 0.3, 0.5]])
    T = np.array([[1.0, 0.0, 0.0], [0.0, 0.5, 0.5], [0.0, 0.0, 1.0]])
    o = np.array([[0.0, 1.0, 1.0], [1.0, 0.0, 0.0], [0.0, 0.0, 0.1]])
    with pytest.raises(bayes.ZeroLikelihoodError, match="rows 0, 1") as info:
        bayes.filter_step(b, T, o)
    assert info.value.rows == [0, 1]
    np.testing.assert_allclose(bayes.filter_step(b[2:], T, o[2:]), [[0.0, 0.0, 1.0]])
