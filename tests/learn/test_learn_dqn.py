"""NumPy DQN: gradient check of the MLP loss, Adam arithmetic, replay buffer ring behaviour,
target-network lag, learning a two-state MDP and a contextual bandit, argument errors."""

from __future__ import annotations

import numpy as np
import pytest

from accord.learn import MLP, Adam, DQNAgent, ReplayBuffer

# ----------------------------------------------------------------------------- MLP


def test_mlp_shapes_and_he_init():
    net = MLP(seed=0)
    assert net.sizes == (4, 64, 64, 3)
    assert [p.shape for p in net.params] == [(4, 64), (64,), (64, 64), (64,), (64, 3), (3,)]
    assert net.forward(np.zeros((5, 4))).shape == (5, 3)
    assert net.forward(np.zeros(4)).shape == (3,)
    big = MLP((500, 400, 1), seed=1)
    assert big.params[0].std() == pytest.approx(np.sqrt(2 / 500), rel=0.02)
    np.testing.assert_array_equal(big.params[1], 0.0)


def test_mlp_forward_matches_hand_computation():
    net = MLP((2, 3, 1), seed=0)
    w1, b1, w2, b2 = net.params
    b1[:] = [0.1, -5.0, 0.2]
    b2[:] = 0.3
    x = np.array([[1.0, -2.0], [0.5, 0.5]])
    expected = np.maximum(x @ w1 + b1, 0) @ w2 + b2
    np.testing.assert_allclose(net.forward(x), expected, rtol=1e-15)


@pytest.mark.parametrize("sizes", [(4, 64, 64, 3), (3, 5, 2), (6, 1)])
def test_loss_and_grads_against_central_differences(sizes):
    rng = np.random.default_rng(sum(sizes))
    net = MLP(sizes, seed=1)
    for p in net.params[1::2]:
        p[:] = rng.normal(scale=0.1, size=p.shape)        # non-zero biases
    B = 8
    x = rng.normal(size=(B, sizes[0]))
    actions = rng.integers(sizes[-1], size=B)
    targets = rng.normal(size=B)
    loss, grads = net.loss_and_grads(x, actions, targets)
    q = net.forward(x)[np.arange(B), actions]
    assert loss == pytest.approx(np.mean((q - targets) ** 2), rel=1e-14)
    h = 1e-6
    for p, g in zip(net.params, grads, strict=True):
        assert g.shape == p.shape
        num = np.empty_like(p)
        flat, nflat = p.reshape(-1), num.reshape(-1)
        for i in range(flat.size):
            old = flat[i]
            flat[i] = old + h
            up = net.loss_and_grads(x, actions, targets)[0]
            flat[i] = old - h
            down = net.loss_and_grads(x, actions, targets)[0]
            flat[i] = old
            nflat[i] = (up - down) / (2 * h)
        err = np.linalg.norm(num - g) / max(np.linalg.norm(num) + np.linalg.norm(g), 1e-300)
        assert err < 1e-6
        np.testing.assert_allclose(g, num, rtol=1e-6, atol=1e-9)   # entry by entry too


def test_copy_is_independent_and_load_copies_values():
    net = MLP((3, 4, 2), seed=0)
    twin = net.copy()
    twin.params[0][0, 0] += 1.0
    assert net.params[0][0, 0] != twin.params[0][0, 0]
    before = [id(p) for p in net.params]
    net.load(twin)
    assert [id(p) for p in net.params] == before          # in place
    for p, q in zip(net.params, twin.params, strict=True):
        np.testing.assert_array_equal(p, q)
    with pytest.raises(ValueError, match=r"MLP\.load\(\): other has sizes"):
        net.load(MLP((3, 5, 2), seed=0))


# ----------------------------------------------------------------------------- Adam


