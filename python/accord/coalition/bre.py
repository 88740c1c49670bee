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

from .._masks import members
from .estimators import (
    TOL,
    Valuation,
    candidate_filter,
    form_proposal,
    proposal_shares,
    rechooser,
)
from .model import Agreement


def bre_round(
    valuation: Valuation,
    agreement: Agreement,
    proposer: int,
    rng: np.random.Generator,
    epsilon: float = 0.05,
) -> Agreement:
    """One BRE round; returns the (possibly unchanged) agreement.

    Values are frozen during a stage, so a best reply (and its acceptance) depends
    only on the proposer and the agreement: it is computed once per stage and then
    looked up (``valuation.decisions``); the random draws are the same either way."""
    i = proposer
    experiment = rng.random() < epsilon
    if not experiment:
        key = (i, agreement.key())
        done = valuation.decisions.get(key)
        if done is None:
            done = _reply(valuation, agreement, i, None)
            valuation.decisions[key] = done
        return done
    return _reply(valuation, agreement, i, rng)


def _reply(
    valuation: Valuation, agreement: Agreement, i: int, rng: np.random.Generator | None
) -> Agreement:
    """Proposer ``i``'s proposal (its best reply, or a random one drawn with ``rng``)
    and the partners' answers."""
    base = valuation.base
    n = base.shape[0]
    masks, shares = proposal_shares(base[i], i, agreement, valuation.stage.mem)
    keep = candidate_filter(masks, i, agreement, n)
    masks, shares = masks[keep], shares[keep]
    r_cur = agreement.share()
    c_i, a_i = int(agreement.coalition[i]), int(agreement.action[i])
    if rng is not None:
        row = int(rng.integers(masks.size))
        act = int(rng.integers(base.shape[2]))
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
