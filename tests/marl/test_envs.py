"""The environment framework: Philox streams, vectorised steps against single copies,
PettingZoo conformance of every registered environment, and argument errors."""

from __future__ import annotations

import re
import warnings

import gymnasium
import numpy as np
import pytest
from pettingzoo.test import api_test, parallel_api_test, parallel_seed_test

import accord.games as G
from accord.marl import IndependentQ, MarkovGame, envs
from accord.marl.envs._random import blocks, normals, philox4x32_10, uniforms
from accord.marl.envs.base import VecEnv
from accord.marl.envs.parallel import ParallelEnv
from accord.marl.envs.tabular import MarkovGameEnv

NAMES = envs.names()

# PettingZoo's style advisories (not API violations): a Discrete observation is a NumPy
# integer rather than an array, and unbounded or all-zero observations are allowed.
ADVISORIES = (
    "Observation is not a NumPy array",
    "Observation is a single number",
    "Observation numpy array is all zeros",
    "Agent's minimum observation space value is -infinity",
    "Agent's maximum observation space value is infinity",
    "The observation contains negative numbers",
)


def _quiet():
    ctx = warnings.catch_warnings()
    ctx.__enter__()
    for msg in ADVISORIES:
        warnings.filterwarnings("ignore", message=re.escape(msg))
    return ctx


def _sample(space: gymnasium.spaces.Space, rng: np.random.Generator, size: int) -> np.ndarray:
    """``size`` actions of ``space`` from ``rng``."""
    if isinstance(space, gymnasium.spaces.Discrete):
        return rng.integers(space.start, space.start + space.n, size=size)
    if isinstance(space, gymnasium.spaces.MultiDiscrete):
        return space.start + rng.integers(0, space.nvec, size=(size, *space.shape))
    if isinstance(space, gymnasium.spaces.MultiBinary):
        return rng.integers(0, 2, size=(size, *space.shape))
    if isinstance(space, gymnasium.spaces.Box):
        lo = np.where(np.isfinite(space.low), space.low, -1.0)
        hi = np.where(np.isfinite(space.high), space.high, 1.0)
        return rng.uniform(lo, hi, size=(size, *space.shape)).astype(space.dtype)
    raise AssertionError(f"no sampler for {space}")


def _joint(env, rng: np.random.Generator, E: int) -> np.ndarray:
    return np.stack([_sample(env.action_space(a), rng, E) for a in env.possible_agents], axis=1)


# -- Philox ------------------------------------------------------------------------------
def test_philox_known_answers():
    # Random123 known-answer vectors (csrc/tests/test_philox.cpp)
    out = philox4x32_10(np.zeros((1, 4), np.uint32), (0, 0))
    assert out[0].tolist() == [0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8]
    ctr = np.array([[0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344]], np.uint32)
    out = philox4x32_10(ctr, (0xA4093822, 0x299F31D0))
    assert out[0].tolist() == [0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1]
    # the vectorised rounds (more than a few blocks) give the same words as the scalar ones
    rng = np.random.default_rng(0)
    many = rng.integers(0, 2**32, size=(20, 4), dtype=np.uint64).astype(np.uint32)
    many[7] = ctr[0]
    batch = philox4x32_10(many, (0xA4093822, 0x299F31D0))
    assert batch[7].tolist() == out[0].tolist()
    for r in range(20):
        np.testing.assert_array_equal(
            philox4x32_10(many[r : r + 1], (0xA4093822, 0x299F31D0))[0], batch[r]
        )


