"""Learners that model the other players: joint-action values weighed by beliefs about
what the others will do, one set of tables per environment copy.

Each player ``i`` keeps ``Q[i, s, a_1, ..., a_n]`` over joint actions, learned from the
transitions it observes, and a belief ``b_j(s, .)`` about every other player's action in
every state.  The value of an own action is its expectation under the beliefs
(the others taken as independent, Claus & Boutilier 1998),

    EV_i(s, a_i) = sum_{a_-i} Q[i, s, a_i, a_-i] prod_{j != i} b_j(s, a_j),

and the update backs up the value of the best response to the beliefs at the successor,
``Q[i, s, a] += rate (r_i + discount max_{a_i} EV_i(s', a_i) - Q[i, s, a])``
(no continuation at terminal states).

* :class:`JointActionLearner` (Claus & Boutilier 1998): beliefs are the empirical
  frequencies of the others' actions in each state; epsilon-greedy or Boltzmann play.
* :class:`MarkovFictitiousPlay`: fictitious play in Markov games (Sayin, Parise &
  Ozdaglar 2022): beliefs are averages of the observed actions with step sizes that
  decay with the state's visits (exact empirical frequencies by default, as in
  fictitious play, Brown 1951), the joint-action values are learned with decaying
  steps, and players play a best response to their beliefs.
* :class:`BayesianOpponentModel`: one player's posterior over a finite set of
  opponent types (stationary policies), updated by :func:`accord.bayes.update` from
  the opponent's actions; the player best-responds to the posterior-mixed policy.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np

from .. import bayes
from .._validate import check_bytes, fail, integer, real, real_array
from .independent_q import (
    _boltzmann,
    _check_exploration,
    _greedy,
    _greedy_policies,
    _sample,
    _Tabular,
)
from .markov_game import STOCHASTIC_TOL

__all__ = ["BayesianOpponentModel", "JointActionLearner", "MarkovFictitiousPlay"]

_LETTERS = "abcdefghijklmnopqrstuvwxy"


def _expected_values(q: np.ndarray, beliefs: np.ndarray, i: int, ks: tuple[int, ...]):
    """``(E, k_i)`` player ``i``'s expected value of each own action: ``q`` is
    ``(E, k_1, ..., k_n)`` its joint-action values in each copy's state, ``beliefs``
    ``(E, n, max k)`` the distributions of every player's action."""
    n = len(ks)
    ops = [q]
    subs = ["z" + _LETTERS[:n]]
    for j in range(n):
        if j != i:
            ops.append(beliefs[:, j, : ks[j]])
            subs.append("z" + _LETTERS[j])
    return np.einsum(",".join(subs) + "->z" + _LETTERS[i], *ops)


def _distributions(func: str, name: str, x, shapes, what: str) -> np.ndarray:
    """``x`` as a float64 copy of one of the ``shapes`` (``None`` entries match any
    length) whose last axis holds probability vectors."""
    p = np.array(real_array(func, name, x), dtype=np.float64)
    fits = any(
        p.ndim == len(sh) and all(w is None or w == d for w, d in zip(sh, p.shape, strict=True))
        for sh in shapes
    )
    if not fits or p.size == 0:
        fail(func, f"{name} must have shape {what}; got shape {p.shape}")
    if not np.isfinite(p).all() or (p < 0).any():
        idx = tuple(int(v) for v in np.argwhere(~np.isfinite(p) | (p < 0))[0])
        fail(func, f"{name} must be finite and >= 0; entry {idx} is {p[idx]}")
    sums = p.sum(axis=-1)
    bad = np.abs(sums - 1.0) > STOCHASTIC_TOL
    if bad.any():
        row = "".join(f"{int(v)}, " for v in np.argwhere(bad)[0])
        fail(func, f"{name}[{row}:] sums to {sums[bad][0]:.12g}, not 1")
    return p


