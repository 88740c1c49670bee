"""Joint-action learners, fictitious play in Markov games and Bayesian opponent
models: updates against brute force, beliefs against counts, and the behaviour the
literature reports."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import accord.games as G
from accord.games.classic import rock_paper_scissors
from accord.marl import MarkovGame, MarkovGameVecEnv, train
from accord.marl.opponent_models import (
    BayesianOpponentModel,
    JointActionLearner,
    MarkovFictitiousPlay,
)


def _random_game(seed=0, S=3, ks=(2, 3, 2), discount=0.8):
    rng = np.random.default_rng(seed)
    P = rng.random((S, *ks, S)) ** 2
    P /= P.sum(axis=-1, keepdims=True)
    return MarkovGame(P, rng.normal(size=(len(ks), S, *ks)), discount)


def _run(game, learner, steps, seed=2):
    """Train by hand, returning every (states, actions) pair seen."""
    env = MarkovGameVecEnv(game, learner.n_envs, seed=seed)
    states = env.states.copy()
    seen = []
    for _ in range(steps):
        acts = learner.act(states)
        step = env.step(acts)
        learner.update(states, acts, step.rewards, step.next_states, step.terminated)
        seen.append((states.copy(), acts.copy()))
        states = step.states
    return seen


def _counts(seen, E, S, n, k):
    c = np.zeros((E, S, n, k))
    for s, a in seen:
        for e in range(E):
            for j in range(n):
                c[e, s[e], j, a[e, j]] += 1
    return c


def _expected_value(Q, beliefs, i, ai, ks):
    """sum over the others' joint actions of Q * product of their beliefs."""
    total = 0.0
    others = [j for j in range(len(ks)) if j != i]
    for rest in itertools.product(*(range(ks[j]) for j in others)):
        a = [0] * len(ks)
        a[i] = ai
        w = 1.0
        for j, aj in zip(others, rest, strict=True):
            a[j] = aj
            w *= beliefs[j, aj]
        total += w * Q[tuple(a)]
    return total


def test_jal_update_matches_the_expected_value_backup_for_three_players():
    g = _random_game()
    ks = g.num_actions
    rng = np.random.default_rng(1)
    L = JointActionLearner(3, ks, 0.8, n_envs=6, alpha=0.3, prior_count=0.5, seed=0)
    L.Q[:] = rng.normal(size=L.Q.shape)
    L.counts[:] = rng.integers(0, 4, size=L.counts.shape) * L._valid
    Q0, b0 = L.Q.copy(), L.beliefs.copy()
    s, nxt = rng.integers(0, 3, 6), rng.integers(0, 3, 6)
    a = np.stack([rng.integers(0, k, 6) for k in ks], axis=1)
    r = rng.normal(size=(6, 3))
    term = np.array([False, True, False, False, True, False])
    L.update(s, a, r, nxt, term)
    want = Q0.copy()
    for e, i in itertools.product(range(6), range(3)):
        best = max(_expected_value(Q0[e, i, nxt[e]], b0[e, nxt[e]], i, x, ks) for x in range(ks[i]))
        target = r[e, i] + (0.0 if term[e] else 0.8 * best)
        idx = (e, i, s[e], *a[e])
        want[idx] += 0.3 * (target - Q0[idx])
    np.testing.assert_allclose(L.Q, want, atol=1e-12)
    # the expected values that play uses
    ev = L.expected_values(nxt)
    for e, i in itertools.product(range(6), range(3)):
        for x in range(ks[i]):
            v = _expected_value(L.Q[e, i, nxt[e]], L.beliefs[e, nxt[e]], i, x, ks)
            assert ev[e, i, x] == pytest.approx(v)
        assert (ev[e, i, ks[i] :] == -np.inf).all()
    # policies(): the best responses in every state
    pol = L.policies()
    for i, k in enumerate(ks):
        assert pol[i].shape == (6, 3, k)
        for st in range(3):
            v = L.expected_values(np.full(6, st))[:, i, :k]
            best = v == v.max(axis=1, keepdims=True)
            np.testing.assert_allclose(pol[i][:, st], best / best.sum(axis=1, keepdims=True))


def test_jal_beliefs_are_the_empirical_frequencies():
    g = _random_game(seed=3)
    L = JointActionLearner(3, g.num_actions, 0.8, n_envs=5, epsilon=0.5, seed=1)
    seen = _run(g, L, 200)
    c = _counts(seen, 5, 3, 3, 3)
    np.testing.assert_array_equal(L.counts, c)
    total = c.sum(axis=-1, keepdims=True)
    np.testing.assert_allclose(L.beliefs, c / total, atol=1e-15)


