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
    (:func:`draw_rounds`). Where every value the agents act on is a table of the stage
    (Myopic, MAP, informed; VPI with cells -- a type statistic or joint beliefs; OSLA
    and VPI-over-OSLA up to six agents, the latter with enumerated type vectors) the
    rounds run natively (``accord._core.coalition.negotiate``)
    with the same decisions; ``native=False`` runs them here."""
    tables = _tables(valuation) if native else None
    if tables is None:
        for i, u in zip(proposers, draws, strict=True):
            agreement = bre_round(valuation, agreement, int(i), u, epsilon)
        return agreement
    n = agreement.coalition.size
    check_magnitudes(
        "negotiate", n, base=tables[0], offset=tables[1], cells=tables[3], cell_offset=tables[4]
    )
    c, a, d = agreement.coalition.copy(), agreement.action.copy(), agreement.demand.copy()
    cpu_kernels("coalition").negotiate(
        *tables,
        np.ascontiguousarray(proposers, dtype=np.int64),
        np.ascontiguousarray(draws, dtype=np.float64),
        float(epsilon),
        n > 6,
        TOL,
        c,
        a,
        d,
    )
    return Agreement(c, a, d)


def _tables(valuation: Valuation):
    """``(base, offset, dist, cells, cell_offset, best, second, best_mask,
    best_action)`` for the native loop, or ``None`` when some value is not a table of the stage."""
    m, stage = valuation.method, valuation.stage
    n = stage.problem.n_agents
    base = np.ascontiguousarray(valuation.base, dtype=np.float64)
    offset = None
    if valuation.lookahead is not None:
        if isinstance(valuation.lookahead, Lookahead) and n > 6:
            return None  # W (and revealed values) computed only where asked
        w = (
            valuation.lookahead.every_w()
            if isinstance(valuation.lookahead, Lookahead)
            else valuation.lookahead
        )
        offset = np.ascontiguousarray(valuation.gamma * w, dtype=np.float64)
    vpi: list[np.ndarray | None] = [None] * 7
    if m == "vpi-osla":
        got = _revealed_cells(valuation)
        if got is None:
            return None
        dist, cells, cell_offset = got
    elif m == "vpi":
        cv = stage.cell_values
        if cv is None:
            return None  # kernel groups of type-vector rows
        dist, cell_offset = stage.dist, None
        cells = cv[:1] if cv.strides[0] == 0 else cv  # one table shared by every agent
    if m in ("vpi", "vpi-osla"):
        best, second, key = zip(*valuation.vpi_ref, strict=True)
        vpi = [
            np.ascontiguousarray(dist, dtype=np.float64),
            np.ascontiguousarray(cells, dtype=np.float64),
            cell_offset,
            np.asarray(best, dtype=np.float64),
            np.asarray(second, dtype=np.float64),
            np.asarray([k[0] for k in key], dtype=np.int64),
            np.asarray([k[1] for k in key], dtype=np.int64),
        ]
    return (base, offset, *vpi)


def _revealed_cells(valuation: Valuation):
    """VPI-over-OSLA's cells for the native loop: ``(dist, cells, cell_offset)``, the
    type vectors of every row (:meth:`StageValues.vector_cells`) with ``gamma`` times
    the lookahead after each vector's revelation (Sec. 4.6), or ``None`` when the rows
    are sampled."""
    if valuation.revealed is False:
        return None
    got = valuation.stage.vector_cells()
    if got is None:
        return None
    dist, cells = got
    if valuation.revealed is True:
        assert isinstance(valuation.lookahead, Lookahead)
        revealed = valuation.lookahead.every_revealed()
    else:
        revealed = valuation.revealed
    cell_offset = np.zeros(cells.shape)
    for (i, s), v in revealed.items():
        cell_offset[i, s, :, : v.shape[1]] = valuation.gamma * v
    return dist, cells, cell_offset


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
