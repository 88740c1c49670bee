"""Dec-POMDPs: the belief filter against brute-force Bayes, the multi-agent tiger model,
and the ``tiger`` environment's private observations."""

from __future__ import annotations

import numpy as np
import pytest

from accord.bayes import ZeroLikelihoodError
from accord.marl import MarkovGame
from accord.marl.dec_pomdp import (
    TIGER_ACTIONS,
    TIGER_OBSERVATIONS,
    TIGER_STATES,
    DecPOMDP,
    multi_agent_tiger,
)

LISTEN, OPEN_LEFT, OPEN_RIGHT = (TIGER_ACTIONS.index(a) for a in TIGER_ACTIONS)
HEAR_LEFT, HEAR_RIGHT = (TIGER_OBSERVATIONS.index(o) for o in TIGER_OBSERVATIONS)


def _random_model(rng: np.random.Generator, terminal=None) -> DecPOMDP:
    S, ks, ms = 4, (2, 3), (2, 3)
    P = rng.dirichlet(np.ones(S), size=(S, *ks))
    R = rng.normal(size=(2, S, *ks))
    game = MarkovGame(P, R, 0.9, terminal=terminal)
    hear = [rng.dirichlet(np.ones(m), size=(S, *ks)) for m in ms]
    return DecPOMDP(game, hear)


def _brute_force(model: DecPOMDP, b, a, o) -> np.ndarray:
    S = model.num_states
    post = np.zeros(S)
    for t in range(S):
        like = 1.0
        for i, Oi in enumerate(model.observations):
            like *= Oi[(t, *a, o[i])]
        for s in range(S):
            p = 1.0 if model.game.terminal[s] and s == t else 0.0
            if not model.game.terminal[s]:
                p = model.game.transitions[(s, *a, t)]
            post[t] += b[s] * p * like
    return post / post.sum()


def test_belief_update_is_bayes_rule_on_the_joint_observation():
    # 200 random rows: belief, joint action, joint observation
    rng = np.random.default_rng(0)
    model = _random_model(rng, terminal=np.array([False, False, False, True]))
    B = 200
    b = rng.dirichlet(np.ones(4), size=B)
    a = np.stack([rng.integers(0, 2, B), rng.integers(0, 3, B)], axis=1)
    o = np.stack([rng.integers(0, 2, B), rng.integers(0, 3, B)], axis=1)
    got = model.belief_update(b, a, o)
    want = np.stack([_brute_force(model, b[r], a[r], o[r]) for r in range(B)])
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)
    lik = model.joint_observation_likelihood(a, o)
    assert lik.shape == (B, 4)
    r = 7
    assert lik[r, 2] == pytest.approx(
        model.observations[0][(2, *a[r], o[r, 0])] * model.observations[1][(2, *a[r], o[r, 1])]
    )


def test_tiger_model_numbers():
    m = multi_agent_tiger()
    g = m.game
    assert TIGER_STATES == ("tiger-left", "tiger-right")
    assert g.is_cooperative() and g.num_actions == (3, 3) and m.num_observations == (2, 2)
    np.testing.assert_array_equal(g.initial, [0.5, 0.5])
    R = g.rewards[0]
    TL, TR = 0, 1
    assert R[TL, LISTEN, LISTEN] == R[TR, LISTEN, LISTEN] == -2
    assert R[TL, OPEN_RIGHT, OPEN_RIGHT] == R[TR, OPEN_LEFT, OPEN_LEFT] == 20
    assert R[TL, OPEN_LEFT, OPEN_LEFT] == R[TR, OPEN_RIGHT, OPEN_RIGHT] == -50
    assert R[TL, OPEN_LEFT, OPEN_RIGHT] == R[TR, OPEN_RIGHT, OPEN_LEFT] == -100
    assert R[TL, OPEN_LEFT, LISTEN] == R[TL, LISTEN, OPEN_LEFT] == -101
    assert R[TL, OPEN_RIGHT, LISTEN] == R[TR, LISTEN, OPEN_LEFT] == 9
    # listening keeps the tiger; any door resets it
    np.testing.assert_array_equal(g.transitions[:, LISTEN, LISTEN], np.eye(2))
    assert (g.transitions[:, LISTEN, OPEN_LEFT] == 0.5).all()
    # joint observation while both listen: 0.85 each, independently
    lik = m.joint_observation_likelihood(
        [[LISTEN, LISTEN]] * 3, [[HEAR_LEFT, HEAR_LEFT], [HEAR_LEFT, HEAR_RIGHT], [1, 1]]
    )
    np.testing.assert_allclose(lik[:, TL], [0.7225, 0.1275, 0.0225])
    assert (m.joint_observation_likelihood([[OPEN_LEFT, LISTEN]], [[0, 1]]) == 0.25).all()


