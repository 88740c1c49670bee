"""Many copies of a :class:`MarkovGame` stepped together with NumPy.

``E`` copies are held as one ``(E,)`` array of states; a step takes the joint actions
``(E, n)``, draws every copy's next state by inverse transform sampling from its
transition row, and returns arrays.  A copy that reaches a terminal state, or that has
run ``max_steps`` steps, is reset on the same call (its successor is still returned,
for the learners' updates).  Copies draw from one seeded generator, so a seed gives
the same trajectories on every run.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validate import check_bytes, fail, generator, integer
from .markov_game import MarkovGame

__all__ = ["MarkovGameVecEnv", "VecStep"]


@dataclass(frozen=True)
class VecStep:
    """What one step of :class:`MarkovGameVecEnv` returns.

    Attributes
    ----------
    next_states
        ``(E,)`` the states the copies moved to (terminal ones included).
    rewards
        ``(E, n)`` each player's reward.
    terminated
        ``(E,)`` the copy reached a terminal state.
    truncated
        ``(E,)`` the copy reached ``max_steps`` without terminating.
    states
        ``(E,)`` the states the copies are in now: ``next_states``, or a fresh start
        for copies that terminated or were truncated.
    """

    next_states: np.ndarray
    rewards: np.ndarray
    terminated: np.ndarray
    truncated: np.ndarray
    states: np.ndarray


class MarkovGameVecEnv:
    """``n_envs`` copies of ``game``, stepped in one array operation.

    Parameters
    ----------
    game
        The :class:`MarkovGame`.
    n_envs
        Number of copies ``E``.
    seed
        Seed of the copies' generator (int, ``None`` or a Generator).
    max_steps
        Truncate an episode after this many steps (``None``: never).
    """

    def __init__(
        self, game: MarkovGame, n_envs: int, *, seed=None, max_steps: int | None = None
    ) -> None:
        func = "MarkovGameVecEnv"
        if not isinstance(game, MarkovGame):
            fail(func, f"game must be a MarkovGame; got {type(game).__name__}", TypeError)
        self.game = game
        self.n_envs = integer(func, "n_envs", n_envs, minimum=1)
        self.max_steps = None if max_steps is None else integer(func, "max_steps", max_steps, 1)
        check_bytes(
            func,
            8 * game.transitions.size + 40 * self.n_envs,
            "the cumulative transition table",
            "a game with fewer states",
        )
        S, ks = game.num_states, game.num_actions
        self._cdf = np.cumsum(game.transitions.reshape(-1, S), axis=1)
        self._cdf[:, -1] = np.inf  # rounding can leave the last sum just below 1
        self._strides = np.array(
            [int(np.prod(ks[i + 1 :])) for i in range(len(ks))], dtype=np.int64
        )
        self._start_cdf = np.cumsum(game.initial)
        self._start_cdf[-1] = np.inf
        self.rng = generator(func, seed)
        self.states = np.zeros(self.n_envs, dtype=np.int64)
        self.steps = np.zeros(self.n_envs, dtype=np.int64)
        self.reset()

    def _starts(self, count: int) -> np.ndarray:
        return np.searchsorted(self._start_cdf, self.rng.random(count), side="right")

    def reset(self) -> np.ndarray:
        """Start every copy afresh; returns the ``(E,)`` states."""
        self.states = self._starts(self.n_envs)
        self.steps[:] = 0
        return self.states.copy()

    def step(self, actions: np.ndarray) -> VecStep:
        """Play ``actions`` ``(E, n)`` (int) in every copy."""
        func = "MarkovGameVecEnv.step"
        g = self.game
        a = np.asarray(actions)
        if a.shape != (self.n_envs, g.num_players) or not np.issubdtype(a.dtype, np.integer):
            fail(
                func,
                f"actions must be an integer array of shape ({self.n_envs}, "
                f"{g.num_players}); got {a.dtype} of shape {a.shape}",
            )
        ks = np.asarray(g.num_actions)
        bad = (a < 0) | (a >= ks)
        if bad.any():
            e, i = (int(v) for v in np.argwhere(bad)[0])
            fail(func, f"copy {e}: player {i}'s action {int(a[e, i])} is not in 0..{ks[i] - 1}")
        joint = a @ self._strides
        row = self.states * int(np.prod(g.num_actions)) + joint
        u = self.rng.random(self.n_envs)
        nxt = (self._cdf[row] <= u[:, None]).sum(axis=1)
        rewards = g.rewards.reshape(g.num_players, g.num_states, -1)[:, self.states, joint].T
        self.steps += 1
        terminated = g.terminal[nxt]
        truncated = ~terminated & (
            self.steps >= self.max_steps if self.max_steps is not None else False
        )
        done = terminated | truncated
        states = nxt.copy()
        if done.any():
            states[done] = self._starts(int(done.sum()))
            self.steps[done] = 0
        self.states = states
        return VecStep(nxt, rewards, terminated, np.asarray(truncated), states.copy())