@pytest.mark.parametrize(
    "payoff",
    [np.array([[10.0, 0.0], [0.0, 10.0]]), G.penalty_game(-10.0).payoffs[0]],
    ids=["coordination", "penalty-10"],
)
def test_jal_coordinates_on_an_optimal_joint_action(payoff):
    """200 seeded runs (one per copy), Boltzmann exploration at temperature 1, 1,000
    plays: joint-action learners reach an optimal equilibrium in nearly every run
    (Claus & Boutilier 1998)."""
    mg = MarkovGame.repeated(np.stack([payoff, payoff]), 0.0)
    L = JointActionLearner(1, mg.num_actions, 0.0, n_envs=200, exploration="boltzmann", seed=1)
    train(mg, L, steps=1000, n_envs=200, seed=2)
    g = L.greedy(np.zeros(200, dtype=np.int64))
    assert (payoff[g[:, 0], g[:, 1]] == payoff.max()).mean() >= 0.95


def test_fictitious_play_beliefs_are_empirical_and_values_are_averages():
    """belief_rate = q_rate = 1: beliefs are the counts' frequencies, and each value
    the mean of its targets (the reward itself in a one-shot repeated game)."""
    game = rock_paper_scissors()
    mg = MarkovGame.repeated(game, 0.0)
    L = MarkovFictitiousPlay(1, mg.num_actions, 0.0, n_envs=8, seed=1)
    seen = _run(mg, L, 300)
    c = _counts(seen, 8, 1, 2, 3)
    np.testing.assert_allclose(L.beliefs, c / c.sum(axis=-1, keepdims=True), atol=1e-12)
    np.testing.assert_array_equal(L.visits, 300)
    for i in range(2):
        np.testing.assert_array_equal(L.policies()[i], L.beliefs[:, :, i])
    played = np.zeros((8, 3, 3), dtype=bool)
    for _, a in seen:
        played[np.arange(8), a[:, 0], a[:, 1]] = True
    for i in range(2):
        want = np.where(played, game.payoffs[i][None], 0.0)
        np.testing.assert_allclose(L.Q[:, i, 0], want, atol=1e-12)


@pytest.mark.parametrize(
    "game", [G.matching_pennies(), rock_paper_scissors()], ids=["pennies", "rps"]
)
def test_fictitious_play_beliefs_converge_in_zero_sum_games(game):
    """128 seeded runs, 2,000 plays, epsilon 0.05: the empirical beliefs approach the
    uniform equilibrium (Robinson 1951), the distance shrinking with play; on Shapley's
    game, whose only equilibrium is also uniform, they stay far from it (Shapley
    1964)."""
    k = game.num_actions[0]

    def distance(g, steps):
        mg = MarkovGame.repeated(g, 0.0)
        L = MarkovFictitiousPlay(1, mg.num_actions, 0.0, n_envs=128, seed=1)
        train(mg, L, steps=steps, n_envs=128, seed=2)
        return np.abs(L.beliefs[:, 0] - 1 / k).max(axis=(1, 2))

    early, late = distance(game, 500), distance(game, 2000)
    assert late.mean() < 0.03 and np.quantile(late, 0.9) < 0.03
    assert late.mean() < 0.6 * early.mean()
    if k == 3:
        assert np.quantile(distance(G.shapley_game(), 2000), 0.1) > 0.15


def _bayes_game(seed=0, S=3):
    rng = np.random.default_rng(seed)
    P = rng.random((S, 2, 3, S))
    P /= P.sum(axis=-1, keepdims=True)
    types = rng.dirichlet(np.full(3, 0.7), size=(4, S))
    return MarkovGame(P, rng.normal(size=(2, S, 2, 3)), 0.9), types


def test_posterior_is_bayes_rule_and_concentrates_on_the_true_type():
    """128 copies, each opponent playing one of 4 random types drawn from the prior,
    300 steps of a 3-state game: the posterior equals prior x product of the
    likelihoods of the observed actions, and puts more than 0.99 on the true type in
    every copy."""
    g, types = _bayes_game()
    prior = np.array([0.1, 0.2, 0.3, 0.4])
    L = BayesianOpponentModel(3, (2, 3), 0.9, types, n_envs=128, prior=prior, seed=1)
    seen = _run(g, L, 300)
    log_post = np.tile(np.log(prior), (128, 1))
    for s, a in seen:
        log_post += np.log(types[:, s, a[:, 1]]).T
    post = np.exp(log_post - log_post.max(axis=1, keepdims=True))
    post /= post.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(L.posterior, post, atol=1e-9)
    assert (L.posterior[np.arange(128), L.opponent_types] > 0.99).all()
    assert np.bincount(L.opponent_types, minlength=4).min() >= 5  # 12.8 expected for type 0


