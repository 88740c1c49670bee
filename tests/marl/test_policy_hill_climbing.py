"""PHC and WoLF-PHC: the update rule against a per-row reference, and the self-play
behaviour of Bowling & Veloso (2002) in matching pennies and rock-paper-scissors."""

from __future__ import annotations

import numpy as np
import pytest

import accord.games as G
from accord.games.classic import rock_paper_scissors
from accord.marl import MarkovGame, MarkovGameVecEnv
from accord.marl.policy_hill_climbing import PHC, WoLFPHC


def _random_tables(L, rng):
    E, n, S, k = L.Q.shape
    for i, ki in enumerate(L.num_actions):
        L.Q[:, i, :, :ki] = rng.integers(-2, 3, size=(E, S, ki)).astype(float)  # ties happen
        p = rng.dirichlet(np.ones(ki), size=(E, S))
        p[rng.random((E, S)) < 0.2, 0] = 0.0  # some rows with a zero entry
        L.policy[:, i, :, :ki] = p / p.sum(axis=-1, keepdims=True)
        m = rng.dirichlet(np.ones(ki), size=(E, S))
        L.average_policy[:, i, :, :ki] = m
    L.visits[:] = rng.integers(0, 5, size=L.visits.shape)


def _reference(L, Q0, pi0, avg0, C0, s, a, r, nxt, term, step):
    """Tables 1 and 2 of Bowling & Veloso (2002), one (copy, player) at a time."""
    Q, pi, avg = Q0.copy(), pi0.copy(), avg0.copy()
    for e in range(Q.shape[0]):
        for i, k in enumerate(L.num_actions):
            target = r[e, i] + (0.0 if term[e] else L.discount * Q0[e, i, nxt[e], :k].max())
            q = Q[e, i, s[e], :k]
            q[a[e, i]] += L.alpha * (target - q[a[e, i]])
            p = pi[e, i, s[e], :k]
            m = avg[e, i, s[e], :k]
            m += (p - m) / (C0[e, i, s[e]] + 1)
            delta = step(p @ q, m @ q)
            greedy = q == q.max()
            if greedy.all():
                continue
            d = np.where(greedy, 0.0, np.minimum(p, delta / (k - greedy.sum())))
            p -= d
            p[greedy] += d.sum() / greedy.sum()
    return Q, pi, avg


@pytest.mark.parametrize("cls", [PHC, WoLFPHC])
def test_update_matches_tables_1_and_2_row_by_row(cls):
    rng = np.random.default_rng(0)
    E = 40
    L = cls(3, (2, 3), 0.8, n_envs=E, alpha=0.3, seed=0)
    _random_tables(L, rng)
    Q0, pi0, avg0, C0 = L.Q.copy(), L.policy.copy(), L.average_policy.copy(), L.visits.copy()
    s, nxt = rng.integers(0, 3, E), rng.integers(0, 3, E)
    a = np.stack([rng.integers(0, 2, E), rng.integers(0, 3, E)], axis=1)
    r = rng.normal(size=(E, 2))
    term = rng.random(E) < 0.3
    if cls is PHC:
        step = lambda cur, avg: L.delta  # noqa: E731
    else:
        step = lambda cur, avg: L.delta_win if cur > avg else L.delta_lose  # noqa: E731
    L.update(s, a, r, nxt, term)
    Q, pi, avg = _reference(L, Q0, pi0, avg0, C0, s, a, r, nxt, term, step)
    np.testing.assert_allclose(L.Q, Q, atol=1e-12)
    np.testing.assert_allclose(L.average_policy, avg, atol=1e-12)
    np.testing.assert_allclose(L.policy, pi, atol=1e-12)
    np.testing.assert_array_equal(L.visits - C0, np.eye(3, dtype=int)[s][:, None, :].repeat(2, 1))
    assert (L.policy >= 0).all()
    np.testing.assert_allclose(L.policy.sum(axis=-1), 1.0, atol=1e-12)
    assert (L.policy[:, 0, :, 2] == 0).all()  # player 0 has two actions
    p0, p1 = L.policies()
    np.testing.assert_array_equal(p0, L.policy[:, 0, :, :2])
    np.testing.assert_array_equal(p1, L.policy[:, 1])


def test_wolf_uses_both_steps_and_play_follows_the_policy():
    rng = np.random.default_rng(1)
    L = WoLFPHC(1, (3, 3), 0.0, n_envs=200, delta_win=0.01, delta_lose=0.05, seed=3)
    _random_tables(L, rng)
    p0 = L.policy.copy()
    L.update(
        np.zeros(200, dtype=int),
        rng.integers(0, 3, (200, 2)),
        rng.normal(size=(200, 2)),
        np.zeros(200, dtype=int),
        np.zeros(200, dtype=bool),
    )
    moved = np.abs(L.policy - p0).sum(axis=-1).max(axis=-1) / 2  # total mass moved per row
    assert np.isclose(moved, 0.01).any() and np.isclose(moved, 0.05).any()
    # exploration-free play samples the policy: 200 copies x 300 draws, ~5 sigma
    L.epsilon = 0.0
    L.policy[:, :, 0] = [[0.2, 0.5, 0.3], [0.6, 0.0, 0.4]]
    counts = np.zeros((2, 3))
    for _ in range(300):
        acts = L.act(np.zeros(200, dtype=int))
        for i in range(2):
            counts[i] += np.bincount(acts[:, i], minlength=3)
    np.testing.assert_allclose(counts / 60_000, L.policy[0, :, 0], atol=0.01)
    assert counts[1, 1] == 0


