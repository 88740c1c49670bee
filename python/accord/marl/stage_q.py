"""Joint-action Q-learners that back up the solution of each state's stage game,
vectorised over environment copies: minimax-Q (Littman 1994) for two-player zero-sum
games, Nash-Q (Hu & Wellman 2003), correlated-Q (Greenwald & Hall 2003) and
friend-or-foe Q (Littman 2001) for general-sum ones.

Each keeps ``Q[i, s, a, b]``, player ``i``'s value of the joint action ``(a, b)`` in
state ``s``, and a solution ``(x(s), y(s))`` of every state's stage game
``(Q[0, s], Q[1, s])`` with its values ``V[i, s]``.  A batch of transitions
``(s, a, b, r, s')`` from many copies updates

    Q[i, s, a, b] <- Q[i, s, a, b] + alpha (r_i + discount V[i, s'] - Q[i, s, a, b])

(``V = 0`` at terminal states), then re-solves the stage games of the updated states
in one batched native call.  The ``c`` transitions of one batch that share an entry
count as ``c`` updates toward their mean target.  Both players act from the solution,
each exploring uniformly with probability ``epsilon`` (self-play: one learner holds
both players' tables, as both agents of Hu & Wellman's experiments keep them).
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np

from .._validate import choice, fail, generator, integer, real
from ..games import PathStatus, lemke_howson_batch, minimax_batch
from .planning import CE_OBJECTIVES, correlated_stage_solutions

__all__ = ["CorrelatedQ", "FriendOrFoeQ", "MinimaxQ", "NashQ"]


class _StageQ(ABC):
    """The shared machinery: tables, exploration, the batched update."""

    _tables = 2  # value tables kept (minimax-Q keeps player 0's only)

    def __init__(self, func, num_states, num_actions, discount, epsilon, learning_rate, seed):
        S = integer(func, "num_states", num_states, minimum=1)
        if not (isinstance(num_actions, (tuple, list)) and len(num_actions) == 2):
            fail(func, f"num_actions must be a pair (m, n); got {num_actions!r}", TypeError)
        m, n = (integer(func, "num_actions", k, minimum=1) for k in num_actions)
        self.discount = real(func, "discount", discount, 0.0, 1.0, high_open=True)
        self.epsilon = real(func, "epsilon", epsilon, 0.0, 1.0)
        self.learning_rate = real(func, "learning_rate", learning_rate, 0.5, 1.0, low_open=True)
        self.rng = generator(func, seed)
        self.Q = np.zeros((self._tables, S, m, n))
        self.V = np.zeros((self._tables, S))
        self.visits = np.zeros((S, m, n), dtype=np.int64)
        self.policy = [np.full((S, m), 1.0 / m), np.full((S, n), 1.0 / n)]

    def act(self, states: np.ndarray) -> np.ndarray:
        """``(E, 2)`` joint actions for the copies in ``states``."""
        states = np.asarray(states)
        E = len(states)
        out = np.empty((E, 2), dtype=np.int64)
        for i, p in enumerate(self.policy):
            probs = p[states]
            u = self.rng.random(E)
            greedy = np.minimum((np.cumsum(probs, axis=1) <= u[:, None]).sum(axis=1), len(p[0]) - 1)
            explore = self.rng.random(E) < self.epsilon
            out[:, i] = np.where(explore, self.rng.integers(0, probs.shape[1], E), greedy)
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
        :class:`~accord.marl.MarkovGameVecEnv` returns them)."""
        T, S, m, n = self.Q.shape
        size = S * m * n
        flat = (states * m + actions[:, 0]) * n + actions[:, 1]
        count = np.bincount(flat, minlength=size)
        hit = np.flatnonzero(count)
        v = self.visits.reshape(-1)
        v[hit] += count[hit]
        alpha = 1.0 - (1.0 - (1.0 + v[hit]) ** -self.learning_rate) ** count[hit]
        cont = np.where(terminated, 0.0, 1.0) * self.discount
        for i in range(T):
            target = np.asarray(rewards)[:, i] + cont * self.V[i, next_states]
            total = np.bincount(flat, weights=target, minlength=size)
            q = self.Q[i].reshape(-1)
            q[hit] += alpha * (total[hit] / count[hit] - q[hit])
        self._solve(np.unique(hit // (m * n)))

    def policies(self) -> list[np.ndarray]:
        """The players' ``(S, k_i)`` strategies in the learned stage games (copies)."""
        return [p.copy() for p in self.policy]

    @abstractmethod
    def _solve(self, touched: np.ndarray) -> None:
        """Re-solve the stage games of the states ``touched``: set ``V`` and ``policy``."""


class MinimaxQ(_StageQ):
    """Minimax-Q (Littman 1994): player 0's table, stage games solved as zero-sum
    (:func:`accord.games.minimax_batch`); player 0 plays a maximin strategy and
    player 1 a minimax one.

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
    Q, V
        ``(1, S, m, n)`` player 0's learned joint-action values and ``(1, S)`` the
        values of the learned stage games.
    policy
        ``[(S, m), (S, n)]`` the players' strategies in the learned stage games
        (uniform where nothing was learned yet).
    visits
        ``(S, m, n)`` update counts.
    """

    _tables = 1

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
        super().__init__(
            "MinimaxQ", num_states, num_actions, discount, epsilon, learning_rate, seed
        )

    def _solve(self, touched: np.ndarray) -> None:
        values, X, Y = minimax_batch(self.Q[0, touched])
        self.V[0, touched] = values
        self.policy[0][touched] = X
        self.policy[1][touched] = Y


class NashQ(_StageQ):
    """Nash-Q (Hu & Wellman 2003): both players' tables; each state's stage game
    ``(Q[0, s], Q[1, s])`` is solved by Lemke–Howson
    (:func:`accord.games.lemke_howson_batch`) and its equilibrium's payoffs are the
    state's values.

    Equilibrium selection: the equilibrium that Lemke–Howson reaches from
    ``initial_dropped_label`` (the same rule in every state and step, so ties between
    equilibria are broken consistently).  Fallback: a stage game whose path fails in
    float64 keeps its previous strategies and values (``fallbacks`` counts them).
    Parameters as :class:`MinimaxQ`, plus ``initial_dropped_label``.

    Attributes
    ----------
    Q, V
        ``(2, S, m, n)`` and ``(2, S)``.
    policy, visits
        As :class:`MinimaxQ`.
    fallbacks
        Stage solves that failed and kept the previous solution.
    """

    def __init__(
        self,
        num_states: int,
        num_actions: tuple[int, int],
        discount: float,
        *,
        epsilon: float = 0.2,
        learning_rate: float = 0.6,
        initial_dropped_label: int = 0,
        seed=None,
    ) -> None:
        super().__init__("NashQ", num_states, num_actions, discount, epsilon, learning_rate, seed)
        m, n = self.Q.shape[2:]
        self.label = integer("NashQ", "initial_dropped_label", initial_dropped_label, minimum=0)
        if self.label >= m + n:
            fail("NashQ", f"initial_dropped_label must be in 0..{m + n - 1}; got {self.label}")
        self.fallbacks = 0

    def _solve(self, touched: np.ndarray) -> None:
        Q = self.Q[:, touched].transpose(1, 0, 2, 3)  # (G, 2, m, n)
        eq = lemke_howson_batch(Q, initial_dropped_label=self.label)
        ok = eq.status == PathStatus.SOLVED
        self.fallbacks += int((~ok).sum())
        s = touched[ok]
        X, Y = eq.x[ok], eq.y[ok]
        self.policy[0][s] = X
        self.policy[1][s] = Y
        for i in range(2):
            self.V[i, s] = np.einsum("gi,gi->g", X, np.einsum("gij,gj->gi", Q[ok, i], Y))


class CorrelatedQ(_StageQ):
    """Correlated-Q (Greenwald & Hall 2003, Sec. 3): both players' tables; each state's
    stage game is solved for an optimal correlated equilibrium
    (:func:`accord.games.correlated_equilibrium_batch`), whose expected payoffs are the
    state's values, and the players act on a joint action drawn from it (a shared
    correlation device; each still explores with probability ``epsilon``).

    Objectives (Greenwald & Hall 2003, Eqs. 9-12): ``"utilitarian"`` maximises the sum
    of the players' values; ``"egalitarian"`` the smaller one; ``"plutocratic"`` (their
    republican) the larger one; ``"dictatorial"`` (their libertarian): every player
    maximises its own value over the correlated equilibria, values itself by that
    equilibrium and plays its own action's marginal of it.  Parameters as
    :class:`MinimaxQ`, plus ``objective``.

    Attributes
    ----------
    Q, V
        ``(2, S, m, n)`` and ``(2, S)``.
    distribution
        ``(S, m, n)`` the joint distribution played in every state (the product of the
        players' marginals under ``"dictatorial"``).
    policy, visits
        As :class:`MinimaxQ` (``policy`` holds the marginals of ``distribution``).
    """

    OBJECTIVES = CE_OBJECTIVES

    def __init__(
        self,
        num_states: int,
        num_actions: tuple[int, int],
        discount: float,
        *,
        objective: str = "utilitarian",
        epsilon: float = 0.2,
        learning_rate: float = 0.6,
        seed=None,
    ) -> None:
        super().__init__(
            "CorrelatedQ", num_states, num_actions, discount, epsilon, learning_rate, seed
        )
        self.objective = choice("CorrelatedQ", "objective", objective, self.OBJECTIVES)
        S, m, n = self.Q.shape[1:]
        self.distribution = np.full((S, m, n), 1.0 / (m * n))

    def _solve(self, touched: np.ndarray) -> None:
        Q = self.Q[:, touched].transpose(1, 0, 2, 3)  # (G, 2, m, n)
        dist, values = correlated_stage_solutions(Q, self.objective)
        self.distribution[touched] = dist
        self.policy[0][touched] = dist.sum(axis=2)
        self.policy[1][touched] = dist.sum(axis=1)
        self.V[:, touched] = values.T

    def policies(self) -> np.ndarray:  # type: ignore[override]
        """The ``(S, m, n)`` joint distribution played in every state (a copy)."""
        return self.distribution.copy()

    def act(self, states: np.ndarray) -> np.ndarray:
        """``(E, 2)`` joint actions drawn from the states' distributions, each player
        exploring uniformly with probability ``epsilon``."""
        states = np.asarray(states)
        E = len(states)
        S, m, n = self.distribution.shape
        cdf = np.cumsum(self.distribution[states].reshape(E, -1), axis=1)
        joint = np.minimum((cdf <= self.rng.random(E)[:, None]).sum(axis=1), m * n - 1)
        out = np.stack([joint // n, joint % n], axis=1)
        for i, k in enumerate((m, n)):
            explore = self.rng.random(E) < self.epsilon
            out[:, i] = np.where(explore, self.rng.integers(0, k, E), out[:, i])
        return out


class FriendOrFoeQ(_StageQ):
    """Friend-or-foe Q (Littman 2001): every player keeps its own joint-action table
    and treats the other as a friend (``V_i(s) = max_{a,b} Q_i[s, a, b]``, playing its
    part of a maximising joint action, the first in row-major order) or as a foe
    (``V_i(s)`` the maximin value of ``Q_i[s]``, playing a maximin strategy;
    :func:`accord.games.minimax_batch`).  Parameters as :class:`MinimaxQ`, plus
    ``relation``: ``"friend"``, ``"foe"``, or a pair giving each player's view of the
    other.

    Attributes
    ----------
    Q, V
        ``(2, S, m, n)`` and ``(2, S)``.
    policy, visits
        As :class:`MinimaxQ`.
    """

    def __init__(
        self,
        num_states: int,
        num_actions: tuple[int, int],
        discount: float,
        *,
        relation: str | tuple[str, str] = "foe",
        epsilon: float = 0.2,
        learning_rate: float = 0.6,
        seed=None,
    ) -> None:
        func = "FriendOrFoeQ"
        super().__init__(func, num_states, num_actions, discount, epsilon, learning_rate, seed)
        pair = (relation, relation) if isinstance(relation, str) else relation
        if not (isinstance(pair, (tuple, list)) and len(pair) == 2):
            fail(
                func,
                f"relation must be 'friend', 'foe' or a pair of them; got {relation!r}",
                TypeError,
            )
        self.relation = tuple(choice(func, "relation", r, ("friend", "foe")) for r in pair)

    def _solve(self, touched: np.ndarray) -> None:
        S, m, n = self.Q.shape[1:]
        G = len(touched)
        for i, rel in enumerate(self.relation):
            Qi = self.Q[i, touched]  # (G, m, n), player 0 on rows
            own = Qi if i == 0 else Qi.transpose(0, 2, 1)  # this player on rows
            k = own.shape[1]
            if rel == "friend":
                flat = own.reshape(G, -1).argmax(axis=1)
                strategy = np.zeros((G, k))
                strategy[np.arange(G), flat // own.shape[2]] = 1.0
                value = own.reshape(G, -1).max(axis=1)
            else:
                value, strategy, _ = minimax_batch(own)
            self.V[i, touched] = value
            self.policy[i][touched] = strategy
