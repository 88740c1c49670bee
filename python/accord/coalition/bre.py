"""Best reply with experimentation (BRE) for Bayesian coalition formation.

Dieckmann & Schwalbe's dynamic process as used for BCFPs by Chalkiadakis &
Boutilier (2012, Secs. 2 and 3.3; the process itself is not spelled out there, so
this is our documented reconstruction -- see EXPERIMENTS.md):

1. The state is the prevailing agreement ``<CS, d, alpha>``.
2. Each round one proposer ``i`` is drawn uniformly.
3. With probability ``1 - epsilon`` it best-responds: for every coalition ``S``
   containing it (all of them when ``n <= 6``; otherwise ``{i} u C`` for ``C`` in
   ``CS`` or empty) and every action ``beta``, it offers each partner ``j`` the
   payoff ``pbar_ij = r_j Q_i(C_j, alpha_j)`` it believes ``j`` now gets, keeps the
   residual, and values the result with its learning method; it proposes the best
   agreement only if that strictly beats its current one. With probability
   ``epsilon`` it proposes a random ``(S, beta)`` with the same demands.
4. Each partner accepts if its own value of the proposal (its method, its beliefs)
   is at least that of its current agreement; unanimity forms ``S``. Agents left
   behind stay together, their demands renormalise, and they re-choose the action
   maximising the sum of their believed payoffs.
"""

from __future__ import annotations

import numpy as np

from .._backend import cpu_kernels
from .._masks import members
from .estimators import (
    TOL,
    Lookahead,
    Valuation,
    candidate_filter,
    check_magnitudes,
    form_proposal,
    proposal_shares,
    rechooser,
)
from .model import Agreement


def draw_rounds(rng: np.random.Generator, n: int, rounds: int) -> tuple[np.ndarray, np.ndarray]:
    """The random numbers of ``rounds`` BRE rounds among ``n`` agents: the proposers
    ``(rounds,)`` and three uniforms per round ``(rounds, 3)`` (experiment or not; the
    random candidate; the random action)."""
    return rng.integers(n, size=rounds), rng.random((rounds, 3))


def negotiate(
    valuation: Valuation,
    agreement: Agreement,
    proposers: np.ndarray,
    draws: np.ndarray,
    epsilon: float = 0.05,
    *,
    native: bool = True,
) -> Agreement:
    """One stage's negotiation: :func:`bre_round` for each proposer and row of draws
    (:func:`draw_rounds`). Where every value the agents act on is a table of the stage,
    or a row of one computed when the loop first needs it (every method but VPI over
    type-vector kernel groups), the rounds run natively
    (``accord._core.coalition.negotiate``) with the same decisions; ``native=False``
    runs them here."""
    tables = _NativeTables.of(valuation) if native else None
    if tables is None:
        for i, u in zip(proposers, draws, strict=True):
            agreement = bre_round(valuation, agreement, int(i), u, epsilon)
        return agreement
    n = agreement.coalition.size
    c, a, d = agreement.coalition.copy(), agreement.action.copy(), agreement.demand.copy()
    proposers = np.ascontiguousarray(proposers, dtype=np.int64)
    draws = np.ascontiguousarray(draws, dtype=np.float64)
    done, asked = 0, None
    while True:
        done, missing = cpu_kernels("coalition").negotiate(
            *tables.arrays(),
            proposers,
            draws,
            float(epsilon),
            n > 6,
            TOL,
            c,
            a,
            d,
            *tables.compact(),
            lazy=tables.lazy,
            first_round=done,
        )
        if not missing.size:
            break
        key = (done, missing.tobytes())
        if key == asked:  # cannot happen unless a fill leaves its rows unset
            raise RuntimeError("negotiate: rows were asked for twice")
        asked = key
        tables.fill(missing)
    return Agreement(c, a, d)


