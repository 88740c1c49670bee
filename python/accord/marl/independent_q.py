"""Independent learners: every player runs Q-learning over its own actions, treating
the others as part of the environment; one set of tables per environment copy, so
``E`` copies are ``E`` independent runs learned in one array update per step.

* :class:`IndependentQ`: Q-learning (Watkins & Dayan 1992) per player,
  ``Q[i, s, a_i] += alpha (r_i + discount max Q[i, s', :] - Q[i, s, a_i])``, the
  baseline of Claus & Boutilier (1998).
* :class:`HystereticQ`: Matignon et al. (2007): a smaller rate
  ``beta`` for decreases (``delta < 0``), so that a cooperative player is not pulled
  away from a good joint action by its partner's exploration.

Both act epsilon-greedily (ties between greedy actions broken uniformly at random).
"""

from __future__ import annotations

import numpy as np

from .._validate import check_bytes, fail, generator, integer, real

__all__ = ["HystereticQ", "IndependentQ"]


class IndependentQ:
    """Independent Q-learners, one table per player and environment copy.

    Parameters
    ----------
    num_states
        ``S``.
    num_actions
        ``(k_1, ..., k_n)``.
    discount
        ``0 <= discount < 1``.
    n_envs
        Environment copies ``E`` (each gets its own tables: an independent run).
    alpha
        Learning rate.
    epsilon
        Exploration probability per player and step.
    seed
        Seed of the exploration.

    Attributes
    ----------
    Q
        ``(E, n, S, max k_i)`` (entries beyond a player's actions stay ``-inf``).
    """

    def __init__(
        self,
        num_states: int,
        num_actions,
        discount: float,
        *,
        n_envs: int,
        alpha: float = 0.1,
        epsilon: float = 0.1,
        seed=None,
    ) -> None:
        self._init(
            "IndependentQ", num_states, num_actions, discount, n_envs, alpha, alpha, epsilon, seed
        )

    def _init(self, func, num_states, num_actions, discount, n_envs, alpha, beta, epsilon, seed):
        S = integer(func, "num_states", num_states, minimum=1)
        if not isinstance(num_actions, (tuple, list)) or not num_actions:
            fail(
                func,
                f"num_actions must be a tuple of action counts; got {num_actions!r}",
                TypeError,
            )
        self.num_actions = tuple(integer(func, "num_actions", k, minimum=1) for k in num_actions)
        self.discount = real(func, "discount", discount, 0.0, 1.0, high_open=True)
        E = integer(func, "n_envs", n_envs, minimum=1)
        self.alpha = real(func, "alpha", alpha, 0.0, 1.0, low_open=True)
        self.beta = real(func, "beta", beta, 0.0, 1.0)
        self.epsilon = real(func, "epsilon", epsilon, 0.0, 1.0)
        self.rng = generator(func, seed)
        n, k = len(self.num_actions), max(self.num_actions)
        check_bytes(func, 8 * E * n * S * k, "the Q-tables", "fewer copies or states")
        self.Q = np.zeros((E, n, S, k))
        for i, ki in enumerate(self.num_actions):
            self.Q[:, i, :, ki:] = -np.inf
        self._players = np.arange(n)
        self._envs = np.arange(E)

    def act(self, states: np.ndarray) -> np.ndarray:
        """``(E, n)`` epsilon-greedy actions of every copy's players."""
        E, n = self.Q.shape[:2]
        q = self.Q[self._envs, :, states]  # (E, n, k)
        best = q == q.max(axis=2, keepdims=True)
        # uniform among the greedy actions: the first greedy one after a random rotation
        noise = self.rng.random(q.shape)
        greedy = np.argmax(np.where(best, noise, -1.0), axis=2)
        ks = np.array(self.num_actions)
        random = (self.rng.random((E, n)) * ks).astype(np.int64)
        return np.where(self.rng.random((E, n)) < self.epsilon, random, greedy)

    def update(self, states, actions, rewards, next_states, terminated) -> None:
        """One transition per copy; ``rewards`` ``(E, n)``."""
        e = self._envs[:, None]
        i = self._players[None, :]
        s = np.asarray(states)[:, None]
        nxt = self.Q[self._envs, :, next_states].max(axis=2)  # (E, n)
        target = rewards + self.discount * np.where(terminated[:, None], 0.0, nxt)
        q = self.Q[e, i, s, actions]
        delta = target - q
        rate = np.where(delta >= 0, self.alpha, self.beta)
        self.Q[e, i, s, actions] = q + rate * delta

    def greedy(self, states: np.ndarray) -> np.ndarray:
        """``(E, n)`` each copy's greedy joint action (lowest index on ties)."""
        return self.Q[self._envs, :, states].argmax(axis=2)


class HystereticQ(IndependentQ):
    """Hysteretic Q-learning (Matignon et al. 2007): rate ``alpha`` for increases and
    ``beta < alpha`` for decreases.  Parameters as :class:`IndependentQ`, plus
    ``beta`` (default 0.01, with ``alpha`` 0.1 as in the paper)."""

    def __init__(
        self,
        num_states: int,
        num_actions,
        discount: float,
        *,
        n_envs: int,
        alpha: float = 0.1,
        beta: float = 0.01,
        epsilon: float = 0.1,
        seed=None,
    ) -> None:
        self._init(
            "HystereticQ", num_states, num_actions, discount, n_envs, alpha, beta, epsilon, seed
        )
        if self.beta > self.alpha:
            fail("HystereticQ", f"beta must be <= alpha; got beta={beta}, alpha={alpha}")