def test_adam_matches_algorithm_1():
    p = [np.array([1.0, -2.0]), np.array([[0.5]])]
    opt = Adam(p, lr=0.1)
    m = [np.zeros(2), np.zeros((1, 1))]
    v = [np.zeros(2), np.zeros((1, 1))]
    ref = [x.copy() for x in p]
    rng = np.random.default_rng(0)
    for t in range(1, 6):
        g = [rng.normal(size=2), rng.normal(size=(1, 1))]
        opt.step(g)
        for i in range(2):
            m[i] = 0.9 * m[i] + 0.1 * g[i]
            v[i] = 0.999 * v[i] + 0.001 * g[i] ** 2
            mh, vh = m[i] / (1 - 0.9**t), v[i] / (1 - 0.999**t)
            ref[i] = ref[i] - 0.1 * mh / (np.sqrt(vh) + 1e-8)
    for a, b in zip(p, ref, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12)
    assert opt.t == 5


def test_adam_minimises_a_quadratic():
    x = [np.array([3.0, -4.0])]
    opt = Adam(x, lr=0.05)
    for _ in range(2000):
        opt.step([2 * x[0]])
    np.testing.assert_allclose(x[0], 0.0, atol=1e-3)


# ----------------------------------------------------------------------------- replay buffer


def _transitions(start, n, d=2):
    idx = np.arange(start, start + n)
    return (np.repeat(idx[:, None], d, axis=1).astype(float), idx % 3, idx.astype(float),
            -np.repeat(idx[:, None], d, axis=1).astype(float), idx % 2 == 0)


def test_replay_buffer_wraparound_keeps_newest():
    buf = ReplayBuffer(5, 2, seed=0)
    buf.add(*_transitions(0, 3))
    assert len(buf) == 3 and buf.position == 3
    buf.add(*_transitions(3, 4))                          # wraps: 3, 4 then slots 0, 1
    assert len(buf) == 5 and buf.position == 2
    np.testing.assert_array_equal(buf.rewards, [5, 6, 2, 3, 4])
    np.testing.assert_array_equal(buf.states[:, 0], [5, 6, 2, 3, 4])
    np.testing.assert_array_equal(buf.next_states[:, 1], [-5, -6, -2, -3, -4])
    np.testing.assert_array_equal(buf.actions, [2, 0, 2, 0, 1])
    np.testing.assert_array_equal(buf.dones, [False, True, True, False, True])
    buf.add(*_transitions(7, 12))                         # more than capacity at once
    assert len(buf) == 5
    np.testing.assert_array_equal(np.sort(buf.rewards), [14, 15, 16, 17, 18])
    newest = buf.rewards[(buf.position - 1) % 5]
    assert newest == 18
    s = buf.states[0].copy()
    buf.add(s + 100, 1, 1.0, s, False)                    # one transition
    assert len(buf) == 5


def test_replay_buffer_sample_is_consistent_and_uniform():
    buf = ReplayBuffer(100, 2, seed=1)
    buf.add(*_transitions(0, 10))
    s, a, r, s2, d = buf.sample(5000)
    assert s.shape == (5000, 2) and a.shape == r.shape == d.shape == (5000,)
    np.testing.assert_array_equal(s[:, 0], r)
    np.testing.assert_array_equal(s2[:, 0], -r)
    np.testing.assert_array_equal(a, r.astype(int) % 3)
    counts = np.bincount(r.astype(int), minlength=10)
    assert (np.abs(counts - 500) < 100).all()
    with pytest.raises(ValueError, match=r"ReplayBuffer\.sample\(\): the buffer is empty"):
        ReplayBuffer(3, 2).sample(1)


# ----------------------------------------------------------------------------- agent


def test_train_step_waits_for_batch_and_target_lags():
    agent = DQNAgent(state_dim=4, n_actions=3, batch_size=4, target_update=3, seed=0)
    rng = np.random.default_rng(0)
    s = rng.normal(size=(3, 4))
    agent.remember(s, [0, 1, 2], [1.0, 0.0, 0.5], s, [False, False, True])
    assert agent.train_step() is None and agent.train_steps == 0
    agent.remember(s, [0, 1, 2], [1.0, 0.0, 0.5], s, [False, False, True])
    initial = [p.copy() for p in agent.q_net.params]
    snapshots = []
    for _ in range(7):
        loss = agent.train_step()
        assert isinstance(loss, float) and loss >= 0.0
        snapshots.append([p.copy() for p in agent.q_net.params])

    def same(a, b):
        return all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))

    target = agent.target_net.params
    assert agent.train_steps == 7
    assert same(target, snapshots[5])                     # refreshed at step 6
    assert not same(target, agent.q_net.params)           # lags the online net after step 7
    fresh = DQNAgent(state_dim=4, n_actions=3, batch_size=4, target_update=3, seed=0)
    assert same(fresh.target_net.params, initial)