def test_bayesian_player_best_responds_to_the_true_type():
    """Rock-paper-scissors against three biased types (one per copy, 60 copies):
    after 600 plays the player's greedy action is the best response to its copy's
    opponent, and the predicted policy is that type's."""
    game = rock_paper_scissors()
    mg = MarkovGame.repeated(game, 0.0)
    types = np.array([[[0.6, 0.2, 0.2]], [[0.2, 0.6, 0.2]], [[0.2, 0.2, 0.6]]])
    true = np.repeat(np.arange(3), 20)
    L = BayesianOpponentModel(
        1, (3, 3), 0.0, types, types[true], n_envs=60, player=1, epsilon=0.2, seed=1
    )
    train(mg, L, steps=600, n_envs=60, seed=2)
    zero = np.zeros(60, dtype=np.int64)
    np.testing.assert_allclose(L.predicted_policy(zero), types[true, 0], atol=1e-6)
    best = (types[true, 0] @ game.payoffs[1]).argmax(axis=1)  # player 1 responds
    assert (L.greedy(zero) == best).mean() >= 0.95
    theirs, mine = L.policies()  # in seat order: the player is seat 1 here
    np.testing.assert_array_equal(theirs, L.opponent_policy)
    np.testing.assert_array_equal(mine[:, 0].argmax(axis=1), L.greedy(zero))
    assert (mine.max(axis=2) == 1.0).mean() >= 0.95  # pure responses where no tie


def test_an_action_no_type_allows_is_an_error_unless_types_tremble():
    types = np.array([[[1.0, 0.0]], [[0.9, 0.1]]])
    L = BayesianOpponentModel(1, (2, 2), 0.0, types, n_envs=3, seed=0)
    args = (np.zeros(3, dtype=int), np.array([[0, 1], [0, 1], [0, 0]]), np.zeros((3, 2)))
    end = (np.zeros(3, dtype=int), np.zeros(3, dtype=bool))
    L.update(*args, *end)
    np.testing.assert_allclose(L.posterior[:2], [[0.0, 1.0], [0.0, 1.0]])
    bad = np.array([[0, 1], [0, 0], [0, 0]])
    L = BayesianOpponentModel(1, (2, 2), 0.0, [[[1.0, 0.0]]], n_envs=3, seed=0)
    with pytest.raises(ValueError, match=r"update\(\): copy 0: the opponent's action 1 in state 0"):
        L.update(args[0], bad, args[2], *end)
    L = BayesianOpponentModel(1, (2, 2), 0.0, [[[1.0, 0.0]]], n_envs=3, tremble=0.01, seed=0)
    L.update(args[0], bad, args[2], *end)
    np.testing.assert_allclose(L.posterior, 1.0)


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match=r"JointActionLearner\(\): exploration must be one of"):
        JointActionLearner(1, (2, 2), 0.0, n_envs=2, exploration="greedy")
    with pytest.raises(ValueError, match=r"JointActionLearner\(\): temperature must be > 0"):
        JointActionLearner(1, (2, 2), 0.0, n_envs=2, temperature=0.0)
    with pytest.raises(ValueError, match=r"JointActionLearner\(\): prior_count must be >= 0"):
        JointActionLearner(1, (2, 2), 0.0, n_envs=2, prior_count=-1.0)
    with pytest.raises(ValueError, match=r"JointActionLearner\(\): alpha must be in \(0, 1\]"):
        JointActionLearner(1, (2, 2), 0.0, n_envs=2, alpha=2.0)
    with pytest.raises(ValueError, match=r"JointActionLearner\(\): the joint-action Q-tables need"):
        JointActionLearner(10, (10,) * 12, 0.0, n_envs=2)
    with pytest.raises(ValueError, match=r"MarkovFictitiousPlay\(\): belief_rate must be in"):
        MarkovFictitiousPlay(1, (2, 2), 0.0, n_envs=2, belief_rate=0.5)
    with pytest.raises(ValueError, match=r"MarkovFictitiousPlay\(\): q_rate must be in"):
        MarkovFictitiousPlay(1, (2, 2), 0.0, n_envs=2, q_rate=1.5)
    with pytest.raises(ValueError, match=r"MarkovFictitiousPlay\(\): epsilon must be in"):
        MarkovFictitiousPlay(1, (2, 2), 0.0, n_envs=2, epsilon=-0.1)
    with pytest.raises(TypeError, match=r"MarkovFictitiousPlay\(\): num_actions must be a tuple"):
        MarkovFictitiousPlay(1, 2, 0.0, n_envs=2)
    types = np.full((2, 1, 3), 1 / 3)
    B = "BayesianOpponentModel"
    with pytest.raises(ValueError, match=rf"{B}\(\): num_actions must give 2 action counts"):
        BayesianOpponentModel(1, (2, 3, 2), 0.0, types, n_envs=2)
    with pytest.raises(ValueError, match=rf"{B}\(\): player must be 0 or 1"):
        BayesianOpponentModel(1, (2, 3), 0.0, types, n_envs=2, player=2)
    with pytest.raises(
        ValueError, match=r"types must have shape \(T, S, k_opponent\) = \(T, 1, 3\); got"
    ):
        BayesianOpponentModel(1, (2, 3), 0.0, types[:, :, :2], n_envs=2)
    with pytest.raises(ValueError, match=r"types must have shape"):
        BayesianOpponentModel(1, (2, 3), 0.0, types[0], n_envs=2)
    with pytest.raises(ValueError, match=r"types\[1, 0, :\] sums to 0\.9"):
        BayesianOpponentModel(1, (2, 3), 0.0, [[[1, 0, 0]], [[0.5, 0.4, 0]]], n_envs=2)
    with pytest.raises(ValueError, match=r"types must be finite and >= 0; entry \(0, 0, 1\)"):
        BayesianOpponentModel(1, (2, 3), 0.0, [[[1.5, -0.5, 0]]], n_envs=2)
    with pytest.raises(TypeError, match=r"types must be numbers"):
        BayesianOpponentModel(1, (2, 3), 0.0, "abc", n_envs=2)
    with pytest.raises(ValueError, match=r"prior must have shape \(2,\)"):
        BayesianOpponentModel(1, (2, 3), 0.0, types, n_envs=2, prior=[1.0])
    with pytest.raises(ValueError, match=r"prior\[:\] sums to 0\.5"):
        BayesianOpponentModel(1, (2, 3), 0.0, types, n_envs=2, prior=[0.25, 0.25])
    with pytest.raises(ValueError, match=r"opponent must have shape \(1, 3\) or \(2, 1, 3\)"):
        BayesianOpponentModel(1, (2, 3), 0.0, types, np.full((3, 1, 3), 1 / 3), n_envs=2)
    with pytest.raises(ValueError, match=r"opponent\[0, :\] sums to 2"):
        BayesianOpponentModel(1, (2, 3), 0.0, types, [[1.0, 1.0, 0.0]], n_envs=2)
    with pytest.raises(ValueError, match=rf"{B}\(\): tremble must be in \[0, 1\)"):
        BayesianOpponentModel(1, (2, 3), 0.0, types, n_envs=2, tremble=1.0)
    with pytest.raises(ValueError, match=rf"{B}\(\): n_envs must be >= 1"):
        BayesianOpponentModel(1, (2, 3), 0.0, types, n_envs=0)


