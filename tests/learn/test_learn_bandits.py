"""Bandit learners: exact sample-average arithmetic, vectorised vs one learner at a time,
repeated learner indices, UCB1 / Thompson / epsilon-greedy behaviour and argument errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.learn import UCB1, EpsilonGreedy, ThompsonSampling

# ----------------------------------------------------------------------------- arithmetic


def test_sample_average_equals_mean_of_rewards_per_arm():
    rng = np.random.default_rng(0)
    L, K, T = 4, 3, 50
    bandit = EpsilonGreedy(L, K, initial=5.0, seed=1)
    arms = rng.integers(K, size=(T, L))
    rewards = rng.normal(size=(T, L))
    for t in range(T):
        bandit.update(arms[t], rewards[t])
    for lrn in range(L):
        for a in range(K):
            pulled = arms[:, lrn] == a
            assert bandit.counts[lrn, a] == pulled.sum()
            expected = rewards[pulled, lrn].mean() if pulled.any() else 5.0
            assert bandit.values[lrn, a] == pytest.approx(expected, rel=1e-12, abs=1e-12)


def test_update_is_the_seed_formula_bit_for_bit():
    bandit = EpsilonGreedy(2, 2, seed=0)
    bandit.update([0, 1], [1.0, 3.0])
    bandit.update([0, 1], [0.1, 0.7])
    bandit.update([0, 1], [0.3, 0.2])
    v = 0.0
    for n, r in enumerate([1.0, 0.1, 0.3], start=1):
        v = v + (r - v) / n
    assert bandit.values[0, 0] == v
    np.testing.assert_array_equal(bandit.counts, [[3, 0], [0, 3]])
    assert bandit.values[1, 1] == pytest.approx((3.0 + 0.7 + 0.2) / 3, rel=1e-15)


@pytest.mark.parametrize("cls", [EpsilonGreedy, UCB1])
def test_vectorised_update_equals_single_learner_loop(cls):
    rng = np.random.default_rng(3)
    L, K = 6, 4
    batch = cls(L, K, seed=0)
    indexed = cls(L, K, seed=0)                           # same updates via explicit indices
    singles = [cls(1, K, seed=0) for _ in range(L)]
    for _ in range(30):
        arms = rng.integers(K, size=L)
        rewards = rng.random(L)
        batch.update(arms, rewards)
        indexed.update(arms[::-1], rewards[::-1], learners=np.arange(L)[::-1])
        for lrn in range(L):
            singles[lrn].update(arms[lrn:lrn + 1], rewards[lrn:lrn + 1])
    np.testing.assert_array_equal(batch.values, np.vstack([s.values for s in singles]))
    np.testing.assert_array_equal(batch.counts, np.vstack([s.counts for s in singles]))
    np.testing.assert_array_equal(batch.values, indexed.values)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2), st.integers(0, 1),
                          st.floats(-10, 10, allow_nan=False)), min_size=1, max_size=12))
def test_repeated_learner_indices_match_sequential_updates(triples):
    learners = np.array([t[0] for t in triples])
    arms = np.array([t[1] for t in triples])
    rewards = np.array([t[2] for t in triples])
    batch = EpsilonGreedy(3, 2, seed=0)
    batch.update([1, 0, 1], [0.5, -1.0, 2.0])            # some history first
    seq = EpsilonGreedy(3, 2, seed=0)
    seq.update([1, 0, 1], [0.5, -1.0, 2.0])
    batch.update(arms, rewards, learners=learners)
    for lrn, a, r in triples:
        seq.update(a, r, learners=lrn)
    np.testing.assert_array_equal(batch.counts, seq.counts)
    np.testing.assert_allclose(batch.values, seq.values, rtol=1e-12, atol=1e-12)


def test_scalar_learner_index_gives_scalar_results():
    bandit = EpsilonGreedy(3, 2, epsilon=0.0, seed=0)
    bandit.update(1, 2.0, learners=2)
    arm = bandit.select(learners=2)
    assert arm.shape == () and arm == 1
    assert bandit.select(learners=[2, 2, 0]).shape == (3,)


def test_empty_update_is_a_no_op():
    bandit = EpsilonGreedy(2, 2, seed=0)
    bandit.update([], [], learners=[])
    assert bandit.counts.sum() == 0


# ----------------------------------------------------------------------------- selection


def test_epsilon_zero_is_greedy_with_random_ties():
    bandit = EpsilonGreedy(1000, 3, epsilon=0.0, seed=4)
    bandit.values[:, 2] = 1.0
    assert (bandit.select() == 2).all()
    bandit.values[:, 1] = 1.0                             # tie between arms 1 and 2
    picks = bandit.select()
    assert set(np.unique(picks)) == {1, 2}
    assert 400 < (picks == 1).sum() < 600


def test_epsilon_one_is_uniform():
    bandit = EpsilonGreedy(6000, 3, epsilon=1.0, seed=5)
    bandit.values[:, 0] = 10.0
    counts = np.bincount(bandit.select(), minlength=3)
    assert (np.abs(counts - 2000) < 200).all()


def test_epsilon_greedy_is_reproducible_and_finds_best_arm():
    means = np.array([0.2, 0.5, 0.8])

    def run(seed):
        bandit = EpsilonGreedy(50, 3, epsilon=0.1, seed=seed)
        env = np.random.default_rng(seed + 100)
        for _ in range(300):
            arms = bandit.select()
            bandit.update(arms, (env.random(50) < means[arms]).astype(float))
        return bandit

    a, b = run(7), run(7)
    np.testing.assert_array_equal(a.values, b.values)
    assert (np.argmax(a.values, axis=1) == 2).mean() >= 0.9


def test_ucb1_tries_each_arm_once_in_index_order():
    bandit = UCB1(3, 5, seed=0)
    bandit.values[:] = [5.0, 4.0, 3.0, 2.0, 1.0]          # ignored until every arm is tried
    for expected in range(5):
        arms = bandit.select()
        np.testing.assert_array_equal(arms, expected)
        bandit.update(arms, np.zeros(3))
    np.testing.assert_array_equal(bandit.counts, 1)


def test_ucb1_index_arithmetic():
    bandit = UCB1(1, 2, c=2.0, seed=0)
    bandit.update([0], [0.9])
    bandit.update([1], [0.5])
    for _ in range(3):
        bandit.update([0], [0.9])
    # t = 5: arm 0: 0.9 + sqrt(2 ln5 / 4) = 1.797, arm 1: 0.5 + sqrt(2 ln5 / 1) = 2.294
    assert bandit.select()[0] == 1
    bandit.c = 0.1                                        # 0.9 + 0.201 > 0.5 + 0.401
    assert bandit.select()[0] == 0


def test_ucb1_finds_best_arm_with_sublinear_regret():
    means = np.array([0.3, 0.5, 0.8, 0.4])
    L, T = 20, 2000
    bandit = UCB1(L, 4, seed=0)
    env = np.random.default_rng(1)
    regret = np.zeros(T)
    for t in range(T):
        arms = bandit.select()
        bandit.update(arms, (env.random(L) < means[arms]).astype(float))
        regret[t] = (means.max() - means[arms]).mean()
    assert (np.argmax(bandit.counts, axis=1) == 2).all()
    assert (bandit.counts[:, 2] > 0.8 * T).all()
    cum = np.cumsum(regret)
    # sublinear: the second half adds much less regret than the first
    assert cum[-1] - cum[T // 2 - 1] < 0.5 * cum[T // 2 - 1]
    assert cum[-1] < 0.1 * T


@pytest.mark.parametrize("prior", ["beta", "gaussian"])
def test_thompson_sampling_finds_best_arm(prior):
    means = np.array([0.2, 0.7, 0.5])
    L, T = 20, 1500
    bandit = ThompsonSampling(L, 3, prior=prior, seed=2, noise_std=0.5)
    env = np.random.default_rng(3)
    for _ in range(T):
        arms = bandit.select()
        bandit.update(arms, (env.random(L) < means[arms]).astype(float))
    assert (np.argmax(bandit.counts, axis=1) == 1).mean() >= 0.9
    assert bandit.counts[:, 1].sum() > 0.8 * L * T
    np.testing.assert_array_equal(bandit.counts.sum(axis=1), T)


def test_thompson_beta_posterior_arithmetic():
    bandit = ThompsonSampling(2, 2, prior="beta", seed=0, prior_alpha=2.0, prior_beta=3.0)
    bandit.update([0, 0, 1], [1.0, 0.25, 0.0], learners=[1, 1, 0])
    np.testing.assert_array_equal(bandit.alpha, [[2.0, 2.0], [3.25, 2.0]])
    np.testing.assert_array_equal(bandit.beta, [[3.0, 4.0], [3.75, 3.0]])
    np.testing.assert_array_equal(bandit.counts, [[0, 1], [2, 0]])
    assert bandit.mean[1, 0] == pytest.approx(3.25 / 7.0)


def test_thompson_gaussian_posterior_arithmetic():
    bandit = ThompsonSampling(1, 2, prior="gaussian", seed=0, prior_mean=1.0, prior_std=2.0,
                              noise_std=0.5)
    rewards = [3.0, 2.0, 4.0]
    bandit.update([0, 0, 0], rewards, learners=[0, 0, 0])
    prec = 1 / 4 + 3 / 0.25
    assert bandit.precision[0, 0] == pytest.approx(prec)
    assert bandit.mean[0, 0] == pytest.approx((1.0 / 4 + sum(rewards) / 0.25) / prec)
    assert bandit.mean[0, 1] == 1.0


# ----------------------------------------------------------------------------- errors


@pytest.mark.parametrize("cls", [EpsilonGreedy, UCB1, ThompsonSampling])
def test_constructor_errors(cls):
    with pytest.raises(ValueError, match=rf"{cls.__name__}\(\): n_learners must be >= 1"):
        cls(0, 3)
    with pytest.raises(ValueError, match="n_arms must be >= 1"):
        cls(2, 0)
    with pytest.raises(TypeError, match="n_learners must be an integer"):
        cls(2.5, 3)
    with pytest.raises(TypeError, match="seed must be None"):
        cls(2, 3, seed="x")


def test_epsilon_out_of_range():
    with pytest.raises(ValueError, match=r"EpsilonGreedy\(\): epsilon must be in \[0, 1\]"):
        EpsilonGreedy(2, 3, epsilon=1.5)
    bandit = EpsilonGreedy(2, 3)
    with pytest.raises(ValueError, match="epsilon must be in"):
        bandit.epsilon = -0.1
    with pytest.raises(ValueError, match="c must be >= 0"):
        UCB1(2, 3, c=-1.0)


def test_unknown_prior():
    with pytest.raises(ValueError, match=r"ThompsonSampling\(\): prior must be one of"):
        ThompsonSampling(2, 3, prior="poisson")
    with pytest.raises(ValueError, match="noise_std must be > 0"):
        ThompsonSampling(2, 3, prior="gaussian", noise_std=0.0)


@pytest.mark.parametrize("cls", [EpsilonGreedy, UCB1, ThompsonSampling])
def test_update_errors_leave_state_unchanged(cls):
    bandit = cls(3, 2, seed=0)
    name = cls.__name__
    with pytest.raises(ValueError, match=rf"{name}\.update\(\): arms must be in \[0, n_arms=2\)"):
        bandit.update([0, 2, 1], [0.0, 0.0, 0.0])
    with pytest.raises(ValueError, match="rewards must be finite; entry"):
        bandit.update([0, 1, 1], [0.0, np.nan, 0.0])
    with pytest.raises(ValueError, match=r"arms must have shape \(3,\)"):
        bandit.update([0, 1], [0.0, 0.0, 0.0])
    with pytest.raises(ValueError, match=r"rewards must have shape \(2,\)"):
        bandit.update([0, 1], [0.0, 0.0, 0.0], learners=[0, 1])
    with pytest.raises(TypeError, match="arms must be integers"):
        bandit.update([0.0, 1.0, 1.0], [0.0, 0.0, 0.0])
    with pytest.raises(ValueError, match=r"learners must be in \[0, n_learners=3\)"):
        bandit.update([0, 1], [0.0, 0.0], learners=[0, 3])
    with pytest.raises(ValueError, match=r"learners must be in \[0, n_learners=3\)"):
        bandit.select(learners=[-1])
    assert bandit.counts.sum() == 0


def test_beta_rewards_outside_unit_interval():
    bandit = ThompsonSampling(2, 2, prior="beta", seed=0)
    with pytest.raises(ValueError, match=r"rewards must be in \[0, 1\] with prior='beta'"):
        bandit.update([0, 1], [0.5, 1.5])
    np.testing.assert_array_equal(bandit.alpha, 1.0)
