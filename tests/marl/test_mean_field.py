"""Mean-field Q-learning (Yang et al. 2018): the update and policy against loops, its
play on the crowd game against the logit equilibrium, and against independent
Q-learning as the number of agents grows."""

from __future__ import annotations

import numpy as np
import pytest

from accord.marl import train
from accord.marl.envs import make_vec
from accord.marl.mean_field import MeanFieldQ


def _softmax(x):
    z = np.exp(x - x.max())
    return z / z.sum()


@pytest.mark.parametrize("shared", [True, False])
@pytest.mark.parametrize("mean_field", [True, False])
def test_update_matches_the_rule(shared, mean_field):
    S, K, M, n, E = 3, 4, 5, 6, 2
    rng = np.random.default_rng(0)
    L = MeanFieldQ(
        S,
        K,
        M,
        n_agents=n,
        n_envs=E,
        discount=0.8,
        alpha=0.3,
        temperature=0.7,
        shared=shared,
        mean_field=mean_field,
        seed=1,
    )
    L.Q[...] = rng.normal(size=L.Q.shape)
    Q0 = L.Q.copy()
    obs = np.stack([rng.integers(0, S, (E, n)), rng.integers(0, M, (E, n))], axis=-1)
    nxt = np.stack([rng.integers(0, S, (E, n)), rng.integers(0, M, (E, n))], axis=-1)
    obs[0, 1] = obs[0, 0]  # two agents of copy 0 on the same entry (shared tables)
    nxt[0, 1] = nxt[0, 0]
    a = rng.integers(0, K, (E, n))
    a[0, 1] = a[0, 0]
    r = rng.normal(size=(E, n))
    term = np.array([False, True])
    L.update(obs, a, r, nxt, term)
    want = Q0.copy()
    hits: dict[tuple, list[float]] = {}
    for e in range(E):
        for i in range(n):
            table = Q0[e] if shared else Q0[e, i]
            s, m_prev = obs[e, i]
            s2, m = nxt[e, i]
            q2 = table[s2, m]
            if mean_field:
                v = _softmax(q2 / 0.7) @ q2
                cell = m
            else:
                v = q2.max()
                cell = m_prev
            target = r[e, i] + (0.0 if term[e] else 0.8 * v)
            key = (e, s, cell, a[e, i]) if shared else (e, i, s, cell, a[e, i])
            hits.setdefault(key, []).append(target - Q0[key])
    for key, deltas in hits.items():
        want[key] = Q0[key] + 0.3 * np.mean(deltas)
    np.testing.assert_allclose(L.Q, want, rtol=1e-12, atol=1e-15)
    if shared:  # agents 0 and 1 of copy 0 moved one entry by their mean TD error
        cell = nxt[0, 0, 1] if mean_field else obs[0, 0, 1]
        assert len(hits[(0, obs[0, 0, 0], cell, a[0, 0])]) >= 2


def test_boltzmann_policy_and_sampling():
    S, K, M = 2, 3, 2
    L = MeanFieldQ(S, K, M, n_agents=20_000, n_envs=1, temperature=0.5, seed=3)
    L.Q[0, 1, 0] = [0.0, 0.5, 1.0]
    obs = np.zeros((1, 20_000, 2), dtype=np.int64)
    obs[..., 0] = 1
    p = L.policy(obs)
    want = np.exp(np.array([0.0, 1.0, 2.0]))
    want /= want.sum()
    np.testing.assert_allclose(p[0, 0], want)
    freq = np.bincount(L.act(obs)[0], minlength=3) / 20_000  # within 5 standard errors
    assert (np.abs(freq - want) <= 5 * np.sqrt(want * (1 - want) / 20_000)).all()
    assert (L.greedy(obs) == 2).all()


def _logit_equilibrium(b, c, tau):
    """The symmetric logit (quantal response) equilibrium p = softmax((b - c p) / tau) of
    the crowd game (McKelvey & Palfrey 1995), by damped fixed-point iteration."""
    p = np.full(len(b), 1.0 / len(b))
    for _ in range(20_000):
        p = 0.99 * p + 0.01 * _softmax((b - c * p) / tau)
    return p


def _play(N, E, mean_field, steps=600, tau=0.5, seed=0, evals=50):
    """Train on E copies of the crowd game with N agents (shared tables, discount 0:
    the rewards do not depend on the agents' states), then play ``evals`` steps and
    return, per copy, the mean L1 distance of the population's policy (the mean of the
    agents' Boltzmann policies) to a reference distribution, and the mean reward."""
    env = make_vec("crowd", E, n_agents=N, max_steps=10**6, seed=seed)
    K = env.n_options
    learner = MeanFieldQ(
        K,
        K,
        env.n_cells,
        n_agents=N,
        n_envs=E,
        discount=0.0,
        alpha=0.1,
        temperature=tau,
        mean_field=mean_field,
        seed=seed + 1,
    )
    res = train(env, learner, steps=steps)
    assert res.steps == steps
    obs = env.reset()
    policies, reward = [], np.zeros(E)
    for _ in range(evals):
        policies.append(learner.policy(obs).mean(axis=1))
        out = env.step(learner.act(obs))
        reward += out.rewards.mean(axis=1) / evals
        obs = out.observations

    def distance(p):
        return np.mean([np.abs(q - p).sum(axis=1) for q in policies], axis=0)

    return env, distance, reward