def test_target_is_unchanged_before_first_refresh():
    agent = DQNAgent(batch_size=2, target_update=5, seed=1)
    start = [p.copy() for p in agent.target_net.params]
    s = np.ones((4, 4))
    for k in range(1, 6):
        agent.observe(s, [0, 1, 2, 0], np.ones(4), s, np.zeros(4, bool))
        refreshed = all(np.array_equal(a, b) for a, b in
                        zip(agent.target_net.params, agent.q_net.params, strict=True))
        kept = all(np.array_equal(a, b) for a, b in
                   zip(agent.target_net.params, start, strict=True))
        assert kept == (k < 5) and refreshed == (k == 5)


def test_observe_trains_every_train_every_calls():
    agent = DQNAgent(batch_size=1, train_every=3, seed=2)
    s = np.zeros((2, 4))
    out = [agent.observe(s, [0, 1], [0.0, 1.0], s, [True, True]) for _ in range(7)]
    assert [x is not None for x in out] == [False, False, True, False, False, True, False]
    assert agent.train_steps == 2 and agent.observe_steps == 7 and len(agent.buffer) == 14


def test_act_epsilon_and_shapes():
    agent = DQNAgent(epsilon=0.0, seed=3)
    s = np.random.default_rng(0).normal(size=(50, 4))
    np.testing.assert_array_equal(agent.act(s), np.argmax(agent.q_values(s), axis=1))
    np.testing.assert_array_equal(agent.act(s), agent.greedy(s))
    assert agent.act(s[0]).shape == ()
    agent.epsilon = 1.0
    counts = np.bincount(agent.act(np.zeros((3000, 4))), minlength=3)
    assert (np.abs(counts - 1000) < 150).all()


def test_same_seed_same_agent():
    def run(seed):
        agent = DQNAgent(batch_size=8, seed=seed, epsilon=0.5)
        rng = np.random.default_rng(9)
        for _ in range(20):
            s = rng.normal(size=(4, 4))
            agent.observe(s, agent.act(s), rng.normal(size=4), s, np.zeros(4, bool))
        return agent.q_net.params

    for a, b in zip(run(5), run(5), strict=True):
        np.testing.assert_array_equal(a, b)


# two-state MDP: in A, action 0 moves to B (reward 0), action 1 stays (reward 0.1, the myopic
# choice), action 2 stays (0); in B, action 0 returns to A with reward 1, others pay 0.
_R = np.array([[0.0, 0.1, 0.0], [1.0, 0.0, 0.0]])
_NEXT = np.array([[1, 0, 0], [0, 1, 0]])
_FEAT = np.array([[1.0, 0.0, 0.5, 0.2], [0.0, 1.0, 0.5, 0.2]])


def _q_star(gamma):
    q = np.zeros((2, 3))
    for _ in range(2000):
        q = _R + gamma * q.max(axis=1)[_NEXT]
    return q


@pytest.mark.parametrize("double", [False, True])
def test_dqn_learns_two_state_mdp(double):
    gamma = 0.5
    q_star = _q_star(gamma)
    assert np.argmax(q_star[0]) == 0 and np.argmax(_R[0]) == 1   # myopia would be wrong
    agent = DQNAgent(gamma=gamma, epsilon=1.0, target_update=50, seed=0, double=double)
    s = np.zeros(8, dtype=int)
    for _ in range(1500):
        a = agent.act(_FEAT[s])
        s2 = _NEXT[s, a]
        agent.observe(_FEAT[s], a, _R[s, a], _FEAT[s2], np.zeros(8, bool))
        s = s2
    np.testing.assert_array_equal(agent.greedy(_FEAT), np.argmax(q_star, axis=1))
    np.testing.assert_allclose(agent.q_values(_FEAT), q_star, atol=0.05)