def test_tiger_beliefs():
    m = multi_agent_tiger()
    b = np.array([[0.5, 0.5]] * 3)
    post = m.belief_update(b, [[0, 0], [0, 0], [1, 0]], [[0, 0], [0, 1], [0, 0]])
    np.testing.assert_allclose(post[0], [0.7225 / 0.745, 0.0225 / 0.745])
    np.testing.assert_allclose(post[1], [0.5, 0.5])  # contradicting ears cancel
    np.testing.assert_allclose(post[2], [0.5, 0.5])  # a door reset the tiger
    # with perfect ears, contradicting observations are impossible
    sure = multi_agent_tiger(listen_accuracy=1.0)
    with pytest.raises(ZeroLikelihoodError):
        sure.belief_update([[0.5, 0.5]], [[0, 0]], [[0, 1]])


def test_dec_pomdp_validation():
    rng = np.random.default_rng(1)
    model = _random_model(rng)
    game, hear = model.game, list(model.observations)
    with pytest.raises(TypeError, match=r"DecPOMDP\(\): game must be a MarkovGame"):
        DecPOMDP(3, hear)
    with pytest.raises(ValueError, match=r"observations must hold one array per agent \(2\)"):
        DecPOMDP(game, hear[:1])
    with pytest.raises(TypeError, match=r"observations must be a list of one array per agent"):
        DecPOMDP(game, np.zeros(3))
    with pytest.raises(ValueError, match=r"observations\[1\] must have shape \(4, 2, 3, m\)"):
        DecPOMDP(game, [hear[0], hear[1][:2]])
    bad = np.array(hear[0])
    bad[1, 0, 2, 0] += 0.1
    with pytest.raises(ValueError, match=r"observations\[0\]\[1, 0, 2, :\] sums to"):
        DecPOMDP(game, [bad, hear[1]])
    bad[1, 0, 2] = [1.5, -0.5]
    with pytest.raises(ValueError, match=r"observations\[0\]\[1, 0, 2, 1\] is -0.5"):
        DecPOMDP(game, [bad, hear[1]])
    with pytest.raises(ValueError, match=r"initial_observations\[1\] must have 3 observations"):
        DecPOMDP(game, hear, initial_observations=[np.full((4, 2), 0.5)] * 2)
    init = [np.full((4, 2), 0.5), np.full((4, 3), 1 / 3)]
    assert DecPOMDP(game, hear, initial_observations=init).initial_observations[1][0, 0] == 1 / 3
    b = np.full((2, 4), 0.25)
    with pytest.raises(ValueError, match=r"belief_update\(\): belief must have shape \(B, 4\)"):
        model.belief_update(np.full((2, 3), 1 / 3), [[0, 0]] * 2, [[0, 0]] * 2)
    with pytest.raises(ValueError, match=r"actions must have shape \(2, 2\); got \(1, 2\)"):
        model.belief_update(b, [[0, 0]], [[0, 0]] * 2)
    with pytest.raises(ValueError, match=r"actions\[1, 1\] = 3 is not in 0..2"):
        model.belief_update(b, [[0, 0], [0, 3]], [[0, 0]] * 2)
    with pytest.raises(ValueError, match=r"observations\[0, 0\] = 2 is not in 0..1"):
        model.belief_update(b, [[0, 0]] * 2, [[2, 0], [0, 0]])
    with pytest.raises(TypeError, match=r"observations must be integers; got dtype float64"):
        model.belief_update(b, [[0, 0]] * 2, [[0.0, 0.0]] * 2)
    with pytest.raises(ValueError, match=r"filter_step\(\): belief\[0\] sums to"):
        model.belief_update(np.full((2, 4), 0.3), [[0, 0]] * 2, [[0, 0]] * 2)
    with pytest.raises(ValueError, match=r"multi_agent_tiger\(\): listen_accuracy must be in"):
        multi_agent_tiger(1.5)


def test_tiger_environment_observations_are_private_and_noisy():
    from accord.marl import envs

    E = 20_000
    env = envs.make_vec("tiger", E, seed=0)
    assert env.max_steps == 10
    for a in env.possible_agents:
        assert env.observation_space(a).n == 2 and env.action_space(a).n == 3
    obs = env.reset()
    # the first observation is uninformative: half hear-left, independent of the state
    assert abs(obs.mean() - 0.5) < 5 * np.sqrt(0.25 / obs.size)
    tiger = env.states.copy()
    out = env.step(np.zeros((E, 2), np.int64))  # both listen
    assert (out.rewards == -2).all() and (env.states == tiger).all()
    correct = out.observations == tiger[:, None]
    # each agent hears the correct side with probability 0.85 (5 standard errors)
    assert np.abs(correct.mean(axis=0) - 0.85).max() < 5 * np.sqrt(0.85 * 0.15 / E)
    both = (correct[:, 0] & correct[:, 1]).mean()
    assert abs(both - 0.7225) < 5 * np.sqrt(0.7225 * 0.2775 / E)
    assert not np.array_equal(out.observations[:, 0], out.observations[:, 1])
    out = env.step(np.tile([OPEN_LEFT, OPEN_LEFT], (E, 1)))
    assert set(np.unique(out.rewards)) == {-50.0, 20.0}
    np.testing.assert_array_equal(out.rewards[:, 0], np.where(tiger == 0, -50.0, 20.0))
    assert abs(env.states.mean() - 0.5) < 5 * np.sqrt(0.25 / E)
    np.testing.assert_array_equal(env.state(), env.states)
