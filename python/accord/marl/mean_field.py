"""Mean-field Q-learning for many agents.

Mean-field Q-learning (Yang et al. 2018, "Mean field multi-agent reinforcement
learning", ICML, Sec. 3.2 and Algorithm 1) replaces the joint action of agent ``j``'s
neighbours by their *mean action* ``abar_j`` (the distribution of their one-hot
actions), so ``Q_j(s, a_j, abar_j)`` has a size independent of the number of agents.
In tabular form, with ``abar`` discretised to a cell ``m``:

* policy: Boltzmann over the mean action of the previous step,
  ``pi_j(a | s, m) = exp(Q_j(s, a, m) / tau) / sum_b exp(Q_j(s, b, m) / tau)``;
* mean-field value: ``v_j(s', m) = sum_a pi_j(a | s', m) Q_j(s', a, m)``;
* update, with ``m`` the cell of the mean action the neighbours actually took:
  ``Q_j(s, a_j, m) += alpha (r_j + discount v_j(s', m) - Q_j(s, a_j, m))``.

Observations follow the convention of a *mean-field observation*: an integer pair
``(s, m)`` per agent, its local state and the cell of its neighbours' mean action on
the previous step (as :class:`accord.marl.envs.crowd.CrowdVecEnv` gives), so the cell
of the mean action taken on a step is read from the next observation.

:func:`accord.marl.train` runs it on a :class:`accord.marl.envs.VecEnv` such as
``crowd``::

    from accord.marl import envs, train
    from accord.marl.mean_field import MeanFieldQ
    env = envs.make_vec("crowd", 8, n_agents=1000, seed=0)
    K, M = env.n_options, env.n_cells
    learner = MeanFieldQ(K, K, M, n_agents=1000, n_envs=8, temperature=0.5, seed=1)
    train(env, learner, steps=1000)

Acting on the previous step's mean action is a best response to where the crowd was:
in a congestion game (negative feedback) a low temperature makes the whole population
jump together and cycle; on ``crowd`` with congestion ``c`` a temperature of about
``c / 2`` settles on the logit equilibrium.  The mean action predicts the next one
only as well as the number of neighbours allows, so with few agents mean-field Q
trails independent Q-learning on the same observations (``mean_field=False``): after
600 steps at temperature 0.5 the L1 distance of the population's policy to the
equilibrium is larger by about 0.07 with 10 agents, 0.01 with 100 and 0.00 with 1,000.
"""

from __future__ import annotations

import numpy as np

from .._validate import check_bytes, fail, flag, generator, integer, real

__all__ = ["MeanFieldQ"]


