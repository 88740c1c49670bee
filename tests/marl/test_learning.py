"""Vectorised copies and minimax-Q against the values of Shapley's value iteration."""

from __future__ import annotations

import numpy as np
import pytest

from accord.marl import (
    MarkovGame,
    MarkovGameVecEnv,
    MinimaxQ,
    NashQ,
    nash_value_iteration,
    soccer,
    train,
    zero_sum_value_iteration,
)


def _small_zero_sum(seed=0, S=6, m=3, n=3, discount=0.8):
    rng = np.random.default_rng(seed)
    P = rng.random((S, m, n, S)) ** 3
    P /= P.sum(axis=-1, keepdims=True)
    return MarkovGame.competitive(P, rng.normal(size=(S, m, n)), discount)


def test_copies_follow_the_transition_probabilities():
    g = _small_zero_sum()
    env = MarkovGameVecEnv(g, 20_000, seed=3)
    env.states[:] = 2
    step = env.step(np.tile([1, 2], (20_000, 1)))
    freq = np.bincount(step.next_states, minlength=g.num_states) / 20_000
    np.testing.assert_allclose(freq, g.transitions[2, 1, 2], atol=0.015)  # ~4 sigma
    np.testing.assert_array_equal(step.rewards, np.tile(g.rewards[:, 2, 1, 2], (20_000, 1)))


def test_same_seed_same_trajectories_and_resets():
    g = soccer()

    def run(seed):
        env = MarkovGameVecEnv(g, 8, seed=seed, max_steps=5)
        rng = np.random.default_rng(0)
        out = []
        for _ in range(30):
            st = env.step(rng.integers(0, 5, (8, 2)))
            out.append((st.next_states, st.states, st.terminated, st.truncated))
        return out

    a, b = run(1), run(1)
    for x, y in zip(a, b, strict=True):
        for u, v in zip(x, y, strict=True):
            np.testing.assert_array_equal(u, v)
    # episodes are truncated at their fifth step, and restart from the initial states
    starts = set(np.flatnonzero(g.initial))
    length = np.zeros(8, dtype=int)
    for _, states, term, trunc in a:
        length += 1
        assert (length <= 5).all()
        np.testing.assert_array_equal(trunc, ~term & (length == 5))
        assert set(states[term | trunc]) <= starts
        length[term | trunc] = 0


def test_bad_actions_are_refused_naming_the_copy_and_player():
    env = MarkovGameVecEnv(_small_zero_sum(), 3, seed=0)
    with pytest.raises(ValueError, match=r"copy 1: player 1's action 3 is not in 0\.\.2"):
        env.step(np.array([[0, 0], [0, 3], [1, 1]]))
    with pytest.raises(ValueError, match=r"shape \(3, 2\)"):
        env.step(np.zeros((3, 3), dtype=int))
    with pytest.raises(ValueError, match="integer"):
        env.step(np.zeros((3, 2)))


def test_minimax_q_with_uniform_exploration_learns_the_game_value():
    """Off-policy minimax-Q converges to the minimax Q-values (Littman & Szepesvari
    1996): 64 copies x 2,000 steps of a 6-state game, fixed seeds."""
    g = _small_zero_sum()
    ref = zero_sum_value_iteration(g)
    learner = MinimaxQ(g.num_states, g.num_actions, g.discount, epsilon=1.0, seed=1)
    train(g, learner, steps=2000, n_envs=64, seed=2)
    assert np.abs(learner.V[0] - ref.values[0]).max() < 0.02


def test_minimax_q_on_soccer_matches_value_iteration_at_the_start():
    """Self-play minimax-Q with epsilon = 0.2 (Littman 1994), 128 copies x 8,000 steps:
    the learned value of the start with A holding the ball is within 0.02 of the value
    that Shapley's iteration computes (0.2185)."""
    g = soccer()
    ref = zero_sum_value_iteration(g)
    start = np.flatnonzero(g.initial)[0]
    learner = MinimaxQ(g.num_states, g.num_actions, g.discount, epsilon=0.2, seed=1)
    result = train(g, learner, steps=8000, n_envs=128, seed=2)
    assert abs(learner.V[0, start] - ref.values[0, start]) < 0.02
    assert len(result.episode_lengths) > 10_000
    # zero-sum: the players' returns cancel in every episode
    np.testing.assert_allclose(result.episode_returns.sum(axis=1), 0.0, atol=1e-12)