@pytest.mark.parametrize("name", ["jal", "fp", "bayes"])
def test_bad_act_and_update_arrays_are_refused(name):
    if name == "jal":
        L = JointActionLearner(3, (2, 3), 0.9, n_envs=2, seed=0)
    elif name == "fp":
        L = MarkovFictitiousPlay(3, (2, 3), 0.9, n_envs=2, seed=0)
    else:
        L = BayesianOpponentModel(3, (2, 3), 0.9, np.full((2, 3, 3), 1 / 3), n_envs=2, seed=0)
    cls = type(L).__name__
    s, a, r = np.array([0, 2]), np.array([[1, 2], [0, 0]]), np.zeros((2, 2))
    t = np.array([False, True])
    with pytest.raises(ValueError, match=rf"{cls}\.act\(\): states must be an integer array"):
        L.act(np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"states\[0\] is 5, not a state in 0\.\.2"):
        L.act(np.array([5, 1]))
    with pytest.raises(ValueError, match=rf"{cls}\.greedy\(\): states must be"):
        L.greedy(np.array([0]))
    with pytest.raises(ValueError, match=rf"{cls}\.update\(\): copy 0: player 0's action 2"):
        L.update(s, np.array([[2, 2], [0, 0]]), r, s, t)
    with pytest.raises(ValueError, match=r"rewards must have shape \(2, 2\)"):
        L.update(s, a, np.zeros((2, 3)), s, t)
    with pytest.raises(TypeError, match=r"rewards must be real numbers"):
        L.update(s, a, np.zeros((2, 2), dtype=complex), s, t)
    with pytest.raises(ValueError, match=r"terminated must be a bool array of shape \(2,\)"):
        L.update(s, a, r, s, np.array([True]))
    with pytest.raises(ValueError, match=r"next_states must be an integer array of shape"):
        L.update(s, a, r, np.array([0, 1, 2]), t)
