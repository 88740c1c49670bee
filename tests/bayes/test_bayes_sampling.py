"""accord.bayes.sample_types: Philox draws of type vectors from product beliefs."""

from __future__ import annotations

import numpy as np
import pytest
from bayes_reference import random_log_marginals

import accord
import accord.bayes as bayes


def test_shape_dtype_and_determinism():
    rng = np.random.default_rng(0)
    lp = random_log_marginals(rng, 7, 4, 5, pad=0.4)
    a = bayes.sample_types(lp, 100, 123)
    assert a.shape == (7, 100, 4) and a.dtype == np.int32
    np.testing.assert_array_equal(a, bayes.sample_types(lp, 100, 123))
    assert not np.array_equal(a, bayes.sample_types(lp, 100, 124))


def test_more_samples_extend_fewer():
    """Draws are keyed by (seed, row, sample, member): the first S samples do not change
    when more are drawn, and a row's draws do not depend on the other rows."""
    rng = np.random.default_rng(1)
    lp = random_log_marginals(rng, 5, 3, 4)
    many = bayes.sample_types(lp, 500, 7)
    np.testing.assert_array_equal(bayes.sample_types(lp, 37, 7), many[:, :37])
    np.testing.assert_array_equal(bayes.sample_types(lp[:2], 500, 7), many[:2])


def test_never_draws_impossible_types_and_matches_marginals():
    rng = np.random.default_rng(2)
    B, m, K, S = 3, 4, 6, 40_000
    lp = random_log_marginals(rng, B, m, K, pad=0.5)
    s = bayes.sample_types(lp, S, 2**63 + 5)
    p = np.exp(lp)
    drawn = np.take_along_axis(p, s.transpose(0, 2, 1).astype(np.int64), axis=2)
    assert (drawn > 0).all()
    freq = np.stack([np.stack([np.bincount(s[b, :, j], minlength=K) for j in range(m)])
                     for b in range(B)]) / S
    se = np.sqrt(p * (1 - p) / S)
    assert (np.abs(freq - p) <= 5 * se + 1e-12).all()


def test_members_are_independent():
    """Pairs of members' types are distributed as the product of their marginals."""
    lp = np.log([[[0.2, 0.8], [0.6, 0.4]]])
    S = 100_000
    s = bayes.sample_types(lp, S, 31)[0]
    joint = np.bincount(s[:, 0] * 2 + s[:, 1], minlength=4) / S
    want = np.outer([0.2, 0.8], [0.6, 0.4]).ravel()
    assert (np.abs(joint - want) <= 5 * np.sqrt(want * (1 - want) / S)).all()


def test_edge_sizes():
    assert bayes.sample_types(np.zeros((2, 0, 3)), 5, 0).shape == (2, 5, 0)
    assert bayes.sample_types(np.log(np.full((2, 1, 2), 0.5)), 0, 0).shape == (2, 0, 1)
    assert bayes.sample_types(np.zeros((0, 2, 1)), 4, 0).shape == (0, 4, 2)
    one = bayes.sample_types(np.zeros((1, 3, 1)), 10, 1)      # K = 1: always type 0
    np.testing.assert_array_equal(one, 0)


def test_thread_count_does_not_matter():
    rng = np.random.default_rng(3)
    lp = random_log_marginals(rng, 400, 3, 4)
    before = accord._core.get_num_threads()
    try:
        accord.set_num_threads(1)
        a = bayes.sample_types(lp, 50, 9)
        accord.set_num_threads(3)
        b = bayes.sample_types(lp, 50, 9)
    finally:
        accord.set_num_threads(before)
    np.testing.assert_array_equal(a, b)


def test_seed_none_draws_fresh_entropy():
    lp = np.log(np.full((1, 8, 4), 0.25))
    assert bayes.sample_types(lp, 50, None).shape == (1, 50, 8)


@pytest.mark.parametrize("samples", [-1, 2**32])
def test_bad_sample_counts(samples):
    with pytest.raises(ValueError, match="samples"):
        bayes.sample_types(np.zeros((1, 1, 1)), samples, 0)
