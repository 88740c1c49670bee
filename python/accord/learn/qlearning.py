"""Tabular Q-learning, vectorised over many independent learners (Watkins & Dayan (1992),
"Q-learning").

Each of ``n_learners`` learners (one per server, say) has its own table ``Q[l]`` of shape
``(n_states, n_actions)``; states are integers (:mod:`accord.loadbalance` discretises a
server's load ratio as ``int(10 * load_ratio)``). Calls take one entry per learner, or per
entry of ``learners`` (an int or a 1-D int array of learner indices, repeats allowed).
"""

from __future__ import annotations

import numpy as np

from ._common import (
    check_bytes,
    done_array,
    float_array,
    generator,
    index_array,
    integer,
    learner_index,
    random_argmax,
    real,
    sequential_passes,
)

__all__ = ["QLearning"]


class QLearning:
    """Epsilon-greedy tabular Q-learning for ``n_learners`` independent learners.

    Update (Watkins & Dayan (1992); Sutton & Barto (2018), Sec. 6.5)::

        Q[s, a] += alpha * (r + gamma * (1 - done) * max_a' Q[s', a'] - Q[s, a])

    ``alpha`` in (0, 1], ``gamma`` in [0, 1], ``epsilon`` in [0, 1] (``epsilon`` may be
    reassigned, e.g. from :mod:`accord.learn.schedules`); ``initial`` fills the table.
    """

    def __init__(
        self,
        n_learners: int,
        n_states: int,
        n_actions: int,
        alpha: float = 0.1,
        gamma: float = 0.9,
        epsilon: float = 0.1,
        initial: float = 0.0,
        seed=None,
    ) -> None:
        cls = "QLearning"
        self.n_learners = integer(cls, "n_learners", n_learners, minimum=1)
        self.n_states = integer(cls, "n_states", n_states, minimum=1)
        self.n_actions = integer(cls, "n_actions", n_actions, minimum=1)
        shape = (self.n_learners, self.n_states, self.n_actions)
        check_bytes(
            cls,
            8 * self.n_learners * self.n_states * self.n_actions,
            f"the Q-table of shape {shape} (n_learners x n_states x n_actions)",
            "fewer learners, states or actions",
        )
        self.alpha = real(cls, "alpha", alpha, 0.0, 1.0, low_open=True)
        self.gamma = real(cls, "gamma", gamma, 0.0, 1.0)
        self.epsilon = epsilon
        initial = real(cls, "initial", initial)
        self.rng = generator(cls, seed)
        #: Action values, ``(n_learners, n_states, n_actions)`` float64.
        self.Q = np.full((self.n_learners, self.n_states, self.n_actions), initial)

    @property
    def epsilon(self) -> float:
        return self._epsilon

    @epsilon.setter
    def epsilon(self, value: float) -> None:
        self._epsilon = real("QLearning", "epsilon", value, 0.0, 1.0)

    def _states(self, func: str, name: str, states, learners):
        idx, shape = learner_index(func, learners, self.n_learners)
        s = index_array(func, name, states, self.n_states, shape, "n_states").reshape(-1)
        return idx, s, shape

    def select(self, states, learners=None) -> np.ndarray:
        """Epsilon-greedy actions (int64): uniformly random with probability ``epsilon``, else
        greedy with ties broken uniformly at random."""
        idx, s, shape = self._states("QLearning.select", "states", states, learners)
        explore = self.rng.random(idx.size) < self._epsilon
        random_action = self.rng.integers(self.n_actions, size=idx.size)
        greedy = random_argmax(self.Q[idx, s], self.rng)
        return np.where(explore, random_action, greedy).astype(np.int64).reshape(shape)

    def greedy(self, states, learners=None) -> np.ndarray:
        """Greedy actions (int64) without exploration; ties go to the lowest action index."""
        idx, s, shape = self._states("QLearning.greedy", "states", states, learners)
        return np.argmax(self.Q[idx, s], axis=-1).astype(np.int64).reshape(shape)

    def update(self, states, actions, rewards, next_states, learners=None, done=None) -> np.ndarray:
        """Apply one Q-learning update per transition and return the TD errors
        ``r + gamma * (1 - done) * max_a' Q[s', a'] - Q[s, a]`` (float64, before the update).

        ``done`` (bools, default all False) marks transitions into a terminal state, whose
        value is taken as 0. Transitions of the same learner are applied in the given order,
        each seeing the table left by the one before.
        """
        func = "QLearning.update"
        idx, s, shape = self._states(func, "states", states, learners)
        a = index_array(func, "actions", actions, self.n_actions, shape, "n_actions").reshape(-1)
        r = float_array(func, "rewards", rewards, shape).reshape(-1)
        s2 = index_array(
            func, "next_states", next_states, self.n_states, shape, "n_states"
        ).reshape(-1)
        cont = ~done_array(func, done, shape).reshape(-1)
        td = np.empty(idx.size)
        passes = [np.arange(idx.size)] if learners is None else sequential_passes(idx)
        for p in passes:
            lp, sp, ap = idx[p], s[p], a[p]
            future = np.where(cont[p], self.Q[lp, s2[p]].max(axis=-1), 0.0)
            delta = r[p] + self.gamma * future - self.Q[lp, sp, ap]
            self.Q[lp, sp, ap] += self.alpha * delta
            td[p] = delta
        return td.reshape(shape)
