"""PettingZoo views of one environment copy.

:class:`ParallelEnv` is PettingZoo's Parallel API (Terry et al. 2021, "PettingZoo: Gym
for multi-agent reinforcement learning", NeurIPS) over one copy of a :class:`VecEnv`,
without auto-reset: once the episode ends, ``agents`` is empty and the environment must
be reset.  :func:`to_aec` gives the agent-environment-cycle (AEC) view by PettingZoo's
own ``parallel_to_aec`` conversion.
"""

from __future__ import annotations

from typing import Any

import gymnasium
import numpy as np
import pettingzoo  # type: ignore[import-untyped]
from pettingzoo.utils.conversions import parallel_to_aec  # type: ignore[import-untyped]

from ..._validate import fail
from .base import VecEnv

__all__ = ["ParallelEnv", "to_aec"]


class ParallelEnv(pettingzoo.ParallelEnv):
    """PettingZoo Parallel API over copy 0 of ``vec_env`` (which must have one copy).

    Parameters
    ----------
    vec_env
        A :class:`VecEnv` with ``n_envs == 1``; it is switched to ``autoreset=False``.

    Attributes
    ----------
    vec_env
        The underlying vectorised environment.
    metadata
        ``{"name": <registry name>, "render_modes": []}``.
    possible_agents, agents
        All agents, and the agents of the running episode (empty once it ended).
    """

    render_mode = None

    def __init__(self, vec_env: VecEnv) -> None:
        func = "ParallelEnv"
        if not isinstance(vec_env, VecEnv):
            fail(func, f"vec_env must be a VecEnv; got {type(vec_env).__name__}", TypeError)
        if vec_env.n_envs != 1:
            fail(func, f"vec_env must have one copy; got n_envs={vec_env.n_envs}")
        vec_env.autoreset = False
        self.vec_env = vec_env
        self.metadata = {"name": vec_env.name, "render_modes": []}
        self.possible_agents = list(vec_env.possible_agents)
        self.agents: list[str] = []
        self.observation_spaces = {a: vec_env.observation_space(a) for a in self.possible_agents}
        self.action_spaces = {a: vec_env.action_space(a) for a in self.possible_agents}
        if hasattr(vec_env, "state_space"):
            self.state_space = vec_env.state_space
        self._index = {a: i for i, a in enumerate(self.possible_agents)}
        self._kind = vec_env._act_kind
        # Discrete actions: scalar bounds for the common case of one integer per agent
        self._scalar = self._kind == "int" and vec_env.act_shape == ()
        self._lo = [int(x) for x in vec_env._act_lo.reshape(-1)] if self._scalar else []
        self._hi = [int(x) for x in vec_env._act_hi.reshape(-1)] if self._scalar else []

    def observation_space(self, agent: str) -> gymnasium.spaces.Space:
        """The observation space of ``agent`` (the same object every call)."""
        return self.vec_env.observation_space(agent)

    def action_space(self, agent: str) -> gymnasium.spaces.Space:
        """The action space of ``agent`` (the same object every call)."""
        return self.vec_env.action_space(agent)

    @property
    def unwrapped(self) -> ParallelEnv:
        return self

    def _obs(self, obs: np.ndarray) -> dict[str, Any]:
        # obs[0, i] is a NumPy scalar (Discrete) or a fresh array (copy)
        return {
            a: (obs[0, i].copy() if obs.ndim > 2 else obs[0, i])
            for i, a in enumerate(self.possible_agents)
        }

    def reset(
        self, seed: int | None = None, options: dict | None = None
    ) -> tuple[dict[str, Any], dict[str, dict]]:
        """Start an episode; ``seed`` sets the random streams (without it they continue).
        ``options`` is accepted and unused.  Returns ``(observations, infos)``."""
        obs = self.vec_env.reset(seed=seed)
        self.agents = list(self.possible_agents)
        return self._obs(obs), {a: {} for a in self.agents}

    def _action(self, agent: str, action) -> np.ndarray:
        func = f"{type(self).__name__}.step"
        space = self.vec_env.action_space(agent)
        i = self._index[agent]
        if self._scalar and isinstance(action, (int, np.integer)) and not isinstance(action, bool):
            if self._lo[i] <= action <= self._hi[i]:
                return np.asarray(action, dtype=np.int64)
        try:
            a = np.asarray(action)
        except (TypeError, ValueError):
            a = np.asarray(None)
        ok_kind = a.dtype != bool and (
            np.issubdtype(a.dtype, np.integer)
            or (self._kind == "real" and np.issubdtype(a.dtype, np.floating))
        )
        if ok_kind and a.shape == self.vec_env.act_shape:
            inside = (a >= self.vec_env._act_lo[i]) & (a <= self.vec_env._act_hi[i])
            if np.all(inside):
                return a
        fail(func, f"agent {agent!r}: action {action!r} is not in its action space {space}")

    def step(
        self, actions: dict[str, Any]
    ) -> tuple[dict, dict[str, float], dict[str, bool], dict[str, bool], dict[str, dict]]:
        """Play one joint action ``{agent: action}`` (every live agent, no other key).

        Returns ``(observations, rewards, terminations, truncations, infos)``, keyed by
        agent, with Python floats and bools.  After the last step of an episode
        ``agents`` is empty.
        """
        func = f"{type(self).__name__}.step"
        if not self.agents:
            fail(
                func,
                "the episode has ended (or reset() was never called): no agent can act; "
                "call reset() first",
                RuntimeError,
            )
        if not isinstance(actions, dict):
            fail(func, f"actions must be a dict {{agent: action}}; got {type(actions).__name__}")
        extra = [k for k in actions if k not in self._index]
        if extra:
            fail(
                func,
                f"actions has key {extra[0]!r}, which is not an agent of this environment "
                f"({', '.join(map(repr, self.possible_agents))})",
            )
        missing = [a for a in self.agents if a not in actions]
        if missing:
            fail(func, f"actions gives no action for agent {missing[0]!r}")
        if self.vec_env._needs_reset.any():
            fail(func, "the environment was reset outside this view; call reset()", RuntimeError)
        joint = np.stack([self._action(a, actions[a]) for a in self.possible_agents])
        dtype = np.int64 if self._kind == "int" else np.float64
        out = self.vec_env._advance(joint[None].astype(dtype))
        obs = self._obs(out.final_observations)
        rewards = {a: float(out.rewards[0, i]) for i, a in enumerate(self.possible_agents)}
        term = bool(out.terminated[0])
        trunc = bool(out.truncated[0])
        terminations = dict.fromkeys(self.possible_agents, term)
        truncations = dict.fromkeys(self.possible_agents, trunc)
        infos: dict[str, dict] = {a: {} for a in self.possible_agents}
        if term or trunc:
            self.agents = []
        return obs, rewards, terminations, truncations, infos

    def state(self) -> np.ndarray:
        """The global state of the copy, where the environment defines one."""
        return self.vec_env.state()[0]

    def render(self) -> None:
        """No rendering (``render_modes`` is empty)."""
        return None

    def close(self) -> None:
        """Release the underlying environment's resources."""
        self.vec_env.close()

    def __repr__(self) -> str:
        return f"ParallelEnv({self.metadata['name']!r})"

    def __str__(self) -> str:
        return str(self.metadata["name"])


def to_aec(env: ParallelEnv) -> pettingzoo.AECEnv:
    """The AEC view of ``env`` (PettingZoo's ``parallel_to_aec``): agents act in turn,
    the joint action is applied after the last agent of a cycle."""
    if not isinstance(env, ParallelEnv):
        fail("aec", f"env must be a ParallelEnv or a name; got {type(env).__name__}", TypeError)
    return parallel_to_aec(env)
