"""Exact planning in known Markov games: the references that learners are tested against.

* :func:`zero_sum_value_iteration`: Shapley's (1953) value iteration for two-player
  zero-sum Markov games, ``V(s) <- val[R(s) + discount P(s) V]``, a contraction of
  modulus ``discount`` whose fixed point is the game's value; every sweep solves all
  states' stage games in one batched call (:func:`accord.games.minimax_batch`).
* :func:`nash_value_iteration`: the same backup with a Nash equilibrium of each
  general-sum stage game (the planning counterpart of Nash-Q; Hu & Wellman 2003),
  chosen by Lemke–Howson from a fixed label (:func:`accord.games.lemke_howson_batch`).
  The operator is not a contraction in general: the result reports whether it settled.
* :func:`correlated_value_iteration`: the backup of correlated-Q (Greenwald & Hall
  2003) with an optimal correlated equilibrium of each stage game
  (:func:`accord.games.correlated_equilibrium_batch`), any number of players.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validate import choice, fail, integer, real
from ..games import PathStatus, correlated_equilibrium_batch, lemke_howson_batch, minimax_batch
from .markov_game import MarkovGame

__all__ = [
    "CE_OBJECTIVES",
    "MarkovSolution",
    "correlated_stage_solutions",
    "correlated_value_iteration",
    "nash_value_iteration",
    "zero_sum_value_iteration",
]

#: Equilibrium-selection objectives of correlated-Q (Greenwald & Hall 2003, Sec. 3).
CE_OBJECTIVES = ("utilitarian", "egalitarian", "plutocratic", "dictatorial")


@dataclass(frozen=True)
class MarkovSolution:
    """Values and a stationary policy of a Markov game.

    Attributes
    ----------
    values
        ``(n, S)``: each player's discounted value from each state (0 at terminal
        states).
    policy
        One ``(S, k_i)`` array per player: its mixed action in each state.
    stage_payoffs
        ``(S, n, k_1, ..., k_n)``: the stage games ``Q`` at the returned values.
    iterations
        Sweeps performed.
    converged
        Whether the last sweep changed no value by more than the tolerance.
    residual
        The largest change of a value in the last sweep.
    distribution
        ``(S, k_1, ..., k_n)`` the joint distribution played in each state, for the
        correlated backups (``None`` otherwise).
    """

    values: np.ndarray
    policy: list[np.ndarray]
    stage_payoffs: np.ndarray
    iterations: int
    converged: bool
    residual: float
    distribution: np.ndarray | None = None


def _check(func: str, game, tol, max_iterations) -> tuple[float, int]:
    if not isinstance(game, MarkovGame):
        fail(func, f"game must be a MarkovGame; got {type(game).__name__}", TypeError)
    if game.num_players != 2:
        fail(func, f"the game must have two players; got {game.num_players}")
    tol = real(func, "tol", tol, 0.0, low_open=True)
    return tol, integer(func, "max_iterations", max_iterations, minimum=1)


def zero_sum_value_iteration(
    game: MarkovGame, *, tol: float = 1e-10, max_iterations: int = 100_000
) -> MarkovSolution:
    """The value and optimal stationary strategies of a two-player zero-sum Markov game.

    Shapley (1953): iterate ``V(s) <- val(Q_V(s))`` with
    ``Q_V(s)[a, b] = R_0(s, a, b) + discount * sum_t P(s, a, b, t) V(t)``; the error
    shrinks by ``discount`` per sweep, and the sweeps stop once one changes no value by
    more than ``tol (1 - discount) / (2 discount)``, which puts every value within
    ``tol`` of the game's value.  Each sweep solves the stage games of all states at
    once (:func:`accord.games.minimax_batch`).

    Parameters
    ----------
    game
        A two-player zero-sum :class:`MarkovGame` (player 0's reward is what player 1
        loses).
    tol
        Accuracy of the values.
    max_iterations
        Most sweeps; the result says whether the values settled.

    Returns
    -------
    MarkovSolution
        ``values[0]`` is the value for player 0, ``values[1] = -values[0]``; the policy
        is a maximin strategy for player 0 and a minimax one for player 1 per state.
    """
    func = "zero_sum_value_iteration"
    tol, max_iterations = _check(func, game, tol, max_iterations)
    if not game.is_zero_sum(tol=1e-12 * max(1.0, float(np.abs(game.rewards).max()))):
        fail(
            func,
            "the game is not zero-sum (player 1's reward must be minus player 0's); use "
            "nash_value_iteration for general-sum games",
        )
    S = game.num_states
    live = ~game.terminal
    gamma = game.discount
    stop = tol * (1.0 - gamma) / (2.0 * gamma) if gamma > 0 else np.inf
    V = np.zeros(S)
    residual = np.inf
    it = 0
    X = Y = None
    while it < max_iterations:
        it += 1
        Q = game.stage_payoffs(np.stack([V, -V]))[:, 0]
        values, X, Y = minimax_batch(Q[live])
        new = np.zeros(S)
        new[live] = values
        residual = float(np.abs(new - V).max())
        V = new
        if residual <= stop:
            break
    assert X is not None and Y is not None
    Q = game.stage_payoffs(np.stack([V, -V]))
    policy = [np.zeros((S, k)) for k in game.num_actions]
    policy[0][live], policy[1][live] = X, Y
    for p, k in zip(policy, game.num_actions, strict=True):
        p[game.terminal] = 1.0 / k
    return MarkovSolution(np.stack([V, -V]), policy, Q, it, residual <= stop, residual)


def nash_value_iteration(
    game: MarkovGame,
    *,
    initial_dropped_label: int = 0,
    tol: float = 1e-10,
    max_iterations: int = 10_000,
) -> MarkovSolution:
    """Values and a stationary profile of a two-player general-sum Markov game from
    Nash backups: ``V_i(s) <- x(s)^T Q_i(s) y(s)`` with ``(x(s), y(s))`` the equilibrium
    Lemke–Howson reaches from ``initial_dropped_label`` in the stage game
    ``(Q_0(s), Q_1(s))`` (Hu & Wellman 2003, the backup of Nash-Q).

    A fixed point is a Markov perfect equilibrium (stationary strategies that are a Nash
    equilibrium of every state's stage game at the continuation values).  Unlike the
    zero-sum case the backup need not contract: the result's ``converged`` says whether
    the last sweep moved no value by more than ``tol``.  For zero-sum games it agrees
    with :func:`zero_sum_value_iteration`.

    Raises ``ValueError`` if a stage game cannot be solved in float64.
    """
    func = "nash_value_iteration"
    tol, max_iterations = _check(func, game, tol, max_iterations)
    m, n = game.num_actions
    label = integer(func, "initial_dropped_label", initial_dropped_label, minimum=0)
    if label >= m + n:
        fail(func, f"initial_dropped_label must be in 0..{m + n - 1}; got {label}")
    S = game.num_states
    live = ~game.terminal
    V = np.zeros((2, S))
    residual = np.inf
    it = 0
    X = Y = None
    while it < max_iterations:
        it += 1
        Q = game.stage_payoffs(V)[live]
        eq = lemke_howson_batch(Q, initial_dropped_label=label)
        if not eq.solved.all():
            g = int(np.flatnonzero(~eq.solved)[0])
            fail(
                func,
                f"the stage game of state {int(np.flatnonzero(live)[g])} could not be "
                f"solved ({PathStatus(int(eq.status[g])).name}); rescale the rewards",
            )
        X, Y = eq.x, eq.y
        new = np.zeros((2, S))
        new[0, live] = np.einsum("gi,gi->g", X, np.einsum("gij,gj->gi", Q[:, 0], Y))
        new[1, live] = np.einsum("gi,gi->g", X, np.einsum("gij,gj->gi", Q[:, 1], Y))
        residual = float(np.abs(new - V).max())
        V = new
        if residual <= tol:
            break
    assert X is not None and Y is not None
    policy = [np.zeros((S, k)) for k in game.num_actions]
    policy[0][live], policy[1][live] = X, Y
    for p, k in zip(policy, game.num_actions, strict=True):
        p[game.terminal] = 1.0 / k
    return MarkovSolution(V, policy, game.stage_payoffs(V), it, residual <= tol, residual)


def correlated_stage_solutions(
    stage: np.ndarray, objective: str = "utilitarian"
) -> tuple[np.ndarray, np.ndarray]:
    """The correlated-Q selection of an optimal correlated equilibrium in each of the
    stage games ``stage`` ``(G, n, k_1, ..., k_n)`` (Greenwald & Hall 2003, Eqs. 9-12):
    ``"utilitarian"`` maximises the sum of the players' values, ``"egalitarian"`` the
    smallest, ``"plutocratic"`` (their republican) the largest; ``"dictatorial"``
    (their libertarian): every player takes the equilibrium best for itself, values
    itself by it and plays its own marginal of it, so the joint play is the product of
    those marginals.  Returns the played ``(G, k_1, ..., k_n)`` distributions and the
    ``(G, n)`` values."""
    objective = choice("correlated_stage_solutions", "objective", objective, CE_OBJECTIVES)
    n = stage.shape[1]
    if objective in ("utilitarian", "egalitarian"):
        r = correlated_equilibrium_batch(
            stage, "welfare" if objective == "utilitarian" else "egalitarian"
        )
        return r.distribution, r.expected_payoffs
    own = [correlated_equilibrium_batch(stage, i) for i in range(n)]
    best = np.stack([own[i].expected_payoffs[:, i] for i in range(n)], axis=1)  # (G, n)
    if objective == "plutocratic":
        pick = best.argmax(axis=1)
        dist = np.stack([o.distribution for o in own])[pick, np.arange(len(pick))]
        values = np.stack([o.expected_payoffs for o in own])[pick, np.arange(len(pick))]
        return dist, values
    G, ks = stage.shape[0], stage.shape[2:]
    dist = np.ones((G,))
    for i in range(n):
        axes = tuple(j + 1 for j in range(n) if j != i)
        marginal = own[i].distribution.sum(axis=axes)  # (G, k_i)
        dist = dist[..., None] * marginal.reshape((G,) + (1,) * i + (ks[i],))
    return dist, best


def correlated_value_iteration(
    game: MarkovGame,
    *,
    objective: str = "utilitarian",
    tol: float = 1e-10,
    max_iterations: int = 10_000,
) -> MarkovSolution:
    """Values and a stationary correlated policy of an ``n``-player Markov game from
    correlated backups ``V_i(s) <- E_{sigma(s)}[Q_i(s)]``, ``sigma(s)`` the optimal
    correlated equilibrium of the stage game ``Q(s)`` that ``objective`` selects
    (:func:`correlated_stage_solutions`; Greenwald & Hall 2003, the backup of CE-Q).

    Like :func:`nash_value_iteration`, the backup need not contract for general-sum
    games; ``converged`` says whether the last sweep moved no value by more than
    ``tol``.  The result's ``distribution`` is the joint policy and ``policy`` its
    marginals; :func:`accord.marl.nash_conv` measures how far it is from equilibrium.
    """
    func = "correlated_value_iteration"
    if not isinstance(game, MarkovGame):
        fail(func, f"game must be a MarkovGame; got {type(game).__name__}", TypeError)
    objective = choice(func, "objective", objective, CE_OBJECTIVES)
    tol = real(func, "tol", tol, 0.0, low_open=True)
    max_iterations = integer(func, "max_iterations", max_iterations, minimum=1)
    S, n, ks = game.num_states, game.num_players, game.num_actions
    live = ~game.terminal
    V = np.zeros((n, S))
    dist = np.full((S, *ks), 1.0 / np.prod(ks))
    residual = np.inf
    it = 0
    while it < max_iterations:
        it += 1
        d, values = correlated_stage_solutions(game.stage_payoffs(V)[live], objective)
        dist[live] = d
        new = np.zeros((n, S))
        new[:, live] = values.T
        residual = float(np.abs(new - V).max())
        V = new
        if residual <= tol:
            break
    policy = [dist.sum(axis=tuple(j + 1 for j in range(n) if j != i)) for i in range(n)]
    return MarkovSolution(
        V, policy, game.stage_payoffs(V), it, residual <= tol, residual, distribution=dist
    )
