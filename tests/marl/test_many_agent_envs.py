"""The many-agent environments: flocking, crowd, load-balancing and coalition-formation.

Dynamics, observations and rewards against brute-force loops over agents, the crowd's
equilibrium against a numerical solve and an enumeration of the finite game, the
wrapped packages' own functions, PettingZoo conformance with non-default settings,
vectorised copies against single copies, and argument errors."""

from __future__ import annotations

import itertools
import re
import warnings

import numpy as np
import pytest
from pettingzoo.test import api_test, parallel_api_test, parallel_seed_test
from scipy.optimize import minimize

from accord.coalition import (
    Agreement,
    coalition_values,
    good_bad_ugly,
    kst_setting,
)
from accord.coalition.core import classic_payoffs
from accord.loadbalance import ACTIONS, LoadBalanceConfig, LoadBalancer
from accord.marl import envs
from accord.marl.envs.coalition import CoalitionFormationVecEnv
from accord.marl.envs.crowd import CrowdVecEnv, crowd_equilibrium, simplex_lattice
from accord.marl.envs.flocking import FlockingVecEnv, reynolds_steering
from accord.marl.envs.loadbalancing import LoadBalancingVecEnv

# PettingZoo's style advisories (not API violations)
ADVISORIES = (
    "Observation is not a NumPy array",
    "Observation numpy array is all zeros",
    "The observation contains negative numbers",
)

SETTINGS = [
    ("flocking", {"n_agents": 7, "neighbours": 3, "boundary": "box", "max_steps": 30}),
    ("flocking", {"n_agents": 5, "neighbours": 4, "boundary": "torus", "max_steps": 30}),
    ("crowd", {"n_agents": 13, "radius": 2, "values": (1.0, 0.2), "bins": 3, "max_steps": 30}),
    ("crowd", {"n_agents": 40, "values": (1.0, 0.9, 0.5, 0.1), "congestion": 2.0}),
    ("load-balancing", {"n_servers": 4, "rounds": 20}),
    ("coalition-formation", {"problem": "carpenter", "max_steps": 8}),
    ("coalition-formation", {"problem": "good-bad-ugly", "payoff": "expected", "max_steps": 8}),
]
IDS = [f"{name}-{k}" for k, (name, _) in enumerate(SETTINGS)]


def _quiet(func, *args, **kwargs):
    with warnings.catch_warnings():
        for msg in ADVISORIES:
            warnings.filterwarnings("ignore", message=re.escape(msg))
        func(*args, **kwargs)


def _actions(env, rng, E):
    space = env.action_space(env.possible_agents[0])
    n = env.num_agents
    if hasattr(space, "n"):
        return rng.integers(0, space.n, size=(E, n))
    return rng.uniform(space.low, space.high, size=(E, n, *space.shape))


# -- conformance and vectorisation, all four environments -------------------------------
@pytest.mark.parametrize(("name", "kw"), SETTINGS, ids=IDS)
def test_pettingzoo_conformance(name, kw):
    _quiet(parallel_api_test, envs.make(name, **kw), num_cycles=60)
    _quiet(parallel_seed_test, lambda: envs.make(name, **kw), num_cycles=60)
    _quiet(api_test, envs.aec(name, **kw), num_cycles=20)


@pytest.mark.parametrize(("name", "kw"), SETTINGS, ids=IDS)
def test_vectorised_steps_equal_single_copies(name, kw):
    E, T, seed = 3, 25, 7
    vec = envs.make_vec(name, E, seed=seed, **kw)
    singles = [envs.make_vec(name, 1, seed=seed, stream_offset=e, **kw) for e in range(E)]
    obs = vec.reset()
    for e, s in enumerate(singles):
        np.testing.assert_array_equal(obs[e : e + 1], s.reset())
    n = vec.num_agents
    space = vec.observation_space(vec.possible_agents[0])
    assert obs.shape == (E, n, *space.shape) and obs.dtype == space.dtype
    rng = np.random.default_rng(3)
    for _ in range(T):
        a = _actions(vec, rng, E)
        out = vec.step(a)
        assert out.rewards.shape == (E, n) and out.rewards.dtype == np.float64
        assert all(space.contains(o) for o in out.observations.reshape(-1, *space.shape))
        for e, s in enumerate(singles):
            one = s.step(a[e : e + 1])
            np.testing.assert_array_equal(one.observations, out.observations[e : e + 1])
            np.testing.assert_array_equal(one.final_observations, out.final_observations[e : e + 1])
            np.testing.assert_array_equal(one.rewards, out.rewards[e : e + 1])
            assert one.truncated[0] == out.truncated[e] and not out.terminated[e]