class _NativeTables:
    """The native loop's view of a stage's valuation: base values, the lookahead offsets
    (``gamma W``) and VPI cells; with ``lazy``, rows computed when the loop first asks
    for them (NaN offsets, compact cells; OSLA methods above six agents consider few
    coalitions, and sampled VPI-over-OSLA rows are drawn only where needed)."""

    def __init__(self, valuation: Valuation) -> None:
        self.valuation = valuation
        self.base = np.ascontiguousarray(valuation.base, dtype=np.float64)
        n = self.base.shape[0]
        self.offset: np.ndarray | None = None
        self.lazy = False
        self.vpi: list[np.ndarray | None] = [None] * 7
        self.rows: _CompactCells | None = None
        check_magnitudes("negotiate", n, base=self.base)

    @classmethod
    def of(cls, valuation: Valuation) -> _NativeTables | None:
        """The tables, or ``None`` when some value is neither a table of the stage nor
        computable row by row (VPI over type-vector kernel groups)."""
        m, stage = valuation.method, valuation.stage
        n = stage.problem.n_agents
        if m == "vpi" and stage.cell_values is None:
            return None  # kernel groups of type-vector rows
        t = cls(valuation)
        la = valuation.lookahead
        if isinstance(la, Lookahead) and n > 6:  # W computed where asked
            t.offset = valuation.gamma * la.known_w()
            t.lazy = True
        elif la is not None:
            w = la.every_w() if isinstance(la, Lookahead) else la
            t.offset = np.ascontiguousarray(valuation.gamma * w, dtype=np.float64)
            check_magnitudes("negotiate", n, offset=t.offset)
        if m not in ("vpi", "vpi-osla"):
            return t
        if m == "vpi":
            cv = stage.cell_values
            assert cv is not None
            dist = stage.dist
            cells = cv[:1] if cv.strides[0] == 0 else cv  # one table shared by every agent
        else:  # type vectors, row by row: all at once when every row is a candidate
            t.rows = _CompactCells(n, 1 << n, t.base.shape[2])
            t.lazy = True
            dist = cells = np.zeros(0)
        check_magnitudes("negotiate", n, cells=cells)
        best, second, key = zip(*valuation.vpi_ref, strict=True)
        t.vpi = [
            np.ascontiguousarray(dist, dtype=np.float64),
            np.ascontiguousarray(cells, dtype=np.float64),
            None,
            np.asarray(best, dtype=np.float64),
            np.asarray(second, dtype=np.float64),
            np.asarray([k[0] for k in key], dtype=np.int64),
            np.asarray([k[1] for k in key], dtype=np.int64),
        ]
        if t.rows is not None and n <= 6:
            mem = stage.mem.T.astype(bool)  # (n, 2**n): the coalitions holding each agent
            t.fill(np.argwhere(mem))
        return t

    def arrays(self) -> tuple:
        """``(base, offset, dist, cells, cell_offset, best, second, best_mask,
        best_action)`` of the native loop."""
        if self.rows is not None:
            self.vpi[:3] = self.rows.arrays()
        return (self.base, self.offset, *self.vpi)

    def compact(self) -> tuple[np.ndarray | None, np.ndarray | None]:
        if self.rows is None:
            return None, None
        return self.rows.start, self.rows.width

    def fill(self, missing: np.ndarray) -> None:
        """Computes rows ``missing`` ``(P, 2)`` of ``(agent, mask)``."""
        v = self.valuation
        n = self.base.shape[0]
        used = self.rows.used if self.rows is not None else 0
        for k in np.unique(missing[:, 0]):
            masks = missing[missing[:, 0] == k, 1]
            if (
                isinstance(v.lookahead, Lookahead)
                and self.offset is not None
                and np.isnan(self.offset[k, masks, 0]).any()
            ):
                w = v.gamma * v.lookahead.w(int(k), masks)
                check_magnitudes("negotiate", n, offset=w)
                self.offset[k, masks] = w
            if self.rows is None:
                continue
            todo = [int(s) for s in masks if self.rows.start[k, s] < 0]
            revealed = v.revealed_terms(int(k), np.asarray(todo, dtype=np.int64))
            for s in todo:
                _, weights, values = v.stage.row_cells(int(k), s)
                term = revealed[(int(k), s)] if revealed is not None else None
                self.rows.add(int(k), s, weights, values, term)
        if self.rows is not None:
            _, cells, cell_offset = (x[self.rows.a_n * used :] for x in self.rows.arrays())
            check_magnitudes("negotiate", n, cells=cells, cell_offset=cell_offset)


