"""Minimax-Q (Littman 1994) for two-player zero-sum Markov games, vectorised over
environment copies.

The learner keeps ``Q[s, a, b]``, player 0's value of the joint action ``(a, b)`` in
state ``s``, and the value ``V(s) = max_x min_y x^T Q[s] y`` of each state's stage game.
A batch of transitions ``(s, a, b, r, s')`` from many copies updates

    Q[s, a, b] <- Q[s, a, b] + alpha (r + discount V(s') - Q[s, a, b])

(``V = 0`` at terminal states), then re-solves the stage games of the updated states
in one batched call (:func:`accord.games.minimax_batch`).  The ``c`` transitions of
one batch that share an entry count as ``c`` updates toward their mean target.  Both
players act from the solution: player 0 from a maximin strategy, player 1 from a
minimax one, each exploring uniformly with probability ``epsilon``.
"""

from __future__ import annotations

import numpy as np

from .._validate import fail, generator, integer, real
from ..games import minimax_batch

__all__ = ["MinimaxQ"]


class MinimaxQ:
    """Minimax-Q learning of one zero-sum game, for both players (self-play).

    Parameters
    ----------
    num_states
        ``S``.
    num_actions
        ``(m, n)``: the two players' action counts.
    discount
        ``0 <= discount < 1``.
    epsilon
        Probability of a uniformly random action, per player and step.
    learning_rate
        ``alpha = (1 + visits)**-learning_rate`` per entry; exponents in ``(0.5, 1]``
        satisfy the Robbins–Monro conditions under which minimax-Q converges (Littman &
        Szepesvári 1996).
    seed
        Seed of the exploration.

    Attributes
    ----------
    Q
        ``(S, m, n)`` the learned joint-action values of player 0.
    V
        ``(S,)`` the values of the learned stage games.
    policy
        ``[(S, m), (S, n)]`` maximin strategies of player 0 and minimax ones of player 1
        in the learned stage games (uniform where nothing was learned yet).
    visits
        ``(S, m, n)`` update counts.
    """

    def __init__(
        self,
        num_states: int,
        num_actions: tuple[int, int],
        discount: float,
        *,
        epsilon: float = 0.2,
        learning_rate: float = 0.6,
        seed=None,
    ) -> None:
        func = "MinimaxQ"
        S = integer(func, "num_states", num_states, minimum=1)
        if not (isinstance(num_actions, (tuple, list)) and len(num_actions) == 2):
            fail(func, f"num_actions must be a pair (m, n); got {num_actions!r}", TypeError)
        m, n = (integer(func, "num_actions", k, minimum=1) for k in num_actions)
        self.discount = real(func, "discount", discount, 0.0, 1.0, high_open=True)
        self.epsilon = real(func, "epsilon", epsilon, 0.0, 1.0)
        self.learning_rate = real(func, "learning_rate", learning_rate, 0.5, 1.0, low_open=True)
        self.rng = generator(func, seed)
        self.Q = np.zeros((S, m, n))
        self.V = np.zeros(S)
        self.visits = np.zeros((S, m, n), dtype=np.int64)
        self.policy = [np.full((S, m), 1.0 / m), np.full((S, n), 1.0 / n)]

    def act(self, states: np.ndarray) -> np.ndarray:
        """``(E, 2)`` joint actions for the copies in ``states``."""
        states = np.asarray(states)
        out = np.empty((len(states), 2), dtype=np.int64)
        for i, p in enumerate(self.policy):
            probs = p[states]
            u = self.rng.random(len(states))
            greedy = (np.cumsum(probs, axis=1) <= u[:, None]).sum(axis=1)
            greedy = np.minimum(greedy, probs.shape[1] - 1)
            explore = self.rng.random(len(states)) < self.epsilon
            out[:, i] = np.where(explore, self.rng.integers(0, probs.shape[1], len(states)), greedy)
        return out

    def update(
        self,
        states: np.ndarray,
        actions: np.ndarray,
        rewards: np.ndarray,
        next_states: np.ndarray,
        terminated: np.ndarray,
    ) -> None:
        """Learn from one transition per copy (``rewards`` ``(E, 2)``, as
        :class:`~accord.marl.MarkovGameVecEnv` returns them; player 0's are used)."""
        S, m, n = self.Q.shape
        rewards = np.asarray(rewards)[:, 0]
        flat = (states * m + actions[:, 0]) * n + actions[:, 1]
        target = rewards + self.discount * np.where(terminated, 0.0, self.V[next_states])
        count = np.bincount(flat, minlength=S * m * n)
        total = np.bincount(flat, weights=target, minlength=S * m * n)
        hit = np.flatnonzero(count)
        q = self.Q.reshape(-1)
        v = self.visits.reshape(-1)
        v[hit] += count[hit]
        alpha = (1.0 + v[hit]) ** -self.learning_rate
        alpha = 1.0 - (1.0 - alpha) ** count[hit]  # c updates toward the same mean
        q[hit] += alpha * (total[hit] / count[hit] - q[hit])
        touched = np.unique(hit // (m * n))
        values, X, Y = minimax_batch(self.Q[touched])
        self.V[touched] = values
        self.policy[0][touched] = X
        self.policy[1][touched] = Y