@pytest.mark.parametrize("seed", [0, 1])
def test_nash_q_learns_the_values_of_nash_value_iteration(seed):
    """General-sum, 4 states, 2 x 3 actions: with uniform exploration and the same
    equilibrium selection (Lemke-Howson from label 0), Nash-Q's values approach the
    fixed point of Nash value iteration (64 copies x 2,000 steps, fixed seeds)."""
    rng = np.random.default_rng(seed)
    P = rng.random((4, 2, 3, 4)) ** 3
    P /= P.sum(axis=-1, keepdims=True)
    g = MarkovGame(P, rng.random((2, 4, 2, 3)), 0.7)
    ref = nash_value_iteration(g)
    assert ref.converged
    learner = NashQ(4, (2, 3), 0.7, epsilon=1.0, seed=1)
    train(g, learner, steps=2000, n_envs=64, seed=2)
    assert np.abs(learner.V - ref.values).max() < 0.03
    assert learner.fallbacks == 0
    for s in range(4):  # the policy is an equilibrium of each learned stage game
        A, B = learner.Q[:, s]
        x, y = learner.policy[0][s], learner.policy[1][s]
        assert (A @ y).max() - x @ A @ y <= 1e-9 and (x @ B).max() - x @ B @ y <= 1e-9


def test_nash_q_is_minimax_q_on_a_zero_sum_game():
    """Same seeds, same exploration: on a zero-sum game Nash-Q's tables are each
    other's negation and its stage equilibria are minimax solutions, so it learns
    exactly what minimax-Q learns."""
    g = _small_zero_sum(seed=5)
    nash = NashQ(g.num_states, g.num_actions, g.discount, epsilon=1.0, seed=1)
    mini = MinimaxQ(g.num_states, g.num_actions, g.discount, epsilon=1.0, seed=1)
    train(g, nash, steps=300, n_envs=32, seed=2)
    train(g, mini, steps=300, n_envs=32, seed=2)
    np.testing.assert_allclose(nash.V[0], mini.V[0], atol=1e-9)
    np.testing.assert_allclose(nash.V[1], -nash.V[0], atol=1e-9)


def test_learners_refuse_bad_settings():
    with pytest.raises(ValueError, match=r"NashQ\(\): initial_dropped_label must be in 0\.\.4"):
        NashQ(3, (2, 3), 0.9, initial_dropped_label=5)
    with pytest.raises(TypeError, match=r"MinimaxQ\(\): num_actions must be a pair"):
        MinimaxQ(3, 4, 0.9)
    with pytest.raises(ValueError, match=r"learning_rate must be in \(0\.5, 1\]"):
        MinimaxQ(3, (2, 2), 0.9, learning_rate=0.5)
    with pytest.raises(TypeError, match=r"train\(\): learner must have act\(\) and update\(\)"):
        train(_small_zero_sum(), object(), steps=1)


def test_nash_q_on_grid_game_1_ends_in_an_equilibrium():
    """Hu & Wellman (2003), grid game 1: 64 copies x 3,000 steps of uniformly random
    exploration.  In every visited state the learned strategies are a Nash equilibrium
    of the learned stage game; played from the start they reach both goals in three
    steps (100 * 0.99**3 each) and no player can gain by
    deviating (NashConv 0 in the true game)."""
    from accord.marl import grid_game_1, nash_conv, policy_values

    g = grid_game_1()
    learner = NashQ(g.num_states, g.num_actions, g.discount, epsilon=1.0, seed=0)
    train(g, learner, steps=3000, n_envs=64, seed=1, max_steps=50, measure_nash_conv=False)
    assert learner.fallbacks == 0
    x, y = learner.policy
    for s in np.flatnonzero(learner.visits.reshape(g.num_states, -1).sum(axis=1)):
        A, B = learner.Q[0, s], learner.Q[1, s]
        scale = max(1.0, float(np.abs(learner.Q[:, s]).max()))
        assert (A @ y[s]).max() - x[s] @ A @ y[s] <= 1e-9 * scale
        assert (x[s] @ B).max() - x[s] @ B @ y[s] <= 1e-9 * scale
    start = np.flatnonzero(g.initial)[0]
    np.testing.assert_allclose(policy_values(g, learner.policy)[:, start], 100 * 0.99**3)
    np.testing.assert_allclose(learner.V[:, start], 100 * 0.99**3, atol=0.05)
    assert nash_conv(g, learner.policy).nash_conv == pytest.approx(0.0, abs=1e-6)
