"""Tabular Q-learning: update arithmetic (with terminal transitions), sequential semantics of
repeated learners, convergence to the value-iteration optimum on a chain MDP, errors."""

from __future__ import annotations

import numpy as np
import pytest

from accord.learn import QLearning

# ----------------------------------------------------------------------------- arithmetic


def test_update_arithmetic_with_and_without_done():
    q = QLearning(2, 3, 2, alpha=0.5, gamma=0.9, seed=0)
    q.Q[0, 1] = [2.0, 4.0]
    q.Q[1, 2] = [1.0, -3.0]
    q.Q[0, 0, 1] = 1.0
    td = q.update(states=[0, 0], actions=[1, 0], rewards=[1.0, 2.0], next_states=[1, 2],
                  done=[False, True])
    # learner 0: 1 + 0.9 * 4 - 1 = 3.6 ; learner 1 (terminal): 2 + 0 - 0 = 2
    np.testing.assert_allclose(td, [3.6, 2.0], rtol=1e-15)
    assert q.Q[0, 0, 1] == pytest.approx(1.0 + 0.5 * 3.6, rel=1e-15)
    assert q.Q[1, 0, 0] == 1.0
    assert td.shape == (2,)


def test_gamma_zero_and_alpha_one_copy_the_reward():
    q = QLearning(1, 2, 2, alpha=1.0, gamma=0.0, seed=0)
    q.Q[0, 1] = 100.0
    q.update([0], [1], [0.25], [1])
    assert q.Q[0, 0, 1] == 0.25


def test_done_accepts_zero_one_numbers():
    a = QLearning(2, 2, 2, alpha=0.5, seed=0)
    b = QLearning(2, 2, 2, alpha=0.5, seed=0)
    a.Q[:] = b.Q[:] = 1.0
    a.update([0, 1], [0, 1], [1.0, 1.0], [1, 0], done=[1, 0])
    b.update([0, 1], [0, 1], [1.0, 1.0], [1, 0], done=np.array([True, False]))
    np.testing.assert_array_equal(a.Q, b.Q)


def test_repeated_learners_are_applied_in_order():
    batch = QLearning(2, 3, 2, alpha=0.5, gamma=0.9, seed=0)
    seq = QLearning(2, 3, 2, alpha=0.5, gamma=0.9, seed=0)
    rng = np.random.default_rng(1)
    batch.Q[:] = seq.Q[:] = rng.normal(size=batch.Q.shape)
    learners = np.array([0, 1, 0, 0, 1, 0])
    states = np.array([0, 1, 1, 0, 2, 0])
    actions = np.array([1, 0, 1, 1, 1, 0])
    rewards = rng.normal(size=6)
    nxt = np.array([1, 2, 0, 0, 1, 2])
    done = np.array([0, 0, 0, 1, 0, 0], dtype=bool)
    td = batch.update(states, actions, rewards, nxt, learners=learners, done=done)
    td_seq = [seq.update(states[i], actions[i], rewards[i], nxt[i], learners=learners[i],
                         done=done[i]) for i in range(6)]
    np.testing.assert_array_equal(batch.Q, seq.Q)
    np.testing.assert_array_equal(td, td_seq)


def test_vectorised_equals_single_learners():
    L, S, A = 5, 4, 3
    batch = QLearning(L, S, A, alpha=0.3, gamma=0.8, seed=0)
    indexed = QLearning(L, S, A, alpha=0.3, gamma=0.8, seed=0)
    singles = [QLearning(1, S, A, alpha=0.3, gamma=0.8, seed=0) for _ in range(L)]
    rng = np.random.default_rng(2)
    for _ in range(40):
        s, a, s2 = rng.integers(S, size=L), rng.integers(A, size=L), rng.integers(S, size=L)
        r, d = rng.normal(size=L), rng.random(L) < 0.1
        batch.update(s, a, r, s2, done=d)
        rev = np.arange(L)[::-1]
        indexed.update(s[rev], a[rev], r[rev], s2[rev], learners=rev, done=d[rev])
        for i in range(L):
            singles[i].update(s[i:i + 1], a[i:i + 1], r[i:i + 1], s2[i:i + 1], done=d[i:i + 1])
    np.testing.assert_array_equal(batch.Q, np.concatenate([x.Q for x in singles]))
    np.testing.assert_array_equal(batch.Q, indexed.Q)


# ----------------------------------------------------------------------------- selection


def test_select_epsilon_zero_and_greedy():
    q = QLearning(400, 2, 3, epsilon=0.0, seed=3)
    q.Q[:, 0] = [0.0, 1.0, 1.0]
    q.Q[:, 1] = [2.0, 0.0, 1.0]
    assert (q.select(np.ones(400, dtype=int)) == 0).all()
    picks = q.select(np.zeros(400, dtype=int))
    assert set(np.unique(picks)) == {1, 2}                # random tie-breaking
    np.testing.assert_array_equal(q.greedy(np.zeros(400, dtype=int)), 1)  # lowest index
    assert q.greedy(0, learners=7).shape == ()


def test_select_epsilon_one_is_uniform():
    q = QLearning(6000, 1, 3, epsilon=1.0, seed=4)
    q.Q[:, 0, 0] = 5.0
    counts = np.bincount(q.select(np.zeros(6000, dtype=int)), minlength=3)
    assert (np.abs(counts - 2000) < 200).all()


