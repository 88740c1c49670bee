"""Vectorised multi-agent environments: ``E`` copies stepped in one array operation.

:class:`VecEnv` holds ``E`` copies of an ``n``-agent environment.  Observations are one
array ``(E, n, *obs_shape)``, actions one array ``(E, n, *act_shape)``, rewards
``(E, n)``; a copy that terminates or reaches ``max_steps`` is reset on the same call
(auto-reset), and :class:`EnvStep` reports the observations of the states reached
before the reset as well.  The PettingZoo view of one copy is
:class:`accord.marl.envs.ParallelEnv`.

Randomness is counter-based (Philox4x32-10, Salmon et al. 2011): copy ``e`` draws from
stream ``stream_offset + e`` under the key set by the seed, at its own counter, so
copy ``e`` of ``E`` copies follows the same trajectory (given the same actions) as a
single environment on stream ``e``, for every ``E``.  The key is set by the
constructor's ``seed`` or by ``reset(seed=...)`` (which also rewinds the counters);
``reset()`` without a seed continues the streams (Gymnasium's convention), so a single
environment reset by hand between episodes draws exactly what an auto-reset copy draws.

Subclasses implement :meth:`VecEnv._reset_copies` and :meth:`VecEnv._step`, and draw
their random numbers with :meth:`VecEnv._uniforms` / :meth:`VecEnv._normals`, always the
same number of draws per copy for a given call, whatever the copies' states.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass

import gymnasium
import numpy as np

from ..._validate import fail, integer, seed_value
from ._random import blocks, normals, uniforms

__all__ = ["EnvStep", "VecEnv"]


@dataclass(frozen=True)
class EnvStep:
    """What :meth:`VecEnv.step` returns.

    Attributes
    ----------
    observations
        ``(E, n, *obs_shape)`` the observations now: of the states reached, or (with
        auto-reset) of the fresh start of each copy that terminated or was truncated.
    rewards
        ``(E, n)`` float64 rewards of the step.
    terminated
        ``(E,)`` bool: the copy reached a terminal state.
    truncated
        ``(E,)`` bool: the copy reached ``max_steps`` without terminating.
    final_observations
        ``(E, n, *obs_shape)`` the observations of the states reached, before any
        reset (equal to ``observations`` for copies that continue).
    """

    observations: np.ndarray
    rewards: np.ndarray
    terminated: np.ndarray
    truncated: np.ndarray
    final_observations: np.ndarray


def _bounds(space: gymnasium.spaces.Space) -> tuple[str, np.ndarray, np.ndarray]:
    """(kind, lowest, highest) admissible action of ``space``: kind ``"int"`` for
    Discrete, MultiDiscrete and MultiBinary spaces, ``"real"`` for Box."""
    S = gymnasium.spaces
    if isinstance(space, S.Discrete):
        lo = np.asarray(space.start, dtype=np.int64)
        return "int", lo, lo + int(space.n) - 1
    if isinstance(space, S.MultiDiscrete):
        lo = np.asarray(space.start, dtype=np.int64)
        return "int", lo, lo + np.asarray(space.nvec, dtype=np.int64) - 1
    if isinstance(space, S.MultiBinary):
        return "int", np.zeros(space.shape, np.int64), np.ones(space.shape, np.int64)
    if isinstance(space, S.Box):
        kind = "int" if np.issubdtype(space.dtype, np.integer) else "real"
        return kind, np.asarray(space.low), np.asarray(space.high)
    raise TypeError(
        f"VecEnv: action spaces must be Discrete, MultiDiscrete, MultiBinary or Box; got "
        f"{type(space).__name__}"
    )


class VecEnv(ABC):
    """``E`` copies of an ``n``-agent environment stepped in one array operation.

    Parameters
    ----------
    n_envs
        Number of copies ``E``.
    agents
        The agents' names, e.g. ``("player_0", "player_1")``.
    observation_spaces, action_spaces
        One Gymnasium space per agent (for one copy); all observation spaces share one
        shape and dtype, and so do all action spaces.
    max_steps
        Truncate an episode after this many steps (``None``: never).
    seed
        Key of the copies' random streams (``None``: a fresh random key).
    stream_offset
        Copy ``e`` draws from stream ``stream_offset + e``.
    autoreset
        Reset finished copies on the step that finishes them (default).  Without
        auto-reset a finished copy must be reset with :meth:`reset` before it is
        stepped again.

    Attributes
    ----------
    name
        The registry name.
    possible_agents
        Tuple of the agents' names.
    n_envs, max_steps
    steps
        ``(E,)`` steps taken in each copy's current episode.
    """

    name: str = ""

    def __init__(
        self,
        n_envs: int,
        agents: Sequence[str],
        observation_spaces: Sequence[gymnasium.spaces.Space],
        action_spaces: Sequence[gymnasium.spaces.Space],
        *,
        max_steps: int | None = None,
        seed: int | None = None,
        stream_offset: int = 0,
        autoreset: bool = True,
    ) -> None:
        func = type(self).__name__
        self.n_envs = integer(func, "n_envs", n_envs, minimum=1)
        self.max_steps = None if max_steps is None else integer(func, "max_steps", max_steps, 1)
        self.possible_agents = tuple(str(a) for a in agents)
        n = len(self.possible_agents)
        if n < 1 or len(set(self.possible_agents)) != n:
            fail(func, f"agents must be distinct names, at least one; got {agents!r}")
        if len(observation_spaces) != n or len(action_spaces) != n:
            fail(func, f"give one observation space and one action space per agent ({n})")
        self._obs_spaces = dict(zip(self.possible_agents, observation_spaces, strict=True))
        self._act_spaces = dict(zip(self.possible_agents, action_spaces, strict=True))
        obs0 = observation_spaces[0]
        if obs0.shape is None:
            fail(func, f"observation spaces must have a fixed shape; got {obs0}", TypeError)
        if any(s.shape != obs0.shape or s.dtype != obs0.dtype for s in observation_spaces):
            fail(func, "all agents' observation spaces must share one shape and dtype")
        bounds = [_bounds(s) for s in action_spaces]
        act0 = action_spaces[0]
        if any(s.shape != act0.shape for s in action_spaces):
            fail(func, "all agents' action spaces must share one shape")
        self.obs_shape: tuple[int, ...] = tuple(obs0.shape)
        self.obs_dtype = np.dtype(obs0.dtype)
        if act0.shape is None:
            fail(func, f"action spaces must have a fixed shape; got {act0}", TypeError)
        self.act_shape: tuple[int, ...] = tuple(act0.shape)
        kinds = {k for k, _, _ in bounds}
        if len(kinds) != 1:
            fail(func, "all agents' action spaces must be integer, or all real (Box)")
        self._act_kind = kinds.pop()
        self._act_lo = np.stack([np.broadcast_to(lo, self.act_shape) for _, lo, _ in bounds])
        self._act_hi = np.stack([np.broadcast_to(hi, self.act_shape) for _, _, hi in bounds])
        self.autoreset = bool(autoreset)
        self.steps = np.zeros(self.n_envs, dtype=np.int64)
        self._needs_reset = np.ones(self.n_envs, dtype=bool)
        self._init_streams(seed, stream_offset)

    # -- spaces --------------------------------------------------------------------------
    @property
    def num_agents(self) -> int:
        """Number of agents ``n``."""
        return len(self.possible_agents)

    def observation_space(self, agent: str) -> gymnasium.spaces.Space:
        """The observation space of ``agent`` in one copy (the same object every call)."""
        return self._obs_spaces[self._agent(agent, "observation_space")]

    def action_space(self, agent: str) -> gymnasium.spaces.Space:
        """The action space of ``agent`` in one copy (the same object every call)."""
        return self._act_spaces[self._agent(agent, "action_space")]

    def _agent(self, agent, method: str) -> str:
        if agent not in self._obs_spaces:
            fail(
                f"{type(self).__name__}.{method}",
                f"agent must be one of {', '.join(map(repr, self.possible_agents))}; got {agent!r}",
            )
        return agent

    # -- random numbers ------------------------------------------------------------------
    def _init_streams(
        self, seed: int | None, stream_offset: int = 0, func: str | None = None
    ) -> None:
        """Set the key (``seed``; ``None``: fresh) and rewind every copy's counter;
        argument errors are reported under ``func``."""
        func = func or type(self).__name__
        off = integer(func, "stream_offset", stream_offset, minimum=0)
        if off + self.n_envs > 2**64:
            fail(func, f"stream_offset + n_envs must be <= 2**64; got {off + self.n_envs}")
        self._key = seed_value(func, seed)
        self._streams = np.arange(self.n_envs, dtype=np.uint64) + np.uint64(off)
        self._counters = np.zeros(self.n_envs, dtype=np.uint64)
        self.stream_offset = off

    def _uniforms(self, draws: int, idx: np.ndarray | None = None) -> np.ndarray:
        """``(len(idx), draws)`` uniforms in ``[0, 1)`` for the copies ``idx`` (default:
        all), each from its own stream; advances those copies' counters."""
        if idx is None:
            u = uniforms(self._key, self._streams, self._counters, draws)
            self._counters += np.uint64(blocks(draws))
            return u
        idx = np.asarray(idx, dtype=np.int64)
        u = uniforms(self._key, self._streams[idx], self._counters[idx], draws)
        self._counters[idx] += np.uint64(blocks(draws))
        return u

    def _normals(self, draws: int, idx: np.ndarray | None = None) -> np.ndarray:
        """``(len(idx), draws)`` standard normals (Box-Muller on ``2 ceil(draws / 2)``
        uniforms) for the copies ``idx`` (default: all)."""
        m = 2 * blocks(draws)
        return normals(self._uniforms(m, idx))[:, :draws]

    # -- the environment -----------------------------------------------------------------
    @abstractmethod
    def _reset_copies(self, idx: np.ndarray) -> np.ndarray:
        """Start the copies ``idx`` (int64 ``(m,)``, sorted) afresh; return their
        observations ``(m, n, *obs_shape)``."""

    @abstractmethod
    def _step(self, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Advance every copy by the validated ``actions`` ``(E, n, *act_shape)``
        (int64 for integer spaces, float64 for Box); return ``(observations (E, n,
        *obs_shape), rewards (E, n), terminated (E,) bool)``."""

    def state(self) -> np.ndarray:
        """The global state of every copy, ``(E, *state_shape)``, where the
        environment defines one (``state_space`` is then the space of one copy)."""
        raise NotImplementedError(f"{type(self).__name__} defines no global state")

    def reset(self, seed: int | None = None) -> np.ndarray:
        """Start every copy afresh; returns the observations ``(E, n, *obs_shape)``.

        ``seed`` sets the streams' key and rewinds them; without it the streams
        continue.
        """
        if seed is not None:
            self._init_streams(seed, self.stream_offset, f"{type(self).__name__}.reset")
        idx = np.arange(self.n_envs, dtype=np.int64)
        obs = self._reset_copies(idx)
        self.steps[:] = 0
        self._needs_reset[:] = False
        return obs

    def reset_copies(self, idx) -> np.ndarray:
        """Start only the copies ``idx`` afresh (for ``autoreset=False``); returns their
        observations ``(len(idx), n, *obs_shape)``."""
        func = f"{type(self).__name__}.reset_copies"
        i = np.unique(np.asarray(idx))
        if i.size and (not np.issubdtype(i.dtype, np.integer) or i[0] < 0 or i[-1] >= self.n_envs):
            fail(func, f"idx must be copy indices in 0..{self.n_envs - 1}; got {idx!r}")
        i = i.astype(np.int64)
        obs = self._reset_copies(i)
        self.steps[i] = 0
        self._needs_reset[i] = False
        return obs

    def _check_actions(self, actions, func: str) -> np.ndarray:
        """``actions`` validated as ``(E, n, *act_shape)``: int64 or float64, each
        inside its agent's space; errors name the copy, agent and action."""
        a = np.asarray(actions)
        shape = (self.n_envs, self.num_agents, *self.act_shape)
        if a.shape != shape:
            fail(func, f"actions must have shape (E, n, *act_shape) = {shape}; got {a.shape}")
        if self._act_kind == "int":
            if a.dtype == bool or not np.issubdtype(a.dtype, np.integer):
                fail(func, f"actions must be integers; got dtype {a.dtype}", TypeError)
            a = a.astype(np.int64)
        else:
            if a.dtype == bool or not (
                np.issubdtype(a.dtype, np.integer) or np.issubdtype(a.dtype, np.floating)
            ):
                fail(func, f"actions must be real numbers; got dtype {a.dtype}", TypeError)
            a = a.astype(np.float64)
        ok = (a >= self._act_lo) & (a <= self._act_hi)  # NaN fails both
        if not ok.all():
            e, i = (int(v) for v in np.argwhere(~ok)[0][:2])
            agent = self.possible_agents[i]
            fail(
                func,
                f"copy {e}, agent {agent!r}: action {a[e, i].tolist()!r} is not in its "
                f"action space {self._act_spaces[agent]}",
            )
        return a

    def step(self, actions) -> EnvStep:
        """Play ``actions`` ``(E, n, *act_shape)`` in every copy.

        Each action must lie in its agent's space (nothing is clipped).  Copies that
        terminate or reach ``max_steps`` are reset on this call (with ``autoreset``).
        """
        func = f"{type(self).__name__}.step"
        if self._needs_reset.any():
            e = int(np.flatnonzero(self._needs_reset)[0])
            fail(
                func,
                f"copy {e} has not been reset since it was created or finished; call reset() first",
                RuntimeError,
            )
        return self._advance(self._check_actions(actions, func))

    def _advance(self, a: np.ndarray) -> EnvStep:
        """:meth:`step` with actions already validated (int64 or float64)."""
        obs, rewards, terminated = self._step(a)
        rewards = np.asarray(rewards, dtype=np.float64)
        terminated = np.asarray(terminated, dtype=bool)
        self.steps += 1
        if self.max_steps is None:
            truncated = np.zeros(self.n_envs, dtype=bool)
        else:
            truncated = ~terminated & (self.steps >= self.max_steps)
        done = terminated | truncated
        final = obs
        obs = obs.copy()
        if done.any():
            idx = np.flatnonzero(done).astype(np.int64)
            if self.autoreset:
                obs[idx] = self._reset_copies(idx)
                self.steps[idx] = 0
            else:
                self._needs_reset[idx] = True
        return EnvStep(obs, rewards, terminated, truncated, final)

    def close(self) -> None:
        """Release resources (none by default)."""
        return None

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(name={self.name!r}, n_envs={self.n_envs}, "
            f"agents={len(self.possible_agents)}, max_steps={self.max_steps})"
        )
