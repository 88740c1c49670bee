"""Exact joint beliefs over the partners' type vectors.

Chalkiadakis & Boutilier (2012, Sec. 3.1 and Eq. 5) define each agent's beliefs
``B_i`` over its partners' joint type vector; for tractability their update projects
the posterior back to per-partner marginals (:func:`~accord.coalition.valuation.posteriors`),
which forgets what one observation says about the members *together* (an outcome of a
three-member coalition is evidence about the sum of their qualities, not about each
alone). :class:`JointBeliefs` keeps the exact joint instead: agent ``i`` holds a
probability for every type vector of the others (``prod_{j != i} |T_j|`` states:
144 in the five-agent software company), starts from the product of its prior
marginals, and multiplies in the likelihood of each observed outcome (Eq. 5 without
the projection).

Coalition values need, for agent ``i`` and coalition ``S``, only the distribution of
a *cell* of the state: the total of the members' type points for a task with a
:class:`~accord.coalition.model.TypeStatistic`, otherwise the type vector of ``S``'s
unknown members (the row's enumeration order of
:class:`~accord.coalition.valuation.Row`). The cell distribution is one weighted
``bincount`` per agent; VPI treats the cell as one pseudo-member, as it does the
statistic's total.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import bayes
from .._validate import fail
from .model import BCFP
from .valuation import NEG_INF, Valuator, log_of

#: How agents hold their beliefs: per-partner marginals (the paper's projection,
#: the default) or the exact joint over the partners' type vectors.
BELIEFS = ("marginal", "joint")
#: Most (joint state, coalition) cells :class:`JointBeliefs` builds, over all agents.
JOINT_CELLS = 1 << 24


@dataclass
class _Cells:
    """One task's cells: ``index[i]`` ``(Z_i, 2**n)`` is the cell of each of agent
    ``i``'s joint states in every coalition; ``probs`` ``(n or 1, 2**n, A, O, W)`` is
    ``Pr(o | a, S, cell)`` (zero at cells a coalition cannot have)."""

    index: list[np.ndarray]
    probs: np.ndarray
    values: np.ndarray  # (n or 1, 2**n, A, W)

    def of(self, agent: int) -> int:
        return 0 if self.probs.shape[0] == 1 else agent


class JointBeliefs:
    """Every agent's exact joint belief over its partners' type vectors.

    ``log_prior`` is the ``(n, n, K)`` per-partner log marginals the joint starts from
    (their product). The number of joint states times ``2**n`` coalitions, over all
    agents, must stay within :data:`JOINT_CELLS`; it is checked before anything is
    built."""

    def __init__(self, problem: BCFP, valuator: Valuator, log_prior: np.ndarray) -> None:
        n = problem.n_agents
        sizes = np.asarray([ts.size for ts in problem.type_sets], dtype=np.int64)
        states = [int(np.prod(np.delete(sizes, i))) for i in range(n)]
        cells = sum(states) << n
        if cells > JOINT_CELLS:
            fail(
                "simulate",
                f"beliefs='joint' holds {sum(states)} joint type vectors over {1 << n} "
                f"coalitions ({cells} cells, more than the {JOINT_CELLS} allowed) for "
                f"{n} agents; use beliefs='marginal'",
            )
        self.problem, self.valuator = problem, valuator
        #: per agent ``(Z_i, n)``: local type index (position in the type set) of every
        #: agent in each joint state; the agent itself at its true type
        self.local: list[np.ndarray] = []
        #: per agent ``(Z_i, n)``: the same as global type ids
        self.types: list[np.ndarray] = []
        #: per agent ``(Z_i,)``: normalised log probabilities of the joint states
        self.log_p: list[np.ndarray] = []
        for i in range(n):
            own = int(np.flatnonzero(problem.type_sets[i] == problem.true_types[i])[0])
            axes = [np.arange(sizes[j]) if j != i else np.array([own]) for j in range(n)]
            loc = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, n)
            glob = np.stack([problem.type_sets[j][loc[:, j]] for j in range(n)], axis=1)
            others = np.flatnonzero(np.arange(n) != i)
            lp = log_prior[i, others[None, :], glob[:, others]].sum(axis=1)
            self.local.append(loc)
            self.types.append(glob)
            self.log_p.append(lp - _logsumexp(lp))
        self._cells: dict[int, _Cells] = {}

    # ---- cells -------------------------------------------------------------------
    def cells(self, task: int) -> _Cells:
        """The task's cells (built once)."""
        got = self._cells.get(task)
        if got is None:
            st = self.valuator.subset_tables(task)
            got = self._statistic_cells(st) if st is not None else self._row_cells(task)
            self._cells[task] = got
        return got

    def _statistic_cells(self, st) -> _Cells:
        """Cell = total of the members' points (the task's type statistic)."""
        n = self.problem.n_agents
        index = []
        for glob in self.types:
            pts = st.points[glob]  # (Z, n)
            tot = np.zeros((glob.shape[0], 1 << n), dtype=np.int32)
            for s in range(1, 1 << n):
                low = (s & -s).bit_length() - 1
                tot[:, s] = tot[:, s & (s - 1)] + pts[:, low]
            index.append(tot)
        return _Cells(index, st.probs[None], st.values[None])

    def _row_cells(self, task: int) -> _Cells:
        """Cell = the type vector of the coalition's unknown members, indexed as the
        agent's enumerated row (:class:`~accord.coalition.valuation.Row`) orders it."""
        p, va = self.problem, self.valuator
        n, k, m_n = p.n_agents, p.k_max, 1 << p.n_agents
        width = k ** (n - 1)
        need = 8 * n * m_n * p.n_actions * (p.n_outcomes + 1) * width
        if need > 1 << 30:
            fail(
                "simulate",
                f"beliefs='joint' without a type statistic needs {need} bytes of outcome "
                f"tables ({width} type vectors per coalition); use beliefs='marginal'",
            )
        probs = np.zeros((n, m_n, p.n_actions, p.n_outcomes, width))
        index = []
        for i in range(n):
            loc = self.local[i]
            idx = np.zeros((loc.shape[0], m_n), dtype=np.int32)
            for s in range(1, m_n):
                row = va.row(task, i, s)
                if not row.enumerated:
                    fail(
                        "simulate",
                        f"beliefs='joint' needs every coalition's type vectors enumerated; "
                        f"raise enumerate_limit to at least {k**row.m}",
                    )
                cell = np.zeros(loc.shape[0], dtype=np.int64)
                for j in row.unknown:
                    cell = cell * k + loc[:, j]
                idx[:, s] = cell
                probs[i, s, ..., : k**row.m] = row.enumerated_probs
            index.append(idx)
        values = np.einsum("imaow,o->imaw", probs, p.tasks[task].rewards)
        return _Cells(index, probs, values)

    # ---- what valuation needs --------------------------------------------------------
    def distributions(self, task: int) -> np.ndarray:
        """``(n, 2**n, W)``: each agent's distribution of every coalition's cell."""
        c = self.cells(task)
        m_n, width = c.probs.shape[1], c.probs.shape[-1]
        out = np.empty((self.problem.n_agents, m_n, width))
        offset = np.arange(m_n, dtype=np.int64) * width
        for i, idx in enumerate(c.index):
            w = np.broadcast_to(np.exp(self.log_p[i])[:, None], idx.shape)
            flat = np.bincount((idx + offset).ravel(), weights=w.ravel(), minlength=m_n * width)
            out[i] = flat.reshape(m_n, width)
        return out

    def values(self, task: int) -> np.ndarray:
        """``(n, 2**n, A, W)`` (a broadcast view when the cells are shared):
        ``sum_o Pr(o | a, S, cell) R(o)``."""
        v = self.cells(task).values
        return np.broadcast_to(v, (self.problem.n_agents,) + v.shape[1:])

    def log_marginals(self) -> np.ndarray:
        """``(n, n, K)``: the joint's per-partner marginals (a point mass on each
        agent's own type)."""
        n, k = self.problem.n_agents, self.problem.n_types
        out = np.empty((n, n, k))
        for i in range(n):
            p = np.exp(self.log_p[i])
            for j in range(n):
                out[i, j] = np.bincount(self.types[i][:, j], weights=p, minlength=k)
        return log_of(out)

    def modes(self, ties: str, seed: int) -> np.ndarray:
        """``(n, n)`` global types: each agent's most probable joint type vector
        (Sec. 4.4), ties broken by ``ties`` (:data:`~accord.coalition.estimators.MAP_TIES`,
        over the states in lexicographic order of the type sets)."""
        rng = np.random.default_rng(seed)
        out = []
        for i, lp in enumerate(self.log_p):
            top = np.flatnonzero(lp >= lp.max() - 1e-12)
            pick = {"first": top[0], "last": top[-1]}.get(ties)
            if pick is None:
                pick = top[int(rng.integers(top.size))]
            out.append(self.types[i][pick])
        return np.stack(out)

    # ---- Eq. 5 -------------------------------------------------------------------
    def update(self, task: int, requests: list[tuple[int, int, int, int]]) -> None:
        """Multiply in the likelihood of each observation ``(agent, coalition mask,
        action, outcome)`` (Eq. 5, exact). All requests are checked before any
        belief changes."""
        c = self.cells(task)
        new: dict[int, np.ndarray] = {}
        for q, (i, s, a, o) in enumerate(requests):
            lik = c.probs[c.of(i), s, a, o][c.index[i][:, s]]
            with np.errstate(divide="ignore"):
                lp = new.get(i, self.log_p[i]) + np.log(lik)
            top = lp.max()
            if not np.isfinite(top):
                err = bayes.ZeroLikelihoodError(
                    "update", [q], "the observed outcome has zero probability under the beliefs"
                )
                err.requests = [q]
                raise err
            new[i] = lp - top - np.log(np.exp(lp - top).sum())
        for i, lp in new.items():
            self.log_p[i] = np.where(np.isfinite(lp), lp, NEG_INF)


def _logsumexp(x: np.ndarray) -> float:
    top = float(x.max())
    if not np.isfinite(top):
        fail("simulate", "a prior gives every joint type vector zero probability")
    return top + float(np.log(np.exp(x - top).sum()))