def test_mean_field_q_plays_the_logit_equilibrium_of_a_large_crowd():
    """1,000 agents, 4 copies, 600 steps at temperature 0.5: over 50 steps of play the
    population's policy stays within 0.02 (L1) of the logit equilibrium, for mean-field
    and independent Q alike."""
    for mean_field in (True, False):
        env, distance, _ = _play(1000, 4, mean_field)
        qre = _logit_equilibrium(env.values, env.congestion, 0.5)
        assert distance(qre).max() < 0.02


def test_mean_field_q_against_independent_q_as_the_crowd_grows():
    """Distance of the population's policy to the equilibrium p* (L1), mean over 50
    steps of play and over copies: 16
    copies for N = 10 and 100, 4 for N = 1,000; 600 training steps, temperature 0.5.

    Mean-field Q acts on the previous step's mean action, which predicts the current
    one only as well as the law of large numbers allows: with few neighbours it is a
    noisy guess and the learner trails independent Q-learning on the same observations
    (measured gaps about 0.07, 0.01 and 0.00); the gap closes as N grows, and at
    N = 1,000 both play the logit equilibrium (previous test).  On this congestion game
    mean-field Q does not overtake independent Q (each step's best response to the
    last mean action is what the crowd's negative feedback punishes)."""
    gaps, rewards = [], []
    for N, E in ((10, 16), (100, 16), (1000, 4)):
        env, mf, r_mf = _play(N, E, True)
        _, iq, r_iq = _play(N, E, False)
        d_mf = mf(env.equilibrium).mean()
        d_iq = iq(env.equilibrium).mean()
        gaps.append(d_mf - d_iq)
        rewards.append((r_mf.mean(), r_iq.mean()))
    assert gaps[0] > 0.04
    assert gaps[0] > 2 * gaps[1] and gaps[1] > gaps[2] - 0.005
    assert abs(gaps[2]) < 0.01
    # the reward follows: mean-field Q's shortfall shrinks with N
    short = [iq - mf for mf, iq in rewards]
    assert short[0] > short[1] > -0.002 and abs(short[2]) < 0.002


def test_bad_arguments():
    with pytest.raises(ValueError, match=r"MeanFieldQ\(\): temperature must be > 0"):
        MeanFieldQ(2, 2, 2, n_agents=2, n_envs=1, temperature=0.0)
    with pytest.raises(ValueError, match=r"MeanFieldQ\(\): discount must be in \[0, 1\)"):
        MeanFieldQ(2, 2, 2, n_agents=2, n_envs=1, discount=1.0)
    with pytest.raises(TypeError, match=r"MeanFieldQ\(\): shared must be True or False"):
        MeanFieldQ(2, 2, 2, n_agents=2, n_envs=1, shared=1)
    with pytest.raises(ValueError, match=r"MeanFieldQ\(\): the Q-tables needs .* use shared"):
        MeanFieldQ(100, 100, 1000, n_agents=10**5, n_envs=100, shared=False)
    L = MeanFieldQ(2, 3, 4, n_agents=2, n_envs=1)
    with pytest.raises(
        ValueError, match=r"MeanFieldQ.act\(\): observations must be integer .* \(1, 2, 2\)"
    ):
        L.act(np.zeros((1, 3, 2), dtype=np.int64))
    bad = np.zeros((1, 2, 2), dtype=np.int64)
    bad[0, 1, 1] = 4
    with pytest.raises(ValueError, match=r"copy 0, agent 1: cell 4 is not in 0..3"):
        L.act(bad)
    ok = np.zeros((1, 2, 2), dtype=np.int64)
    with pytest.raises(ValueError, match=r"MeanFieldQ.update\(\): actions must be in 0..2"):
        L.update(ok, np.array([[0, 3]]), np.zeros((1, 2)), ok, np.zeros(1, bool))
    with pytest.raises(ValueError, match=r"terminated must be a bool array of shape \(1,\)"):
        L.update(ok, np.zeros((1, 2), int), np.zeros((1, 2)), ok, np.zeros(2, bool))
    with pytest.raises(ValueError, match=r"rewards must be finite, of shape \(1, 2\)"):
        L.update(ok, np.zeros((1, 2), int), np.array([[0.0, np.nan]]), ok, np.zeros(1, bool))
