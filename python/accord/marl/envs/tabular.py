"""Any finite Markov game as a vectorised environment.

:class:`MarkovGameEnv` plays a :class:`accord.marl.MarkovGame` (Shapley 1953; Littman
1994): every agent observes the state index, agent ``i`` chooses one of ``k_i`` actions,
rewards are the game's ``R[i, s, a]`` and the next state is drawn from ``P[s, a, :]``
by inverse transform sampling on the copy's own random stream.  Terminal states end
an episode; ``max_steps`` truncates it.  The state indices are kept in
:attr:`MarkovGameEnv.states`, so the tabular learners of :mod:`accord.marl` (which
act on state indices) train on it directly.

Registered here: ``soccer`` (Littman 1994), ``grid-game-1`` and ``grid-game-2`` (Hu &
Wellman 2003).
"""

from __future__ import annotations

import functools
import weakref

import gymnasium
import numpy as np

from ..._validate import check_bytes, fail, real
from ..dec_pomdp import DecPOMDP
from ..grid_games import GRID_GAME_DISCOUNT, grid_game_1, grid_game_2
from ..markov_game import MarkovGame
from ..soccer import soccer
from .base import VecEnv
from .registry import register

__all__ = ["DecPOMDPEnv", "MarkovGameEnv"]

# Sparse inverse-transform tables, one per game (games are immutable).
_TABLES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _tables(game: MarkovGame) -> tuple[np.ndarray, np.ndarray]:
    """Per (state, joint action) row: the successors with positive probability in
    increasing order, ``(R, m)`` (padded with 0), and their cumulative probabilities
    ``(R, m)`` (padded with +inf, the last real entry also +inf so that rounding below 1
    cannot run past it)."""
    if game in _TABLES:
        return _TABLES[game]
    S = game.num_states
    P = game.transitions.reshape(-1, S)
    counts = np.count_nonzero(P, axis=1)
    m = max(int(counts.max()), 1)
    check_bytes("MarkovGameEnv", 16 * P.shape[0] * m, "the transition tables", "fewer states")
    rows, cols = np.nonzero(P)
    pos = np.arange(rows.size) - np.repeat(np.cumsum(counts) - counts, counts)
    nxt = np.zeros((P.shape[0], m), dtype=np.int64)
    nxt[rows, pos] = cols
    prob = np.zeros((P.shape[0], m))
    prob[rows, pos] = P[rows, cols]
    cdf = np.cumsum(prob, axis=1)
    cdf[np.arange(m)[None, :] >= counts[:, None] - 1] = np.inf
    _TABLES[game] = (nxt, cdf)
    return nxt, cdf


