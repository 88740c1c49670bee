"""Finite Markov (stochastic) games.

A Markov game (Shapley 1953; Littman 1994) has states ``s = 0..S-1``; in each state
the ``n`` players choose actions ``a = (a_1, ..., a_n)`` simultaneously, player ``i``
receives ``R[i, s, a]`` and the next state is drawn from ``P[s, a, :]``.  Returns are
discounted by ``discount`` per step.  Terminal states end an episode: they have no
reward and no successor (their transition rows are not read).

Reward structures (Busoniu et al. 2008): *cooperative* games give every
player the same reward, *competitive* ones are two-player zero-sum, and anything else is
*mixed*; :meth:`MarkovGame.mixed` blends each player's reward with the team mean.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from .._validate import check_bytes, fail, numeric_array, real
from ..games import NormalFormGame

__all__ = ["MarkovGame", "STOCHASTIC_TOL"]

#: A transition row may miss 1 by this much (absolute).
STOCHASTIC_TOL = 1e-9


def _owned(a: np.ndarray) -> np.ndarray:
    a = np.ascontiguousarray(a)
    a.flags.writeable = False
    return a


class MarkovGame:
    """A finite Markov game.

    Parameters
    ----------
    transitions
        ``(S, k_1, ..., k_n, S)``: ``transitions[s, a_1, ..., a_n, t]`` is the
        probability of moving from state ``s`` to ``t`` under the joint action ``a``.
        Each row is a probability vector (within :data:`STOCHASTIC_TOL`).
    rewards
        ``(n, S, k_1, ..., k_n)``: player ``i``'s reward for the joint action in ``s``.
    discount
        ``0 <= discount < 1``.
    initial
        The distribution of the first state, ``(S,)``; default: state 0.
    terminal
        ``(S,)`` bool, the states that end an episode; default: none.

    Attributes
    ----------
    transitions, rewards, initial, terminal
        Read-only float64 (``terminal``: bool) copies owned by the game.
    num_states, num_players, num_actions, discount
    """

    def __init__(
        self,
        transitions: ArrayLike,
        rewards: ArrayLike,
        discount: float,
        *,
        initial: ArrayLike | None = None,
        terminal: ArrayLike | None = None,
    ) -> None:
        func = "MarkovGame"
        P = numeric_array(func, "transitions", transitions)
        R = numeric_array(func, "rewards", rewards)
        if P.ndim < 3:
            fail(
                func,
                "transitions must have shape (S, k_1, ..., k_n, S) for n >= 1 players; "
                f"got shape {P.shape}",
            )
        S, ks = P.shape[0], tuple(int(k) for k in P.shape[1:-1])
        n = len(ks)
        if S < 1 or P.shape[-1] != S or min(ks) < 1:
            fail(
                func,
                "transitions must have shape (S, k_1, ..., k_n, S) with S >= 1 states on "
                f"the first and last axes and k_i >= 1 actions; got shape {P.shape}",
            )
        if R.shape != (n, S, *ks):
            fail(
                func,
                f"rewards must have shape (n, S, k_1, ..., k_n) = {(n, S, *ks)} for these "
                f"transitions; got shape {R.shape}",
            )
        check_bytes(func, 8 * (P.size + R.size), "the game's tables", "fewer states")
        if not np.isfinite(R).all():
            idx = tuple(int(i) for i in np.argwhere(~np.isfinite(R))[0])
            fail(func, f"rewards must be finite; entry {idx} is {R[idx]}")
        self.discount = real(func, "discount", discount, 0.0, 1.0, high_open=True)
        if terminal is None:
            term = np.zeros(S, dtype=bool)
        else:
            term = np.asarray(terminal)
            if term.dtype != bool or term.shape != (S,):
                fail(
                    func,
                    f"terminal must be a bool array of shape ({S},); got "
                    f"{term.dtype} of shape {term.shape}",
                    TypeError if term.dtype != bool else ValueError,
                )
            if term.all():
                fail(func, "terminal marks every state; at least one must be non-terminal")
        live = P[~term]
        if not np.isfinite(live).all() or (live < 0).any():
            bad = ~np.isfinite(P) | (P < 0)
            bad[term] = False
            idx = tuple(int(i) for i in np.argwhere(bad)[0])
            fail(func, f"transitions must be finite and >= 0; entry {idx} is {P[idx]}")
        sums = live.sum(axis=-1)
        if live.size and not (np.abs(sums - 1.0) <= STOCHASTIC_TOL).all():
            rows = np.flatnonzero(~term)
            k = np.unravel_index(int(np.argmax(np.abs(sums - 1.0))), sums.shape)
            idx = (int(rows[k[0]]), *(int(i) for i in k[1:]))
            fail(
                func,
                f"transitions[{', '.join(map(str, idx))}, :] sums to {sums[k]:.12g}; every "
                "row of a non-terminal state must be a probability distribution",
            )
        if initial is None:
            init = np.zeros(S)
            init[0] = 1.0
        else:
            init = numeric_array(func, "initial", initial)
            if init.shape != (S,) or not np.isfinite(init).all() or (init < 0).any():
                fail(func, f"initial must be {S} finite non-negative probabilities")
            if abs(init.sum() - 1.0) > STOCHASTIC_TOL:
                fail(func, f"initial must sum to 1; got {init.sum():.12g}")
        if term[init > 0].any():
            fail(func, "initial gives probability to a terminal state")
        P[term] = 0.0  # never read: terminal states have no successor
        self.transitions = _owned(P)
        self.rewards = _owned(R)
        self.initial = _owned(init)
        self.terminal = _owned(term)
        self.num_states = S
        self.num_players = n
        self.num_actions = ks

    # -- construction ------------------------------------------------------------------
    @classmethod
    def repeated(cls, game: NormalFormGame | ArrayLike, discount: float) -> MarkovGame:
        """The infinitely repeated normal-form ``game``: one state, which always returns
        to itself, with the game's payoffs as rewards."""
        if not isinstance(game, NormalFormGame):
            game = NormalFormGame._checked("MarkovGame.repeated", "game", game, batch=False)
        if game.batched or game.device != "cpu":
            fail("MarkovGame.repeated", "game must be one NumPy NormalFormGame")
        ks = game.num_actions
        return cls(np.ones((1, *ks, 1)), np.asarray(game.payoffs)[:, None], discount)

    @classmethod
    def cooperative(
        cls,
        transitions: ArrayLike,
        reward: ArrayLike,
        discount: float,
        *,
        num_players: int | None = None,
        **kw,
    ) -> MarkovGame:
        """Every player receives the same ``reward`` ``(S, k_1, ..., k_n)``."""
        R = numeric_array("MarkovGame.cooperative", "reward", reward)
        n = R.ndim - 1 if num_players is None else num_players
        return cls(transitions, np.broadcast_to(R, (n, *R.shape)), discount, **kw)

    @classmethod
    def competitive(
        cls, transitions: ArrayLike, reward: ArrayLike, discount: float, **kw
    ) -> MarkovGame:
        """Two-player zero-sum: player 0 receives ``reward`` ``(S, k_1, k_2)``, player 1
        its negation."""
        R = numeric_array("MarkovGame.competitive", "reward", reward)
        if R.ndim != 3:
            fail(
                "MarkovGame.competitive",
                f"reward must have shape (S, k_1, k_2) (two players); got shape {R.shape}",
            )
        return cls(transitions, np.stack([R, -R]), discount, **kw)

    def mixed(self, alpha: float) -> MarkovGame:
        """The game in which player ``i`` receives ``alpha R_i + (1 - alpha) mean_j R_j``:
        ``alpha = 1`` is the game itself, ``alpha = 0`` the cooperative game of the team
        mean."""
        a = real("MarkovGame.mixed", "alpha", alpha, 0.0, 1.0)
        R = a * self.rewards + (1.0 - a) * self.rewards.mean(axis=0, keepdims=True)
        return MarkovGame(
            self.transitions,
            R,
            self.discount,
            initial=self.initial,
            terminal=self.terminal,
        )

    # -- structure ---------------------------------------------------------------------
    def is_zero_sum(self, tol: float = 0.0) -> bool:
        """True for two players whose rewards sum to at most ``tol`` in magnitude."""
        tol = real("MarkovGame.is_zero_sum", "tol", tol, 0.0)
        return self.num_players == 2 and bool(
            np.abs(self.rewards[0] + self.rewards[1]).max() <= tol
        )

    def is_cooperative(self, tol: float = 0.0) -> bool:
        """True when every player receives the same reward (within ``tol``)."""
        tol = real("MarkovGame.is_cooperative", "tol", tol, 0.0)
        return bool(np.abs(self.rewards - self.rewards[:1]).max() <= tol)

    @property
    def reward_structure(self) -> str:
        """``"cooperative"``, ``"competitive"`` (two-player zero-sum) or ``"mixed"``."""
        if self.is_cooperative():
            return "cooperative"
        return "competitive" if self.is_zero_sum() else "mixed"

    def stage_payoffs(self, values: ArrayLike) -> np.ndarray:
        """``Q[s, i, a] = R[i, s, a] + discount * sum_t P[s, a, t] values[i, t]`` for
        every state: the payoffs ``(S, n, k_1, ..., k_n)`` of the stage games given the
        continuation values ``(n, S)`` (terminal states are worth 0)."""
        V = numeric_array("MarkovGame.stage_payoffs", "values", values)
        if V.shape != (self.num_players, self.num_states):
            fail(
                "MarkovGame.stage_payoffs",
                f"values must have shape (n, S) = {(self.num_players, self.num_states)}; "
                f"got {V.shape}",
            )
        V = np.where(self.terminal[None, :], 0.0, V)
        cont = self.transitions @ V.T  # (S, k..., n)
        Q = np.moveaxis(self.rewards, 0, 1) + self.discount * np.moveaxis(cont, -1, 1)
        return Q

    def __repr__(self) -> str:
        return (
            f"MarkovGame(states={self.num_states}, actions={self.num_actions}, "
            f"discount={self.discount:g}, {self.reward_structure})"
        )
