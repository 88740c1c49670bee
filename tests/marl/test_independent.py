"""Independent and hysteretic Q-learners: the update rule, and the cooperative
matrix games of Claus & Boutilier (1998)."""

from __future__ import annotations

import numpy as np
import pytest

import accord.games as G
from accord.marl import HystereticQ, IndependentQ, MarkovGame, train


def test_update_matches_the_rule_copy_by_copy():
    rng = np.random.default_rng(0)
    L = HystereticQ(3, (2, 3), 0.9, n_envs=4, alpha=0.3, beta=0.05, seed=0)
    L.Q[:, 0, :, :2] = rng.normal(size=(4, 3, 2))
    L.Q[:, 1] = rng.normal(size=(4, 3, 3))
    Q0 = L.Q.copy()
    s, nxt = np.array([0, 1, 2, 1]), np.array([2, 0, 1, 1])
    a = np.array([[0, 2], [1, 0], [1, 1], [0, 0]])
    r = rng.normal(size=(4, 2))
    term = np.array([False, True, False, False])
    L.update(s, a, r, nxt, term)
    for e in range(4):
        for i in range(2):
            target = r[e, i] + (0.0 if term[e] else 0.9 * Q0[e, i, nxt[e]].max())
            delta = target - Q0[e, i, s[e], a[e, i]]
            want = Q0[e, i, s[e], a[e, i]] + (0.3 if delta >= 0 else 0.05) * delta
            assert L.Q[e, i, s[e], a[e, i]] == pytest.approx(want)
    changed = L.Q != Q0
    assert changed.sum() <= 8  # one entry per copy and player


def _optimal_share(game, cls, seed=1):
    mg = MarkovGame.repeated(game, 0.0)
    learner = cls(1, mg.num_actions, 0.0, n_envs=400, epsilon=0.2, seed=seed)
    train(mg, learner, steps=4000, n_envs=400, seed=seed + 1)
    g = learner.greedy(np.zeros(400, dtype=np.int64))
    R = game.payoffs[0]
    return float((R[g[:, 0], g[:, 1]] == R.max()).mean())


@pytest.mark.parametrize(
    "game", [G.climbing_game(), G.penalty_game(-100.0)], ids=["climbing", "penalty"]
)
def test_hysteretic_q_reaches_the_optimum_far_more_often_than_independent_q(game):
    """400 seeded runs each (one per copy), alpha 0.1, beta 0.01, epsilon 0.2, 4,000
    plays: independent learners settle on safe joint actions (Claus & Boutilier 1998),
    hysteretic ones on the optimum in many more runs (Matignon et al. 2007)."""
    independent = _optimal_share(game, IndependentQ)
    hysteretic = _optimal_share(game, HystereticQ)
    assert independent <= 0.05
    assert hysteretic >= independent + 0.15


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match=r"HystereticQ\(\): beta must be <= alpha"):
        HystereticQ(1, (2, 2), 0.0, n_envs=2, alpha=0.01, beta=0.1)
    with pytest.raises(TypeError, match=r"IndependentQ\(\): num_actions must be a tuple"):
        IndependentQ(1, 3, 0.0, n_envs=2)
    with pytest.raises(ValueError, match=r"IndependentQ\(\): n_envs must be"):
        IndependentQ(1, (2, 2), 0.0, n_envs=0)
