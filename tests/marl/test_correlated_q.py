"""Correlated-Q and friend-or-foe Q: the values they learn in repeated games, where the
fixed point is known in closed form (V = stage value / (1 - discount))."""

from __future__ import annotations

import numpy as np
import pytest

import accord.games as G
from accord.marl import CorrelatedQ, FriendOrFoeQ, MarkovGame, train

CHICKEN = np.array([[[6, 2], [7, 0]], [[6, 7], [2, 0]]], dtype=float)


def _repeated(u, discount=0.5):
    return MarkovGame.repeated(G.NormalFormGame(u), discount)


@pytest.mark.parametrize(
    "objective, want",
    [
        # welfare-optimal CE of chicken: 1/3 each on (C,C), (C,D), (D,C): 10.5 in total
        ("utilitarian", lambda v: v.sum() == pytest.approx(10.5 / 0.5, abs=0.3)),
        # egalitarian: the same distribution (symmetric), each player 5.25
        ("egalitarian", lambda v: v.min() == pytest.approx(5.25 / 0.5, abs=0.3)),
        # plutocratic: the larger value is the best CE payoff of one player: 7 (pure (D,C))
        ("plutocratic", lambda v: v.max() == pytest.approx(7 / 0.5, abs=0.3)),
        # dictatorial: each player's best CE payoff, 7 each
        ("dictatorial", lambda v: np.allclose(v, 7 / 0.5, atol=0.3)),
    ],
)
def test_ce_q_values_in_repeated_chicken(objective, want):
    g = _repeated(CHICKEN)
    learner = CorrelatedQ(1, (2, 2), 0.5, objective=objective, epsilon=0.3, seed=1)
    train(g, learner, steps=1500, n_envs=16, seed=2)
    # Q -> r + discount V: the stage game at the fixed point is chicken shifted by a
    # constant, whose optimal CE is chicken's
    np.testing.assert_allclose(
        learner.Q[:, 0] - learner.V[:, 0, None, None] * 0.5, CHICKEN, atol=0.2
    )
    assert want(learner.V[:, 0])
    np.testing.assert_allclose(learner.distribution.sum(axis=(1, 2)), 1.0)


def test_ce_q_plays_from_the_joint_distribution():
    learner = CorrelatedQ(1, (2, 2), 0.9, epsilon=0.0, seed=3)
    learner.distribution[0] = [[0.0, 0.5], [0.5, 0.0]]
    a = learner.act(np.zeros(20_000, dtype=np.int64))
    assert set(map(tuple, a)) == {(0, 1), (1, 0)}  # only the correlated pairs
    assert abs((a[:, 0] == 0).mean() - 0.5) < 0.015


def test_foe_q_learns_the_minimax_value_of_matching_pennies():
    g = _repeated(G.matching_pennies().payoffs)
    learner = FriendOrFoeQ(1, (2, 2), 0.5, relation="foe", epsilon=0.5, seed=4)
    train(g, learner, steps=1500, n_envs=16, seed=5)
    np.testing.assert_allclose(learner.V[:, 0], 0.0, atol=0.15)
    np.testing.assert_allclose(learner.policy[0][0], 0.5, atol=0.05)
    np.testing.assert_allclose(learner.policy[1][0], 0.5, atol=0.05)


def test_friend_q_coordinates_on_the_best_joint_action():
    g = _repeated(G.penalty_game(-100.0).payoffs)
    learner = FriendOrFoeQ(1, (3, 3), 0.5, relation="friend", epsilon=0.5, seed=6)
    train(g, learner, steps=1500, n_envs=16, seed=7)
    np.testing.assert_allclose(learner.V[:, 0], 10.0 / 0.5, atol=0.3)
    # both pick a corner of value 10: (0, 0) is the first maximiser in row-major order
    assert learner.policy[0][0].argmax() in (0, 2)
    assert learner.policy[1][0].argmax() == learner.policy[0][0].argmax()


def test_bad_input():
    with pytest.raises(ValueError, match=r"CorrelatedQ\(\): objective must be one of"):
        CorrelatedQ(1, (2, 2), 0.9, objective="republicans")
    with pytest.raises(ValueError, match=r"FriendOrFoeQ\(\): relation must be one of"):
        FriendOrFoeQ(1, (2, 2), 0.9, relation="ally")
    with pytest.raises(TypeError, match=r"FriendOrFoeQ\(\): relation must be 'friend'"):
        FriendOrFoeQ(1, (2, 2), 0.9, relation=("friend",))