class MarkovGameEnv(VecEnv):
    """``n_envs`` copies of a :class:`MarkovGame` as a :class:`VecEnv`.

    Every agent observes the state index (``Discrete(S)``); agent ``i``'s actions are
    ``Discrete(k_i)``.  The start state is drawn from ``game.initial``, each successor
    from the transition row of the joint action (one uniform per copy and draw).

    Parameters
    ----------
    game
        The :class:`MarkovGame`.
    n_envs
        Number of copies.
    max_steps
        Truncate an episode after this many steps (``None``: never).
    agents
        The agents' names (default ``player_0``, ``player_1``, ...).
    seed, stream_offset
        As for :class:`VecEnv`.

    Attributes
    ----------
    game
        The game.
    states
        ``(E,)`` int64 the copies' current states (after any auto-reset).
    state_space
        ``Discrete(S)``, the space of :meth:`state`.
    state_observed
        True: the agents observe the state index (tabular learners can use it).
    """

    state_observed = True

    def __init__(
        self,
        game: MarkovGame,
        n_envs: int = 1,
        *,
        max_steps: int | None = None,
        agents: tuple[str, ...] | None = None,
        seed: int | None = None,
        stream_offset: int = 0,
    ) -> None:
        func = "MarkovGameEnv"
        if not isinstance(game, MarkovGame):
            fail(func, f"game must be a MarkovGame; got {type(game).__name__}", TypeError)
        n = game.num_players
        if agents is None:
            agents = tuple(f"player_{i}" for i in range(n))
        elif len(agents) != n:
            fail(func, f"agents must name the game's {n} players; got {len(agents)} names")
        S = game.num_states
        obs_space = gymnasium.spaces.Discrete(S)
        super().__init__(
            n_envs,
            agents,
            [obs_space] * n,
            [gymnasium.spaces.Discrete(k) for k in game.num_actions],
            max_steps=max_steps,
            seed=seed,
            stream_offset=stream_offset,
        )
        self.game = game
        self.state_space = obs_space
        self._next, self._cdf = _tables(game)
        ks = game.num_actions
        self._strides = np.array([int(np.prod(ks[i + 1 :])) for i in range(n)], dtype=np.int64)
        self._joint = int(np.prod(ks))
        self._rewards = game.rewards.reshape(n, S, self._joint)
        self._start_cdf = np.cumsum(game.initial)
        self._start_cdf[np.flatnonzero(game.initial > 0)[-1] :] = np.inf
        self.states = np.zeros(self.n_envs, dtype=np.int64)

    def _observe(self, states: np.ndarray) -> np.ndarray:
        return np.repeat(states[:, None], self.num_agents, axis=1)

    def _reset_copies(self, idx: np.ndarray) -> np.ndarray:
        u = self._uniforms(1, idx)[:, 0]
        s = np.searchsorted(self._start_cdf, u, side="right").astype(np.int64)
        self.states[idx] = s
        return self._observe(s)

    def _step(self, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        joint = actions @ self._strides
        s = self.states
        rewards = self._rewards[:, s, joint].T
        row = s * self._joint + joint
        u = self._uniforms(1)[:, 0]
        k = (self._cdf[row] <= u[:, None]).sum(axis=1)
        nxt = self._next[row, k]
        self.states = nxt
        return self._observe(nxt), rewards, self.game.terminal[nxt]

    def state(self) -> np.ndarray:
        """``(E,)`` the copies' state indices."""
        return self.states.copy()


@functools.cache
def _soccer(discount: float) -> MarkovGame:
    return soccer(discount)


@functools.cache
def _grid(which: int, discount: float) -> MarkovGame:
    return grid_game_1(discount) if which == 1 else grid_game_2(discount)


def _discount(discount) -> float:
    return real("make", "discount", discount, 0.0, 1.0, high_open=True)


def _soccer_env(
    n_envs: int, *, discount: float = 0.9, max_steps: int | None = 1000
) -> MarkovGameEnv:
    """Littman's (1994) soccer; ``max_steps`` truncates a game that never scores."""
    return MarkovGameEnv(_soccer(_discount(discount)), n_envs, max_steps=max_steps)


def _grid_env(which: int):
    def factory(
        n_envs: int, *, discount: float = GRID_GAME_DISCOUNT, max_steps: int | None = 100
    ) -> MarkovGameEnv:
        """Grid game of Hu & Wellman (2003); ``max_steps`` truncates a game that never
        ends."""
        return MarkovGameEnv(_grid(which, _discount(discount)), n_envs, max_steps=max_steps)

    return factory


register("soccer", _soccer_env)
register("grid-game-1", _grid_env(1))
register("grid-game-2", _grid_env(2))


class DecPOMDPEnv(MarkovGameEnv):
    """``n_envs`` copies of a :class:`accord.marl.DecPOMDP` as a :class:`VecEnv`.

    Agent ``i`` observes only its own observation (``Discrete(m_i)``), drawn from
    ``O_i[s', a, :]`` after each step and from ``initial_observations[i][s0, :]`` at the
    start of an episode; the hidden states are in :attr:`states` and :meth:`state`.
    Each step draws ``1 + n`` uniforms per copy (successor, then each agent's
    observation), each reset as many (start state, observations).

    Parameters
    ----------
    model
        The :class:`DecPOMDP`.
    n_envs, max_steps, agents, seed, stream_offset
        As for :class:`MarkovGameEnv`.

    Attributes
    ----------
    model
        The Dec-POMDP; ``game`` is its Markov game.
    """

    state_observed = False

    def __init__(
        self,
        model: DecPOMDP,
        n_envs: int = 1,
        *,
        max_steps: int | None = None,
        agents: tuple[str, ...] | None = None,
        seed: int | None = None,
        stream_offset: int = 0,
    ) -> None:
        if not isinstance(model, DecPOMDP):
            fail("DecPOMDPEnv", f"model must be a DecPOMDP; got {type(model).__name__}", TypeError)
        self.model = model
        super().__init__(
            model.game,
            n_envs,
            max_steps=max_steps,
            agents=agents,
            seed=seed,
            stream_offset=stream_offset,
        )
        ms = model.num_observations
        m = max(ms)
        spaces = [gymnasium.spaces.Discrete(k) for k in ms]
        self._obs_spaces = dict(zip(self.possible_agents, spaces, strict=True))
        n, S = self.num_agents, model.num_states
        # per agent: cumulative observation rows (S * K, m), padded with +inf
        self._obs_cdf = np.full((n, S * self._joint, m), np.inf)
        self._init_cdf = np.full((n, S, m), np.inf)
        for i, (Oi, Ii) in enumerate(
            zip(model.observations, model.initial_observations, strict=True)
        ):
            self._obs_cdf[i, :, : ms[i] - 1] = np.cumsum(Oi.reshape(-1, ms[i]), axis=1)[:, :-1]
            self._init_cdf[i, :, : ms[i] - 1] = np.cumsum(Ii, axis=1)[:, :-1]

    def _draw(self, cdf: np.ndarray, rows: np.ndarray, u: np.ndarray) -> np.ndarray:
        # cdf (n, R, m), rows (E,), u (E, n) -> observations (E, n)
        c = cdf[:, rows, :]  # (n, E, m)
        return (c <= u.T[:, :, None]).sum(axis=2).T.astype(np.int64)

    def _reset_copies(self, idx: np.ndarray) -> np.ndarray:
        u = self._uniforms(1 + self.num_agents, idx)
        s = np.searchsorted(self._start_cdf, u[:, 0], side="right").astype(np.int64)
        self.states[idx] = s
        return self._draw(self._init_cdf, s, u[:, 1:])

    def _step(self, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        joint = actions @ self._strides
        s = self.states
        rewards = self._rewards[:, s, joint].T
        row = s * self._joint + joint
        u = self._uniforms(1 + self.num_agents)
        k = (self._cdf[row] <= u[:, :1]).sum(axis=1)
        nxt = self._next[row, k]
        self.states = nxt
        obs = self._draw(self._obs_cdf, nxt * self._joint + joint, u[:, 1:])
        return obs, rewards, self.game.terminal[nxt]