def test_dqn_learns_contextual_bandit():
    # reward: action 0 -> x0, action 1 -> -x0, action 2 -> 0.25; optimal action depends on x0
    agent = DQNAgent(gamma=0.0, epsilon=1.0, target_update=50, seed=1)
    rng = np.random.default_rng(2)
    for _ in range(1500):
        x = rng.uniform(-1, 1, (8, 4))
        a = agent.act(x)
        r = np.stack([x[:, 0], -x[:, 0], np.full(8, 0.25)], axis=1)[np.arange(8), a]
        agent.observe(x, a, r, x, np.ones(8, bool))
    x = rng.uniform(-1, 1, (3000, 4))
    x = x[np.abs(np.abs(x[:, 0]) - 0.25) > 0.1]           # away from the decision boundaries
    best = np.where(x[:, 0] > 0.25, 0, np.where(x[:, 0] < -0.25, 1, 2))
    assert (agent.greedy(x) == best).mean() > 0.99


# ----------------------------------------------------------------------------- errors


def test_errors():
    with pytest.raises(ValueError, match=r"MLP\(\): sizes needs at least"):
        MLP((4,))
    with pytest.raises(ValueError, match=r"sizes\[1\] must be >= 1"):
        MLP((4, 0, 3))
    net = MLP((4, 8, 3), seed=0)
    with pytest.raises(ValueError, match=r"MLP\.forward\(\): x must have 4 features"):
        net.forward(np.zeros((2, 5)))
    with pytest.raises(ValueError, match="x must be finite"):
        net.forward(np.full((2, 4), np.nan))
    with pytest.raises(ValueError, match=r"actions must be in \[0, sizes\[-1\]=3\)"):
        net.loss_and_grads(np.zeros((2, 4)), [0, 3], [0.0, 0.0])
    with pytest.raises(ValueError, match=r"targets must have shape \(2,\)"):
        net.loss_and_grads(np.zeros((2, 4)), [0, 1], [0.0])
    with pytest.raises(ValueError, match=r"Adam\(\): lr must be > 0"):
        Adam(net.params, lr=0.0)
    with pytest.raises(ValueError, match=r"Adam\.step\(\): grads must have one array"):
        Adam(net.params).step([])
    with pytest.raises(ValueError, match=r"ReplayBuffer\(\): capacity must be >= 1"):
        ReplayBuffer(0, 4)
    with pytest.raises(ValueError, match=r"DQNAgent\(\): gamma must be in \[0, 1\]"):
        DQNAgent(gamma=2.0)
    with pytest.raises(ValueError, match=r"DQNAgent\(\): epsilon must be in \[0, 1\]"):
        DQNAgent(epsilon=1.5)
    with pytest.raises(ValueError, match="target_update must be >= 1"):
        DQNAgent(target_update=0)
    agent = DQNAgent(seed=0)
    with pytest.raises(ValueError, match=r"DQNAgent\.act\(\): states must have state_dim=4"):
        agent.act(np.zeros((2, 3)))
    s = np.zeros((2, 4))
    with pytest.raises(ValueError, match=r"DQNAgent\.remember\(\): actions must be in "
                                         r"\[0, n_actions=3\)"):
        agent.remember(s, [0, 3], [0.0, 0.0], s, [False, False])
    with pytest.raises(ValueError, match=r"DQNAgent\.remember\(\): rewards must be finite"):
        agent.remember(s, [0, 1], [0.0, np.inf], s, [False, False])
    with pytest.raises(ValueError, match=r"next_states must have shape \(2, 4\)"):
        agent.remember(s, [0, 1], [0.0, 0.0], s[:1], [False, False])
    assert len(agent.buffer) == 0