class _JointAction(_Tabular, ABC):
    """Joint-action tables per player, expected values against per-state beliefs,
    exploration and the update; subclasses say how beliefs and rates evolve."""

    def _joint_setup(self, func, exploration, epsilon, temperature, seed, tables=0) -> None:
        """Exploration settings and the tables; ``tables``: further joint-action tables
        of 8-byte entries per copy and state that the subclass keeps."""
        self.exploration, self.epsilon, self.temperature = _check_exploration(
            func, exploration, epsilon, temperature
        )
        self._seed(func, seed)
        E, n, S, ks = self.n_envs, self.num_players, self.num_states, self.num_actions
        K = int(np.prod(ks, dtype=object))
        check_bytes(
            func,
            8 * E * S * ((n + tables) * K + n * max(ks)),
            "the joint-action Q-tables",
            "fewer copies, players or actions (or independent learners)",
        )
        self.Q = np.zeros((E, n, S, *ks))
        self._strides = np.array([int(np.prod(ks[j + 1 :])) for j in range(n)], dtype=np.int64)
        self._pad = np.where(self._valid, 0.0, -np.inf)  # (n, k)

    @abstractmethod
    def _beliefs(self, states: np.ndarray) -> np.ndarray:
        """Beliefs ``(E, n, max k)`` about each player's action in each copy's state."""

    def expected_values(self, states: np.ndarray) -> np.ndarray:
        """``(E, n, max k_i)`` every player's expected value of its own actions in each
        copy's state under its beliefs (``-inf`` beyond a player's actions)."""
        states = self._check_states(self._name("expected_values"), "states", states)
        return self._values(states)

    def _values(self, states: np.ndarray) -> np.ndarray:
        b = self._beliefs(states)
        q = self.Q[self._envs, :, states]  # (E, n, k_1, ..., k_n)
        out = np.broadcast_to(self._pad, (self.n_envs, *self._pad.shape)).copy()
        for i, k in enumerate(self.num_actions):
            out[:, i, :k] = _expected_values(q[:, i], b, i, self.num_actions)
        return out

    def act(self, states: np.ndarray) -> np.ndarray:
        """``(E, n)`` actions: epsilon-greedy or Boltzmann on the expected values."""
        states = self._check_act(states)
        ev = self._values(states)
        if self.exploration == "boltzmann":
            return _sample(_boltzmann(ev, self.temperature), self.rng)
        E, n = ev.shape[:2]
        greedy = _greedy(ev, self.rng)
        random = (self.rng.random((E, n)) * self._ks).astype(np.int64)
        return np.where(self.rng.random((E, n)) < self.epsilon, random, greedy)

    def greedy(self, states: np.ndarray) -> np.ndarray:
        """``(E, n)`` each player's best response to its beliefs (lowest index on ties)."""
        states = self._check_states(self._name("greedy"), "states", states)
        return self._values(states).argmax(axis=2)

    def policies(self) -> list[np.ndarray]:
        """Each player's best response to its beliefs in every state, ``(E, S, k_i)``
        per copy (uniform over ties), for :func:`~accord.marl.train`'s diagnostics."""
        S = self.num_states
        ev = np.stack([self._values(np.full(self.n_envs, s)) for s in range(S)], axis=2)
        return _greedy_policies(ev, self.num_actions)

    def update(self, states, actions, rewards, next_states, terminated) -> None:
        """One transition per copy; ``rewards`` ``(E, n)``."""
        s, a, r, nxt, term = self._check_update(states, actions, rewards, next_states, terminated)
        best = self._values(nxt).max(axis=2)
        target = r + self.discount * np.where(term[:, None], 0.0, best)
        self._apply(self._envs[:, None], self._players[None, :], s[:, None], a, target)
        self._observe(s, a)

    def _apply(self, e, i, s, a, target) -> None:
        """``Q[e, i, s, a] += rate (target - Q[e, i, s, a])`` for the joint actions
        ``a`` ``(E, n)``: one entry per (copy, player)."""
        E, n, S = self.Q.shape[:3]
        Q = self.Q.reshape(E, n, S, -1)
        joint = (a @ self._strides)[:, None]
        q = Q[e, i, s, joint]
        Q[e, i, s, joint] = q + self._rate(s[:, 0], joint[:, 0])[:, None] * (target - q)

    @abstractmethod
    def _rate(self, s: np.ndarray, joint: np.ndarray) -> np.ndarray:
        """The learning rate of each copy's updated entry ``(E,)``."""

    @abstractmethod
    def _observe(self, s: np.ndarray, a: np.ndarray) -> None:
        """Update the beliefs with the joint actions ``a`` played in states ``s``."""