# ----------------------------------------------------------------------------- convergence


def _chain(n=5):
    """Deterministic chain: actions left / stay / right; 'right' at the right end pays 1
    (and stays there), 'left' at the left end pays 0.05 (a distractor)."""
    nxt = np.empty((n, 3), dtype=int)
    rew = np.zeros((n, 3))
    for s in range(n):
        nxt[s] = [max(s - 1, 0), s, min(s + 1, n - 1)]
    rew[n - 1, 2] = 1.0
    rew[0, 0] = 0.05
    return nxt, rew


def _value_iteration(nxt, rew, gamma, tol=1e-13):
    q = np.zeros(rew.shape)
    while True:
        new = rew + gamma * q.max(axis=1)[nxt]
        if np.abs(new - q).max() < tol:
            return new
        q = new


def test_converges_to_value_iteration_on_chain_mdp():
    nxt, rew = _chain()
    gamma = 0.8
    q_star = _value_iteration(nxt, rew, gamma)
    L = 8
    agent = QLearning(L, 5, 3, alpha=0.5, gamma=gamma, epsilon=1.0, seed=5)
    rng = np.random.default_rng(6)
    s = rng.integers(5, size=L)
    for _ in range(3000):
        a = agent.select(s)
        s2 = nxt[s, a]
        agent.update(s, a, rew[s, a], s2)
        s = np.where(rng.random(L) < 0.1, rng.integers(5, size=L), s2)  # occasional restarts
    np.testing.assert_allclose(agent.Q, np.broadcast_to(q_star, agent.Q.shape), atol=1e-4)
    optimal = np.argmax(q_star, axis=1)
    for lrn in range(L):
        np.testing.assert_array_equal(agent.greedy(np.arange(5), learners=np.full(5, lrn)),
                                      optimal)
    np.testing.assert_array_equal(optimal, 2)             # always go right


def test_episodic_terminal_value_is_zero():
    # one state, one action, reward 1, always terminal: Q -> 1 regardless of gamma
    q = QLearning(3, 1, 1, alpha=0.5, gamma=1.0, seed=0)
    for _ in range(60):
        q.update(np.zeros(3, int), np.zeros(3, int), np.ones(3), np.zeros(3, int),
                 done=np.ones(3, bool))
    np.testing.assert_allclose(q.Q, 1.0, atol=1e-12)


# ----------------------------------------------------------------------------- errors


def test_constructor_errors():
    with pytest.raises(ValueError, match=r"QLearning\(\): n_learners must be >= 1"):
        QLearning(0, 2, 2)
    with pytest.raises(ValueError, match="n_states must be >= 1"):
        QLearning(1, 0, 2)
    with pytest.raises(ValueError, match="n_actions must be >= 1"):
        QLearning(1, 2, 0)
    with pytest.raises(ValueError, match=r"alpha must be in \(0, 1\]"):
        QLearning(1, 2, 2, alpha=0.0)
    with pytest.raises(ValueError, match=r"alpha must be in \(0, 1\]"):
        QLearning(1, 2, 2, alpha=1.5)
    with pytest.raises(ValueError, match=r"gamma must be in \[0, 1\]"):
        QLearning(1, 2, 2, gamma=1.01)
    with pytest.raises(ValueError, match=r"epsilon must be in \[0, 1\]"):
        QLearning(1, 2, 2, epsilon=-0.5)
    with pytest.raises(ValueError, match="gamma must be finite"):
        QLearning(1, 2, 2, gamma=float("nan"))
    with pytest.raises(TypeError, match="alpha must be a real number"):
        QLearning(1, 2, 2, alpha="0.1")


def test_update_and_select_errors_leave_table_unchanged():
    q = QLearning(2, 3, 2, seed=0)
    with pytest.raises(ValueError, match=r"QLearning\.update\(\): states must be in "
                                         r"\[0, n_states=3\)"):
        q.update([0, 3], [0, 0], [0.0, 0.0], [0, 0])
    with pytest.raises(ValueError, match=r"actions must be in \[0, n_actions=2\)"):
        q.update([0, 1], [0, 2], [0.0, 0.0], [0, 0])
    with pytest.raises(ValueError, match=r"next_states must be in \[0, n_states=3\)"):
        q.update([0, 1], [0, 1], [0.0, 0.0], [0, -1])
    with pytest.raises(ValueError, match="rewards must be finite"):
        q.update([0, 1], [0, 1], [np.nan, 0.0], [0, 0])
    with pytest.raises(ValueError, match=r"rewards must have shape \(2,\)"):
        q.update([0, 1], [0, 1], [0.0], [0, 0])
    with pytest.raises(ValueError, match=r"done must have shape \(2,\)"):
        q.update([0, 1], [0, 1], [0.0, 1.0], [0, 0], done=[True])
    with pytest.raises(ValueError, match="done must be booleans"):
        q.update([0, 1], [0, 1], [0.0, 1.0], [0, 0], done=[0.5, 0])
    with pytest.raises(ValueError, match=r"QLearning\.select\(\): states must have shape"):
        q.select([0, 1, 2])
    with pytest.raises(ValueError, match=r"learners must be in \[0, n_learners=2\)"):
        q.greedy([0], learners=[2])
    np.testing.assert_array_equal(q.Q, 0.0)