@pytest.mark.parametrize(("name", "kw"), SETTINGS, ids=IDS)
def test_an_action_outside_its_space_names_copy_and_agent(name, kw):
    env = envs.make_vec(name, 2, seed=0, **kw)
    env.reset()
    a = _actions(env, np.random.default_rng(0), 2)
    agent = env.possible_agents[1]
    if a.dtype.kind == "f":
        a[1, 1, 0] = 1e9
    else:
        a[1, 1] = env.action_space(agent).n
    with pytest.raises(
        ValueError,
        match=rf"step\(\): copy 1, agent '{agent}': action .* is not in its action space",
    ):
        env.step(a)


# -- crowd -------------------------------------------------------------------------------
def _potential_max(b, c):
    """The equilibrium as the maximiser of sum_k (b_k p_k - c p_k^2 / 2) on the simplex."""
    K = len(b)
    res = minimize(
        lambda p: -(b @ p - c * (p @ p) / 2),
        np.full(K, 1.0 / K),
        jac=lambda p: -(b - c * p),
        bounds=[(0.0, 1.0)] * K,
        constraints=[{"type": "eq", "fun": lambda p: p.sum() - 1.0}],
        method="SLSQP",
        options={"ftol": 1e-14, "maxiter": 500},
    )
    assert res.success
    return res.x


@pytest.mark.parametrize("trial", range(12))
def test_crowd_equilibrium_maximises_the_potential(trial):
    rng = np.random.default_rng(trial)
    K = int(rng.integers(2, 7))
    b = rng.uniform(0, 2, K)
    c = float(rng.uniform(0.1, 3.0))
    p, lam = crowd_equilibrium(b, c)
    np.testing.assert_allclose(p, _potential_max(b, c), atol=1e-6)
    support = p > 0
    np.testing.assert_allclose(b[support] - c * p[support], lam, atol=1e-12)
    assert (b[~support] <= lam + 1e-12).all() and p.sum() == pytest.approx(1.0)


def test_crowd_equilibrium_with_an_unused_option():
    p, lam = crowd_equilibrium([1.0, 0.1, 0.0], 0.5)
    np.testing.assert_allclose(p, [1.0, 0.0, 0.0])
    assert lam == pytest.approx(0.5)
    p, lam = crowd_equilibrium([1.0, 0.8, 0.6], 1.0)  # the default game
    np.testing.assert_allclose(p, [8 / 15, 5 / 15, 2 / 15])
    assert lam == pytest.approx(7 / 15)


@pytest.mark.parametrize(("n", "radius"), [(4, None), (5, 1), (6, 2)])
def test_crowd_equilibrium_is_a_symmetric_nash_equilibrium_of_the_finite_game(n, radius):
    """Every other agent plays p*: agent 0's expected reward of each option, by
    enumerating the others' joint actions with their probabilities, is lam on the
    support of p* and at most lam off it."""
    values = np.array([1.0, 0.6, 0.1])
    env = CrowdVecEnv(n_agents=n, radius=radius, values=values, congestion=1.2)
    p, lam = env.equilibrium, env.equilibrium_payoff
    assert (p > 0).sum() == 2  # one option unused
    others = np.array(list(itertools.product(range(3), repeat=n - 1)))
    weight = p[others].prod(axis=1)
    for k in range(3):
        joint = np.concatenate([np.full((len(others), 1), k), others], axis=1)
        expected = weight @ env.rewards_of(joint)[:, 0]
        if p[k] > 0:
            assert expected == pytest.approx(lam, abs=1e-12)
        else:
            assert expected <= lam