def _self_play(game, cls, steps=3000, E=128, every=250, **kw):
    """Current-policy distance from uniform (max over players and actions) at every
    checkpoint, and the average policy's at the end, per copy."""
    mg = MarkovGame.repeated(game, 0.0)
    k = game.num_actions[0]
    L = cls(1, mg.num_actions, 0.0, n_envs=E, seed=1, **kw)
    env = MarkovGameVecEnv(mg, E, seed=2)
    states = env.states.copy()
    distance, first = [], []
    for t in range(1, steps + 1):
        acts = L.act(states)
        step = env.step(acts)
        L.update(states, acts, step.rewards, step.next_states, step.terminated)
        states = step.states
        if t % every == 0:
            distance.append(np.abs(L.policy[:, :, 0] - 1 / k).max(axis=(1, 2)))
            first.append(L.policy[:, 0, 0, 0].copy())
    avg = np.abs(L.average_policy[:, :, 0] - 1 / k).max(axis=(1, 2))
    return np.array(distance), np.array(first), avg


@pytest.mark.parametrize(
    "game", [G.matching_pennies(), rock_paper_scissors()], ids=["pennies", "rps"]
)
def test_wolf_converges_where_phc_cycles(game):
    """Self-play, 128 seeded runs each (one per copy), 3,000 plays, alpha 0.5,
    delta (PHC) = delta_win = 0.002, delta_lose = 0.008, epsilon 0.05.  Both average
    policies approach the uniform equilibrium; WoLF-PHC's current policy does too,
    PHC's keeps circling far from it (Bowling & Veloso 2002)."""
    wolf, wolf_first, wolf_avg = _self_play(game, WoLFPHC)
    phc, phc_first, phc_avg = _self_play(game, PHC)
    last = slice(-4, None)  # checkpoints after 2,250 ... 3,000 plays
    assert wolf[last].mean(axis=1).max() < 0.1
    assert np.quantile(wolf[-1], 0.9) < 0.15
    assert wolf_avg.mean() < 0.05 and phc_avg.mean() < 0.1
    assert phc[last].mean(axis=1).min() > 0.2
    # amplitude of player 0's first action over the last 1,000 plays
    amp = lambda f: (f[last].max(axis=0) - f[last].min(axis=0)).mean()  # noqa: E731
    assert amp(phc_first) > 3 * amp(wolf_first)


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match=r"WoLFPHC\(\): delta_lose must be > delta_win"):
        WoLFPHC(1, (2, 2), 0.0, n_envs=2, delta_win=0.1, delta_lose=0.1)
    with pytest.raises(ValueError, match=r"PHC\(\): delta must be in \(0, 1\]"):
        PHC(1, (2, 2), 0.0, n_envs=2, delta=0.0)
    with pytest.raises(ValueError, match=r"PHC\(\): alpha must be in \(0, 1\]"):
        PHC(1, (2, 2), 0.0, n_envs=2, alpha=0.0)
    with pytest.raises(ValueError, match=r"WoLFPHC\(\): epsilon must be in \[0, 1\]"):
        WoLFPHC(1, (2, 2), 0.0, n_envs=2, epsilon=1.5)
    with pytest.raises(ValueError, match=r"WoLFPHC\(\): delta_win must be in \(0, 1\]"):
        WoLFPHC(1, (2, 2), 0.0, n_envs=2, delta_win=-1.0)
    with pytest.raises(TypeError, match=r"PHC\(\): num_actions must be a tuple"):
        PHC(1, 2, 0.0, n_envs=2)
    with pytest.raises(ValueError, match=r"PHC\(\): num_states must be >= 1"):
        PHC(0, (2, 2), 0.0, n_envs=2)
    with pytest.raises(ValueError, match=r"PHC\(\): discount must be in \[0, 1\)"):
        PHC(1, (2, 2), 1.0, n_envs=2)
    with pytest.raises(ValueError, match=r"PHC\(\): n_envs must be >= 1"):
        PHC(1, (2, 2), 0.0, n_envs=0)
    with pytest.raises(TypeError, match=r"PHC\(\): seed must be None"):
        PHC(1, (2, 2), 0.0, n_envs=2, seed="x")


def test_bad_act_and_update_arrays_are_refused():
    L = WoLFPHC(3, (2, 3), 0.9, n_envs=2, seed=0)
    s, a, r = np.array([0, 2]), np.array([[1, 2], [0, 0]]), np.zeros((2, 2))
    t = np.array([False, True])
    with pytest.raises(ValueError, match=r"WoLFPHC\.act\(\): states must be an integer array"):
        L.act(np.array([0, 1, 2]))
    with pytest.raises(ValueError, match=r"states\[1\] is 3, not a state in 0\.\.2"):
        L.act(np.array([0, 3]))
    with pytest.raises(ValueError, match=r"copy 1: player 1's action 3 is not in 0\.\.2"):
        L.update(s, np.array([[1, 2], [0, 3]]), r, s, t)
    with pytest.raises(ValueError, match=r"actions must be an integer array of shape \(2, 2\)"):
        L.update(s, a.astype(float), r, s, t)
    with pytest.raises(ValueError, match=r"rewards must have shape \(2, 2\)"):
        L.update(s, a, np.zeros(2), s, t)
    with pytest.raises(ValueError, match=r"rewards must be finite; entry \(0, 1\) is nan"):
        L.update(s, a, np.array([[0.0, np.nan], [0.0, 0.0]]), s, t)
    with pytest.raises(ValueError, match=r"next_states\[0\] is -1"):
        L.update(s, a, r, np.array([-1, 0]), t)
    with pytest.raises(TypeError, match=r"terminated must be a bool array of shape \(2,\)"):
        L.update(s, a, r, s, np.array([0, 1]))
