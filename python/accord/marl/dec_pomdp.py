"""Decentralised POMDPs: a Markov game whose state the agents see only through private
noisy observations (Bernstein, Givan, Immerman & Zilberstein 2002).

:class:`DecPOMDP` adds to a :class:`MarkovGame` one observation model per agent,
``O_i[s', a_1, ..., a_n, o] = P(o_i = o | s', a)``, the agents' observations being
independent given the state reached and the joint action.
:meth:`DecPOMDP.belief_update` is the Bayes filter over the hidden state given the
joint action and the joint observation, computed by :func:`accord.bayes.filter_step`.
Model: :func:`multi_agent_tiger` (Nair et al. 2003).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

from .._validate import as_array, fail, numeric_array, real
from ..bayes import filter_step
from .markov_game import STOCHASTIC_TOL, MarkovGame

__all__ = [
    "DecPOMDP",
    "TIGER_ACTIONS",
    "TIGER_OBSERVATIONS",
    "TIGER_STATES",
    "multi_agent_tiger",
]

#: States, actions and observations of :func:`multi_agent_tiger`, in index order.
TIGER_STATES = ("tiger-left", "tiger-right")
TIGER_ACTIONS = ("listen", "open-left", "open-right")
TIGER_OBSERVATIONS = ("hear-left", "hear-right")


def _owned(a: np.ndarray) -> np.ndarray:
    a = np.ascontiguousarray(a)
    a.flags.writeable = False
    return a


def _stochastic(func: str, name: str, x, shape: tuple[int, ...]) -> np.ndarray:
    """``x`` as a float64 copy of ``shape`` whose last-axis rows are distributions."""
    a = numeric_array(func, name, x)
    if a.shape[:-1] != shape[:-1] or a.ndim != len(shape) or a.shape[-1] < 1:
        want = ", ".join(map(str, shape[:-1]))
        fail(func, f"{name} must have shape ({want}, m) with m >= 1; got {a.shape}")
    bad = ~np.isfinite(a) | (a < 0)
    if bad.any():
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        fail(func, f"{name}{list(idx)} is {a[idx]}; probabilities must be finite and >= 0")
    sums = a.sum(axis=-1)
    off = np.abs(sums - 1.0) > STOCHASTIC_TOL
    if off.any():
        idx = tuple(int(i) for i in np.argwhere(off)[0])
        fail(
            func,
            f"{name}[{', '.join(map(str, idx))}, :] sums to {sums[idx]:.12g}; every row must "
            "be a probability distribution over the observations",
        )
    return a


class DecPOMDP:
    """A Markov game observed through private noisy observations.

    Parameters
    ----------
    game
        The :class:`MarkovGame` of the hidden states, joint actions and rewards.
    observations
        One array per agent, ``O_i`` of shape ``(S, k_1, ..., k_n, m_i)``:
        ``O_i[s', a, o]`` is the probability that agent ``i`` observes ``o`` when the
        joint action ``a`` led to state ``s'``; every row sums to 1.
    initial_observations
        One array per agent, ``(S, m_i)``: the observation distribution in the first
        state of an episode; default: uniform (uninformative).

    Attributes
    ----------
    game
    observations, initial_observations
        Read-only float64 copies.
    num_observations
        ``(m_1, ..., m_n)``.
    """

    def __init__(
        self,
        game: MarkovGame,
        observations: Sequence[ArrayLike],
        *,
        initial_observations: Sequence[ArrayLike] | None = None,
    ) -> None:
        func = "DecPOMDP"
        if not isinstance(game, MarkovGame):
            fail(func, f"game must be a MarkovGame; got {type(game).__name__}", TypeError)
        n, S, ks = game.num_players, game.num_states, game.num_actions
        if isinstance(observations, (str, bytes, np.ndarray)) or not isinstance(
            observations, Sequence
        ):
            fail(func, "observations must be a list of one array per agent", TypeError)
        if len(observations) != n:
            fail(func, f"observations must hold one array per agent ({n}); got {len(observations)}")
        models = []
        for i, x in enumerate(observations):
            models.append(_owned(_stochastic(func, f"observations[{i}]", x, (S, *ks, 0))))
        ms = tuple(int(o.shape[-1]) for o in models)
        if initial_observations is None:
            init = [np.full((S, m), 1.0 / m) for m in ms]
        else:
            if isinstance(initial_observations, (str, bytes, np.ndarray)) or not isinstance(
                initial_observations, Sequence
            ):
                fail(func, "initial_observations must be a list of one array per agent", TypeError)
            if len(initial_observations) != n:
                fail(func, f"initial_observations must hold one array per agent ({n})")
            init = []
            for i, x in enumerate(initial_observations):
                a = _stochastic(func, f"initial_observations[{i}]", x, (S, 0))
                if a.shape[-1] != ms[i]:
                    fail(
                        func,
                        f"initial_observations[{i}] must have {ms[i]} observations (as "
                        f"observations[{i}]); got {a.shape[-1]}",
                    )
                init.append(a)
        self.game = game
        self.observations = tuple(models)
        self.initial_observations = tuple(_owned(a) for a in init)
        self.num_observations = ms
        # transitions for the filter: terminal states absorb (their rows are unused)
        P = np.array(game.transitions.reshape(S, -1, S))
        P[game.terminal] = np.eye(S)[game.terminal][:, None, :]
        self._filter_transitions = P
        self._strides = np.array([int(np.prod(ks[i + 1 :])) for i in range(n)], dtype=np.int64)

    @property
    def num_players(self) -> int:
        return self.game.num_players

    @property
    def num_states(self) -> int:
        return self.game.num_states

    def joint_observation_likelihood(self, actions: ArrayLike, observations: ArrayLike):
        """``(B, S)``: ``P(o | s', a) = prod_i O_i[s', a, o_i]`` for each row's joint
        action ``(B, n)`` and joint observation ``(B, n)``."""
        a, o = self._check("DecPOMDP.joint_observation_likelihood", actions, observations, None)
        return self._likelihood(a, o)

    def _likelihood(self, a: np.ndarray, o: np.ndarray) -> np.ndarray:
        B = a.shape[0]
        lik = np.ones((B, self.num_states))
        for i, Oi in enumerate(self.observations):
            flat = Oi.reshape(self.num_states, -1, Oi.shape[-1])  # (S, K, m_i)
            lik *= flat[:, a @ self._strides, o[:, i]].T
        return lik

    def _check(self, func: str, actions, observations, B: int | None):
        n = self.num_players
        out = []
        for name, x, bounds in (
            ("actions", actions, self.game.num_actions),
            ("observations", observations, self.num_observations),
        ):
            v = as_array(func, name, x)
            if v.dtype == bool or not np.issubdtype(v.dtype, np.integer):
                fail(func, f"{name} must be integers; got dtype {v.dtype}", TypeError)
            if v.ndim != 2 or v.shape[1] != n or (B is not None and v.shape[0] != B):
                rows = "B" if B is None else str(B)
                fail(func, f"{name} must have shape ({rows}, {n}); got {v.shape}")
            hi = np.asarray(bounds)
            bad = (v < 0) | (v >= hi)
            if bad.any():
                b, i = (int(j) for j in np.argwhere(bad)[0])
                fail(func, f"{name}[{b}, {i}] = {int(v[b, i])} is not in 0..{hi[i] - 1}")
            out.append(v.astype(np.int64))
        return out

    def belief_update(
        self, belief: ArrayLike, actions: ArrayLike, observations: ArrayLike
    ) -> np.ndarray:
        """The posterior ``(B, S)`` over the hidden state after each row's joint action
        ``(B, n)`` and joint observation ``(B, n)`` (Bernstein et al. 2002)::

            b'(s') ∝ prod_i O_i[s', a, o_i] sum_s P(s' | s, a) b(s)

        ``belief`` is ``(B, S)``, each row a distribution.  Computed by
        :func:`accord.bayes.filter_step` (whose errors propagate, e.g. a
        :class:`accord.bayes.ZeroLikelihoodError` for an impossible observation); a
        terminal state is absorbing here.
        """
        func = "DecPOMDP.belief_update"
        b = numeric_array(func, "belief", belief)
        if b.ndim != 2 or b.shape[1] != self.num_states:
            fail(func, f"belief must have shape (B, {self.num_states}); got {b.shape}")
        a, o = self._check(func, actions, observations, b.shape[0])
        T = self._filter_transitions[:, a @ self._strides, :].transpose(1, 0, 2)
        return filter_step(b, np.ascontiguousarray(T), self._likelihood(a, o))

    def __repr__(self) -> str:
        return (
            f"DecPOMDP(states={self.num_states}, actions={self.game.num_actions}, "
            f"observations={self.num_observations})"
        )


def multi_agent_tiger(listen_accuracy: float = 0.85, discount: float = 0.95) -> DecPOMDP:
    """The multi-agent tiger problem (Dec-Tiger) of Nair et al. (2003, "Taming
    decentralized POMDPs", IJCAI, Sec. 2).

    Two agents face two doors, a tiger behind one (states ``TIGER_STATES``), a
    treasure behind the other.  Each agent listens or opens a door
    (``TIGER_ACTIONS``).  Joint rewards (both agents receive them): both listen -2;
    both open the treasure door +20; both open the tiger door -50; they open different
    doors -100; one opens the tiger door while the other listens -101; one opens the
    treasure door while the other listens +9.  After any door is opened the tiger is
    placed behind a door uniformly at random (the problem resets); while both listen it
    stays.  When both listen, each agent independently hears it on the correct side
    (``TIGER_OBSERVATIONS``) with probability ``listen_accuracy``; otherwise both
    observations are uniform.  The numbers are those of the problem file
    ``dectiger.dpomdp`` of the MADP toolbox (Oliehoek et al. 2017).  The tiger starts
    uniformly.  ``discount`` is the game's (the problem is usually solved for a finite
    horizon).
    """
    func = "multi_agent_tiger"
    p = real(func, "listen_accuracy", listen_accuracy, 0.0, 1.0)
    d = real(func, "discount", discount, 0.0, 1.0, high_open=True)
    L, OL, OR = 0, 1, 2
    P = np.full((2, 3, 3, 2), 0.5)
    P[:, L, L, :] = np.eye(2)
    R = np.zeros((2, 3, 3))  # [state, a_0, a_1]
    for s in (0, 1):  # s: tiger-left (0), tiger-right (1)
        tiger, treasure = (OL, OR) if s == 0 else (OR, OL)
        R[s, L, L] = -2.0
        R[s, tiger, tiger] = -50.0
        R[s, treasure, treasure] = 20.0
        R[s, tiger, treasure] = R[s, treasure, tiger] = -100.0
        R[s, tiger, L] = R[s, L, tiger] = -101.0
        R[s, treasure, L] = R[s, L, treasure] = 9.0
    game = MarkovGame.cooperative(P, R, d, num_players=2, initial=[0.5, 0.5])
    hear = np.full((2, 3, 3, 2), 0.5)
    hear[:, L, L, :] = [[p, 1.0 - p], [1.0 - p, p]]
    return DecPOMDP(game, [hear, hear])
