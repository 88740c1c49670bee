"""Agents' expected coalition values, computed in batch by :mod:`accord.bayes`.

A *row* is one agent's view of one coalition: agent ``i``, coalition mask ``S``;
the unknown members are ``S \\ {i}``. Each unknown member's type is indexed
locally (``0..k_max-1``) into its type set; padding types have zero probability.
When the number of joint type vectors ``prod_j |T_j|`` is at most
``enumerate_limit`` (1000 in Chalkiadakis & Boutilier 2012, Sec. 6) the exact sums
run over all of them; otherwise ``samples`` (100) type vectors are drawn from the
agent's beliefs each stage, as the paper does.

Tasks that declare a :class:`~accord.coalition.model.TypeStatistic` (the outcome
model depends on the types only through a sum of points) are valued exactly at any
size instead: every coalition's distribution of the total comes from one subset
dynamic programme per view (:func:`accord.bayes.subset_sums`), and a row becomes one
pseudo-member whose "types" are the totals (:class:`SubsetTables`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from .. import bayes
from .._validate import fail
from .model import BCFP, members

NEG_INF = -np.inf
#: Largest replicated value table :func:`expected_many` builds at once (bytes).
CHUNK_BYTES = 1 << 27


@dataclass
class Row:
    """Static data of one (agent, coalition, task) view."""

    agent: int
    mask: int
    members: np.ndarray  # all members of the coalition
    unknown: np.ndarray  # members whose type the agent does not know
    local: np.ndarray  # (m, k_max) global type id of each local index
    valid: np.ndarray  # (m, k_max) bool: local index is a real type
    enumerated: bool
    probs: np.ndarray | None  # (A, O, k_max**m) Pr(s | a, t) when enumerated
    src: np.ndarray  # (M,) per member: its index in ``unknown``, or m (the agent)
    own: int  # the agent's true type

    @property
    def m(self) -> int:
        return int(self.unknown.size)

    @functools.cached_property
    def vectors(self) -> tuple[np.ndarray, np.ndarray]:
        """Every local type vector of the unknown members ``(k_max**m, m)``, the first
        member slowest (the enumeration order of the kernels), and which are real
        (no padding type)."""
        m, k = self.unknown.size, self.local.shape[1]
        vec = np.indices((k,) * m).reshape(m, -1).T if m else np.zeros((1, 0), np.int64)
        return vec, self.valid[np.arange(m), vec].all(axis=1)

    @property
    def enumerated_probs(self) -> np.ndarray:
        """``probs`` of an enumerated row (sampled rows and rows valued through a type
        statistic have none)."""
        if self.probs is None:
            raise ValueError(f"the view of agent {self.agent} on {self.mask:#x} has no table")
        return self.probs


@dataclass
class Plan:
    """Static part of a group: which rows, where their types live, their tables."""

    index: np.ndarray
    rows: list[Row]
    unknown: np.ndarray  # (B, m)
    local: np.ndarray  # (B, m, k)
    valid: np.ndarray  # (B, m, k)
    values: np.ndarray | None  # (B, A, T) (or (B, A*O, T)) when enumerated


@dataclass
class Group:
    """Rows sharing the number of unknown members and the mode, ready for a kernel."""

    index: np.ndarray  # positions of these rows in the request
    rows: list[Row]
    log_marginals: np.ndarray  # (B, m, k)
    values: np.ndarray  # (B, A, T) enumerated or (B, A, S) sampled
    samples: np.ndarray | None  # (B, S, m) local type indices when sampled


@dataclass
class SubsetTables:
    """A statistic task's tables over the total ``l`` of the members' points:
    ``probs[S, a, o, l] = Pr(o | a, S, l)`` and ``values[S, a, l] = sum_o probs R(o)``
    for every coalition mask ``S`` (zero at totals its members cannot reach)."""

    points: np.ndarray  # (K,)
    probs: np.ndarray  # (2**n, A, O, L)
    values: np.ndarray  # (2**n, A, L)

    @property
    def width(self) -> int:
        return int(self.values.shape[-1])


class Valuator:
    """Builds and caches rows; evaluates expected values for batches of rows.

    ``statistics`` (default true) values tasks that declare a type statistic exactly
    through it (:class:`SubsetTables`); false forces the per-type-vector rows."""

    def __init__(
        self,
        problem: BCFP,
        *,
        enumerate_limit: int = 1000,
        samples: int = 100,
        statistics: bool = True,
    ) -> None:
        self.problem = problem
        self.enumerate_limit = int(enumerate_limit)
        self.samples = int(samples)
        self.statistics = bool(statistics)
        self._rows: dict[tuple[int, int, int], Row] = {}
        self._plans: dict[tuple, list[Plan]] = {}
        self._subsets: dict[int, SubsetTables | None] = {}
        self._per_vector: Valuator | None = None
        self._vector_tables: dict[tuple[int, int], tuple[np.ndarray, ...] | None] = {}

    def per_vector(self) -> Valuator:
        """This valuator, or its twin without statistics (rows over type vectors)."""
        if not self.statistics:
            return self
        if self._per_vector is None:
            self._per_vector = Valuator(
                self.problem,
                enumerate_limit=self.enumerate_limit,
                samples=self.samples,
                statistics=False,
            )
        return self._per_vector

    # ---- sufficient statistics ------------------------------------------------
    def subset_tables(self, task: int) -> SubsetTables | None:
        """The task's :class:`SubsetTables`, or ``None`` when it declares no statistic
        (or ``statistics`` is off). Built once, after checking on sampled type vectors
        of every coalition that the statistic reproduces ``outcome_probs``."""
        if task in self._subsets:
            return self._subsets[task]
        p = self.problem
        t = p.tasks[task]
        if t.statistic is None or not self.statistics:
            self._subsets[task] = None
            return None
        pts = t.statistic.points
        lo = np.asarray([pts[ts].min() for ts in p.type_sets])
        hi = np.asarray([pts[ts].max() for ts in p.type_sets])
        n, m_n = p.n_agents, 1 << p.n_agents
        width = n * int(pts.max()) + 1
        probs = np.zeros((m_n, p.n_actions, p.n_outcomes, width))
        rng = np.random.default_rng(0)
        for s in range(1, m_n):
            mem = members(s)
            first, last = int(lo[mem].sum()), int(hi[mem].sum())
            probs[s, ..., first : last + 1] = t.probabilities_by_total(
                mem, np.arange(first, last + 1)
            ).transpose(1, 2, 0)
            types = np.stack([rng.choice(p.type_sets[j], 4) for j in mem], axis=1)  # (4, m)
            direct = t.probabilities(mem, types)
            via = probs[s][..., pts[types].sum(axis=1)].transpose(2, 0, 1)
            if np.abs(direct - via).max() > 1e-9:
                fail(
                    "Valuator",
                    f"task {t.name!r}: its statistic disagrees with outcome_probs for "
                    f"coalition {mem.tolist()} (types {types[0].tolist()}); the outcome model "
                    f"must depend on the types only through the sum of the points",
                )
        tables = SubsetTables(pts, probs, np.einsum("saol,o->sal", probs, t.rewards))
        self._subsets[task] = tables
        return tables

    def distributions(self, task: int, log_views: np.ndarray) -> np.ndarray:
        """``(Z, 2**n, L)``: in each view, every coalition's distribution of the total."""
        st = self.subset_tables(task)
        assert st is not None
        return bayes.subset_sums(np.exp(log_views), st.points)

    def vector_tables(self, task: int, agent: int) -> tuple[np.ndarray, ...] | None:
        """``agent``'s coalition values over type vectors, packed for the native
        revealed-value kernel: ``(offset (2**n,), unknown (2**n, n - 1), values)``, the
        ``(A, k_max**m)`` table of coalition ``S`` at ``values[offset[S]:]`` over its
        ``m`` other members ``unknown[S, :m]`` (-1 padded; ``offset`` -1 for the empty
        coalition); ``None`` when some row is sampled (cached)."""
        key = (task, agent)
        if key not in self._vector_tables:
            n = self.problem.n_agents
            m_n = 1 << n
            pairs = tuple((agent, s) for s in range(1, m_n))
            offset = np.full(m_n, -1, dtype=np.int64)
            unknown = np.full((m_n, n - 1), -1, dtype=np.int64)
            chunks: list[np.ndarray] = []
            pos = 0
            got: tuple[np.ndarray, ...] | None = None
            plans = self.plan(task, pairs)
            if all(pl.values is not None for pl in plans):
                for pl in plans:
                    assert pl.values is not None
                    for b, r in enumerate(pl.rows):
                        offset[r.mask] = pos
                        unknown[r.mask, : r.m] = r.unknown
                        chunks.append(pl.values[b].ravel())
                        pos += chunks[-1].size
                got = (offset, unknown, np.concatenate(chunks))
            self._vector_tables[key] = got
        return self._vector_tables[key]

    # ---- static rows -----------------------------------------------------------
    def row(self, task: int, agent: int, mask: int) -> Row:
        key = (task, agent, mask)
        r = self._rows.get(key)
        if r is None:
            r = self._build(task, agent, mask)
            self._rows[key] = r
        return r

    def _build(self, task: int, agent: int, mask: int) -> Row:
        p = self.problem
        mem = members(mask)
        unknown = mem[mem != agent]
        k = p.k_max
        m = unknown.size
        local = np.zeros((m, k), dtype=np.int64)
        valid = np.zeros((m, k), dtype=bool)
        size = 1
        for a, j in enumerate(unknown):
            ts = p.type_sets[j]
            local[a, : ts.size] = ts
            local[a, ts.size :] = ts[0]
            valid[a, : ts.size] = True
            size *= ts.size
        src = np.searchsorted(unknown, mem)
        src[mem == agent] = m
        r = Row(
            agent,
            mask,
            mem,
            unknown,
            local,
            valid,
            size <= self.enumerate_limit,
            None,
            src,
            int(p.true_types[agent]),
        )
        if r.enumerated and self.subset_tables(task) is None:
            pr = self.tables(task, [r], r.vectors[0][None])[0]  # (T, A, O)
            r.probs = np.ascontiguousarray(pr.transpose(1, 2, 0))  # (A, O, T)
        return r

    def tables(self, task: int, rows: list[Row], grid: np.ndarray) -> np.ndarray:
        """``Pr(s | a, t_C)`` for local type vectors ``grid`` ``(B, V, m)`` of rows
        with ``m`` unknown members each -> ``(B, V, A, O)``.

        Rows whose coalitions have the same size share one outcome-model call when
        the task is ``anonymous``; otherwise each row is one call.
        """
        t = self.problem.tasks[task]
        b_n, v_n, m = grid.shape
        local = np.stack([r.local for r in rows])  # (B, m, k)
        known = local[np.arange(b_n)[:, None, None], np.arange(m), grid]  # (B, V, m)
        own = np.broadcast_to(np.asarray([r.own for r in rows])[:, None, None], (b_n, v_n, 1))
        ext = np.concatenate([known, own], axis=2)  # (B, V, m+1)
        out = np.empty((b_n, v_n, self.problem.n_actions, t.rewards.size))
        by_size: dict[int, list[int]] = {}
        for b, r in enumerate(rows):
            by_size.setdefault(r.members.size, []).append(b)
        for size, idx in by_size.items():
            sel = np.asarray(idx)
            src = np.stack([rows[b].src for b in idx])  # (b, M)
            types = ext[sel[:, None, None], np.arange(v_n)[:, None], src[:, None, :]]
            if t.anonymous:
                pr = t.probabilities(rows[idx[0]].members, types.reshape(-1, size))
                out[sel] = pr.reshape(sel.size, v_n, *pr.shape[1:])
            else:
                for q, b in enumerate(idx):
                    out[b] = t.probabilities(rows[b].members, types[q])
        return out

    # ---- per-stage batches -----------------------------------------------------
    @staticmethod
    def log_marginals(log_view: np.ndarray, row: Row) -> np.ndarray:
        """(m, k) log marginals of the row's unknown members under one agent's
        ``(n, K)`` log beliefs ``log_view``."""
        lb = log_view[row.unknown[:, None], row.local]
        return np.where(row.valid, lb, NEG_INF)

    def plan(
        self, task: int, pairs: tuple[tuple[int, int], ...], outcomes: bool = False
    ) -> list[Plan]:
        """Static batches for ``pairs`` = ((agent, mask), ...): rows grouped by the
        number of unknown members and the mode, with their tables stacked (cached)."""
        key = (task, pairs, outcomes)
        got = self._plans.get(key)
        if got is not None:
            return got
        t = self.problem.tasks[task]
        rows = [self.row(task, a, s) for a, s in pairs]
        by_key: dict[tuple[int, bool], list[int]] = {}
        for pos, r in enumerate(rows):
            by_key.setdefault((r.m, r.enumerated), []).append(pos)
        plans = []
        for (_, enumerated), idx in sorted(by_key.items()):
            rs = [rows[q] for q in idx]
            vals = None
            if enumerated:
                pr = np.stack([r.enumerated_probs for r in rs])  # (B, A, O, T)
                vals = np.ascontiguousarray(
                    pr.reshape(len(rs), -1, pr.shape[-1])
                    if outcomes
                    else np.einsum("baot,o->bat", pr, t.rewards)
                )
            plans.append(
                Plan(
                    np.asarray(idx),
                    rs,
                    np.asarray([r.unknown for r in rs]).reshape(len(rs), -1),
                    np.stack([r.local for r in rs]),
                    np.stack([r.valid for r in rs]),
                    vals,
                )
            )
        if len(self._plans) > 4096:
            self._plans.clear()
        self._plans[key] = plans
        return plans

    def groups(
        self,
        task: int,
        log_views: np.ndarray,
        view: np.ndarray,
        pairs: tuple[tuple[int, int], ...],
        seed: int,
        *,
        outcomes: bool = False,
    ) -> list[Group]:
        """Kernel-ready groups for rows ``pairs`` seen through ``log_views[view[p]]``.

        ``log_views`` is ``(V, n, K)`` log marginals (one agent's beliefs per view).
        Values are ``sum_s Pr(s | a, t) R(s)`` per action, or the outcome
        probabilities themselves (flattened ``A*O``) when ``outcomes`` is true.
        """
        t = self.problem.tasks[task]
        out = []
        for pl in self.plan(task, pairs, outcomes):
            v = np.asarray(view)[pl.index]
            lm = log_views[v[:, None, None], pl.unknown[:, :, None], pl.local]
            lm = np.where(pl.valid, lm, NEG_INF)
            if pl.values is not None:
                out.append(Group(pl.index, pl.rows, lm, pl.values, None))
                continue
            m = pl.unknown.shape[1]
            smp = bayes.sample_types(lm, self.samples, seed + 7919 * (m + 1))
            width = (t.rewards.size if outcomes else 1) * self.problem.n_actions
            pr = self.tables(task, pl.rows, smp)  # (B, S, A, O)
            pr = pr.reshape(len(pl.rows), self.samples, width) if outcomes else pr @ t.rewards
            out.append(
                Group(pl.index, pl.rows, lm, np.ascontiguousarray(pr.transpose(0, 2, 1)), smp)
            )
        return out

    def expected(
        self,
        task: int,
        log_views: np.ndarray,
        view: np.ndarray,
        pairs: tuple[tuple[int, int], ...],
        seed: int,
        *,
        outcomes: bool = False,
    ) -> tuple[np.ndarray, list[Group]]:
        """Expected values ``Q_i(S, a)`` (Eq. 2, inner sum) for each row: ``(P, A)``
        (or expected outcome probabilities ``(P, A*O)``), plus the kernel groups.

        For a statistic task one group holds every row: the total is the row's only
        "member", its log distribution the marginal, ``values[S]`` the values."""
        st = self.subset_tables(task)
        if st is not None:
            uniq, inv = np.unique(np.asarray(view), return_inverse=True)
            dist = self.distributions(task, log_views[uniq])
            masks = np.asarray([s for _, s in pairs], dtype=np.int64)
            lm = log_of(dist[inv, masks])[:, None, :]
            m_n, a_n, o_n, width = st.probs.shape
            vals = st.probs.reshape(m_n, a_n * o_n, width) if outcomes else st.values
            g = Group(np.arange(len(pairs)), [], lm, np.ascontiguousarray(vals[masks]), None)
            return bayes.expected_values(g.log_marginals, g.values), [g]
        t = self.problem.tasks[task]
        groups = self.groups(task, log_views, view, pairs, seed, outcomes=outcomes)
        width = self.problem.n_actions * (t.rewards.size if outcomes else 1)
        q = np.empty((len(pairs), width))
        for g in groups:
            q[g.index] = bayes.expected_values(g.log_marginals, g.values, samples=g.samples)
        return q, groups