class JointActionLearner(_JointAction):
    """Joint-action learners (Claus & Boutilier 1998, "The dynamics of reinforcement
    learning in cooperative multiagent systems", AAAI): every player learns
    Q-values of joint actions and counts the others' actions in each state; its
    beliefs are the empirical frequencies (fictitious-play beliefs).

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
        Learning rate of the Q-values.
    exploration
        ``"epsilon"`` (epsilon-greedy) or ``"boltzmann"`` (``P(a) ~ exp(EV / T)``).
    epsilon, temperature
        Their parameters.
    prior_count
        Pseudo-count added to every action of every player in every state (0: pure
        empirical frequencies; uniform beliefs before the first observation).
    seed
        Seed of the exploration.

    Attributes
    ----------
    Q
        ``(E, n, S, k_1, ..., k_n)``: ``Q[e, i, s, a]`` player ``i``'s value of the joint
        action ``a`` in state ``s`` of copy ``e``.
    counts
        ``(E, S, n, max k_i)`` how often each player took each action in each state.
    """

    def __init__(
        self,
        num_states: int,
        num_actions,
        discount: float,
        *,
        n_envs: int,
        alpha: float = 0.1,
        exploration: str = "epsilon",
        epsilon: float = 0.1,
        temperature: float = 1.0,
        prior_count: float = 0.0,
        seed=None,
    ) -> None:
        func = "JointActionLearner"
        self._setup(func, num_states, num_actions, discount, n_envs)
        self.alpha = real(func, "alpha", alpha, 0.0, 1.0, low_open=True)
        self.prior_count = real(func, "prior_count", prior_count, 0.0)
        self._joint_setup(func, exploration, epsilon, temperature, seed)
        E, n, S, k = self.n_envs, self.num_players, self.num_states, max(self.num_actions)
        self.counts = np.zeros((E, S, n, k))

    @property
    def beliefs(self) -> np.ndarray:
        """``(E, S, n, max k_i)`` the empirical frequencies (with the prior counts) of
        every player's actions in every state; uniform where nothing was counted."""
        return self._frequencies(self.counts)

    def _frequencies(self, counts: np.ndarray) -> np.ndarray:
        c = np.where(self._valid, counts + self.prior_count, 0.0)
        total = c.sum(axis=-1, keepdims=True)
        uniform = self._valid / self._ks[:, None]
        return np.where(total > 0, c / np.where(total > 0, total, 1.0), uniform)

    def _beliefs(self, states: np.ndarray) -> np.ndarray:
        return self._frequencies(self.counts[self._envs, states])

    def _rate(self, s, joint):
        return np.full(s.shape, self.alpha)

    def _observe(self, s, a) -> None:
        self.counts[self._envs[:, None], s[:, None], self._players[None, :], a] += 1.0