@pytest.mark.parametrize("radius", [None, 1, 3])
def test_crowd_counts_cells_and_rewards_against_loops(radius):
    N, K, L = 11, 3, 4
    env = CrowdVecEnv(4, n_agents=N, radius=radius, values=(0.5, 1.0, 0.2), bins=L)
    lattice = np.rint(env.cells * L).astype(int)
    a = np.random.default_rng(0).integers(0, K, size=(4, N))
    counts = env.neighbour_counts(a)
    rewards = env.rewards_of(a)
    cells = env.cell_of(counts)
    for e in range(4):
        for i in range(N):
            if radius is None:
                nb = [j for j in range(N) if j != i]
            else:
                nb = [(i + d) % N for d in range(-radius, radius + 1) if d != 0]
            want = np.bincount(a[e, nb], minlength=K)
            np.testing.assert_array_equal(counts[e, i], want)
            share = want / len(nb)
            r = env.values[a[e, i]] - env.congestion * share[a[e, i]]
            assert rewards[e, i] == pytest.approx(r, abs=1e-15)
            # the cell is a lattice point nearest (in L1) to the mean action
            dist = np.abs(lattice / L - share).sum(axis=1)
            assert dist[cells[e, i]] == pytest.approx(dist.min(), abs=1e-12)
    # the observation is (action, cell of the neighbours' mean action)
    env.reset(seed=0)
    out = env.step(a)
    np.testing.assert_array_equal(out.observations[..., 0], a)
    np.testing.assert_array_equal(out.observations[..., 1], cells)
    np.testing.assert_array_equal(out.rewards, rewards)


def test_simplex_lattice_matches_the_cells():
    env = CrowdVecEnv(n_agents=5, values=(1.0, 0.5, 0.3, 0.1), bins=3)
    lat = simplex_lattice(4, 3)
    np.testing.assert_array_equal(lat, env.cells)
    assert lat.shape == (20, 4) and np.allclose(lat.sum(axis=1), 1.0)
    assert len({tuple(r) for r in lat.tolist()}) == 20
    assert env.observation_space("agent_0").high.tolist() == [3, 19]


def test_crowd_with_ten_thousand_agents():
    env = envs.make_vec("crowd", 2, n_agents=10_000, radius=50, seed=4)
    obs = env.reset()
    assert obs.shape == (2, 10_000, 2)
    rng = np.random.default_rng(5)
    for _ in range(3):
        a = rng.integers(0, 3, size=(2, 10_000))
        out = env.step(a)
        f = env.distribution()
        np.testing.assert_array_equal(f, np.stack([np.bincount(r, minlength=3) for r in a]) / 1e4)
        # the mean reward of a ring: b_k less congestion, averaged over the agents
        assert out.rewards.mean() == pytest.approx(env.rewards_of(a).mean())
    g = envs.make_vec("crowd", 2, n_agents=10_000, seed=4)
    g.reset()
    a = rng.integers(0, 3, size=(2, 10_000))
    counts = np.stack([np.bincount(r, minlength=3) for r in a])
    want = (counts * (g.values - g.congestion * (counts - 1) / 9_999)).sum(axis=1) / 1e4
    np.testing.assert_allclose(g.step(a).rewards.mean(axis=1), want, rtol=1e-12)


def test_crowd_starts_from_uniform_random_actions():
    env = envs.make_vec("crowd", 50, n_agents=200, seed=1)
    env.reset()
    f = env.distribution().mean(axis=0)  # 10,000 draws: within 5 standard errors
    assert np.abs(f - 1 / 3).max() < 5 * np.sqrt(2 / 9 / 10_000)


def test_crowd_bad_arguments():
    with pytest.raises(ValueError, match=r"CrowdVecEnv\(\): n_agents must be >= 2"):
        CrowdVecEnv(n_agents=1)
    with pytest.raises(ValueError, match=r"values must give at least 2 options"):
        CrowdVecEnv(values=(1.0,))
    with pytest.raises(ValueError, match=r"values must be finite"):
        CrowdVecEnv(values=(1.0, np.nan))
    with pytest.raises(ValueError, match=r"congestion must be > 0"):
        CrowdVecEnv(congestion=0.0)
    with pytest.raises(ValueError, match=r"radius must be <= \(n_agents - 1\) // 2 = 4"):
        CrowdVecEnv(n_agents=10, radius=5)
    with pytest.raises(ValueError, match=r"bins must be >= 1"):
        CrowdVecEnv(bins=0)
    with pytest.raises(ValueError, match=r"the mean-action cells .* needs"):
        CrowdVecEnv(values=np.ones(40), bins=200)
    with pytest.raises(ValueError, match=r"a step of 100000 copies of 100000 agents needs"):
        CrowdVecEnv(100_000, n_agents=100_000)
    with pytest.raises(ValueError, match=r"crowd_equilibrium\(\): congestion must be > 0"):
        crowd_equilibrium([1.0, 2.0], -1.0)
    with pytest.raises(TypeError, match=r"make_vec\(\): environment 'crowd' takes the param"):
        envs.make_vec("crowd", 1, n_agent=3)


