"""Training loop: learners against a :class:`MarkovGame` on vectorised copies."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from .._validate import fail, integer
from .markov_game import MarkovGame
from .vector import MarkovGameVecEnv

__all__ = ["Learner", "TrainResult", "train"]


class Learner(Protocol):
    """What :func:`train` needs of a learner: joint actions for a batch of states,
    and an update from a batch of transitions."""

    def act(self, states: np.ndarray) -> np.ndarray: ...

    def update(
        self,
        states: np.ndarray,
        actions: np.ndarray,
        rewards: np.ndarray,
        next_states: np.ndarray,
        terminated: np.ndarray,
    ) -> None: ...


@dataclass(frozen=True)
class TrainResult:
    """What :func:`train` returns.

    Attributes
    ----------
    episode_returns
        ``(episodes, n)`` undiscounted return of each finished episode, in the order
        the episodes finished.
    episode_lengths
        ``(episodes,)`` their lengths in steps.
    learner
        The trained learner.
    steps
        Environment steps per copy.
    """

    episode_returns: np.ndarray
    episode_lengths: np.ndarray
    learner: Any
    steps: int


def train(
    game: MarkovGame,
    learner: Learner,
    *,
    steps: int,
    n_envs: int = 64,
    seed=None,
    max_steps: int | None = None,
) -> TrainResult:
    """Run ``learner`` on ``n_envs`` copies of ``game`` for ``steps`` steps each,
    updating it after every step with the transitions of all copies."""
    func = "train"
    if not isinstance(game, MarkovGame):
        fail(func, f"game must be a MarkovGame; got {type(game).__name__}", TypeError)
    if not (callable(getattr(learner, "act", None)) and callable(getattr(learner, "update", None))):
        fail(func, f"learner must have act() and update(); got {type(learner).__name__}", TypeError)
    steps = integer(func, "steps", steps, minimum=1)
    env = MarkovGameVecEnv(game, n_envs, seed=seed, max_steps=max_steps)
    states = env.states.copy()
    ret = np.zeros((env.n_envs, game.num_players))
    returns: list[np.ndarray] = []
    lengths: list[np.ndarray] = []
    length = np.zeros(env.n_envs, dtype=np.int64)
    for _ in range(steps):
        actions = learner.act(states)
        step = env.step(actions)
        learner.update(states, actions, step.rewards, step.next_states, step.terminated)
        ret += step.rewards
        length += 1
        done = step.terminated | step.truncated
        if done.any():
            returns.append(ret[done].copy())
            lengths.append(length[done].copy())
            ret[done] = 0.0
            length[done] = 0
        states = step.states
    n = game.num_players
    return TrainResult(
        np.concatenate(returns) if returns else np.zeros((0, n)),
        np.concatenate(lengths) if lengths else np.zeros(0, dtype=np.int64),
        learner,
        steps,
    )