class MarkovFictitiousPlay(_JointAction):
    """Fictitious play in Markov games (Sayin, Parise & Ozdaglar 2022, "Fictitious play
    in zero-sum stochastic games", SIAM J. Control Optim. 60(4)), with ``n`` players.

    Every player keeps, per state, beliefs about the others' strategies and estimates
    of its joint-action values, and plays a best response (greedy on ``EV``) to its
    beliefs.  At the ``c``-th visit of ``s`` the beliefs there move toward the observed
    actions, ``b_j(s) += c**-belief_rate (onehot(a_j) - b_j(s))``, which for
    ``belief_rate = 1`` keeps them the exact empirical frequencies of fictitious play
    (Brown 1951; Vrieze & Tijs 1982 for stochastic games); the joint-action value of
    the played joint action moves toward its target with step ``m**-q_rate`` at its
    ``m``-th update.  Sayin et al. prove convergence of the beliefs to a stationary
    equilibrium of two-player zero-sum games when the value estimates evolve on a
    slower timescale than the beliefs.

    Parameters
    ----------
    num_states, num_actions, discount, n_envs, seed
        As :class:`JointActionLearner`.
    belief_rate, q_rate
        Exponents of the belief and value steps, in ``(0.5, 1]``.
    epsilon
        Probability of a uniformly random action instead of the best response.  A
        little exploration keeps the values of all joint actions learned (in Shapley's
        game, say, pure best responses can settle on a profile whose alternatives were
        never tried); 0 is pure fictitious play.

    Attributes
    ----------
    Q
        As :class:`JointActionLearner`.
    beliefs
        ``(E, S, n, max k_i)``: the belief about every player's action in every state
        (uniform before the first visit).
    visits
        ``(E, S)`` visits of each state.
    """

    def __init__(
        self,
        num_states: int,
        num_actions,
        discount: float,
        *,
        n_envs: int,
        belief_rate: float = 1.0,
        q_rate: float = 1.0,
        epsilon: float = 0.05,
        seed=None,
    ) -> None:
        func = "MarkovFictitiousPlay"
        self._setup(func, num_states, num_actions, discount, n_envs)
        self.belief_rate = real(func, "belief_rate", belief_rate, 0.5, 1.0, low_open=True)
        self.q_rate = real(func, "q_rate", q_rate, 0.5, 1.0, low_open=True)
        self._joint_setup(func, "epsilon", epsilon, 1.0, seed, tables=1)
        E, S = self.n_envs, self.num_states
        self.beliefs = np.broadcast_to(
            self._valid / self._ks[:, None], (E, S, *self._valid.shape)
        ).copy()
        self.visits = np.zeros((E, S), dtype=np.int64)
        self._updates = np.zeros((E, S, int(np.prod(self.num_actions))), dtype=np.int64)

    def _beliefs(self, states: np.ndarray) -> np.ndarray:
        return self.beliefs[self._envs, states]

    def policies(self) -> list[np.ndarray]:
        """The beliefs about each player, ``(E, S, k_i)`` per copy: the empirical
        strategies whose convergence fictitious play is about."""
        return [self.beliefs[:, :, i, :k].copy() for i, k in enumerate(self.num_actions)]

    def _rate(self, s, joint):
        self._updates[self._envs, s, joint] += 1
        return self._updates[self._envs, s, joint] ** -self.q_rate

    def _observe(self, s, a) -> None:
        self.visits[self._envs, s] += 1
        step = (self.visits[self._envs, s] ** -self.belief_rate)[:, None, None]
        b = self.beliefs[self._envs, s]  # (E, n, k)
        onehot = np.arange(b.shape[-1]) == a[..., None]
        self.beliefs[self._envs, s] = b + step * (onehot - b)


