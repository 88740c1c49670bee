"""Policy hill-climbing learners (Bowling & Veloso 2002, "Multiagent learning using a
variable learning rate", Artificial Intelligence 136(2)), one set of tables per
environment copy and player.

Every player keeps Q-values over its own actions, learned by Q-learning, and a mixed
policy ``pi(s, .)`` that climbs toward the greedy action by a step ``delta`` after
every update (Table 1):

    pi(s, a) <- pi(s, a) + Delta_sa,   Delta_sa = -d_sa                   (a not greedy)
                                       Delta_sa = sum_{a' not greedy} d_sa' / |greedy|
    d_sa = min(pi(s, a), delta / (|A_i| - |greedy|)),

which keeps ``pi(s, .)`` a probability vector (nothing moves when every action is
greedy; the paper's single greedy action is the case ``|greedy| = 1``).
:class:`WoLFPHC` (Table 2) also keeps the average policy
``avg(s, .) += (pi(s, .) - avg(s, .)) / C(s)`` and steps by ``delta_win`` while
*winning*, ``sum_a pi(s, a) Q(s, a) > sum_a avg(s, a) Q(s, a)``, and by the larger
``delta_lose`` otherwise ("win or learn fast").  Players act by sampling
``(1 - epsilon) pi(s, .) + epsilon uniform``.
"""

from __future__ import annotations

import numpy as np

from .._validate import check_bytes, fail, real
from .independent_q import _kernels, _sample, _Tabular

__all__ = ["PHC", "WoLFPHC"]


class PHC(_Tabular):
    """Policy hill-climbing (Bowling & Veloso 2002, Table 1).

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
    delta
        Policy step.
    epsilon
        Weight of uniform exploration in the played policy.
    seed
        Seed of the action draws.

    The defaults are constant rates with ``delta << alpha``, so that the Q-values track
    the policies that they judge; with them WoLF-PHC in self-play settles at the mixed
    equilibria of matching pennies and rock-paper-scissors within a few thousand plays.
    The paper's experiments decay all rates with time.

    Attributes
    ----------
    Q
        ``(E, n, S, max k_i)`` (``-inf`` beyond a player's actions).
    policy, average_policy
        ``(E, n, S, max k_i)`` the current policies and their averages over the
        updates of each state (0 beyond a player's actions).
    visits
        ``(E, n, S)`` updates of each state, the ``C(s)`` of the average.
    """

    def __init__(
        self,
        num_states: int,
        num_actions,
        discount: float,
        *,
        n_envs: int,
        alpha: float = 0.5,
        delta: float = 0.002,
        epsilon: float = 0.05,
        seed=None,
    ) -> None:
        self._init("PHC", num_states, num_actions, discount, n_envs, alpha, epsilon, seed)
        self.delta = real("PHC", "delta", delta, 0.0, 1.0, low_open=True)

    def _init(self, func, num_states, num_actions, discount, n_envs, alpha, epsilon, seed):
        self._setup(func, num_states, num_actions, discount, n_envs)
        self.alpha = real(func, "alpha", alpha, 0.0, 1.0, low_open=True)
        self.epsilon = real(func, "epsilon", epsilon, 0.0, 1.0)
        self._seed(func, seed)
        E, n, S, k = self.n_envs, self.num_players, self.num_states, max(self.num_actions)
        check_bytes(func, 24 * E * n * S * k, "the Q- and policy tables", "fewer copies")
        valid = self._valid[None, :, None, :]
        ones = np.ones((E, 1, S, 1))
        self.Q = np.where(valid, 0.0, -np.inf) * ones
        self.policy = np.where(valid, 1.0 / self._ks[None, :, None, None], 0.0) * ones
        self.average_policy = self.policy.copy()
        self.visits = np.zeros((E, n, S), dtype=np.int64)
        self._uniform = self._valid / self._ks[:, None]  # (n, k)

    def act(self, states: np.ndarray) -> np.ndarray:
        """``(E, n)`` actions drawn from ``(1 - epsilon) pi(s, .) + epsilon uniform``."""
        states = self._check_act(states)
        p = self.policy[self._envs, :, states]
        return _sample((1.0 - self.epsilon) * p + self.epsilon * self._uniform, self.rng)

    def policies(self) -> list[np.ndarray]:
        """Each player's current policy, ``(E, S, k_i)`` per copy, for
        :func:`~accord.marl.train`'s diagnostics."""
        return [self.policy[:, i, :, :k].copy() for i, k in enumerate(self.num_actions)]

    def update(self, states, actions, rewards, next_states, terminated) -> None:
        """One transition per copy; ``rewards`` ``(E, n)``."""
        s, a, r, nxt, term = self._check_update(states, actions, rewards, next_states, terminated)
        win, lose = self._steps()
        _kernels.phc_update(
            self.Q,
            self.policy,
            self.average_policy,
            self.visits,
            *self._kernel_args(s, a, r, nxt, term),
            self.discount,
            self.alpha,
            win,
            lose,
            self._wolf,
        )

    _wolf = False  # the step depends on winning (Bowling & Veloso 2002, Table 2)

    def _steps(self) -> tuple[float, float]:
        """The policy steps while winning and while losing."""
        return self.delta, self.delta


class WoLFPHC(PHC):
    """WoLF policy hill-climbing (Bowling & Veloso 2002, Table 2): policy steps of
    ``delta_win`` while the current policy is worth more than the average policy
    against the learned Q-values, ``delta_lose > delta_win`` otherwise.

    Parameters as :class:`PHC`, with ``delta_win`` and ``delta_lose`` in place of
    ``delta``; attributes as :class:`PHC`.
    """

    def __init__(
        self,
        num_states: int,
        num_actions,
        discount: float,
        *,
        n_envs: int,
        alpha: float = 0.5,
        delta_win: float = 0.002,
        delta_lose: float = 0.008,
        epsilon: float = 0.05,
        seed=None,
    ) -> None:
        func = "WoLFPHC"
        self._init(func, num_states, num_actions, discount, n_envs, alpha, epsilon, seed)
        self.delta_win = real(func, "delta_win", delta_win, 0.0, 1.0, low_open=True)
        self.delta_lose = real(func, "delta_lose", delta_lose, 0.0, 1.0, low_open=True)
        if self.delta_lose <= self.delta_win:
            fail(
                func,
                f"delta_lose must be > delta_win; got delta_lose={delta_lose}, "
                f"delta_win={delta_win}",
            )

    _wolf = True

    def _steps(self) -> tuple[float, float]:
        return self.delta_win, self.delta_lose
