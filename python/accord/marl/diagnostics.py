"""How far a stationary joint policy of a known Markov game is from equilibrium.

:func:`nash_conv` evaluates the policy exactly (a linear solve per player) and every
player's best response to the others by policy iteration (Howard 1960) on the
single-agent MDP the others' behaviour leaves it; ``NashConv`` is the sum over players
of what a best response gains at the initial distribution (Lanctot et al. 2017, "A
unified game-theoretic approach to multiagent reinforcement learning", Sec. 3.1), zero
exactly at a Markov perfect equilibrium; in two-player zero-sum games half of it is the
exploitability.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import spsolve

from .._validate import check_bytes, fail, real_array
from .markov_game import MarkovGame

__all__ = ["NashConv", "joint_policy", "nash_conv", "policy_values"]


@dataclass(frozen=True)
class NashConv:
    """What :func:`nash_conv` returns.

    Attributes
    ----------
    values
        ``(n, S)`` each player's value of the policy from each state.
    best_response_values
        ``(n, S)`` each player's value of its best response to the others.
    gains
        ``(n,)`` what each player's best response gains at the initial distribution.
    nash_conv
        ``gains.sum()``.
    """

    values: np.ndarray
    best_response_values: np.ndarray
    gains: np.ndarray
    nash_conv: float

    @property
    def exploitability(self) -> float:
        """``nash_conv / n``: the mean gain (in two-player zero-sum games, how much a
        best-responding opponent wins beyond the game's value)."""
        return self.nash_conv / len(self.gains)


def joint_policy(game: MarkovGame, policy, *, func: str = "joint_policy") -> np.ndarray:
    """The ``(S, k_1, ..., k_n)`` joint distribution of ``policy``: one ``(S, k_i)``
    array per player (independent mixed actions, multiplied out) or a joint
    ``(S, k_1, ..., k_n)`` array (a correlated policy), each state's row summing to 1."""
    if not isinstance(game, MarkovGame):
        fail(func, f"game must be a MarkovGame; got {type(game).__name__}", TypeError)
    S, ks = game.num_states, game.num_actions
    check_bytes(func, 8 * S * int(np.prod(ks)), "the joint policy", "a smaller game")
    if isinstance(policy, (list, tuple)):
        if len(policy) != game.num_players:
            fail(
                func,
                f"policy must hold one (S, k_i) array per player ({game.num_players}); "
                f"got {len(policy)}",
            )
        J = np.ones((S,))
        for i, p in enumerate(policy):
            p = real_array(func, f"policy[{i}]", p)
            if p.shape != (S, ks[i]):
                fail(func, f"policy[{i}] must have shape ({S}, {ks[i]}); got {p.shape}")
            _check_rows(func, f"policy[{i}]", p.reshape(S, -1))
            J = J[..., None] * p.reshape((S,) + (1,) * i + (ks[i],))
        return J
    J = real_array(func, "policy", policy)
    if J.shape != (S, *ks):
        fail(
            func,
            f"policy must be a list of (S, k_i) arrays or a joint array of shape "
            f"{(S, *ks)}; got shape {J.shape}",
        )
    _check_rows(func, "policy", J.reshape(S, -1))
    return J.astype(np.float64)


def _check_rows(func: str, name: str, p: np.ndarray) -> None:
    if not np.isfinite(p).all() or (p < -1e-12).any():
        fail(func, f"{name} must hold probabilities (finite, non-negative)")
    bad = np.abs(p.sum(axis=1) - 1.0) > 1e-8
    if bad.any():
        s = int(np.flatnonzero(bad)[0])
        fail(func, f"{name}: the row of state {s} sums to {p[s].sum():.12g}, not 1")


def _evaluate(game: MarkovGame, P: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Values of a Markov chain ``P (S, S)`` with rewards ``r (m, S)``: 0 at terminal
    states, ``(I - discount P) V = r`` on the others."""
    live = ~game.terminal
    A = np.eye(int(live.sum())) - game.discount * P[np.ix_(live, live)]
    V = np.zeros(r.shape)
    if len(A) > 200 and np.count_nonzero(A) < 0.05 * A.size:  # sparse LU (SuperLU)
        V[:, live] = np.atleast_2d(spsolve(sp.csc_matrix(A), r[:, live].T).T)
    else:
        V[:, live] = np.linalg.solve(A, r[:, live].T).T
    return V


def policy_values(game: MarkovGame, policy) -> np.ndarray:
    """``(n, S)`` every player's discounted value of ``policy`` (as :func:`joint_policy`
    takes it) from every state, by one linear solve."""
    J = joint_policy(game, policy, func="policy_values")
    return _values(game, J)


def _values(game: MarkovGame, J: np.ndarray) -> np.ndarray:
    S, n = game.num_states, game.num_players
    Jf = J.reshape(S, -1)
    P = np.einsum("sa,sat->st", Jf, game.transitions.reshape(S, -1, S))
    r = np.einsum("sa,isa->is", Jf, game.rewards.reshape(n, S, -1))
    return _evaluate(game, P, r)


def _best_response(game: MarkovGame, J: np.ndarray, i: int) -> np.ndarray:
    """Player ``i``'s optimal values against the others' part of ``J`` (their marginal
    over ``a_-i``, so that ``i`` deviates without seeing a recommendation), by policy
    iteration."""
    S, ks = game.num_states, game.num_actions
    others = J.sum(axis=i + 1)  # (S, k_-i)
    P = np.moveaxis(game.transitions, i + 1, 1)  # (S, k_i, k_-i..., S)
    R = np.moveaxis(game.rewards[i], i + 1, 1)  # (S, k_i, k_-i...)
    ki = ks[i]
    o = others.reshape(S, -1)
    Pi = np.einsum("sb,sabt->sat", o, P.reshape(S, ki, -1, S))  # (S, k_i, S)
    Ri = np.einsum("sb,sab->sa", o, R.reshape(S, ki, -1))  # (S, k_i)
    live = ~game.terminal
    action = np.zeros(S, dtype=np.int64)
    V = np.zeros(S)
    for _ in range(10 * S + 100):
        V = _evaluate(game, Pi[np.arange(S), action], Ri[np.arange(S), action][None])[0]
        Q = Ri + game.discount * Pi @ V
        better = Q.max(axis=1) > Q[np.arange(S), action] + 1e-12 * (1.0 + np.abs(V).max())
        better &= live
        if not better.any():
            return V
        action[better] = Q[better].argmax(axis=1)
    return V  # pragma: no cover - policy iteration ends in at most prod(k_i)^S steps


def nash_conv(game: MarkovGame, policy) -> NashConv:
    """``NashConv`` of a stationary ``policy`` in a known Markov game.

    Parameters
    ----------
    game
        The :class:`MarkovGame`.
    policy
        One ``(S, k_i)`` array per player, or a joint ``(S, k_1, ..., k_n)``
        distribution per state (a correlated policy; each player's deviation then
        ignores the recommendation: the coarse-correlated gap).

    Returns
    -------
    NashConv
    """
    J = joint_policy(game, policy, func="nash_conv")
    V = _values(game, J)
    B = np.stack([_best_response(game, J, i) for i in range(game.num_players)])
    gains = (B - V) @ game.initial
    return NashConv(V, B, gains, float(gains.sum()))