# -- flocking ----------------------------------------------------------------------------
def _flock_reference(env, x, v, u):
    """One step of the documented dynamics, observation and reward by loops."""
    N, k, L = env.num_agents, env.neighbours, env.size
    w_sep, w_ali, w_coh, w_act = env.weights
    v2, x2 = v + env.dt * u, np.empty_like(x)
    for i in range(N):
        s = np.linalg.norm(v2[i])
        if s > env.max_speed:
            v2[i] *= env.max_speed / s
        x2[i] = x[i] + env.dt * v2[i]
        for c in range(2):
            if env.boundary == "torus":
                x2[i, c] %= L
            elif x2[i, c] < 0:
                x2[i, c], v2[i, c] = -x2[i, c], -v2[i, c]
            elif x2[i, c] > L:
                x2[i, c], v2[i, c] = 2 * L - x2[i, c], -v2[i, c]
    obs, rew = [], []
    for i in range(N):
        rel = []
        for j in range(N):
            if j != i:
                d = x2[j] - x2[i]
                if env.boundary == "torus":
                    d = (d + L / 2) % L - L / 2
                rel.append((float(np.hypot(*d)), j, d))
        rel.sort(key=lambda t: t[0])
        near = rel[:k]
        rx = np.array([d for _, _, d in near])
        rv = np.array([v2[j] - v2[i] for _, j, _ in near])
        dist = np.array([r for r, _, _ in near])
        obs.append(np.concatenate([v2[i], np.concatenate([rx, rv], axis=1).ravel()]))
        sep = np.mean(np.maximum(0.0, 1 - dist / env.separation) ** 2)
        ali = np.linalg.norm(rv.mean(axis=0)) / (2 * env.max_speed)
        coh = np.linalg.norm(rx.mean(axis=0)) / L
        eff = (u[i] @ u[i]) / (2 * env.max_accel**2)
        rew.append(-(w_sep * sep + w_ali * ali + w_coh * coh + w_act * eff))
    return x2, v2, np.array(obs), np.array(rew)


@pytest.mark.parametrize("boundary", ["torus", "box"])
def test_flocking_step_against_loops(boundary):
    env = FlockingVecEnv(
        3,
        n_agents=9,
        neighbours=3,
        boundary=boundary,
        size=4.0,
        dt=0.5,
        max_speed=1.5,
        separation=1.2,
        weights=(1.0, 0.5, 2.0, 0.3),
    )
    env.reset(seed=2)
    rng = np.random.default_rng(1)
    for _ in range(15):
        x, v = env.positions.copy(), env.velocities.copy()
        u = rng.uniform(-1, 1, size=(3, 9, 2))
        out = env.step(u)
        for e in range(3):
            x2, v2, obs, rew = _flock_reference(env, x[e], v[e], u[e])
            np.testing.assert_allclose(env.positions[e], x2, atol=1e-12)
            np.testing.assert_allclose(env.velocities[e], v2, atol=1e-12)
            np.testing.assert_allclose(out.observations[e], obs, atol=1e-12)
            np.testing.assert_allclose(out.rewards[e], rew, atol=1e-12)
        speed = np.linalg.norm(env.velocities, axis=2)
        assert (speed <= env.max_speed * (1 + 1e-12)).all()
        assert ((env.positions >= 0) & (env.positions <= env.size)).all()


def test_flocking_reset_state_and_spaces():
    env = envs.make_vec("flocking", 4, seed=3)
    obs = env.reset()
    assert obs.shape == (4, 20, 2 + 4 * 4) and obs.dtype == np.float64
    state = env.state()
    assert state.shape == (4, 20, 4) and all(env.state_space.contains(s) for s in state)
    np.testing.assert_array_equal(obs[..., :2], env.velocities)
    assert env.action_space("boid_3").shape == (2,)


