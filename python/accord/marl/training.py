"""Training loop: a learner on vectorised copies of a Markov game or an environment."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from .._validate import fail, flag, integer
from .diagnostics import nash_conv
from .markov_game import MarkovGame
from .vector import MarkovGameVecEnv

__all__ = ["Learner", "TrainResult", "train"]


class Learner(Protocol):
    """What :func:`train` needs of a learner: joint actions for a batch of observations
    (state indices ``(E,)`` for the tabular learners), and an update from a batch of
    transitions.  A learner may also offer ``policies()``: one ``(S, k_i)`` array per
    player, ``(E, S, k_i)`` arrays (one policy per copy), or a joint ``(S, k_1, ...,
    k_n)`` distribution; :func:`train` then reports their NashConv where the game is
    known."""

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
    episode_ends
        ``(episodes,)`` the step (per copy, from 1) at which each one finished.
    learner
        The trained learner.
    steps
        Environment steps per copy.
    diagnostics
        Measured every ``eval_every`` steps: ``"step"`` (steps per copy so far),
        ``"episodes"`` (finished so far), ``"mean_return"`` (``(n,)`` mean return of
        the episodes finished since the previous measurement, NaN if none) and, when the
        game is known and the learner offers ``policies()``, ``"nash_conv"`` (the mean
        over copies for learners with one policy per copy).
    policies
        The learner's ``policies()`` at the end (``None`` if it has none).
    """

    episode_returns: np.ndarray
    episode_lengths: np.ndarray
    episode_ends: np.ndarray
    learner: Any
    steps: int
    diagnostics: dict[str, np.ndarray] = field(default_factory=dict)
    policies: Any = None


def _policies(learner) -> Any:
    get = getattr(learner, "policies", None)
    return get() if callable(get) else None


def _nash_conv(game: MarkovGame, policies) -> float:
    """NashConv of the learner's policy (the mean over copies for one per copy)."""
    if not isinstance(policies, np.ndarray):
        policies = list(policies)
    return float(np.mean(nash_conv(game, policies).nash_conv))


def _progress_bar(total, desc: str):
    """A tqdm bar, or None without tqdm (it comes with the runner extra)."""
    try:
        from tqdm.auto import tqdm
    except ImportError:  # pragma: no cover
        return None
    return tqdm(total=total, desc=desc)


def _environment(func, env, n_envs, seed, max_steps, env_kwargs):
    """``(stepper, game or None, n_agents, state_observed)`` for ``env``."""
    if isinstance(env, str):
        from . import envs  # PettingZoo is needed only for the named environments

        kw = dict(env_kwargs or {})
        if max_steps is not None:
            kw["max_steps"] = max_steps
        env = envs.make_vec(env, n_envs, seed=seed, **kw)
    elif env_kwargs:
        fail(func, "env_kwargs applies only to an environment given by name", TypeError)
    if isinstance(env, MarkovGame):
        vec = MarkovGameVecEnv(env, n_envs, seed=seed, max_steps=max_steps)
        return vec, env, env.num_players, True
    if callable(getattr(env, "step", None)) and hasattr(env, "possible_agents"):
        game = getattr(env, "game", None)
        return env, game if isinstance(game, MarkovGame) else None, env.num_agents, False
    fail(
        func,
        "env must be a MarkovGame, a VecEnv (accord.marl.envs.make_vec) or the name of an "
        f"environment; got {type(env).__name__}",
        TypeError,
    )


