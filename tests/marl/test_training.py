"""The training loop: stopping rules, diagnostics, environments by name."""

from __future__ import annotations

import numpy as np
import pytest

import accord.games as G
from accord.marl import CorrelatedQ, MarkovGame, MinimaxQ, soccer, train, zero_sum_value_iteration


def test_minimax_q_nash_conv_falls_on_matching_pennies():
    g = MarkovGame.repeated(G.matching_pennies(), 0.5)
    seen = []
    res = train(
        g,
        MinimaxQ(1, (2, 2), 0.5, epsilon=0.5, seed=0),
        steps=600,
        n_envs=8,
        seed=1,
        eval_every=100,
        callback=seen.append,
    )
    d = res.diagnostics
    np.testing.assert_array_equal(d["step"], np.arange(100, 601, 100))
    assert len(seen) == 6 and seen[-1]["nash_conv"] == d["nash_conv"][-1]
    # uniform start: NashConv 0; it stays near the equilibrium (0) as the values settle
    assert d["nash_conv"][-1] < 0.2
    assert res.policies is not None and res.policies[0].shape == (1, 2)


def test_episodes_stop_rule_and_errors():
    s = soccer()
    res = train(
        s,
        MinimaxQ(s.num_states, (5, 5), s.discount, seed=2),
        episodes=30,
        n_envs=16,
        seed=3,
        max_steps=50,
    )
    assert len(res.episode_returns) >= 30
    assert res.episode_lengths.max() <= 50
    # the reference value is reported next to the learned one
    assert np.isfinite(res.diagnostics["nash_conv"][-1])
    rps = MarkovGame.repeated(G.rock_paper_scissors(), 0.9)
    with pytest.raises(ValueError, match=r"train\(\): episodes= needs episodes that end"):
        train(rps, MinimaxQ(1, (3, 3), 0.9), episodes=3)
    with pytest.raises(TypeError, match="exactly one of steps= and episodes="):
        train(rps, MinimaxQ(1, (3, 3), 0.9))
    with pytest.raises(TypeError, match="env must be a MarkovGame, a VecEnv"):
        train([1, 2], MinimaxQ(1, (3, 3), 0.9), steps=1)
    with pytest.raises(TypeError, match="env_kwargs applies only"):
        train(rps, MinimaxQ(1, (3, 3), 0.9), steps=1, env_kwargs={"k": 1})


def test_named_environment_matches_the_game():
    pytest.importorskip("pettingzoo")
    a = train("matching-pennies", MinimaxQ(1, (2, 2), 0.9, seed=4), steps=50, n_envs=4, seed=5)
    assert a.steps == 50 and a.learner.visits.sum() == 200


def test_correlated_q_reports_a_joint_policy():
    g = MarkovGame.repeated(
        G.NormalFormGame(np.array([[[6, 2], [7, 0]], [[6, 7], [2, 0]]], float)), 0.5
    )
    res = train(g, CorrelatedQ(1, (2, 2), 0.5, seed=6), steps=300, n_envs=8, seed=7)
    assert res.policies.shape == (1, 2, 2)
    assert res.diagnostics["nash_conv"][-1] < 0.5


def test_soccer_reference_value_close():
    # sanity: the exact solution has zero NashConv, measured by the same code path
    s = soccer()
    sol = zero_sum_value_iteration(s)

    class Fixed:
        def act(self, states):
            return np.zeros((len(states), 2), dtype=np.int64)

        def update(self, *a):
            pass

        def policies(self):
            return sol.policy

    res = train(s, Fixed(), steps=2, n_envs=2, seed=0)
    assert abs(res.diagnostics["nash_conv"][-1]) < 1e-6


def test_episode_ends_count_the_steps():
    g = MarkovGame.repeated(G.matching_pennies(), 0.9)
    res = train(g, MinimaxQ(1, (2, 2), 0.9, seed=0), steps=20, n_envs=3, seed=1, max_steps=4)
    np.testing.assert_array_equal(res.episode_ends, np.repeat([4, 8, 12, 16, 20], 3))
    assert (res.episode_lengths == 4).all()


def test_progress_bar_runs(capsys):
    g = MarkovGame.repeated(G.matching_pennies(), 0.9)
    train(g, MinimaxQ(1, (2, 2), 0.9, seed=0), steps=10, n_envs=2, seed=1, progress=True)
    assert "train" in capsys.readouterr().err
