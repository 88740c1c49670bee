"""How an agent values a coalitional agreement ``<C, alpha, d_C>`` (Chalkiadakis &
Boutilier 2012, Sec. 4).

Every method values an agreement ``sigma = (S, a, r_i)`` (coalition mask, action,
the agent's relative demand) from *base* coalition values ``Q_i(S, a)`` computed
once per stage in batch by :mod:`accord.bayes` (:class:`StageValues`):

* ``myopic`` -- ``r_i Q_i(S, a)`` (Sec. 4.3).
* ``map`` -- ``r_i Q(S, a | t_MAP)`` with each partner at its most probable type
  (Sec. 4.4).
* ``informed`` -- ``r_i Q(S, a | t*)`` with the true types (the fully informed
  baseline of Table 1).
* ``vpi`` -- ``E[q_sigma] + VPI(sigma)`` (Eqs. 11-15).
* ``osla`` -- one-step lookahead ``Q^1`` (Eqs. 8-10): ``r_i Q_i(S, a) +
  gamma sum_s Pr_i(s | S, a) V^0_i(B_i^{s,a})``.
* ``vpi-osla`` -- VPI computed over OSLA values (Sec. 4.2, last paragraph).

Reconstruction choices (the paper leaves them open; see EXPERIMENTS.md):

* ``q_1``, ``q_2`` and ``sigma_1`` (Eq. 12) are the best and second-best expected
  values over the agreements the agent could propose at the start of the stage (the
  candidates of negotiation, :func:`candidate_filter`), each with the relative
  demand BRE would give it (partners offered their current believed payoffs, the
  agent keeping the residual), and its current agreement.
* ``V^0`` (Eq. 9) is the agent's expected immediate payoff after *one* round of
  best-reply negotiation starting from the agreement ``sigma`` being valued (the
  next stage's negotiation starts where this one ends), the proposer uniform over
  agents and considering the candidates negotiation would; others are modelled
  with the agent's prior view for the first ``switch`` stages (static assumption)
  and with its own updated beliefs after (convergent assumption, footnote 5).
* VPI-over-OSLA values a revealed type vector ``t`` of a candidate's members with
  the successor rule of Sec. 4.6: ``q*(t) = r_i V(a | t) + gamma V^0_i(B_i^t)``,
  ``B_i^t`` the beliefs with ``t`` revealed (:meth:`Lookahead.revealed`); its
  ``q_1``, ``q_2`` are OSLA values (Eqs. 8-10).
"""

from __future__ import annotations

import functools

import numpy as np

from .._backend import cpu_kernels
from .._masks import members, membership_table, singleton_masks
from .._validate import fail
from .joint import JointBeliefs
from .model import BCFP, Agreement, form_many, member_bits
from .valuation import (
    Group,
    SubsetTables,
    Valuator,
    expected_many,
    log_of,
    successor_grid,
    successor_views,
)

METHODS = ("myopic", "map", "informed", "vpi", "osla", "vpi-osla")
#: How MAP breaks ties between equally probable types (Sec. 4.4 leaves it open):
#: the first or the last in a type set's order, or uniformly at random each stage.
#: The software-company and Good/Bad/Ugly type sets are ordered worst first, so
#: under a uniform prior "first" assumes every partner is as bad as it can be.
MAP_TIES = ("first", "last", "random")
TOL = 1e-9