class BayesianOpponentModel(_Tabular):
    """A player with a Bayesian model of its opponent in a two-player Markov game.

    The opponent is believed to play one of ``T`` *types*, stationary policies
    ``types[t, s, :]``.  The player keeps a posterior over the types, updated by Bayes'
    rule (:func:`accord.bayes.update`, Chalkiadakis & Boutilier 2012, Eq. 5) with the
    likelihood of each observed opponent action, learns joint-action values as a
    :class:`JointActionLearner` does, and plays a best response (epsilon-greedy or
    Boltzmann) to the posterior-mixed policy ``sum_t P(t) types[t, s, :]``.

    The learner plays both seats: seat ``player`` learns, the other seat plays the
    stationary ``opponent`` policy of each copy.

    Parameters
    ----------
    num_states
        ``S``.
    num_actions
        ``(k_1, k_2)``.
    discount
        ``0 <= discount < 1``.
    types
        ``(T, S, k_opponent)``: each type's action distribution in every state.
    opponent
        The opponent's actual policy: ``(S, k_opponent)`` for every copy, or
        ``(E, S, k_opponent)`` one per copy; ``None``: every copy's opponent plays a type
        drawn from ``prior`` (recorded in ``opponent_types``).
    n_envs
        Environment copies ``E``.
    player
        The seat that learns (0 or 1).
    prior
        ``(T,)`` prior probabilities of the types (default uniform).
    tremble
        The likelihood of action ``b`` under type ``t`` is
        ``(1 - tremble) types[t, s, b] + tremble / k_opponent`` (0: the types as given;
        an action that every remaining type rules out is then an error).
    alpha, exploration, epsilon, temperature, seed
        As :class:`JointActionLearner`.

    Attributes
    ----------
    Q
        ``(E, S, k_1, k_2)`` the player's values of joint actions.
    log_posterior
        ``(E, T)`` the log-probabilities of the types in every copy.
    opponent_policy
        ``(E, S, k_opponent)`` what the opponent seat plays.
    opponent_types
        ``(E,)`` the drawn types when ``opponent`` was ``None`` (else ``None``).
    """

    def __init__(
        self,
        num_states: int,
        num_actions,
        discount: float,
        types,
        opponent=None,
        *,
        n_envs: int,
        player: int = 0,
        prior=None,
        tremble: float = 0.0,
        alpha: float = 0.1,
        exploration: str = "epsilon",
        epsilon: float = 0.1,
        temperature: float = 1.0,
        seed=None,
    ) -> None:
        func = "BayesianOpponentModel"
        self._setup(func, num_states, num_actions, discount, n_envs, players=2)
        self.player = integer(func, "player", player, minimum=0)
        if self.player > 1:
            fail(func, f"player must be 0 or 1; got {player}")
        E, S, ks = self.n_envs, self.num_states, self.num_actions
        o = 1 - self.player
        k_opp = ks[o]
        what = f"(T, S, k_opponent) = (T, {S}, {k_opp})"
        self.types = _distributions(func, "types", types, [(None, S, k_opp)], what)
        T = self.types.shape[0]
        if prior is None:
            p = np.full(T, 1.0 / T)
        else:
            p = _distributions(func, "prior", prior, [(T,)], f"({T},) (one per type)")
        self.tremble = real(func, "tremble", tremble, 0.0, 1.0, high_open=True)
        self.alpha = real(func, "alpha", alpha, 0.0, 1.0, low_open=True)
        self.exploration, self.epsilon, self.temperature = _check_exploration(
            func, exploration, epsilon, temperature
        )
        self._seed(func, seed)
        check_bytes(
            func,
            8 * E * S * (ks[0] * ks[1] + k_opp) + 8 * E * T,
            "the joint-action Q-tables",
            "fewer copies or states",
        )
        self.opponent_types = None
        if opponent is None:
            self.opponent_types = np.searchsorted(np.cumsum(p), self.rng.random(E) * p.sum())
            self.opponent_types = np.minimum(self.opponent_types, T - 1)
            self.opponent_policy = self.types[self.opponent_types]
        else:
            what = f"({S}, {k_opp}) or ({E}, {S}, {k_opp})"
            shapes = [(S, k_opp), (E, S, k_opp)]
            pol = _distributions(func, "opponent", opponent, shapes, what)
            self.opponent_policy = np.broadcast_to(pol, (E, S, k_opp)).copy()
        with np.errstate(divide="ignore"):
            self.log_posterior = np.tile(np.log(p), (E, 1))
            lik = (1.0 - self.tremble) * self.types + self.tremble / k_opp
            self._log_likelihood = np.log(lik)  # (T, S, k_opp)
        self.Q = np.zeros((E, S, *ks))

    @property
    def posterior(self) -> np.ndarray:
        """``(E, T)`` the posterior probabilities of the types."""
        return np.exp(self.log_posterior)

    def predicted_policy(self, states: np.ndarray) -> np.ndarray:
        """``(E, k_opponent)`` the posterior-mixed opponent policy in each copy's state."""
        states = self._check_states(self._name("predicted_policy"), "states", states)
        return self._mixed(states)

    def _mixed(self, states: np.ndarray) -> np.ndarray:
        return np.einsum("et,etb->eb", self.posterior, self.types[:, states].transpose(1, 0, 2))

    def _values(self, states: np.ndarray) -> np.ndarray:
        """``(E, k_player)`` expected values of the player's actions."""
        q = self.Q[self._envs, states]  # (E, k_1, k_2)
        mix = self._mixed(states)
        if self.player == 0:
            return np.einsum("eab,eb->ea", q, mix)
        return np.einsum("eab,ea->eb", q, mix)

    def expected_values(self, states: np.ndarray) -> np.ndarray:
        """``(E, k_player)`` the player's expected values against the mixed policy."""
        states = self._check_states(self._name("expected_values"), "states", states)
        return self._values(states)

    def act(self, states: np.ndarray) -> np.ndarray:
        """``(E, 2)`` joint actions: the player's response and the opponent's draw."""
        states = self._check_act(states)
        ev = self._values(states)
        if self.exploration == "boltzmann":
            mine = _sample(_boltzmann(ev, self.temperature), self.rng)
        else:
            greedy = _greedy(ev, self.rng)
            k = self.num_actions[self.player]
            random = (self.rng.random(self.n_envs) * k).astype(np.int64)
            mine = np.where(self.rng.random(self.n_envs) < self.epsilon, random, greedy)
        theirs = _sample(self.opponent_policy[self._envs, states], self.rng)
        out = np.empty((self.n_envs, 2), dtype=np.int64)
        out[:, self.player] = mine
        out[:, 1 - self.player] = theirs
        return out

    def update(self, states, actions, rewards, next_states, terminated) -> None:
        """One transition per copy: the Q-update of the player, then the posterior
        update from the opponent's action."""
        s, a, r, nxt, term = self._check_update(states, actions, rewards, next_states, terminated)
        best = self._values(nxt).max(axis=1)
        target = r[:, self.player] + self.discount * np.where(term, 0.0, best)
        self._apply(self._envs, s, a, target)
        self._observe(s, a[:, 1 - self.player])

    def _apply(self, e, s, a, target) -> None:
        """``Q[e, s, a_1, a_2] += alpha (target - Q[e, s, a_1, a_2])``, one per copy."""
        q = self.Q[e, s, a[:, 0], a[:, 1]]
        self.Q[e, s, a[:, 0], a[:, 1]] = q + self.alpha * (target - q)

    def _observe(self, s: np.ndarray, b: np.ndarray) -> None:
        """Bayes' rule over the types for the opponent's actions ``b`` in ``s``."""
        ll = self._log_likelihood[:, s, b].T  # (E, T)
        try:
            post = bayes.update(self.log_posterior[:, None, :], ll)
        except bayes.ZeroLikelihoodError as exc:
            e = int(exc.rows[0])
            fail(
                self._name("update"),
                f"copy {e}: the opponent's action {int(b[e])} in state {int(s[e])} has "
                "probability 0 under every type of positive posterior; add the type that "
                "plays it, or give tremble > 0",
            )
        self.log_posterior = np.asarray(post)[:, 0, :]

    def greedy(self, states: np.ndarray) -> np.ndarray:
        """``(E,)`` the player's best response to the posterior (lowest index on ties)."""
        states = self._check_states(self._name("greedy"), "states", states)
        return self._values(states).argmax(axis=1)

    def policies(self) -> list[np.ndarray]:
        """``(E, S, k_i)`` per seat: the player's best response to the posterior in
        every state (uniform over ties) and the opponent's policy."""
        S = self.num_states
        ev = np.stack([self._values(np.full(self.n_envs, s)) for s in range(S)], axis=1)
        mine = _greedy_policies(ev[:, None], (self.num_actions[self.player],))[0]
        seats = [mine, self.opponent_policy.copy()]
        return seats if self.player == 0 else seats[::-1]
