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

__all__ = ["NashConv", "joint_policy", "nash_conv", "optimal_team_values", "policy_values"]


@dataclass(frozen=True)
class NashConv:
    """What :func:`nash_conv` returns.

    Attributes
    ----------
    values
        ``(n, S)`` each player's value of the policy from each state (a leading copy
        axis for a batch of policies, here and below).
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
    nash_conv: float | np.ndarray

    @property
    def exploitability(self) -> float | np.ndarray:
        """``nash_conv / n``: the mean gain (in two-player zero-sum games, how much a
        best-responding opponent wins beyond the game's value)."""
        return self.nash_conv / self.gains.shape[-1]


def joint_policy(game: MarkovGame, policy, *, func: str = "joint_policy") -> np.ndarray:
    """The joint distribution of ``policy`` in every state.

    ``policy`` is one ``(S, k_i)`` array per player (independent mixed actions,
    multiplied out) or a joint ``(S, k_1, ..., k_n)`` array (a correlated policy), each
    state's row summing to 1: the result is ``(S, k_1, ..., k_n)``.  With a leading
    copy axis (``(C, S, k_i)`` arrays, or ``(C, S, k_1, ..., k_n)``) it is a batch of
    ``C`` policies, one per environment copy, and the result ``(C, S, k_1, ..., k_n)``.
    """
    if not isinstance(game, MarkovGame):
        fail(func, f"game must be a MarkovGame; got {type(game).__name__}", TypeError)
    S, ks, n = game.num_states, game.num_actions, game.num_players
    if isinstance(policy, (list, tuple)):
        if len(policy) != n:
            fail(
                func,
                f"policy must hold one (S, k_i) array per player ({n}); got {len(policy)}",
            )
        arrays = [real_array(func, f"policy[{i}]", p) for i, p in enumerate(policy)]
        batched = arrays[0].ndim == 3
        C = arrays[0].shape[0] if batched else 1
        check_bytes(func, 8 * C * S * int(np.prod(ks)), "the joint policy", "fewer copies")
        J = np.ones((C, S))
        for i, p in enumerate(arrays):
            want = (C, S, ks[i]) if batched else (S, ks[i])
            if p.shape != want:
                fail(
                    func,
                    f"policy[{i}] must have shape {want}"
                    + (" (one policy per copy, like policy[0])" if batched else "")
                    + f"; got {p.shape}",
                )
            _check_rows(func, f"policy[{i}]", p.reshape(-1, ks[i]))
            J = J[..., None] * p.reshape((C, S) + (1,) * i + (ks[i],))
        return J if batched else J[0]
    J = real_array(func, "policy", policy)
    if J.shape[-n - 1 :] != (S, *ks) or J.ndim not in (n + 1, n + 2):
        fail(
            func,
            "policy must be a list of (S, k_i) arrays or a joint array of shape "
            f"{(S, *ks)} (with an optional leading copy axis); got shape {J.shape}",
        )
    _check_rows(func, "policy", J.reshape(-1, int(np.prod(ks))))
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
    takes it) from every state, by one linear solve (``(C, n, S)`` for a batch)."""
    J = joint_policy(game, policy, func="policy_values")
    if J.ndim == game.num_players + 2:
        return np.stack([_values(game, j) for j in J])
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


def _iterate(game: MarkovGame, P, backup, C: int) -> np.ndarray:
    """Fixed point ``V`` ``(S, C)`` of ``V = backup(discount P V)`` for ``C`` copies at
    once: ``backup`` takes the discounted continuation values ``(S, k_1, ..., k_n, C)``
    and is a monotone non-expansion, so the sweeps contract by ``discount``; terminal
    states are worth 0; accurate to ``1e-10`` times the largest reward."""
    S, g = game.num_states, game.discount
    tol = 1e-10 * max(1.0, float(np.abs(game.rewards).max()))
    stop = tol * (1.0 - g) / (2.0 * g) if g > 0 else np.inf
    V = np.zeros((S, C))
    while True:
        new = backup(g * np.asarray(P @ V).reshape(S, *game.num_actions, C))
        new[game.terminal] = 0.0
        residual = float(np.abs(new - V).max())
        V = new
        if residual <= stop:
            return V


_AXES = "abcdefghijklmnopqrstuvwx"


def _batched_nash_conv(game: MarkovGame, J: np.ndarray) -> NashConv:
    """NashConv of ``C`` joint policies ``J`` ``(C, S, k_1, ..., k_n)`` at once, by value
    iteration with one sparse transition product per sweep for all copies."""
    n, S = game.num_players, game.num_states
    if n > len(_AXES):
        fail("nash_conv", f"policies of more than {len(_AXES)} players; got {n}")
    C = J.shape[0]
    J = np.ascontiguousarray(np.moveaxis(J, 0, -1))  # copies last: contiguous contractions
    P = sp.csr_matrix(game.transitions.reshape(-1, S))
    acts = _AXES[:n]
    V = np.zeros((C, n, S))
    B = np.zeros((C, n, S))
    for i in range(n):
        R = game.rewards[i]
        others = J.sum(axis=1 + i)  # (S, k_-i, C): what player i best-responds to
        rest = acts[:i] + acts[i + 1 :]
        r_pol = np.einsum(f"z{acts},z{acts}y->zy", R, J)
        r_br = np.einsum(f"z{acts},z{rest}y->z{acts[i]}y", R, others)

        def expected(c, r=r_pol):
            return r + np.einsum(f"z{acts}y,z{acts}y->zy", c, J)

        def best(c, r=r_br, i=i, rest=rest, others=others):
            return (r + np.einsum(f"z{acts}y,z{rest}y->z{acts[i]}y", c, others)).max(axis=1)

        V[:, i] = _iterate(game, P, expected, C).T
        B[:, i] = _iterate(game, P, best, C).T
    gains = (B - V) @ game.initial
    return NashConv(V, B, gains, gains.sum(axis=1))


def nash_conv(game: MarkovGame, policy) -> NashConv:
    """``NashConv`` of a stationary ``policy`` in a known Markov game.

    Parameters
    ----------
    game
        The :class:`MarkovGame`.
    policy
        One ``(S, k_i)`` array per player, or a joint ``(S, k_1, ..., k_n)``
        distribution per state (a correlated policy; each player's deviation then
        ignores the recommendation: the coarse-correlated gap).  With a leading copy
        axis, a batch of ``C`` policies (one per environment copy).

    Returns
    -------
    NashConv
        For one policy as documented; for a batch every field gains a leading copy
        axis (``nash_conv`` is then a ``(C,)`` array).  One policy is evaluated exactly
        (linear solves, policy iteration for the best responses); a batch by value
        iteration of all copies at once, to ``1e-10`` times the largest reward.
    """
    J = joint_policy(game, policy, func="nash_conv")
    if J.ndim == game.num_players + 2:
        return _batched_nash_conv(game, J)
    V = _values(game, J)
    B = np.stack([_best_response(game, J, i) for i in range(game.num_players)])
    gains = (B - V) @ game.initial
    return NashConv(V, B, gains, float(gains.sum()))


def optimal_team_values(game: MarkovGame) -> np.ndarray:
    """``(S,)`` the best value a team can reach from every state of a cooperative game
    (every player's reward the same): value iteration with the maximum over joint
    actions, to ``1e-10`` times the largest reward."""
    if not isinstance(game, MarkovGame):
        fail(
            "optimal_team_values",
            f"game must be a MarkovGame; got {type(game).__name__}",
            TypeError,
        )
    if not game.is_cooperative():
        fail("optimal_team_values", "the game must be cooperative (one reward shared by all)")
    S = game.num_states
    R0 = game.rewards[0].reshape(S, -1, 1)
    P = sp.csr_matrix(game.transitions.reshape(-1, S))
    return _iterate(game, P, lambda c: (R0 + c.reshape(S, -1, 1)).max(axis=1), 1)[:, 0]