class StageValues:
    """Base coalition values of every agent for one stage, with what VPI needs kept:
    each agent's distribution of every coalition's *cell* (``dist``) and the values
    per cell (``cell_values``) when the task declares a type statistic (the cell is
    the total) or the agents hold joint beliefs (:mod:`~accord.coalition.joint`),
    else the kernel groups of the type-vector rows.

    VPI-over-OSLA's cells are type vectors (the successor rule reveals them, Sec. 4.6):
    the kernel groups' when every row is enumerated or the task has no statistic;
    otherwise the base values are exact through the statistic and each row's type
    vectors are drawn when first asked for (:meth:`row_cells`)."""

    def __init__(
        self,
        problem: BCFP,
        valuator: Valuator,
        log_beliefs: np.ndarray,
        task: int,
        seed: int,
        method: str,
        map_ties: str = "first",
        joint: JointBeliefs | None = None,
    ) -> None:
        n = problem.n_agents
        #: VPI-over-OSLA rows valued through the statistic, their vectors drawn on demand
        self.vector_rows = False
        if method == "vpi-osla":  # the successor rule reveals type vectors (Sec. 4.6)
            full = (1 << n) - 1  # each agent's grand coalition: its most type vectors
            self.vector_rows = valuator.subset_tables(task) is not None and not all(
                valuator.row(task, i, full).enumerated for i in range(n)
            )
            if not self.vector_rows:
                valuator = valuator.per_vector()
        self.problem, self.valuator, self.task, self.method = problem, valuator, task, method
        self.log_beliefs, self.seed = log_beliefs, seed
        self.n_masks = 1 << n
        self.mem = membership_table(n)
        self.subsets = valuator.subset_tables(task)
        self.groups: list[Group] = []
        self.where: dict[tuple[int, int], tuple[int, int]] = {}
        self.cell_values: np.ndarray | None = None  # (n, 2**n, A, W)
        self._row_cells: dict[tuple[int, int], tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        self._weights: dict[int, np.ndarray] = {}
        if joint is not None:
            self.dist = joint.distributions(task)  # (n, 2**n, W)
            self.cell_values = joint.values(task)
        elif self.subsets is not None:
            self.dist = valuator.distributions(task, log_beliefs)  # (n, 2**n, L)
            v = self.subsets.values
            if self.vector_rows:
                self.expected = np.einsum("iml,mal->ima", self.dist, v)
            else:
                self.cell_values = np.broadcast_to(v, (n,) + v.shape)
        if self.cell_values is not None:
            self.expected = np.einsum("imw,imaw->ima", self.dist, self.cell_values)
        elif not self.vector_rows:
            pairs = tuple((i, s) for i in range(n) for s in range(1, self.n_masks))
            view = np.repeat(np.arange(n), self.n_masks - 1)
            q, groups = valuator.expected(task, log_beliefs, view, pairs, seed)
            self.expected = np.zeros((n, self.n_masks, problem.n_actions))
            self.expected[:, 1:] = q.reshape(n, self.n_masks - 1, -1)
            self.groups = groups
            for g_id, g in enumerate(groups):
                for b, pos in enumerate(g.index):
                    self.where[pairs[pos]] = (g_id, b)
        if method == "map":
            mode = (
                joint.modes(map_ties, seed)
                if joint is not None
                else _marginal_modes(log_beliefs, map_ties, seed)
            )
            mode[np.arange(n), np.arange(n)] = problem.true_types
            self.base = self._map_values(mode)
        else:
            self.base = self.expected

    def row_vectors(self, agent: int, mask: int) -> np.ndarray:
        """Row ``(agent, mask)``'s type vectors ``(T, m)``, as in :meth:`row_cells`."""
        if self.vector_rows:
            return self.row_cells(agent, mask)[0]
        g_id, b = self.where[(agent, mask)]
        g = self.groups[g_id]
        if g.samples is None:
            return self.valuator.row(self.task, agent, mask).vectors[0]
        return g.samples[b]

    def row_cells(self, agent: int, mask: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Row ``(agent, mask)``'s type vectors as VPI cells: ``(vectors (T, m)`` local
        indices of the unknown members, ``weights (T,)``, ``values (A, T))``; all
        vectors with their probabilities when the row is enumerated (padding vectors at
        0), else ``samples`` draws at ``1 / samples`` each (Sec. 6), fixed per row and
        stage (cached)."""
        key = (agent, mask)
        got = self._row_cells.get(key)
        if got is not None:
            return got
        row = self.valuator.row(self.task, agent, mask)
        if not self.vector_rows:
            g_id, b = self.where[key]
            g = self.groups[g_id]
            vec = self.row_vectors(agent, mask)
            if g_id not in self._weights:  # the group's vector probabilities at once
                self._weights[g_id] = (
                    np.exp(_joint_log(g.log_marginals))
                    if g.samples is None
                    else np.full(g.samples.shape[:2], 1.0 / g.samples.shape[1])
                )
            got = (vec, self._weights[g_id][b], g.values[b])
        else:
            lm = self.valuator.log_marginals(self.log_beliefs[agent], row)  # (m, k)
            if row.enumerated:
                vec = row.vectors[0]
                w = np.exp(_joint_log(lm[None]))[0]
            else:
                s_n = self.valuator.samples
                seed = (self.seed + 7919 * (agent * self.n_masks + mask)) % 2**64
                vec = cpu_kernels("bayes").sample_types(lm[None], s_n, seed)[0]
                w = np.full(s_n, 1.0 / s_n)
            st = self.subsets
            assert st is not None
            m = row.m
            own = st.points[row.own]
            total = st.points[row.local[np.arange(m), vec]].sum(axis=1) + own
            got = (vec, w, st.values[mask][:, total])
        self._row_cells[key] = got
        return got

    def _map_values(self, mode: np.ndarray) -> np.ndarray:
        """``Q(S, a | t_MAP)``: ``mode[i]`` is agent ``i``'s most probable type vector
        (through the task's type statistic, when it has one: the value at each
        coalition's total of the modes' points)."""
        st = self.valuator.subset_tables(self.task)
        if st is not None:
            tot = self.mem.astype(np.int64) @ st.points[mode].T  # (2**n, n): S's total for i
            every = np.arange(self.n_masks)[:, None, None]
            acts = np.arange(st.values.shape[1])[None, None, :]
            return np.ascontiguousarray(st.values[every, acts, tot[:, :, None]].transpose(1, 0, 2))
        task = self.problem.tasks[self.task]
        out = np.zeros_like(self.expected)
        for s in range(1, self.n_masks):
            mem = np.flatnonzero(self.mem[s])
            out[:, s] = task.values(mem, mode[:, mem])
        return out

    # ---- VPI (Eqs. 11-13) ------------------------------------------------------
    def _vpi_blocks(self, agent: int, masks: np.ndarray):
        """``(rows, log_marginals or None, values)`` per kernel call for the agent's
        view of ``masks``: one call over the totals' distributions for a statistic
        task, one per kernel group (``None``: sampled) otherwise."""
        lm: np.ndarray | None
        if self.cell_values is not None:
            idx = np.asarray(masks, dtype=np.int64)
            lm = log_of(self.dist[agent, idx])[:, None, :]
            yield list(range(idx.size)), lm, self.cell_values[agent, idx]
            return
        if self.vector_rows:  # each row one pseudo-member whose types are its vectors
            by_size: dict[int, list[int]] = {}
            cells = [self.row_cells(agent, int(s)) for s in masks]
            for r, (_, w, _) in enumerate(cells):
                by_size.setdefault(w.size, []).append(r)
            for rs in by_size.values():
                lm = log_of(np.stack([cells[r][1] for r in rs]))[:, None, :]
                yield rs, lm, np.stack([cells[r][2] for r in rs])
            return
        by_group: dict[int, list[int]] = {}
        for r, s in enumerate(masks):
            by_group.setdefault(self.where[(agent, int(s))][0], []).append(r)
        for g_id, rs in by_group.items():
            g: Group = self.groups[g_id]
            sel = np.asarray([self.where[(agent, int(masks[r]))][1] for r in rs])
            lm = None if g.samples is not None else np.ascontiguousarray(g.log_marginals[sel])
            yield rs, lm, g.values[sel]

    def vpi(
        self,
        agent: int,
        masks: np.ndarray,
        shares: np.ndarray,
        best: float,
        second: float,
        best_key: tuple[int, int],
        offset: np.ndarray | None = None,
        revealed: dict[tuple[int, int], np.ndarray] | None = None,
    ) -> np.ndarray:
        """``VPI(sigma | B_i)`` for ``sigma = (masks[r], a, shares[r, a])``: ``(R, A)``.

        VPI-over-OSLA adds a lookahead term to every revealed value: ``offset[r, a]``
        (the same for every type vector), or ``revealed[(agent, masks[r])][a, t]``
        (per type vector ``t``, aligned with the kernel group; see
        :meth:`Lookahead.revealed`): ``q*(t) = shares * V(a | t) + term``.
        """
        out = np.zeros(shares.shape)
        for rs, log_marginals, vals in self._vpi_blocks(agent, masks):
            share = shares[rs]
            term = None
            if revealed is not None:
                term = np.stack([revealed[(agent, int(masks[r]))] for r in rs])  # (nb, A, T)
            elif offset is not None:
                term = offset[rs][..., None]
            if term is not None:
                # share * V + term == share * (V + term / share); with share 0 the revealed
                # value is the term alone: 1 * term
                pos = share > 0
                safe = np.where(pos, share, 1.0)
                vals = np.where(pos[..., None], vals + term / safe[..., None], term)
                share = safe
            is_best = np.zeros(share.shape, dtype=bool)
            for k, r in enumerate(rs):
                if int(masks[r]) == best_key[0]:
                    is_best[k, best_key[1]] = True
            nb = len(rs)
            # hot path (every negotiation round): the arrays were built and checked by
            # the valuator, so call the binding directly (it still checks shapes)
            out[rs] = cpu_kernels("bayes").vpi(
                log_marginals,
                np.ascontiguousarray(vals),
                np.ascontiguousarray(share),
                np.full(nb, best),
                np.full(nb, second),
                is_best.view(np.uint8),
            )
        return out


class Valuation:
    """An agent population's valuation of agreements during one stage."""

    def __init__(
        self,
        method: str,
        stage: StageValues,
        agreement: Agreement,
        lookahead: Lookahead | np.ndarray | None,
        gamma: float,
        revealed: bool | dict[tuple[int, int], np.ndarray] = False,
    ) -> None:
        self.method, self.stage, self.gamma = method, stage, gamma
        self.base = stage.base
        #: best replies of this stage by (proposer, agreement key) (see bre_round)
        self.decisions: dict[tuple, Agreement] = {}
        # OSLA methods: W_i(S, a), on demand (a Lookahead) or given as (n, 2**n, A)
        self.lookahead = lookahead
        # VPI-over-OSLA: gamma V^0 after each type vector's revelation (Sec. 4.6), from
        # the Lookahead (True) or given as {(i, S): (A, T)}
        self.revealed = revealed
        n = stage.problem.n_agents
        self.vpi_ref: list[tuple[float, float, tuple[int, int]]] = []
        if method in ("vpi", "vpi-osla"):
            for i in range(n):
                self.vpi_ref.append(self._reference(i, agreement))

    def _offset(self, agent: int, masks: np.ndarray) -> np.ndarray | None:
        if self.lookahead is None:
            return None
        if isinstance(self.lookahead, Lookahead):
            return self.gamma * self.lookahead.w(agent, masks)
        return self.gamma * self.lookahead[agent, masks]

    def revealed_terms(
        self, agent: int, masks: np.ndarray
    ) -> dict[tuple[int, int], np.ndarray] | None:
        """VPI-over-OSLA's ``gamma V^0`` after each type vector's revelation,
        ``{(agent, S): (A, T)}`` for ``S`` in ``masks``; ``None`` for other methods."""
        if self.revealed is False:
            return None
        if self.revealed is True:
            assert isinstance(self.lookahead, Lookahead)
            got = self.lookahead.revealed(agent, masks)
        else:
            got = {(agent, int(s)): self.revealed[(agent, int(s))] for s in masks}
        return {k: self.gamma * v for k, v in got.items()}

    def _reference(self, agent: int, agreement: Agreement) -> tuple[float, float, tuple[int, int]]:
        """``q_1``, ``q_2`` and ``sigma_1`` of Eq. 12 at the start of the stage, over the
        agreements the agent could propose (:func:`candidate_filter`, as in
        negotiation): a reference action it cannot take would make every candidate's
        information worthless."""
        masks, shares = proposal_shares(self.base[agent], agent, agreement, self.stage.mem)
        keep = candidate_filter(masks, agent, agreement, self.stage.problem.n_agents)
        masks, shares = masks[keep], shares[keep]
        q = shares * self.base[agent, masks]
        off = self._offset(agent, masks)
        if off is not None:
            q = q + off
        flat = np.argsort(q, axis=None)[::-1]
        r1, a1 = np.unravel_index(flat[0], q.shape)
        second = q.flat[flat[1]] if q.size > 1 else q.flat[flat[0]]
        return float(q[r1, a1]), float(second), (int(masks[r1]), int(a1))

    def value(self, agent: int, masks: np.ndarray, shares: np.ndarray) -> np.ndarray:
        """Agent's value of agreements ``(masks[r], a, shares[r, a])``: ``(R, A)``."""
        masks = np.asarray(masks, dtype=np.int64)
        v = shares * self.base[agent, masks]
        off = self._offset(agent, masks)
        if off is not None:
            v = v + off
        if self.method in ("vpi", "vpi-osla"):
            best, second, key = self.vpi_ref[agent]
            rev = self.revealed_terms(agent, masks)
            v = v + self.stage.vpi(agent, masks, shares, best, second, key, off, rev)
        return v


def _joint_log(log_marginals: np.ndarray) -> np.ndarray:
    """``(B, k**m)``: the log probability of every type vector of each row's ``m``
    members under their ``(B, m, k)`` log marginals, the first member slowest."""
    b_n, m_n, _ = log_marginals.shape
    lp = np.zeros((b_n, 1))
    for q in range(m_n):
        lp = (lp[:, :, None] + log_marginals[:, q, None, :]).reshape(b_n, -1)
    return lp


def _marginal_modes(log_beliefs: np.ndarray, ties: str, seed: int) -> np.ndarray:
    """``(n, n)`` global types: each agent's most probable type of every partner under
    its ``(n, n, K)`` marginals, ties broken by ``ties`` (:data:`MAP_TIES`)."""
    top = log_beliefs >= log_beliefs.max(axis=-1, keepdims=True) - 1e-12  # (n, n, K)
    if ties == "first":
        return top.argmax(axis=-1)
    if ties == "last":
        return top.shape[-1] - 1 - top[..., ::-1].argmax(axis=-1)
    noise = np.random.default_rng(seed).random(top.shape)  # uniformly among the tied
    return np.where(top, noise, -1.0).argmax(axis=-1)


def candidate_filter(masks: np.ndarray, agent: int, agreement: Agreement, n: int) -> np.ndarray:
    """Which of ``masks`` a proposer considers (all when ``n <= 6``)."""
    if n <= 6:
        return np.ones(masks.size, dtype=bool)
    own = int(singleton_masks(n)[agent])
    allowed = {own, int(agreement.coalition[agent])}
    allowed |= {own | c for c in agreement.structure()}
    return np.isin(masks, np.fromiter(allowed, dtype=np.int64))


def rechooser(base: np.ndarray, agreement: Agreement):
    """Action choice of a coalition left behind: maximise its members' summed
    believed payoffs (``base[k]`` is member ``k``'s coalition values; their relative
    demands are unchanged)."""
    d = agreement.demand
    memo: dict[int, int] = {}

    def choose(rest: int) -> int:
        got = memo.get(rest)
        if got is None:
            m = members(rest)
            tot = d[m].sum()
            r = d[m] / tot if tot > 0 else np.full(m.size, 1.0 / m.size)
            got = memo[rest] = int(np.argmax(r @ base[m, rest]))
        return got

    return choose


def form_proposal(
    base: np.ndarray,
    agent: int,
    agreement: Agreement,
    mask: int,
    action: int,
    share: float,
    rechoose,
) -> tuple[Agreement, np.ndarray]:
    """The agreement ``agent`` proposes (BRE, step 3 of :mod:`accord.coalition.bre`):
    :func:`proposals` for one ``(mask, action)``, as an agreement, with the relative
    demands offered."""
    c, a, d, offered = proposals(
        base, agent, agreement, np.array([mask]), np.array([action]), np.array([share]), rechoose
    )
    return Agreement(c[0], a[0], d[0]), offered[0]


def proposals(
    base: np.ndarray,
    agent: int,
    agreement: Agreement,
    masks: np.ndarray,
    actions: np.ndarray,
    shares: np.ndarray,
    rechoose,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The agreements ``agent`` would propose (BRE, step 3 of
    :mod:`accord.coalition.bre`): coalition ``masks[d]`` with ``actions[d]``, each
    partner demanding the payoff the agent believes it gets now, the agent the residual
    ``shares[d] * Q_agent(masks[d], actions[d])``. Returns their ``(coalition, action,
    demand)`` arrays ``(D, n)`` (:func:`~accord.coalition.model.form_many`) and the
    relative demands offered ``(D, n)``."""
    masks = np.asarray(masks, dtype=np.int64)
    actions = np.asarray(actions, dtype=np.int64)
    n = agreement.coalition.size
    inside = member_bits(masks, n)
    pbar = agreement.share() * base[agent, agreement.coalition, agreement.action]
    demand = np.where(inside, pbar[None, :], 0.0)
    demand[:, agent] = np.maximum(np.asarray(shares) * base[agent, masks, actions], 0.0)
    total = demand.sum(axis=1)
    zero = total <= 0
    demand[zero] = inside[zero]
    total[zero] = inside[zero].sum(axis=1)
    offered = demand / total[:, None]
    return (*form_many(agreement, masks, actions, demand, rechoose), offered)


def form_proposals(
    base: np.ndarray,
    agent: int,
    agreement: Agreement,
    masks: np.ndarray,
    actions: np.ndarray,
    shares: np.ndarray,
    *,
    check: bool = True,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The agreements of :func:`proposals` as ``(coalition, action, relative demands)``
    arrays ``(D, n)``, computed natively (``accord._core.coalition``); ``check=False``
    skips the magnitude check of ``base`` (expectations of rewards :func:`simulate`
    checked)."""
    if check:
        check_magnitudes("form_proposals", agreement.coalition.size, base=base)
    return cpu_kernels("coalition").form_proposals(
        np.ascontiguousarray(base, dtype=np.float64),
        int(agent),
        np.ascontiguousarray(agreement.coalition, dtype=np.int64),
        np.ascontiguousarray(agreement.action, dtype=np.int64),
        np.ascontiguousarray(agreement.demand, dtype=np.float64),
        np.ascontiguousarray(masks, dtype=np.int64),
        np.ascontiguousarray(actions, dtype=np.int64),
        np.ascontiguousarray(shares, dtype=np.float64),
    )


def proposal_shares(
    base_i: np.ndarray, agent: int, agreement: Agreement, mem: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Masks containing ``agent`` and the relative demand it keeps proposing each
    (BRE, step 3 of :mod:`accord.coalition.bre`): partners offered their believed
    current payoffs."""
    n = mem.shape[1]
    r = agreement.share()
    pbar = r * base_i[agreement.coalition, agreement.action]  # (n,)
    masks = np.flatnonzero(mem[:, agent])
    others = mem[masks].astype(np.float64)
    others[:, agent] = 0.0
    offered = others @ pbar  # (R,)
    v = base_i[masks]  # (R, A)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(v > 0, (v - offered[:, None]) / v, 0.0)
    del n
    return masks, np.clip(share, 0.0, 1.0)


# ---- one-step lookahead (Eqs. 8-10) -------------------------------------------


def one_step_payoff(
    own: np.ndarray,
    others: np.ndarray | None,
    agent: int,
    agreement: Agreement | list[Agreement],
) -> np.ndarray:
    """``V^0`` (Eq. 9) of each view: the agent's expected immediate payoff after one
    myopic BRE round from ``agreement`` (one for all views, or one per view), the
    proposer uniform over the agents and considering the candidates negotiation would
    (:func:`candidate_filter`).

    ``own`` is ``(Z, 2**n, A)``: the agent's coalition values in each view; ``others``
    the ``(2**n, A)`` values every other agent is modelled with (the static
    assumption), or ``None``: they share the agent's view (the convergent one).
    Runs natively (``accord._core.coalition``)."""
    z_n = own.shape[0]
    views = agreement if isinstance(agreement, (list, tuple)) else [agreement] * z_n
    first: dict[int, int] = {}  # each distinct agreement once
    which = np.asarray([first.setdefault(id(g), len(first)) for g in views], dtype=np.int64)
    distinct = list({id(g): g for g in views}.values())
    n = distinct[0].coalition.size
    check_magnitudes("one_step_payoff", n, own=own, others=others)
    return _one_step(
        own,
        others,
        agent,
        np.stack([g.coalition for g in distinct]),
        np.stack([g.action for g in distinct]),
        np.stack([g.share() for g in distinct]),
        which,
    )


def check_magnitudes(func: str, n: int, **tables: np.ndarray | None) -> None:
    """Refuse coalition values that are not finite or whose sums over ``n`` agents (and
    their differences) could overflow: magnitudes up to ``max float / (4 n)``."""
    bound = np.finfo(np.float64).max / (4.0 * n)
    for name, t in tables.items():
        if t is None:
            continue
        if t.size and not (t.max() <= bound and t.min() >= -bound):  # NaN fails too
            fail(
                func,
                f"{name} must hold finite coalition values of magnitude at most "
                f"{bound:.3g} (sums over {n} agents must stay finite); rescale the rewards",
            )


def revealed_payoffs(
    dist: np.ndarray,
    values: np.ndarray,
    points: np.ndarray,
    agent: int,
    masks: np.ndarray,
    vectors: np.ndarray,
    compute: np.ndarray,
    others: np.ndarray | None,
    starts: tuple[np.ndarray, np.ndarray, np.ndarray],
    which: np.ndarray,
    *,
    check: bool = True,
) -> np.ndarray:
    """``(R, A, T)``: ``V^0`` (Eq. 9) of the agent's belief states in which type vector
    ``vectors[r, t]`` (local indices of ``masks[r]``'s other members, in increasing
    order) is revealed (Sec. 4.6), for a task valued through its type statistic:
    ``dist`` ``(2**n, L)`` the agent's distribution of every coalition's total,
    ``values`` ``(2**n, A, L)`` the value at each total, ``points`` ``(n, k_max)`` each
    member's points by local type.  The round starts from agreement ``which[r, a]`` of
    ``starts`` (coalitions, actions, relative demands, ``(D, n)``); ``others`` as in
    :func:`one_step_payoff`; vectors with ``compute`` 0 are left at 0.  Runs natively
    (``accord._core.coalition``); ``check=False`` skips the magnitude check of tables
    derived from rewards :func:`simulate` checked."""
    n = starts[0].shape[1]
    if check:
        check_magnitudes("revealed_payoffs", n, values=values, others=others)
    return cpu_kernels("coalition").revealed_payoffs(
        np.ascontiguousarray(dist, dtype=np.float64),
        np.ascontiguousarray(values, dtype=np.float64),
        np.ascontiguousarray(points, dtype=np.int64),
        int(agent),
        np.ascontiguousarray(masks, dtype=np.int64),
        np.ascontiguousarray(vectors, dtype=np.int64),
        np.ascontiguousarray(compute, dtype=np.uint8),
        *_round_args(others, starts, which),
    )


def revealed_payoffs_vectors(
    local_probs: np.ndarray,
    tables: tuple[np.ndarray, ...],
    agent: int,
    masks: np.ndarray,
    vectors: np.ndarray,
    compute: np.ndarray,
    others: np.ndarray | None,
    starts: tuple[np.ndarray, np.ndarray, np.ndarray],
    which: np.ndarray,
    *,
    check: bool = True,
) -> np.ndarray:
    """:func:`revealed_payoffs` for coalition values given over type vectors (no type
    statistic): ``tables`` = ``(offset, unknown, values)`` of
    :meth:`~accord.coalition.valuation.Valuator.vector_tables`, ``local_probs``
    ``(n, k_max)`` the agent's beliefs by each member's local type index (0 for padding
    types).  In each view a coalition is worth its table summed over the unrevealed
    members' beliefs.  Runs natively (``accord._core.coalition``)."""
    offset, unknown, values = tables
    n = starts[0].shape[1]
    if check:
        check_magnitudes("revealed_payoffs_vectors", n, values=values, others=others)
    return cpu_kernels("coalition").revealed_payoffs_vectors(
        np.ascontiguousarray(local_probs, dtype=np.float64),
        np.ascontiguousarray(offset, dtype=np.int64),
        np.ascontiguousarray(unknown, dtype=np.int64),
        np.ascontiguousarray(values, dtype=np.float64),
        int(agent),
        int(which.shape[1]),
        np.ascontiguousarray(masks, dtype=np.int64),
        np.ascontiguousarray(vectors, dtype=np.int64),
        np.ascontiguousarray(compute, dtype=np.uint8),
        *_round_args(others, starts, which),
    )


def lookahead_values(
    beliefs: np.ndarray,
    dist: np.ndarray,
    tables: SubsetTables,
    next_dist: np.ndarray,
    next_tables: SubsetTables,
    agent: int,
    masks: np.ndarray,
    others: np.ndarray | None,
    starts: tuple[np.ndarray, np.ndarray, np.ndarray],
    which: np.ndarray,
    *,
    check: bool = True,
) -> np.ndarray:
    """``(R, A)``: ``W_i(S, a) = sum_o Pr_i(o | S, a) V^0_i(B_i^{o,S,a})`` (Eqs. 8-10)
    for ``S`` in ``masks`` (each containing the agent) when the stage's and the next
    stage's tasks have type statistics (``tables``, ``next_tables``): the successor
    beliefs are the exact Eq. 5 marginals, their values the next task's. ``beliefs``
    ``(n, K)`` are the agent's, ``dist`` ``(2**n, L)`` and ``next_dist`` their totals'
    distributions under the stage task and the next; the round starts from agreement
    ``which[r, a]`` of ``starts``, the others valued with ``others``
    (:func:`one_step_payoff`). Outcomes of probability at
    most 1e-15 are skipped. Runs natively (``accord._core.coalition``); ``check=False``
    as in :func:`revealed_payoffs`."""
    n = starts[0].shape[1]
    if check:
        check_magnitudes("lookahead_values", n, values=next_tables.values, others=others)
    return cpu_kernels("coalition").lookahead_values(
        np.ascontiguousarray(beliefs, dtype=np.float64),
        np.ascontiguousarray(dist, dtype=np.float64),
        np.ascontiguousarray(tables.probs, dtype=np.float64),
        np.ascontiguousarray(tables.points, dtype=np.int64),
        np.ascontiguousarray(next_dist, dtype=np.float64),
        np.ascontiguousarray(next_tables.values, dtype=np.float64),
        np.ascontiguousarray(next_tables.points, dtype=np.int64),
        int(agent),
        np.ascontiguousarray(masks, dtype=np.int64),
        *_round_args(others, starts, which),
        1e-15,
    )


def _round_args(others: np.ndarray | None, starts, which: np.ndarray) -> tuple:
    """The arguments every lookahead kernel ends with: the others' values, the starting
    agreements, which starts each row, whether candidates are restricted, the tolerance."""
    coalition, action, share = starts
    return (
        None if others is None else np.ascontiguousarray(others, dtype=np.float64),
        np.ascontiguousarray(coalition, dtype=np.int64),
        np.ascontiguousarray(action, dtype=np.int64),
        np.ascontiguousarray(share, dtype=np.float64),
        np.ascontiguousarray(which, dtype=np.int64),
        coalition.shape[1] > 6,
        TOL,
    )


def _one_step(own, others, agent, coalition, action, share, which) -> np.ndarray:
    """:func:`one_step_payoff` with the starting agreements as ``(D, n)`` arrays of
    coalitions, actions and relative demands, ``which[z]`` the row of view ``z``.

    The values are not checked here: callers pass tables checked by
    :func:`check_magnitudes` or expectations of rewards that :func:`simulate` checked."""
    return cpu_kernels("coalition").one_step_payoff(
        np.ascontiguousarray(own, dtype=np.float64),
        None if others is None else np.ascontiguousarray(others, dtype=np.float64),
        int(agent),
        np.ascontiguousarray(coalition, dtype=np.int64),
        np.ascontiguousarray(action, dtype=np.int64),
        np.ascontiguousarray(share, dtype=np.float64),
        np.ascontiguousarray(which, dtype=np.int64),
        coalition.shape[1] > 6,
        TOL,
    )


class _Successors:
    """What agent ``i``'s one-step lookahead needs at one stage: the agreements
    ``sigma = (S, a)`` it could propose now (the next stage's negotiation starts from
    them; formed when first needed), and the coalition values of a batch of successor
    belief views (its own beliefs; the others' as the static or convergent assumption
    says)."""

    def __init__(self, valuator, stage, agreement, i, prior_values, next_task, static, seed):
        self.valuator, self.stage, self.agreement, self.i = valuator, stage, agreement, i
        self.prior_values, self.next_task, self.static, self.seed = (
            prior_values,
            next_task,
            static,
            seed,
        )
        masks, self.shares = proposal_shares(stage.base[i], i, agreement, stage.mem)
        m_n, a_n = stage.base.shape[1:]
        self.pos = np.full(m_n, -1, dtype=np.int64)
        self.pos[masks] = np.arange(masks.size)
        #: row of sigma = (S, a) in ``sigmas``, -1 until formed
        self.index = np.full((m_n, a_n), -1, dtype=np.int64)
        self.sigmas: list[np.ndarray] = []  # coalition, action, relative demands (D, n)

    def form(self, masks: np.ndarray, acts: np.ndarray) -> None:
        """Forms the starting agreements ``sigma = (masks[z], acts[z])`` not yet formed."""
        need = self.index[masks, acts] < 0
        if not need.any():
            return
        a_n = self.index.shape[1]
        masks, acts = np.divmod(np.unique(masks[need] * a_n + acts[need]), a_n)
        shares = self.shares[self.pos[masks], acts]
        base_values, ag = self.stage.base, self.agreement
        got = list(form_proposals(base_values, self.i, ag, masks, acts, shares, check=False))
        base = len(self.sigmas[0]) if self.sigmas else 0
        if self.sigmas:
            got = [np.concatenate([x, y]) for x, y in zip(self.sigmas, got, strict=True)]
        self.sigmas = got
        self.index[masks, acts] = base + np.arange(masks.size)

    def every_action(
        self, masks: np.ndarray
    ) -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray], np.ndarray]:
        """The starting agreements ``sigma = (S, a)`` for every ``S`` in ``masks`` and
        every action: ``(coalitions, actions, relative demands)`` and the row of each
        ``(S, a)`` among them, ``(R, A)``."""
        a_n = self.index.shape[1]
        starts_m, starts_a = np.repeat(masks, a_n), np.tile(np.arange(a_n), masks.size)
        self.form(starts_m, starts_a)
        coalition, action, share = self.sigmas
        return (coalition, action, share), self.index[starts_m, starts_a].reshape(-1, a_n)

    def tables(self, views: np.ndarray) -> np.ndarray:
        """``(Z, 2**n, A)``: the agent's coalition values in each of its ``views``."""
        m_n = self.stage.base.shape[1]
        return expected_many(
            self.valuator, self.next_task, views, self.i, tuple(range(m_n)), self.seed
        )

    @property
    def others(self) -> np.ndarray | None:
        """What the others value coalitions with: the agent's prior view (static
        assumption) or, ``None``, its current view (convergent; footnote 5)."""
        return self.prior_values[self.i] if self.static else None

    def v0(self, own: np.ndarray, masks: np.ndarray, acts: np.ndarray) -> np.ndarray:
        """``V^0`` (Eq. 9) of each view in ``own``, negotiation starting from
        ``sigma = (masks[z], acts[z])`` in view ``z``."""
        masks = np.asarray(masks, dtype=np.int64)
        acts = np.asarray(acts, dtype=np.int64)
        self.form(masks, acts)
        which = self.index[masks, acts]
        coalition, action, share = self.sigmas
        return _one_step(own, self.others, self.i, coalition, action, share, which)


class Lookahead:
    """The lookahead terms of one stage, each computed when first asked for and kept
    (beliefs are frozen during negotiation, so they cannot change): ``W_i(S, a) =
    sum_s Pr_i(s | S, a) V^0_i(B_i^{s,a})`` of Eq. 8 (:meth:`w`) and, for
    VPI-over-OSLA, ``V^0_i`` of the belief state in which a type vector of ``S``'s
    members has been revealed (Sec. 4.6; :meth:`revealed`).  Negotiation asks only
    for the coalitions it considers, which at ``n > 6`` is a small part of all."""

    def __init__(
        self,
        problem: BCFP,
        valuator: Valuator,
        stage: StageValues,
        log_beliefs: np.ndarray,
        prior_values: np.ndarray,
        agreement: Agreement,
        next_task: int,
        static: bool,
        seed: int,
    ) -> None:
        self.problem, self.valuator, self.stage = problem, valuator, stage
        self.log_beliefs, self.prior_values, self.agreement = log_beliefs, prior_values, agreement
        self.next_task, self.static, self.seed = next_task, static, seed
        n, a_n = problem.n_agents, problem.n_actions
        self._w = np.full((n, 1 << n, a_n), np.nan)
        self._revealed: dict[tuple[int, int], np.ndarray] = {}
        self._succ: dict[int, _Successors] = {}
        self._dist: dict[int, np.ndarray] = {}
        self._next_dist: dict[int, np.ndarray] = {}

    def _distribution(self, i: int) -> np.ndarray | None:
        """Agent ``i``'s ``(2**n, L)`` statistic distributions now (statistic tasks)."""
        if self.valuator.subset_tables(self.stage.task) is None:
            return None
        if self.stage.subsets is not None:
            return self.stage.dist[i]
        if i not in self._dist:
            self._dist[i] = self.valuator.distributions(self.stage.task, self.log_beliefs[i][None])[
                0
            ]
        return self._dist[i]

    def _successors(self, i: int) -> _Successors:
        got = self._succ.get(i)
        if got is None:
            got = _Successors(
                self.valuator,
                self.stage,
                self.agreement,
                i,
                self.prior_values,
                self.next_task,
                self.static,
                self.seed + 37 * i,
            )
            self._succ[i] = got
        return got

    def w(self, i: int, masks: np.ndarray) -> np.ndarray:
        """``W_i(S, a)`` for ``S`` in ``masks`` (each containing ``i``): ``(R, A)``."""
        masks = np.asarray(masks, dtype=np.int64)
        todo = sorted({int(s) for s in masks[np.isnan(self._w[i, masks, 0])]})
        if todo and self.problem.n_agents <= 6:
            # every coalition is a candidate of negotiation: fill them all in one batch
            every = self._masks_of(i)
            todo = sorted(int(s) for s in every[np.isnan(self._w[i, every, 0])])
        if todo:
            self._fill(i, todo)
        return self._w[i, masks]

    def _fill(self, i: int, todo: list[int]) -> None:
        st = self.valuator.subset_tables(self.stage.task)
        nst = self.valuator.subset_tables(self.next_task)
        if st is not None and nst is not None:
            self._fill_totals(i, np.asarray(todo, dtype=np.int64), st, nst)
        else:
            self._fill_views(i, todo)

    def _fill_views(self, i: int, todo: list[int]) -> None:
        """:meth:`_fill` through explicit successor belief views (Eq. 5 by the kernel
        groups or the statistic) valued with the next task and :func:`one_step_payoff`."""
        p, va, stage, seed = self.problem, self.valuator, self.stage, self.seed
        a_n, o_n = p.n_actions, p.n_outcomes
        lone = 1 << i
        masks = [s for s in todo if s != lone]
        succ = self._successors(i)
        views = [self.log_beliefs[i][None]] if lone in todo else []  # alone: unchanged
        start_masks = [np.full(a_n, lone)] if lone in todo else []
        start_acts = [np.arange(a_n)] if lone in todo else []
        if masks:
            # expected outcome probabilities Pr_i(s | S, a); impossible outcomes are skipped
            dist = self._distribution(i)
            if dist is not None:
                st = va.subset_tables(stage.task)
                assert st is not None
                po = np.einsum("sl,saol->sao", dist[masks], st.probs[masks])
            else:
                pairs = tuple((i, s) for s in masks)
                po, _ = va.expected(
                    stage.task,
                    self.log_beliefs,
                    np.full(len(masks), i),
                    pairs,
                    seed + 41 * i,
                    outcomes=True,
                )
                po = po.reshape(len(masks), a_n, o_n)
            keep = np.argwhere(po > 1e-15)
            if dist is not None:  # every (S, a, o) at once, then the possible ones
                grid = successor_grid(
                    va, stage.task, self.log_beliefs[i], i, np.asarray(masks), dist
                )
                views.append(grid[keep[:, 0], keep[:, 1], keep[:, 2]])
            else:
                req = [(0, i, masks[r], int(a), int(o)) for r, a, o in keep]
                views.append(
                    successor_views(va, stage.task, self.log_beliefs[i], req, seed + 31 * i)
                )
            start_masks.append(np.asarray(masks, dtype=np.int64)[keep[:, 0]])
            start_acts.append(keep[:, 1])
        tables = succ.tables(np.concatenate(views))
        if lone in todo:
            tables = np.concatenate([np.repeat(tables[:1], a_n, axis=0), tables[1:]])
        v0 = succ.v0(tables, np.concatenate(start_masks), np.concatenate(start_acts))
        if lone in todo:
            self._w[i, lone] = v0[:a_n]
            v0 = v0[a_n:]
        if masks:
            v0s = np.zeros((len(masks), a_n, o_n))
            v0s[keep[:, 0], keep[:, 1], keep[:, 2]] = v0
            self._w[i, masks] = (po * v0s).sum(axis=-1)

    def _fill_totals(self, i: int, masks: np.ndarray, st: SubsetTables, nst: SubsetTables) -> None:
        """:meth:`_fill` when the stage's and the next task have type statistics
        (:func:`lookahead_values`)."""
        succ = self._successors(i)
        starts, which = succ.every_action(masks)
        dist = self._distribution(i)
        assert dist is not None
        self._w[i, masks] = lookahead_values(
            np.exp(self.log_beliefs[i]),
            dist,
            st,
            self._next_distribution(i),
            nst,
            i,
            masks,
            succ.others,
            starts,
            which,
            check=False,
        )

    def revealed(self, i: int, masks: np.ndarray) -> dict[tuple[int, int], np.ndarray]:
        """``{(i, S): (A, T)}``: ``V^0_i`` (Eq. 9) of the belief state in which type
        vector ``t`` of ``S``'s unknown members has been revealed (their beliefs become
        point masses), negotiation starting from ``sigma = (S, a)``; ``T`` the type
        vectors of row ``(i, S)`` in the stage's kernel group (all of them when
        enumerated, the stage's samples otherwise), aligned for
        :meth:`StageValues.vpi`."""
        todo = sorted({int(s) for s in masks if (i, int(s)) not in self._revealed})
        if todo:
            self._fill_revealed(i, todo)
        return {(i, int(s)): self._revealed[(i, int(s))] for s in masks}

    def known_w(self) -> np.ndarray:
        """``W`` computed so far, ``(n, 2**n, A)``, NaN where not yet (a copy)."""
        return self._w.copy()

    def every_w(self) -> np.ndarray:
        """``W_i(S, a)`` of every agent and coalition containing it, ``(n, 2**n, A)``
        (zero elsewhere)."""
        for i in range(self.problem.n_agents):
            self.w(i, self._masks_of(i))
        return np.nan_to_num(self._w, nan=0.0)

    def every_revealed(self) -> dict[tuple[int, int], np.ndarray]:
        """:meth:`revealed` of every agent and coalition containing it."""
        out: dict[tuple[int, int], np.ndarray] = {}
        for i in range(self.problem.n_agents):
            out.update(self.revealed(i, self._masks_of(i)))
        return out

    def _masks_of(self, i: int) -> np.ndarray:
        return np.flatnonzero(self.stage.mem[:, i])

    def _vectors(self, i: int, s: int):
        """Row ``(i, S)`` of the stage, its type vectors ``(T, m)`` (local indices, in
        the order of :meth:`StageValues.row_cells`: all of them when enumerated, the
        stage's samples otherwise) and which are real (padding types, of a member with fewer than
        ``k_max`` types, have probability 0: their revealed values are never weighed
        and are left at 0)."""
        row = self.valuator.row(self.stage.task, i, s)
        vec = self.stage.row_vectors(i, s)
        return row, vec, row.valid[np.arange(row.m), vec].all(axis=1)

    def _fill_revealed(self, i: int, todo: list[int]) -> None:
        st = self.valuator.subset_tables(self.next_task)
        if st is not None:
            self._fill_revealed_totals(i, todo, st)
            return
        packed = self.valuator.vector_tables(self.next_task, i)
        if packed is not None and self.problem.n_agents > 1:
            self._fill_revealed_vectors(i, todo, packed)
            return
        p = self.problem
        a_n = p.n_actions
        succ = self._successors(i)
        views, spans = [], []
        start = 0
        for s in todo:
            row, vec, real = self._vectors(i, s)
            v = np.repeat(self.log_beliefs[i][None], int(real.sum()), axis=0)
            z = np.arange(len(v))
            for a_idx, j in enumerate(row.unknown):
                v[:, j, :] = -np.inf
                v[z, j, row.local[a_idx, vec[real, a_idx]]] = 0.0
            views.append(v)
            spans.append((s, start, real))
            start += len(v)
        tables = succ.tables(np.concatenate(views))
        z_n = len(tables)
        per_view = np.repeat([s for s, _, _ in spans], [int(r.sum()) for _, _, r in spans])
        v0 = succ.v0(
            np.concatenate([tables] * a_n), np.tile(per_view, a_n), np.repeat(np.arange(a_n), z_n)
        ).reshape(a_n, z_n)
        for s, z0, real in spans:
            got = np.zeros((a_n, real.size))
            got[:, real] = v0[:, z0 : z0 + int(real.sum())]
            self._revealed[(i, s)] = got

    def _fill_revealed_totals(self, i: int, todo: list[int], st) -> None:
        """:meth:`_fill_revealed` through the next task's type statistic: in the view
        with ``S``'s other members revealed, a coalition's total is theirs (known) plus
        the total of its other members under the agent's beliefs, so every view's
        values are shifts of one set of distributions (``revealed_payoffs``)."""
        succ = self._successors(i)
        vectors, compute, vecs = self._revealed_inputs(i, todo)
        masks = np.asarray(todo, dtype=np.int64)
        starts, which = succ.every_action(masks)
        out = revealed_payoffs(
            self._next_distribution(i),
            st.values,
            st.points[self._local_types[0]],
            i,
            masks,
            vectors,
            compute,
            succ.others,
            starts,
            which,
            check=False,
        )
        for r, (s, vec) in enumerate(zip(todo, vecs, strict=True)):
            self._revealed[(i, s)] = out[r, :, : vec.shape[0]]

    def _revealed_inputs(self, i: int, todo: list[int]):
        """The type vectors of ``todo``'s rows packed for the native kernels:
        ``(vectors (R, T, n - 1), compute (R, T), per-row vectors)``."""
        got = [self._vectors(i, s) for s in todo]
        t_n = max(vec.shape[0] for _, vec, _ in got)
        m_n = max(self.problem.n_agents - 1, 1)
        vectors = np.zeros((len(todo), t_n, m_n), dtype=np.int64)
        compute = np.zeros((len(todo), t_n), dtype=np.uint8)
        for r, (_, vec, real) in enumerate(got):
            vectors[r, : vec.shape[0], : vec.shape[1]] = vec
            compute[r, : vec.shape[0]] = real
        return vectors, compute, [vec for _, vec, _ in got]

    def _fill_revealed_vectors(self, i: int, todo: list[int], packed) -> None:
        """:meth:`_fill_revealed` for coalition values over type vectors (no type
        statistic; every row of the next task enumerated): each view's value of a
        coalition is its table summed over the unrevealed members' beliefs
        (``revealed_payoffs_vectors``)."""
        p = self.problem
        succ = self._successors(i)
        vectors, compute, vecs = self._revealed_inputs(i, todo)
        masks = np.asarray(todo, dtype=np.int64)
        starts, which = succ.every_action(masks)
        local, valid = self._local_types
        probs = np.where(
            valid, np.exp(self.log_beliefs[i][np.arange(p.n_agents)[:, None], local]), 0.0
        )
        out = revealed_payoffs_vectors(
            probs, packed, i, masks, vectors, compute, succ.others, starts, which, check=False
        )
        for r, (s, vec) in enumerate(zip(todo, vecs, strict=True)):
            self._revealed[(i, s)] = out[r, :, : vec.shape[0]]

    @functools.cached_property
    def _local_types(self) -> tuple[np.ndarray, np.ndarray]:
        """``(n, k_max)``: each agent's types by local index (padding: its first type),
        as in the valuator's rows, and which local indices are real types."""
        p = self.problem
        out = np.zeros((p.n_agents, p.k_max), dtype=np.int64)
        for j, ts in enumerate(p.type_sets):
            out[j] = ts[0]
            out[j, : ts.size] = ts
        sizes = np.asarray([ts.size for ts in p.type_sets])
        return out, np.arange(p.k_max)[None, :] < sizes[:, None]

    def _next_distribution(self, i: int) -> np.ndarray:
        """Agent ``i``'s ``(2**n, L)`` distributions of the totals of the next task."""
        if self.next_task == self.stage.task:
            got = self._distribution(i)
            assert got is not None
            return got
        if i not in self._next_dist:
            self._next_dist[i] = self.valuator.distributions(
                self.next_task, self.log_beliefs[i][None]
            )[0]
        return self._next_dist[i]