class _CompactCells:
    """VPI cells added row by row for the native loop's compact layout: row ``(k, S)``
    has ``width[k, S]`` cells from ``start[k, S]`` of ``dist`` (``-1``: not yet),
    action ``b``'s from ``A start + b width`` of ``cells`` and ``cell_offset``."""

    def __init__(self, n: int, m_n: int, a_n: int) -> None:
        self.start = np.full((n, m_n), -1, dtype=np.int64)
        self.width = np.zeros((n, m_n), dtype=np.int64)
        self.a_n, self.used = a_n, 0
        self._dist = np.zeros(1024)
        self._cells = np.zeros(a_n * 1024)
        self._offset = np.zeros(a_n * 1024)

    def add(
        self, k: int, s: int, weights: np.ndarray, values: np.ndarray, term: np.ndarray | None
    ) -> None:
        t_n, a_n, u = weights.size, self.a_n, self.used
        if u + t_n > self._dist.size:
            size = max(2 * self._dist.size, u + t_n)
            for name, per in (("_dist", 1), ("_cells", a_n), ("_offset", a_n)):
                grown = np.zeros(per * size)
                grown[: per * u] = getattr(self, name)[: per * u]
                setattr(self, name, grown)
        self._dist[u : u + t_n] = weights
        self._cells[a_n * u : a_n * (u + t_n)] = values.ravel()
        self._offset[a_n * u : a_n * (u + t_n)] = 0.0 if term is None else term.ravel()
        self.start[k, s], self.width[k, s] = u, t_n
        self.used = u + t_n

    def arrays(self) -> list[np.ndarray]:
        """``[dist, cells, cell_offset]`` of the rows added so far."""
        u, a_n = self.used, self.a_n
        return [self._dist[:u], self._cells[: a_n * u], self._offset[: a_n * u]]


def bre_round(
    valuation: Valuation,
    agreement: Agreement,
    proposer: int,
    draw: np.ndarray,
    epsilon: float = 0.05,
) -> Agreement:
    """One BRE round; returns the (possibly unchanged) agreement. ``draw`` is the
    round's three uniforms (:func:`draw_rounds`): the proposer experiments when
    ``draw[0] < epsilon``, proposing candidate ``floor(draw[1] R)`` of its ``R`` and
    action ``floor(draw[2] A)``.

    Values are frozen during a stage, so a best reply (and its acceptance) depends
    only on the proposer and the agreement: it is computed once per stage and then
    looked up (``valuation.decisions``)."""
    i = proposer
    if not draw[0] < epsilon:
        key = (i, agreement.key())
        done = valuation.decisions.get(key)
        if done is None:
            done = _reply(valuation, agreement, i, None)
            valuation.decisions[key] = done
        return done
    return _reply(valuation, agreement, i, draw)


def _reply(
    valuation: Valuation, agreement: Agreement, i: int, draw: np.ndarray | None
) -> Agreement:
    """Proposer ``i``'s proposal (its best reply, or the random one ``draw`` picks)
    and the partners' answers."""
    base = valuation.base
    n = base.shape[0]
    masks, shares = proposal_shares(base[i], i, agreement, valuation.stage.mem)
    keep = candidate_filter(masks, i, agreement, n)
    masks, shares = masks[keep], shares[keep]
    r_cur = agreement.share()
    c_i, a_i = int(agreement.coalition[i]), int(agreement.action[i])
    if draw is not None:
        row = min(int(draw[1] * masks.size), masks.size - 1)
        act = min(int(draw[2] * base.shape[2]), base.shape[2] - 1)
    else:
        vals = valuation.value(i, masks, shares)
        cur = valuation.value(i, np.array([c_i]), np.full((1, base.shape[2]), r_cur[i]))
        same = masks == c_i
        vals[same, a_i] = -np.inf
        best_row, best_act = np.unravel_index(int(np.argmax(vals)), vals.shape)
        row, act = int(best_row), int(best_act)
        if not vals[row, act] > cur[0, a_i] + TOL:
            return agreement
    s = int(masks[row])
    if s == c_i and act == a_i:
        return agreement
    proposal, new_r = form_proposal(
        base, i, agreement, s, act, float(shares[row, act]), rechooser(base, agreement)
    )
    for j in members(s):
        if j == i:
            continue
        cj, aj = int(agreement.coalition[j]), int(agreement.action[j])
        a_n = base.shape[2]
        new = valuation.value(int(j), np.array([s]), np.full((1, a_n), new_r[j]))[0, act]
        old = valuation.value(int(j), np.array([cj]), np.full((1, a_n), r_cur[j]))[0, aj]
        if new < old - TOL:
            return agreement
    return proposal