def expected_many(
    valuator: Valuator,
    task: int,
    log_views: np.ndarray,
    agent: int,
    masks: tuple[int, ...],
    seed: int,
) -> np.ndarray:
    """``Q(S, a)`` for every view in ``log_views`` (``(Z, n, K)``) and every mask, as
    seen by ``agent``: one kernel call per group for all views -> ``(Z, len(masks), A)``
    (the empty coalition, mask 0, is worth 0).
    """
    z_n = log_views.shape[0]
    st = valuator.subset_tables(task)
    if st is not None and tuple(masks) == tuple(range(1 << valuator.problem.n_agents)):
        return bayes.subset_sums(np.exp(log_views), st.points, values=st.values)
    if 0 in masks:
        out = np.zeros((z_n, len(masks), valuator.problem.n_actions))
        nonzero = [q for q, s in enumerate(masks) if s]
        sub = tuple(masks[q] for q in nonzero)
        out[:, nonzero] = expected_many(valuator, task, log_views, agent, sub, seed)
        return out
    pairs = tuple((agent, s) for s in masks)
    out = np.empty((z_n, len(masks), valuator.problem.n_actions))
    if st is not None:
        sel = np.asarray(masks, dtype=np.int64)
        step = max(1, CHUNK_BYTES // (8 * st.values.shape[0] * st.values.shape[1]))
        for z0 in range(0, z_n, step):
            z1 = min(z_n, z0 + step)
            q = bayes.subset_sums(np.exp(log_views[z0:z1]), st.points, values=st.values)
            out[z0:z1] = q[:, sel]
        return out
    for pl in valuator.plan(task, pairs):
        if pl.values is None:  # sampled rows: fresh samples per view
            p = valuator.problem
            per_view = (
                len(pl.rows)
                * valuator.samples
                * 8
                * (p.n_actions * (p.n_outcomes + 1) + 2 * p.n_agents)
            )
            step = max(1, CHUNK_BYTES // per_view)
            for c, z0 in enumerate(range(0, z_n, step)):
                z = min(z_n, z0 + step) - z0
                view = np.repeat(np.arange(z0, z0 + z), len(pl.rows))
                sub = tuple(pairs[q] for q in pl.index) * z
                q, _ = valuator.expected(task, log_views, view, sub, seed + 1000003 * c)
                out[z0 : z0 + z, pl.index] = q.reshape(z, len(pl.rows), -1)
            continue
        # views in chunks, so the replicated tables stay within CHUNK_BYTES
        step = max(1, CHUNK_BYTES // max(1, pl.values.nbytes))
        for z0 in range(0, z_n, step):
            zs = slice(z0, min(z_n, z0 + step))
            lm = log_views[zs, pl.unknown[:, :, None], pl.local]  # (z, B, m, k)
            z = lm.shape[0]
            rows = z * len(pl.rows)
            lm = np.where(pl.valid, lm, NEG_INF).reshape((rows,) + pl.local.shape[1:])
            vals = np.broadcast_to(pl.values, (z,) + pl.values.shape)
            vals = np.ascontiguousarray(vals).reshape((rows,) + pl.values.shape[1:])
            q = bayes.expected_values(lm, vals)
            out[zs, pl.index] = q.reshape(z, len(pl.rows), -1)
    return out


def log_of(p: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return np.log(p)


def posteriors(
    valuator: Valuator, task: int, log_views: np.ndarray, requests, seed: int
) -> list[np.ndarray]:
    """Eq. 5 belief updates for ``requests`` = [(view, agent, mask, action, outcome)].

    Returns, per request, the ``(m, k)`` posterior log marginals of the row's
    unknown members (their joint posterior projected back to marginals). Rows with
    too many joint type vectors use the sampled (Rao-Blackwellised) update of
    :func:`accord.bayes.update`.
    """
    p = valuator.problem
    rows = [valuator.row(task, int(a), int(s)) for _, a, s, _, _ in requests]
    if valuator.subset_tables(task) is not None:
        return _statistic_posteriors(valuator, task, log_views, requests, rows)
    out: list[np.ndarray] = [np.empty((0, p.k_max))] * len(requests)
    by_key: dict[tuple[int, bool], list[int]] = {}
    for pos, r in enumerate(rows):
        if r.m:
            by_key.setdefault((r.m, r.enumerated), []).append(pos)
    for (m, enumerated), idx in sorted(by_key.items()):
        lm = np.stack([valuator.log_marginals(log_views[requests[q][0]], rows[q]) for q in idx])
        if enumerated:
            ll = np.stack(
                [log_of(rows[q].enumerated_probs[requests[q][3], requests[q][4]]) for q in idx]
            )
            try:
                post = bayes.update(lm, ll)
            except bayes.ZeroLikelihoodError as e:
                e.requests = [idx[r] for r in e.rows]
                raise
        else:
            s_n = valuator.samples
            smp = bayes.sample_types(lm, s_n, seed + 104729 * (m + 1))
            k = p.k_max
            # each sample with one member's type replaced by each of its k types
            grid = np.repeat(np.repeat(smp[:, :, None, None, :], m, axis=2), k, axis=3)
            ar = np.arange(m)
            grid[:, :, ar, :, ar] = np.arange(k)  # (B, S, m, k, m)
            pr = valuator.tables(task, [rows[q] for q in idx], grid.reshape(len(idx), -1, m))
            act = np.asarray([requests[q][3] for q in idx])
            obs = np.asarray([requests[q][4] for q in idx])
            pr = pr[np.arange(len(idx)), :, act, obs]  # (B, S*m*k)
            ll = log_of(pr).reshape(len(idx), s_n, m, k)
            ll = np.where(np.stack([rows[q].valid for q in idx])[:, None], ll, NEG_INF)
            post = bayes.update(lm, ll, samples=smp)
        for b, q in enumerate(idx):
            out[q] = post[b]
    return out


def _statistic_posteriors(
    valuator: Valuator, task: int, log_views: np.ndarray, requests, rows: list[Row]
) -> list[np.ndarray]:
    """:func:`posteriors` through the type statistic (:func:`_statistic_marginals`)."""
    k = valuator.problem.k_max
    out: list[np.ndarray] = [np.empty((0, k)) for _ in requests]
    got = _statistic_marginals(valuator, task, log_views, requests, rows)
    if got is not None:
        qa, _, _, _, post = got
        for q in range(len(requests)):
            out[q] = post[qa == q]
    return out


def _statistic_marginals(
    valuator: Valuator,
    task: int,
    log_views: np.ndarray,
    requests,
    rows: list[Row],
    dist: np.ndarray | None = None,
):
    """Exact Eq. 5 marginals through the type statistic: member ``j``'s posterior is
    ``B(t_j) sum_l P_{S \\ j}(l) Pr(s | a, S, l + points[t_j])``, ``P_{S \\ j}`` the
    distribution of the other members' total (leave-one-out, from the same subset
    dynamic programme).  One entry per (request, unknown member): ``(request,
    member, local types (E, k), valid (E, k), log posterior (E, k))``, or ``None``
    when no request has an unknown member.  ``dist`` is :meth:`Valuator.distributions`
    of the views the requests use, when the caller has it."""
    st = valuator.subset_tables(task)
    assert st is not None
    q_of: list[int] = []
    u_of: list[int] = []
    for q, r in enumerate(rows):
        q_of += [q] * r.m
        u_of += range(r.m)
    if not q_of:
        return None
    views = np.asarray([int(r[0]) for r in requests], dtype=np.int64)
    uniq, inv = np.unique(views, return_inverse=True)
    if dist is None:
        dist = valuator.distributions(task, log_views[uniq])  # (U, M, L)
    else:
        dist = dist[uniq]
    width = st.width
    top = int(st.points.max())
    pad = np.zeros(st.probs.shape[:3] + (width + top,))
    pad[..., :width] = st.probs
    qa = np.asarray(q_of)
    pairs = list(zip(q_of, u_of, strict=True))
    mask = np.asarray([rows[q].mask for q in q_of], dtype=np.int64)
    member = np.asarray([rows[q].unknown[u] for q, u in pairs])
    act = np.asarray([int(requests[q][3]) for q in q_of])
    obs = np.asarray([int(requests[q][4]) for q in q_of])
    rest = dist[inv[qa], mask & ~(1 << member)]  # (E, L): the others' total
    lik_by_points = np.stack(
        [(rest * pad[mask, act, obs, v : v + width]).sum(axis=1) for v in range(top + 1)], axis=1
    )  # (E, top + 1)
    local = np.stack([rows[q].local[u] for q, u in pairs])  # (E, k)
    valid = np.stack([rows[q].valid[u] for q, u in pairs])
    lik = np.take_along_axis(lik_by_points, st.points[local], axis=1)
    prior = log_views[views[qa][:, None], member[:, None], local]
    post = np.where(valid & (lik > 0), prior + log_of(np.where(lik > 0, lik, 1.0)), NEG_INF)
    top_post = post.max(axis=1)
    dead = ~np.isfinite(top_post)
    if dead.any():
        bad = sorted({int(qa[e]) for e in np.flatnonzero(dead)})
        err = bayes.ZeroLikelihoodError(
            "posteriors", bad, "the observed outcome has zero probability under the beliefs"
        )
        err.requests = bad
        raise err
    post = post - top_post[:, None]
    post = post - np.log(np.exp(post).sum(axis=1, keepdims=True))
    return qa, member, local, valid, post


def successor_views(
    valuator: Valuator,
    task: int,
    log_view: np.ndarray,
    requests,
    seed: int,
    dist: np.ndarray | None = None,
) -> np.ndarray:
    """One agent's beliefs ``log_view`` ``(n, K)`` after each Eq. 5 update of
    ``requests`` = [(0, agent, mask, action, outcome)]: ``(len(requests), n, K)``.
    ``dist`` (optional) is the view's ``(2**n, L)`` statistic distributions."""
    views = np.repeat(log_view[None], len(requests), axis=0)
    rows = [valuator.row(task, int(a), int(s)) for _, a, s, _, _ in requests]
    if valuator.subset_tables(task) is None:
        post = posteriors(valuator, task, log_view[None], requests, seed)
        for z, row in enumerate(rows):
            write_back(views[z], row, post[z])
        return views
    got = _statistic_marginals(
        valuator, task, log_view[None], requests, rows, None if dist is None else dist[None]
    )
    if got is not None:
        qa, member, local, valid, post = got
        views[qa, member, :] = NEG_INF
        zi, ti = np.nonzero(valid)
        views[qa[zi], member[zi], local[zi, ti]] = post[zi, ti]
    return views


def successor_grid(
    valuator: Valuator,
    task: int,
    log_view: np.ndarray,
    agent: int,
    masks: np.ndarray,
    dist: np.ndarray,
) -> np.ndarray:
    """:func:`successor_views` of a statistic task for every coalition in ``masks``
    (each containing ``agent``), action and outcome at once: ``(R, A, O, n, K)``, the
    agent's ``(n, K)`` log beliefs after observing outcome ``o`` of action ``a`` in
    ``masks[r]`` (Eq. 5 through the statistic, as :func:`_statistic_marginals`).
    ``dist`` is the view's ``(2**n, L)`` statistic distributions. An outcome the view
    deems impossible leaves its members' rows at ``-inf``."""
    st = valuator.subset_tables(task)
    assert st is not None
    n = log_view.shape[0]
    masks = np.asarray(masks, dtype=np.int64)
    a_n, o_n, width = st.probs.shape[1:]
    top = int(st.points.max())
    r_e, j_e = np.nonzero(((masks[:, None] >> np.arange(n)) & 1).astype(bool))
    keep = j_e != agent
    r_e, j_e = r_e[keep], j_e[keep]  # (row, unknown member) pairs
    s_e = masks[r_e]
    rest = dist[s_e & ~(1 << j_e)]  # (E, L): the other members' total
    pad = np.zeros((s_e.size, a_n, o_n, width + top))
    pad[..., :width] = st.probs[s_e]
    # lik[e, a, o, v]: the outcome's probability with member j holding v points
    lik = np.stack(
        [np.einsum("el,eaol->eao", rest, pad[..., v : v + width]) for v in range(top + 1)],
        axis=-1,
    )[..., st.points]  # (E, A, O, K)
    with np.errstate(divide="ignore"):
        post = log_view[j_e][:, None, None, :] + np.log(lik)
    best = post.max(axis=-1, keepdims=True)
    live = np.isfinite(best)  # false: the outcome is impossible in this view
    safe = np.where(live, best, 0.0)
    norm = np.log(np.where(live, np.exp(post - safe).sum(axis=-1, keepdims=True), 1.0))
    post = np.where(live, post - safe - norm, NEG_INF)
    views = np.broadcast_to(log_view, (masks.size, a_n, o_n) + log_view.shape).copy()
    views[r_e, :, :, j_e] = post
    return views


def write_back(log_view: np.ndarray, row: Row, post: np.ndarray) -> None:
    """Store a row's posterior marginals into an ``(n, K)`` log-belief view."""
    for a, j in enumerate(row.unknown):
        ts = row.valid[a]
        log_view[j, :] = NEG_INF
        log_view[j, row.local[a, ts]] = post[a, ts]