def train(
    env: MarkovGame | Any,
    learner: Learner,
    *,
    steps: int | None = None,
    episodes: int | None = None,
    n_envs: int = 64,
    seed=None,
    max_steps: int | None = None,
    env_kwargs: dict | None = None,
    eval_every: int | None = None,
    measure_nash_conv: bool = True,
    callback: Callable[[dict], None] | None = None,
    progress: bool = False,
) -> TrainResult:
    """Run ``learner`` on ``n_envs`` copies of ``env``, updating it after every step
    with the transitions of all copies.

    Parameters
    ----------
    env
        A :class:`MarkovGame` (stepped by :class:`MarkovGameVecEnv`; the learner sees
        state indices ``(E,)``), a :class:`accord.marl.envs.VecEnv` (the learner sees its
        observations ``(E, n, ...)``; its own ``n_envs`` counts), or the name of an
        environment (:func:`accord.marl.envs.make_vec` with ``env_kwargs``).  Tabular
        environments (``MarkovGameEnv``) hand the learner their state indices.
    steps, episodes
        Stop after ``steps`` steps per copy, or once ``episodes`` episodes have finished
        (over all copies); exactly one of them.
    n_envs, seed, max_steps
        Copies, seed of the environment, truncation horizon.
    eval_every
        Measure the diagnostics (:class:`TrainResult`) every this many steps (and at
        the end); ``None``: only at the end.
    measure_nash_conv
        Include NashConv in the measurements (it solves the game's model: exact but, on
        large games, slower than a few training steps).
    callback
        Called with each measurement (a dict of the diagnostics' names to values).
    progress
        Show a progress bar (tqdm, when installed) with the latest measurement.
    """
    func = "train"
    if not (callable(getattr(learner, "act", None)) and callable(getattr(learner, "update", None))):
        fail(func, f"learner must have act() and update(); got {type(learner).__name__}", TypeError)
    if (steps is None) == (episodes is None):
        fail(func, "give exactly one of steps= and episodes=", TypeError)
    steps = None if steps is None else integer(func, "steps", steps, minimum=1)
    episodes = None if episodes is None else integer(func, "episodes", episodes, minimum=1)
    n_envs = integer(func, "n_envs", n_envs, minimum=1)
    eval_every = None if eval_every is None else integer(func, "eval_every", eval_every, 1)
    progress = flag(func, "progress", progress)
    measure_nash_conv = flag(func, "measure_nash_conv", measure_nash_conv)
    if callback is not None and not callable(callback):
        fail(func, f"callback must be callable; got {type(callback).__name__}", TypeError)
    vec, game, n, tabular = _environment(func, env, n_envs, seed, max_steps, env_kwargs)
    if not tabular and getattr(vec, "state_observed", False):
        tabular = True
    if episodes is not None and game is not None and not game.terminal.any():
        if getattr(vec, "max_steps", None) is None:
            fail(
                func,
                "episodes= needs episodes that end: the game has no terminal state, so "
                "give max_steps (or use steps=)",
            )
    if tabular:
        obs = vec.states.copy() if isinstance(vec, MarkovGameVecEnv) else vec.reset(seed=seed)
    else:
        obs = vec.reset(seed=seed)
    if tabular and obs.ndim == 2:
        obs = obs[:, 0]
    E = vec.n_envs
    ret = np.zeros((E, n))
    length = np.zeros(E, dtype=np.int64)
    returns: list[np.ndarray] = []
    lengths: list[np.ndarray] = []
    ends: list[np.ndarray] = []
    diag: dict[str, list] = {"step": [], "episodes": [], "mean_return": [], "nash_conv": []}
    finished = since = 0
    bar = _progress_bar(steps if steps is not None else episodes, func) if progress else None

    def measure(t: int) -> None:
        nonlocal since
        recent = returns[-since:] if since else []
        mean = np.concatenate(recent).mean(axis=0) if recent else np.full(n, np.nan)
        since = 0
        row = {"step": t, "episodes": finished, "mean_return": mean}
        pol = _policies(learner) if game is not None and measure_nash_conv else None
        row["nash_conv"] = _nash_conv(game, pol) if pol is not None else np.nan
        for k, v in row.items():
            diag[k].append(v)
        if callback is not None:
            callback(row)
        if bar is not None:
            bar.set_postfix(nash_conv=row["nash_conv"], ret=float(np.nansum(mean)))

    t = 0
    while (steps is not None and t < steps) or (episodes is not None and finished < episodes):
        actions = learner.act(obs)
        step = vec.step(actions)
        if isinstance(vec, MarkovGameVecEnv):
            final, nxt = step.next_states, step.states
        else:
            final, nxt = step.final_observations, step.observations
            if tabular:
                final, nxt = final[:, 0], nxt[:, 0]
        learner.update(obs, actions, step.rewards, final, step.terminated)
        ret += step.rewards
        length += 1
        t += 1
        done = step.terminated | step.truncated
        if done.any():
            returns.append(ret[done].copy())
            lengths.append(length[done].copy())
            ends.append(np.full(int(done.sum()), t, dtype=np.int64))
            finished += int(done.sum())
            since += 1
            ret[done] = 0.0
            length[done] = 0
            if bar is not None and episodes is not None:
                bar.update(int(done.sum()))
        if bar is not None and steps is not None:
            bar.update(1)
        obs = nxt
        if eval_every is not None and t % eval_every == 0:
            measure(t)
    if not diag["step"] or diag["step"][-1] != t:
        measure(t)
    if bar is not None:
        bar.close()
    return TrainResult(
        np.concatenate(returns) if returns else np.zeros((0, n)),
        np.concatenate(lengths) if lengths else np.zeros(0, dtype=np.int64),
        np.concatenate(ends) if ends else np.zeros(0, dtype=np.int64),
        learner,
        t,
        {
            "step": np.array(diag["step"], dtype=np.int64),
            "episodes": np.array(diag["episodes"], dtype=np.int64),
            "mean_return": np.array(diag["mean_return"]).reshape(-1, n),
            "nash_conv": np.array(diag["nash_conv"], dtype=float),
        },
        _policies(learner),
    )