def test_reynolds_steering_flocks_better_than_drifting_or_random_accelerations():
    """8 copies of 30 boids, 300 steps, mean reward of the last 100: the classical
    steering rule scores well above doing nothing and above random accelerations."""
    means = {}
    for policy in ("zero", "random", "reynolds"):
        env = envs.make_vec("flocking", 8, n_agents=30, max_steps=1000, seed=3)
        obs, rng, total = env.reset(), np.random.default_rng(0), 0.0
        for t in range(300):
            if policy == "zero":
                a = np.zeros((8, 30, 2))
            elif policy == "random":
                a = rng.uniform(-1.0, 1.0, size=(8, 30, 2))
            else:
                a = reynolds_steering(env, obs)
            out = env.step(a)
            obs = out.observations
            if t >= 200:
                total += out.rewards.mean() / 100
        means[policy] = total
    assert means["reynolds"] > means["zero"] + 0.15
    assert means["reynolds"] > means["random"] + 0.2


def test_flocking_bad_arguments():
    with pytest.raises(ValueError, match=r"FlockingVecEnv\(\): neighbours must be <= n_agents"):
        FlockingVecEnv(n_agents=4, neighbours=4)
    with pytest.raises(ValueError, match=r"boundary must be one of 'torus', 'box'"):
        FlockingVecEnv(boundary="sphere")
    with pytest.raises(ValueError, match=r"dt \* max_speed must be < size"):
        FlockingVecEnv(size=1.0, dt=1.0, max_speed=2.0)
    with pytest.raises(ValueError, match=r"weights must be four numbers"):
        FlockingVecEnv(weights=(1.0, 1.0))
    with pytest.raises(ValueError, match=r"weights\[3\] must be >= 0"):
        FlockingVecEnv(weights=(1.0, 1.0, 1.0, -0.1))
    with pytest.raises(ValueError, match=r"the neighbour search of 1000000 agents .* needs"):
        FlockingVecEnv(n_agents=1_000_000)
    env = envs.make_vec("flocking", 1, n_agents=3, neighbours=2, seed=0)
    env.reset()
    a = np.zeros((1, 3, 2))
    a[0, 2, 1] = np.nan
    with pytest.raises(ValueError, match=r"copy 0, agent 'boid_2': action \[0.0, nan\] is not in"):
        env.step(a)
    with pytest.raises(ValueError, match=r"reynolds_steering\(\): observations must have"):
        reynolds_steering(env, np.zeros((1, 3, 5)))


# -- load-balancing ----------------------------------------------------------------------
def test_load_balancing_is_the_package_market_with_the_agents_setting_sensitivity():
    """Copy e replays exactly against a LoadBalancer seeded as it reports, with the
    actions applied to the sensitivities before each round; rewards are the package's
    learning reward (the fall of |load ratio - target|)."""
    cfg = LoadBalanceConfig(n_servers=6, rounds=40, mode="static", ledger=False)
    env = LoadBalancingVecEnv(3, config=cfg)
    env.reset(seed=8)
    refs = [LoadBalancer(cfg, seed=np.random.SeedSequence(env.seeds[e])) for e in range(3)]
    mult = np.array([1 + cfg.learning_rate, 1 - cfg.learning_rate, 1.0])
    assert ACTIONS == ("increase", "decrease", "none")
    rng = np.random.default_rng(0)
    for _ in range(39):
        a = rng.integers(0, 3, size=(3, 6))
        out = env.step(a)
        for e, lb in enumerate(refs):
            s = lb.servers
            before = np.abs(s.load_ratio() - s.target_load_ratio)
            s.sensitivity = np.clip(s.sensitivity * mult[a[e]], *cfg.sensitivity_bounds)
            lb.step()
            ratio = s.load_ratio()
            np.testing.assert_array_equal(env.balancers[e].servers.load, s.load)
            np.testing.assert_array_equal(env.balancers[e].servers.sensitivity, s.sensitivity)
            np.testing.assert_array_equal(
                out.rewards[e], before - np.abs(ratio - s.target_load_ratio)
            )
            np.testing.assert_array_equal(
                out.observations[e], np.minimum((ratio * 10).astype(int), 10)
            )
    assert not out.truncated.any()
    assert env.step(np.full((3, 6), 2)).truncated.all()  # 40 rounds per episode


