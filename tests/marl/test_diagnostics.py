"""NashConv and policy values against brute force, and correlated value iteration."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import accord.games as G
from accord.marl import (
    MarkovGame,
    correlated_value_iteration,
    nash_conv,
    nash_value_iteration,
    optimal_team_values,
    policy_values,
    soccer,
    zero_sum_value_iteration,
)


def _random_game(seed, S=4, ks=(2, 3), discount=0.7, terminal=True):
    rng = np.random.default_rng(seed)
    P = rng.random((S, *ks, S)) ** 2
    P /= P.sum(axis=-1, keepdims=True)
    R = rng.normal(size=(len(ks), S, *ks))
    term = np.zeros(S, dtype=bool)
    if terminal:
        term[-1] = True
    return MarkovGame(P, R, discount, terminal=term)


def _random_policy(rng, game):
    out = []
    for k in game.num_actions:
        p = rng.random((game.num_states, k))
        out.append(p / p.sum(axis=1, keepdims=True))
    return out


def _evaluate_by_iteration(game, policy, sweeps=3000):
    S, n = game.num_states, game.num_players
    J = np.einsum("sa,sb->sab", *policy).reshape(S, -1)
    P = game.transitions.reshape(S, -1, S)
    V = np.zeros((n, S))
    for _ in range(sweeps):
        V = np.einsum("sa,isa->is", J, game.rewards.reshape(n, S, -1)) + game.discount * (
            np.einsum("sa,sat,it->is", J, P, V)
        )
        V[:, game.terminal] = 0.0
    return V


@pytest.mark.parametrize("seed", range(5))
def test_policy_values_match_iterated_evaluation(seed):
    g = _random_game(seed)
    pol = _random_policy(np.random.default_rng(seed), g)
    np.testing.assert_allclose(policy_values(g, pol), _evaluate_by_iteration(g, pol), atol=1e-9)


@pytest.mark.parametrize("seed", range(5))
def test_best_response_is_the_best_deterministic_policy(seed):
    """Brute force: every deterministic stationary policy of each player in turn."""
    g = _random_game(seed, S=3)
    pol = _random_policy(np.random.default_rng(100 + seed), g)
    res = nash_conv(g, pol)
    for i, k in enumerate(g.num_actions):
        best = -np.inf
        for choice in itertools.product(range(k), repeat=g.num_states):
            dev = list(pol)
            dev[i] = np.eye(k)[list(choice)]
            best = max(best, policy_values(g, dev)[i] @ g.initial)
        assert res.best_response_values[i] @ g.initial == pytest.approx(best, abs=1e-9)
    assert res.nash_conv == pytest.approx(res.gains.sum())
    assert (res.gains >= -1e-9).all()


def test_matching_pennies_closed_forms():
    g = MarkovGame.repeated(G.matching_pennies(), 0.9)
    uniform = [np.full((1, 2), 0.5)] * 2
    assert nash_conv(g, uniform).nash_conv == pytest.approx(0.0, abs=1e-12)
    pure = [np.array([[1.0, 0.0]])] * 2  # both heads: the row player wins every round
    r = nash_conv(g, pure)
    np.testing.assert_allclose(r.values[:, 0], [10.0, -10.0])
    np.testing.assert_allclose(r.gains, [0.0, 20.0], atol=1e-9)
    assert r.exploitability == pytest.approx(10.0)


def test_value_iteration_solutions_are_equilibria():
    s = soccer()
    zs = zero_sum_value_iteration(s, tol=1e-9)
    assert nash_conv(s, zs.policy).nash_conv == pytest.approx(0.0, abs=1e-6)
    g = _random_game(7, S=5, ks=(3, 3), discount=0.5)
    ne = nash_value_iteration(g)
    assert ne.converged
    assert nash_conv(g, ne.policy).nash_conv == pytest.approx(0.0, abs=1e-7)


@pytest.mark.parametrize("objective", ["utilitarian", "egalitarian", "plutocratic"])
def test_correlated_value_iteration_is_a_stationary_correlated_equilibrium(objective):
    g = _random_game(11, S=4, ks=(2, 2), discount=0.5)
    sol = correlated_value_iteration(g, objective=objective)
    assert sol.converged and sol.distribution is not None
    # the values are the evaluated correlated policy's, and in every state the
    # distribution is a correlated equilibrium of the stage game at those values
    np.testing.assert_allclose(policy_values(g, sol.distribution), sol.values, atol=1e-7)
    for s in np.flatnonzero(~g.terminal):
        assert G.ce_violation(sol.stage_payoffs[s], sol.distribution[s]) <= 1e-7
    # a coarse deviation cannot gain either
    assert nash_conv(g, sol.distribution).nash_conv <= 1e-6


def test_repeated_chicken_ce_value():
    u = np.array([[[6, 2], [7, 0]], [[6, 7], [2, 0]]], dtype=float)
    sol = correlated_value_iteration(MarkovGame.repeated(G.NormalFormGame(u), 0.5))
    assert sol.values[:, 0].sum() == pytest.approx(21.0, abs=1e-8)


def test_bad_policies():
    g = _random_game(0)
    with pytest.raises(ValueError, match=r"nash_conv\(\): policy must hold one"):
        nash_conv(g, [np.full((4, 2), 0.5)])
    with pytest.raises(ValueError, match=r"policy\[1\] must have shape \(4, 3\)"):
        nash_conv(g, [np.full((4, 2), 0.5), np.full((4, 2), 0.5)])
    with pytest.raises(ValueError, match="the row of state 0 sums to"):
        nash_conv(g, [np.full((4, 2), 0.6), np.full((4, 3), 1 / 3)])
    with pytest.raises(ValueError, match="joint array of shape"):
        nash_conv(g, np.ones((4, 6)))
    with pytest.raises(TypeError, match="game must be a MarkovGame"):
        nash_conv("soccer", [])
    with pytest.raises(ValueError, match="objective must be one of"):
        correlated_value_iteration(g, objective="libertarian-ish")


def test_a_batch_of_policies_matches_each_exact_evaluation():
    g = _random_game(3, S=5, ks=(2, 3), discount=0.8)
    rng = np.random.default_rng(9)
    pols = [_random_policy(rng, g) for _ in range(4)]
    batch = [np.stack([p[i] for p in pols]) for i in range(2)]
    r = nash_conv(g, batch)
    assert r.nash_conv.shape == (4,) and r.values.shape == (4, 2, 5)
    for c, pol in enumerate(pols):
        one = nash_conv(g, pol)
        np.testing.assert_allclose(r.values[c], one.values, atol=1e-8)
        np.testing.assert_allclose(r.best_response_values[c], one.best_response_values, atol=1e-8)
        assert r.nash_conv[c] == pytest.approx(one.nash_conv, abs=1e-8)
    np.testing.assert_allclose(policy_values(g, batch), r.values, atol=1e-8)
    with pytest.raises(ValueError, match=r"policy\[1\] must have shape \(4, 5, 3\)"):
        nash_conv(g, [batch[0], batch[1][:3]])


def test_optimal_team_values_of_the_climbing_game():
    g = MarkovGame.repeated(G.climbing_game(), 0.5)
    np.testing.assert_allclose(optimal_team_values(g), [22.0], rtol=1e-9)
    with pytest.raises(ValueError, match="must be cooperative"):
        optimal_team_values(MarkovGame.repeated(G.matching_pennies(), 0.5))