def test_uniforms_are_the_documented_function_of_key_stream_and_counter():
    key, streams = 2**40 + 7, np.array([0, 5, 2**33 + 1], np.uint64)
    counters = np.array([0, 3, 2**32 + 9], np.uint64)
    u = uniforms(key, streams, counters, 5)
    assert u.shape == (3, 5) and blocks(5) == 3
    for e in range(3):
        for j in range(3):
            c, s = int(counters[e]) + j, int(streams[e])
            words = np.array([[c & 0xFFFFFFFF, c >> 32, s & 0xFFFFFFFF, s >> 32]], np.uint32)
            w = philox4x32_10(words, (key & 0xFFFFFFFF, key >> 32))[0].astype(np.float64)
            pair = [
                ((w[0] // 32) * 2**26 + w[1] // 64) / 2**53,
                ((w[2] // 32) * 2**26 + w[3] // 64) / 2**53,
            ]
            for h in range(2):
                if 2 * j + h < 5:
                    assert u[e, 2 * j + h] == pair[h]
    # a row depends only on its own stream and counter
    assert np.array_equal(uniforms(key, streams[1:2], counters[1:2], 5)[0], u[1])


def test_uniforms_and_normals_have_their_moments():
    # 200,000 draws: mean within 5 standard errors
    u = uniforms(3, np.arange(100, dtype=np.uint64), np.zeros(100, np.uint64), 2000)
    assert (u >= 0).all() and (u < 1).all()
    assert abs(u.mean() - 0.5) < 5 * np.sqrt(1 / 12 / u.size)
    z = normals(u)
    assert abs(z.mean()) < 5 / np.sqrt(z.size)
    assert abs(z.var() - 1.0) < 5 * np.sqrt(2 / z.size)


# -- PettingZoo conformance --------------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_parallel_api(name):
    ctx = _quiet()
    try:
        parallel_api_test(envs.make(name), num_cycles=1000)
    finally:
        ctx.__exit__(None, None, None)


@pytest.mark.parametrize("name", NAMES)
def test_parallel_seed(name):
    ctx = _quiet()
    try:
        parallel_seed_test(lambda: envs.make(name))
    finally:
        ctx.__exit__(None, None, None)


@pytest.mark.parametrize("name", NAMES)
def test_aec_api(name):
    ctx = _quiet()
    try:
        api_test(envs.aec(name), num_cycles=200)
        api_test(envs.aec(envs.make(name)), num_cycles=20)
    finally:
        ctx.__exit__(None, None, None)


@pytest.mark.parametrize("name", NAMES)
def test_spaces_are_the_same_objects_and_metadata_names_the_env(name):
    env = envs.make(name)
    assert env.metadata == {"name": name, "render_modes": []}
    for a in env.possible_agents:
        assert env.observation_space(a) is env.observation_space(a)
        assert env.action_space(a) is env.action_space(a)
        assert env.observation_spaces[a] is env.observation_space(a)
    assert env.agents == []
    obs, infos = env.reset(seed=1)
    assert env.agents == env.possible_agents and set(infos) == set(env.agents)
    for a in env.agents:
        assert env.observation_space(a).contains(obs[a])


# -- vectorised copies equal single environments -----------------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_copy_e_follows_the_single_environment_on_stream_e(name):
    E, T, seed = 3, 40, 11
    vec = envs.make_vec(name, E, seed=seed)
    singles = [envs.make(name, stream_offset=e) for e in range(E)]
    obs = vec.reset()
    first = [s.reset(seed=seed)[0] for s in singles]
    rng = np.random.default_rng(0)
    agents = vec.possible_agents

    def same(vec_obs, single_obs, e):
        for i, a in enumerate(agents):
            np.testing.assert_array_equal(vec_obs[e, i], single_obs[a])

    for e in range(E):
        same(obs, first[e], e)
    for _ in range(T):
        acts = _joint(vec, rng, E)
        out = vec.step(acts)
        assert out.rewards.shape == (E, len(agents)) and out.rewards.dtype == np.float64
        assert out.terminated.dtype == bool and out.truncated.dtype == bool
        for e, env in enumerate(singles):
            o, r, term, trunc, _ = env.step({a: acts[e, i] for i, a in enumerate(agents)})
            same(out.final_observations, o, e)
            assert [r[a] for a in agents] == out.rewards[e].tolist()
            assert all(term[a] == bool(out.terminated[e]) for a in agents)
            assert all(trunc[a] == bool(out.truncated[e]) for a in agents)
            if term[agents[0]] or trunc[agents[0]]:
                assert env.agents == []
                same(out.observations, env.reset()[0], e)  # reset() continues the stream
            else:
                same(out.observations, o, e)


@pytest.mark.parametrize("name", NAMES)
def test_copies_do_not_depend_on_how_many_run(name):
    rng = np.random.default_rng(1)
    small, big = envs.make_vec(name, 2, seed=5), envs.make_vec(name, 5, seed=5)
    a, b = small.reset(), big.reset()
    np.testing.assert_array_equal(a, b[:2])
    for _ in range(30):
        acts = _joint(big, rng, 5)
        a, b = small.step(acts[:2]), big.step(acts)
        np.testing.assert_array_equal(a.observations, b.observations[:2])
        np.testing.assert_array_equal(a.rewards, b.rewards[:2])
        np.testing.assert_array_equal(a.terminated, b.terminated[:2])


@pytest.mark.parametrize("name", ["grid-game-2", "soccer", "tiger"])
def test_seeds_reproduce_and_differ(name):
    def run(seed):
        env = envs.make_vec(name, 16, seed=seed)
        rng = np.random.default_rng(2)
        out = [env.reset()]
        for _ in range(30):
            out.append(env.step(_joint(env, rng, 16)).observations)
        return np.stack(out)

    assert np.array_equal(run(3), run(3))
    assert not np.array_equal(run(3), run(4))
    # reset(seed) rewinds: the same as a fresh environment with that seed
    env = envs.make_vec(name, 16, seed=9)
    env.reset()
    rng = np.random.default_rng(2)
    for _ in range(5):
        env.step(_joint(env, rng, 16))
    np.testing.assert_array_equal(env.reset(seed=3), run(3)[0])


def test_autoreset_and_truncation_of_a_repeated_game():
    env = envs.make_vec("climbing", 4, seed=0)
    assert env.max_steps == 25
    env.reset()
    for t in range(1, 26):
        out = env.step(np.zeros((4, 2), np.int64))
        assert (out.rewards == 11.0).all()
        assert not out.terminated.any()
        assert out.truncated.all() == (t == 25)
    assert (env.steps == 0).all()
    assert envs.make_vec("climbing", 1, max_steps=None).max_steps is None


def test_terminal_states_terminate_and_restart():
    env = envs.make_vec("grid-game-1", 2, seed=0)
    game = env.game
    obs = env.reset()
    assert (obs == 2).all() and (env.states == 2).all()  # agent 0 in cell 0, agent 1 in 2
    up, left, right = 0, 2, 3
    # agent 0: 0 -> 3 -> 6 -> 7 -> 8; agent 1: 2 -> 1 -> 4 -> 3 -> 6 (no collision)
    path = [(up, left), (up, up), (right, left), (right, up)]
    for k, (a0, a1) in enumerate(path):
        out = env.step(np.array([[a0, a1], [a0, a1]]))
        assert out.terminated.all() == (k == 3)
    assert (out.rewards == 100.0).all()
    assert (out.final_observations == 9 * 8 + 6).all() and game.terminal[9 * 8 + 6]
    assert (out.observations == 2).all() and (env.states == 2).all() and (env.steps == 0).all()


def test_markov_game_transitions_are_sampled_with_their_probabilities():
    # 40,000 copies from one state: each frequency within 5 standard errors
    rng = np.random.default_rng(0)
    P = rng.dirichlet(np.ones(5), size=(5, 2, 3))
    P[..., 1] = 0.0
    P /= P.sum(axis=-1, keepdims=True)
    R = rng.normal(size=(2, 5, 2, 3))
    game = MarkovGame(P, R, 0.9, initial=np.full(5, 0.2))
    E = 40_000
    env = MarkovGameEnv(game, E, seed=1)
    env.reset()
    start = np.bincount(env.states, minlength=5) / E
    assert np.abs(start - 0.2).max() < 5 * np.sqrt(0.2 * 0.8 / E)
    env.states[:] = 3
    acts = np.tile([1, 2], (E, 1))
    out = env.step(acts)
    assert np.allclose(out.rewards, R[:, 3, 1, 2])
    freq = np.bincount(out.final_observations[:, 0], minlength=5) / E
    p = P[3, 1, 2]
    assert freq[1] == 0.0
    assert (np.abs(freq - p) < 5 * np.sqrt(p * (1 - p) / E) + 1e-12).all()
    np.testing.assert_array_equal(env.state(), env.states)


def test_a_tabular_learner_trains_on_the_state_indices():
    env = envs.make_vec("penalty", 8, seed=0)
    L = IndependentQ(1, (3, 3), 0.9, n_envs=8, seed=0)
    env.reset()
    for _ in range(50):
        s = env.states.copy()
        a = L.act(s)
        out = env.step(a)
        L.update(s, a, out.rewards, out.final_observations[:, 0], out.terminated)
    assert np.isfinite(L.Q).all() and (L.Q != 0).any()


def test_matrix_games_take_their_parameters():
    env = envs.make_vec("penalty", 1, penalty=-100, max_steps=3)
    np.testing.assert_array_equal(env.game.rewards[0, 0], G.classic.penalty_game(-100).payoffs[0])
    assert env.max_steps == 3
    pd = envs.make_vec("prisoners-dilemma", 1, temptation=6)
    assert pd.game.rewards[0, 0, 1, 0] == 6


# -- errors ------------------------------------------------------------------------------
def test_registry_errors():
    with pytest.raises(
        ValueError, match=r"make\(\): unknown environment 'nope'; known: .*climbing"
    ):
        envs.make("nope")
    with pytest.raises(ValueError, match=r"make_vec\(\): unknown environment"):
        envs.make_vec("nope", 2)
    with pytest.raises(TypeError, match=r"make\(\): environment 'soccer' takes the parameters"):
        envs.make("soccer", k=1)
    with pytest.raises(TypeError, match=r"make\(\): unknown parameter among \['k'\]"):
        envs.make("penalty", k=-100)
    with pytest.raises(ValueError, match=r"make_vec\(\): n_envs must be >= 1"):
        envs.make_vec("climbing", 0)
    with pytest.raises(ValueError, match=r"make\(\): discount must be in \[0, 1\)"):
        envs.make("grid-game-1", discount=1.0)
    with pytest.raises(TypeError, match=r"register\(\): factory must be callable"):
        envs.register("x", 3)
    with pytest.raises(TypeError, match=r"register\(\): name must be a non-empty string"):
        envs.register("", MarkovGameEnv)
    with pytest.raises(ValueError, match=r"aec\(\): keyword arguments"):
        envs.aec(envs.make("climbing"), max_steps=3)
    with pytest.raises(TypeError, match=r"aec\(\): env must be a ParallelEnv or a name"):
        envs.aec(3)
    with pytest.raises(ValueError, match=r"make_vec\(\): seed must be >= 0"):
        envs.make_vec("climbing", 1, seed=-1)
    with pytest.raises(TypeError, match=r"make_vec\(\): seed must be an integer"):
        envs.make_vec("climbing", 1, seed=1.5)
    with pytest.raises(ValueError, match=r"make\(\): stream_offset must be >= 0"):
        envs.make("climbing", stream_offset=-2)
    with pytest.raises(ValueError, match=r"MarkovGameEnv.reset\(\): seed must be < 2\*\*64"):
        envs.make_vec("climbing", 1).reset(seed=2**64)


def test_vector_step_errors_name_copy_agent_and_action():
    env = envs.make_vec("climbing", 3, seed=0)
    with pytest.raises(RuntimeError, match=r"copy 0 has not been reset.*call reset\(\)"):
        env.step(np.zeros((3, 2), np.int64))
    env.reset()
    with pytest.raises(ValueError, match=r"actions must have shape .* = \(3, 2\); got \(2, 2\)"):
        env.step(np.zeros((2, 2), np.int64))
    with pytest.raises(TypeError, match=r"actions must be integers; got dtype float64"):
        env.step(np.zeros((3, 2)))
    bad = np.zeros((3, 2), np.int64)
    bad[2, 1] = 3
    with pytest.raises(
        ValueError,
        match=r"MarkovGameEnv.step\(\): copy 2, agent 'player_1': action 3 is not in its "
        r"action space Discrete\(3\)",
    ):
        env.step(bad)
    bad[2, 1] = -1
    with pytest.raises(ValueError, match=r"copy 2, agent 'player_1': action -1"):
        env.step(bad)
    with pytest.raises(ValueError, match=r"observation_space\(\): agent must be one of"):
        env.observation_space("player_7")
    with pytest.raises(ValueError, match=r"reset_copies\(\): idx must be copy indices in 0..2"):
        env.reset_copies([3])


def test_box_actions_are_checked_without_clipping():
    class Box(VecEnv):
        def __init__(self, n_envs):
            box = gymnasium.spaces.Box(-1.0, 1.0, shape=(2,))
            obs = gymnasium.spaces.Box(-1.0, 1.0, shape=(2,))
            super().__init__(n_envs, ["a_0", "a_1"], [obs, obs], [box, box], max_steps=2)

        def _reset_copies(self, idx):
            return np.zeros((len(idx), 2, 2), np.float32)

        def _step(self, actions):
            self.seen = actions
            return actions.astype(np.float32), actions.sum(axis=2), np.zeros(len(actions), bool)

    env = Box(2)
    env.reset()
    a = np.full((2, 2, 2), 0.5)
    env.step(a)
    np.testing.assert_array_equal(env.seen, a)
    a[1, 0, 1] = 1.5
    with pytest.raises(ValueError, match=r"copy 1, agent 'a_0': action \[0.5, 1.5\] is not in"):
        env.step(a)
    a[1, 0, 1] = np.nan
    with pytest.raises(ValueError, match=r"copy 1, agent 'a_0': action \[0.5, nan\]"):
        env.step(a)
    with pytest.raises(TypeError, match=r"actions must be real numbers; got dtype bool"):
        env.step(np.zeros((2, 2, 2), bool))
    p = ParallelEnv(Box(1))
    p.reset()
    with pytest.raises(ValueError, match=r"agent 'a_1': action .* is not in its action space"):
        p.step({"a_0": np.zeros(2), "a_1": np.array([0.0, 2.0])})
    with pytest.raises(ValueError, match=r"agent 'a_1': action"):
        p.step({"a_0": np.zeros(2), "a_1": np.zeros(3)})


def test_parallel_env_errors_name_the_agent_and_action():
    env = envs.make("climbing")
    with pytest.raises(RuntimeError, match=r"ParallelEnv.step\(\): the episode has ended .*reset"):
        env.step({"player_0": 0, "player_1": 0})
    env.reset(seed=0)
    with pytest.raises(ValueError, match=r"actions gives no action for agent 'player_1'"):
        env.step({"player_0": 0})
    with pytest.raises(ValueError, match=r"actions has key 'player_9', which is not an agent"):
        env.step({"player_0": 0, "player_1": 0, "player_9": 0})
    with pytest.raises(
        ValueError, match=r"agent 'player_1': action 3 is not in its action space Discrete\(3\)"
    ):
        env.step({"player_0": 0, "player_1": 3})
    with pytest.raises(ValueError, match=r"agent 'player_0': action 1.0 is not in"):
        env.step({"player_0": 1.0, "player_1": 0})
    with pytest.raises(ValueError, match=r"agent 'player_0': action True is not in"):
        env.step({"player_0": True, "player_1": 0})
    with pytest.raises(ValueError, match=r"agent 'player_0': action 'a' is not in"):
        env.step({"player_0": "a", "player_1": 0})
    with pytest.raises(ValueError, match=r"actions must be a dict"):
        env.step([0, 0])
    # numpy integers of any width are actions
    obs, rew, term, trunc, info = env.step({"player_0": np.int32(0), "player_1": np.uint8(0)})
    assert rew == {"player_0": 11.0, "player_1": 11.0}
    assert all(type(v) is float for v in rew.values())
    assert all(type(v) is bool for v in (*term.values(), *trunc.values()))
    for _ in range(24):
        *_, trunc, _ = env.step({"player_0": 0, "player_1": 0})
    assert all(trunc.values()) and env.agents == []
    with pytest.raises(RuntimeError, match=r"the episode has ended"):
        env.step({"player_0": 0, "player_1": 0})
    env.reset()
    assert env.agents == ["player_0", "player_1"]


def test_parallel_env_needs_one_copy_and_gives_the_state():
    with pytest.raises(ValueError, match=r"ParallelEnv\(\): vec_env must have one copy"):
        ParallelEnv(envs.make_vec("climbing", 2))
    with pytest.raises(TypeError, match=r"ParallelEnv\(\): vec_env must be a VecEnv"):
        ParallelEnv(3)
    env = envs.make("soccer")
    obs, _ = env.reset(seed=0)
    assert env.state() == obs["player_0"]
    assert env.state_space is env.vec_env.state_space
    assert env.render() is None
    env.close()


def test_vec_env_construction_errors():
    d = gymnasium.spaces.Discrete(2)

    class V(VecEnv):
        def _reset_copies(self, idx):
            return np.zeros((len(idx), 2), np.int64)

        def _step(self, actions):
            return np.zeros((self.n_envs, 2), np.int64), np.zeros((self.n_envs, 2)), None

    with pytest.raises(ValueError, match=r"V\(\): agents must be distinct names"):
        V(1, ["a", "a"], [d, d], [d, d])
    with pytest.raises(ValueError, match=r"one observation space and one action space per agent"):
        V(1, ["a", "b"], [d], [d, d])
    with pytest.raises(ValueError, match=r"observation spaces must share one shape and dtype"):
        V(1, ["a", "b"], [d, gymnasium.spaces.Box(0, 1, (2,))], [d, d])
    with pytest.raises(ValueError, match=r"must be integer, or all real \(Box\)"):
        V(1, ["a", "b"], [d, d], [d, gymnasium.spaces.Box(0, 1, ())])
    with pytest.raises(TypeError, match=r"action spaces must be Discrete, MultiDiscrete"):
        V(1, ["a", "b"], [d, d], [gymnasium.spaces.Text(3)] * 2)
    with pytest.raises(TypeError, match=r"observation spaces must have a fixed shape"):
        V(1, ["a", "b"], [gymnasium.spaces.Text(3)] * 2, [d, d])
    with pytest.raises(ValueError, match=r"V\(\): max_steps must be >= 1"):
        V(1, ["a", "b"], [d, d], [d, d], max_steps=0)
    with pytest.raises(ValueError, match=r"V\(\): stream_offset must be >= 0"):
        V(1, ["a", "b"], [d, d], [d, d], stream_offset=-1)
    with pytest.raises(NotImplementedError, match=r"V defines no global state"):
        V(1, ["a", "b"], [d, d], [d, d]).state()
    with pytest.raises(TypeError, match=r"MarkovGameEnv\(\): game must be a MarkovGame"):
        MarkovGameEnv(3)
    with pytest.raises(ValueError, match=r"agents must name the game's 2 players"):
        MarkovGameEnv(envs.make_vec("climbing", 1).game, agents=("a",))