def test_load_balancing_without_adjustments_is_the_static_simulation():
    cfg = LoadBalanceConfig(n_servers=5, rounds=30, mode="static", ledger=False)
    env = LoadBalancingVecEnv(1, config=cfg, auction="numpy")
    env.reset(seed=3)
    ref = LoadBalancer(cfg, seed=np.random.SeedSequence(env.seeds[0]), auction="kernel")
    for _ in range(29):
        env.step(np.full((1, 5), ACTIONS.index("none")))
    res = ref.run(29)
    np.testing.assert_allclose(env.balancers[0].servers.load, res.loads[-1], rtol=1e-12)
    np.testing.assert_allclose(env.state()[0, :, 0], res.loads[-1], rtol=1e-12)


def test_load_balancing_bad_arguments():
    with pytest.raises(ValueError, match=r"LoadBalancingVecEnv\(\): config.mode must be 'st"):
        LoadBalancingVecEnv(config=LoadBalanceConfig())
    with pytest.raises(TypeError, match=r"give either config or individual settings"):
        LoadBalancingVecEnv(config=LoadBalanceConfig(mode="static"), n_servers=3)
    with pytest.raises(ValueError, match=r"unknown setting\(s\) \['servers'\]"):
        LoadBalancingVecEnv(servers=3)
    with pytest.raises(TypeError, match=r"config must be a LoadBalanceConfig or None"):
        LoadBalancingVecEnv(config={"n_servers": 3})
    with pytest.raises(ValueError, match=r"auction must be one of 'kernel', 'numpy'"):
        LoadBalancingVecEnv(auction="gpu")
    with pytest.raises(ValueError, match=r"LoadBalanceConfig\(\): n_servers must be >= 1"):
        LoadBalancingVecEnv(n_servers=0)
    with pytest.raises(ValueError, match=r"max_steps must be >= 1"):
        LoadBalancingVecEnv(max_steps=0)


# -- coalition formation -----------------------------------------------------------------
def test_proposals_encode_the_coalitions_that_contain_the_agent():
    env = CoalitionFormationVecEnv(problem="kst")
    n = 5
    p = np.broadcast_to(np.arange(16)[:, None], (16, n))
    masks = env.proposal_masks(p)
    for i in range(n):
        col = masks[:, i]
        assert len(set(col.tolist())) == 16 and all(m >> i & 1 for m in col.tolist())
        others = [j for j in range(n) if j != i]
        for q in range(16):
            want = (1 << i) | sum(1 << others[b] for b in range(4) if q >> b & 1)
            assert col[q] == want
    np.testing.assert_array_equal(env.proposal_index(masks), p)


def test_formation_is_unanimity_against_loops():
    env = CoalitionFormationVecEnv(problem="kst")
    A, n = 3, 5
    rng = np.random.default_rng(0)
    # proposals drawn so that agreements are frequent: few distinct coalitions per copy
    coal = np.array([0b00111, 0b11000, 0b01011, 0b10100, 0b11111])
    pick = rng.integers(0, len(coal), size=(400, n))
    masks = np.where((coal[pick] >> np.arange(n)) & 1, coal[pick], 1 << np.arange(n))
    act = env.proposal_index(masks) * A + rng.integers(0, 2, size=(400, n))
    formed, alpha = env.formed(act)
    n_formed = 0
    for e in range(400):
        want = masks[e]
        for i in range(n):
            ok = all(
                want[j] == want[i] and act[e, j] % A == act[e, i] % A
                for j in range(n)
                if want[i] >> j & 1
            )
            assert formed[e, i] == (want[i] if ok else 1 << i)
            n_formed += ok and want[i] != 1 << i
        Agreement(formed[e], alpha[e], np.ones(n)).validate()  # a valid structure
    assert n_formed > 20