class MeanFieldQ:
    """Tabular mean-field Q-learning (Yang et al. 2018, Sec. 3.2, Algorithm 1),
    vectorised over environment copies and agents.

    Parameters
    ----------
    num_states
        ``S``, local states ``s`` (the first entry of an observation).
    num_actions
        ``K``, actions of every agent.
    num_cells
        ``M``, cells of the discretised mean action (the second entry).
    n_agents
        ``n``.
    n_envs
        Environment copies ``E``; each copy has its own tables (an independent run).
    discount
        ``0 <= discount < 1``.
    alpha
        Learning rate in ``(0, 1]``.
    temperature
        ``tau > 0`` of the Boltzmann policy.
    shared
        One table for all agents of a copy (parameter sharing); a step's transitions
        that hit the same entry move it by ``alpha`` times their mean TD error.
        ``False``: one table per agent.
    mean_field
        ``False`` gives the baseline of Yang et al. (2018): independent Q-learning
        (Tan 1993) on the same observations, ``Q(o, a) += alpha (r + discount
        max_b Q(o', b) - Q(o, a))`` with ``o = (s, m_prev)``, and the same Boltzmann
        policy.
    seed
        Seed of the policy's sampling.

    Attributes
    ----------
    Q
        ``(E, S, M, K)`` (shared) or ``(E, n, S, M, K)``, zero at start.
    """

    def __init__(
        self,
        num_states: int,
        num_actions: int,
        num_cells: int,
        *,
        n_agents: int,
        n_envs: int,
        discount: float = 0.9,
        alpha: float = 0.1,
        temperature: float = 0.1,
        shared: bool = True,
        mean_field: bool = True,
        seed=None,
    ) -> None:
        func = "MeanFieldQ"
        S = integer(func, "num_states", num_states, minimum=1)
        K = integer(func, "num_actions", num_actions, minimum=1)
        M = integer(func, "num_cells", num_cells, minimum=1)
        n = integer(func, "n_agents", n_agents, minimum=1)
        E = integer(func, "n_envs", n_envs, minimum=1)
        self.discount = real(func, "discount", discount, 0.0, 1.0, high_open=True)
        self.alpha = real(func, "alpha", alpha, 0.0, 1.0, low_open=True)
        self.temperature = real(func, "temperature", temperature, 0.0, low_open=True)
        self.shared = flag(func, "shared", shared)
        self.mean_field = flag(func, "mean_field", mean_field)
        self.rng = generator(func, seed)
        tables = E if self.shared else E * n
        check_bytes(
            func,
            8 * tables * S * M * K + 64 * E * n * K,
            "the Q-tables",
            "shared=True, fewer copies, or coarser mean-action cells",
        )
        self.num_states, self.num_actions, self.num_cells = S, K, M
        self.n_agents, self.n_envs = n, E
        shape = (E, S, M, K) if self.shared else (E, n, S, M, K)
        self.Q = np.zeros(shape)
        self._rows = np.arange(E)[:, None] if self.shared else np.arange(E * n).reshape(E, n)

    # -- tables --------------------------------------------------------------------------
    def _check_obs(self, observations, name: str, func: str) -> tuple[np.ndarray, np.ndarray]:
        o = np.asarray(observations)
        want = (self.n_envs, self.n_agents, 2)
        if o.shape != want or o.dtype == bool or not np.issubdtype(o.dtype, np.integer):
            fail(
                func,
                f"{name} must be integer (state, mean-action cell) pairs of shape {want}; "
                f"got {o.dtype} of shape {o.shape}",
            )
        s, m = o[..., 0].astype(np.int64), o[..., 1].astype(np.int64)
        for part, what, hi in ((s, "state", self.num_states), (m, "cell", self.num_cells)):
            bad = (part < 0) | (part >= hi)
            if bad.any():
                e, i = (int(v) for v in np.argwhere(bad)[0])
                fail(
                    func,
                    f"{name}: copy {e}, agent {i}: {what} {int(part[e, i])} is not in 0..{hi - 1}",
                )
        return s, m

    def _flat(self) -> np.ndarray:
        """The tables as ``(E or E n, S, M, K)``."""
        return self.Q.reshape(-1, self.num_states, self.num_cells, self.num_actions)

    def _q(self, observations, func: str) -> np.ndarray:
        s, m = self._check_obs(observations, "observations", func)
        return self._flat()[self._rows, s, m]

    def _policy(self, s: np.ndarray, m: np.ndarray) -> np.ndarray:
        """``(E, n, K)`` Boltzmann probabilities of the checked observations ``(s, m)``
        (with shared tables, the softmax of the small table, then gathered)."""
        if self.shared:
            return _softmax(self._flat() / self.temperature)[self._rows, s, m]
        return _softmax(self._flat()[self._rows, s, m] / self.temperature)

    def values(self, observations) -> np.ndarray:
        """``(E, n, K)``: ``Q(s, ., m)`` of every agent's observation ``(s, m)``."""
        return self._q(observations, "MeanFieldQ.values")

    def policy(self, observations) -> np.ndarray:
        """``(E, n, K)`` Boltzmann probabilities ``pi(a | s, m)``."""
        return self._policy(*self._check_obs(observations, "observations", "MeanFieldQ.policy"))

    def act(self, observations) -> np.ndarray:
        """``(E, n)`` actions drawn from the Boltzmann policy (inverse transform of one
        uniform per agent)."""
        p = self._policy(*self._check_obs(observations, "observations", "MeanFieldQ.act"))
        u = self.rng.random(p.shape[:-1])
        cdf = np.zeros(p.shape[:-1])
        a = np.zeros(p.shape[:-1], dtype=np.int64)
        for k in range(self.num_actions - 1):  # a = #{k < K - 1: cdf_k <= u}
            cdf += p[..., k]
            a += cdf <= u
        return a

    def greedy(self, observations) -> np.ndarray:
        """``(E, n)`` greedy actions (lowest index on ties)."""
        return self._q(observations, "MeanFieldQ.greedy").argmax(axis=-1)

    def update(self, observations, actions, rewards, next_observations, terminated) -> None:
        """One transition per agent and copy: ``observations`` and ``next_observations``
        ``(E, n, 2)``, ``actions`` and ``rewards`` ``(E, n)``, ``terminated`` ``(E,)``."""
        func = "MeanFieldQ.update"
        s, m_prev = self._check_obs(observations, "observations", func)
        s2, m = self._check_obs(next_observations, "next_observations", func)
        a = np.asarray(actions)
        r = np.asarray(rewards, dtype=np.float64)
        E, n, K = self.n_envs, self.n_agents, self.num_actions
        if a.shape != (E, n) or not np.issubdtype(a.dtype, np.integer) or a.dtype == bool:
            fail(func, f"actions must be integers of shape {(E, n)}; got {a.dtype} {a.shape}")
        if ((a < 0) | (a >= K)).any():
            fail(func, f"actions must be in 0..{K - 1}")
        if r.shape != (E, n) or not np.isfinite(r).all():
            fail(func, f"rewards must be finite, of shape {(E, n)}; got shape {r.shape}")
        term = np.asarray(terminated)
        if term.shape != (E,) or term.dtype != bool:
            fail(
                func,
                f"terminated must be a bool array of shape ({E},); got {term.dtype} "
                f"of shape {term.shape}",
            )
        Q = self._flat()
        if self.mean_field:  # v(s', m) = sum_a pi(a | s', m) Q(s', a, m)
            if self.shared:
                v = (_softmax(Q / self.temperature) * Q).sum(axis=-1)[self._rows, s2, m]
            else:
                nxt = Q[self._rows, s2, m]
                v = _rowsum(_softmax(nxt / self.temperature) * nxt)
            cell = m  # the mean action the neighbours took on this step
        else:
            v = Q.max(axis=-1)[self._rows, s2, m] if self.shared else Q[self._rows, s2, m].max(-1)
            cell = m_prev
        target = r + self.discount * np.where(term[:, None], 0.0, v)
        rows = np.broadcast_to(self._rows, (E, n))
        flat = ((rows * self.num_states + s) * self.num_cells + cell) * K + a
        q = Q.reshape(-1)
        if self.shared:
            delta = target - q[flat]
            size = q.size
            total = np.bincount(flat.ravel(), weights=delta.ravel(), minlength=size)
            count = np.bincount(flat.ravel(), minlength=size)
            hit = count > 0
            q[hit] += self.alpha * total[hit] / count[hit]
        else:
            q[flat] += self.alpha * (target - q[flat])


def _rowsum(x: np.ndarray) -> np.ndarray:
    """Sum over the (short) last axis, one column at a time: faster than a NumPy
    reduction over an axis of a few entries."""
    out = x[..., 0].copy()
    for k in range(1, x.shape[-1]):
        out += x[..., k]
    return out


def _softmax(x: np.ndarray) -> np.ndarray:
    """Softmax over the last axis."""
    top = x[..., 0].copy()
    for k in range(1, x.shape[-1]):
        np.maximum(top, x[..., k], out=top)
    z = np.exp(x - top[..., None])
    return z / _rowsum(z)[..., None]