@pytest.mark.parametrize("problem", ["kst", "software-company", "carpenter"])
def test_expected_payoffs_are_the_packages_classic_payoffs(problem):
    env = envs.make_vec("coalition-formation", 64, problem=problem, payoff="expected", seed=1)
    env.reset()
    rng = np.random.default_rng(2)
    n, A = env.num_agents, env.problem.n_actions
    # everyone proposes one random partition: it forms, with its first member's action
    for _ in range(3):
        labels = rng.integers(0, 3, size=(64, n))
        masks = ((labels[:, None, :] == labels[:, :, None]) << np.arange(n)).sum(axis=2)
        lead_action = rng.integers(0, A, size=(64, n))
        lowest = np.argmax(labels[:, None, :] == labels[:, :, None], axis=2)
        alpha = np.take_along_axis(lead_action, lowest, axis=1)
        out = env.step(env.proposal_index(masks) * A + alpha)
        np.testing.assert_array_equal(env.coalitions, masks)
        for e in range(0, 64, 7):
            want = classic_payoffs(env.problem, env.agreement(e))
            np.testing.assert_allclose(out.rewards[e], want, rtol=1e-12)


def test_sampled_outcomes_follow_the_problems_probabilities():
    """4,000 copies in which the compatible pair {0, 2} forms with each action:
    outcome frequencies within 5 standard errors of Pr(s | alpha, t_C)."""
    env = envs.make_vec("coalition-formation", 4000, problem="kst", seed=5)
    env.reset()
    problem = kst_setting()
    crew = 0b00101
    members = np.array([0, 2])
    for alpha in range(3):
        masks = np.where((crew >> np.arange(5)) & 1, crew, 1 << np.arange(5))
        act = np.broadcast_to(env.proposal_index(masks) * 3 + alpha, (4000, 5))
        out = env.step(act)
        p = problem.tasks[0].probabilities(members, problem.true_types[members][None])[0, alpha]
        freq = np.bincount(env.outcomes[:, 0], minlength=3) / 4000
        assert (np.abs(freq - p) <= 5 * np.sqrt(p * (1 - p) / 4000) + 1e-12).all()
        # the pair shares one outcome and its reward equally
        assert (env.outcomes[:, [0, 2]] == env.outcomes[:, :1]).all()
        np.testing.assert_allclose(
            out.rewards[:, 0], problem.tasks[0].rewards[env.outcomes[:, 0]] / 2
        )
        # agent 0 observes its partners (agent 2 is the second of the others), the
        # action and the outcome
        np.testing.assert_array_equal(
            out.observations[:, 0],
            np.stack([np.full(4000, 0b10), np.full(4000, alpha), env.outcomes[:, 0]], axis=1),
        )


def test_tasks_follow_the_problems_schedule():
    problem = good_bad_ugly(stages_phase2=3)
    env = CoalitionFormationVecEnv(2, problem=problem, payoff="expected", max_steps=6)
    env.reset(seed=0)
    grand = np.full((2, 5), env.proposal_index(np.full(5, 0b11111)) * 3 + 1)
    for t in range(6):
        out = env.step(grand)
        task = problem.task_index(t)
        assert task == (2 if t >= 3 else t % 2)
        value = coalition_values(problem, task=task)[0b11111, 1] / 5
        np.testing.assert_allclose(out.rewards, value)
    assert out.truncated.all()
    assert (env.reset()[..., 2] == 3).all()  # no outcome yet


def test_coalition_formation_bad_arguments():
    with pytest.raises(ValueError, match=r"CoalitionFormationVecEnv\(\): problem must be one"):
        CoalitionFormationVecEnv(problem="poker")
    with pytest.raises(TypeError, match=r"problem must be a BCFP or one of"):
        CoalitionFormationVecEnv(problem=3)
    with pytest.raises(ValueError, match=r"payoff must be one of 'sampled', 'expected'"):
        CoalitionFormationVecEnv(payoff="mean")
    with pytest.raises(ValueError, match=r"agreement\(\): copy must be < 1"):
        CoalitionFormationVecEnv().agreement(1)
    from accord.coalition import BCFP, Task

    task = Task("t", ("a",), ("x",), np.zeros(1), lambda m, t: np.ones((len(t), 1, 1)))
    big = BCFP(("t",), [[0]] * 13, [0] * 13, [task])
    with pytest.raises(ValueError, match=r"problem has 13 agents; at most 12"):
        CoalitionFormationVecEnv(problem=big)
