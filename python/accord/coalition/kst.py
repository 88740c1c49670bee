"""Kernel-based coalition formation with compromise (KST), as adapted by Chalkiadakis &
Boutilier (2012).

Kraus, Shehory & Taase (2004), "The advantages of compromising in coalition
formation with incomplete information" (AAMAS'04), form coalitions whose payoff
division approximates the kernel, with agents accepting a fraction -- the
*compromise factor* -- of what they believe they deserve.  Chalkiadakis & Boutilier
(2012, Sec. 6.3) adapt it to repeated coalition formation under type
uncertainty: no central authority, one proposer per negotiation round, coalition
values estimated from each agent's beliefs, compromise factor 0.8.  The paper gives
no further detail; this module is our reconstruction.

One round (:func:`kst_round`), proposer ``i``, values ``values[k, S, a] = Q_k(S, a)``
(the convention of :mod:`accord.coalition.core`), ``v_k(S) = max_a Q_k(S, a)``:

1. Candidates: every coalition ``S`` containing ``i`` (all ``2**(n-1)`` of them),
   with action ``beta_S = argmax_a Q_i(S, a)`` (lowest index on ties).  ``S`` is
   skipped when ``i`` believes its imputation set is empty
   (``v_i(S) < sum_{k in S} v_i({k})``: someone would do better alone).
2. Division: ``x^i(S)``, the nucleolus of ``i``'s game restricted to ``S``
   (``T -> v_i(T)`` for ``T <= S``), from :func:`accord.coop.nucleolus`.  The
   nucleolus lies in the kernel (Schmeidler 1969; Maschler, Peleg & Shapley 1979),
   so it is a kernel-stable division that ``i`` computes exactly instead of KST's
   transfer scheme.
3. Prediction: ``i`` predicts the answers with its own values.  By them a partner
   ``j``'s kernel payoff is ``x_j`` itself, so the compromise test below holds
   trivially and every candidate is predicted acceptable; with the status-quo test
   (``status_quo=True``, not the paper's) ``i`` also predicts that ``j`` refuses to
   lose: ``x_j >= pbar[i, j]`` (``i``'s estimate of ``j``'s current payoff).
4. Choice: among predicted-acceptable candidates with ``x_i > pbar[i, i]`` (strict
   gain for the proposer by its own estimate), ``i`` proposes the one with the
   largest ``x_i`` (lowest mask among those within the tolerance of the largest).
   If there is none, nothing changes.  Candidates are visited best bound first
   (``x_i <= v_i(S) - sum_{j in S, j != i} v_i({j})`` in an imputation), so most
   nucleoli are never computed.
5. Answers: the proposal is the demands ``d = x^i(S)`` with action ``beta_S``;
   partner ``j`` evaluates its share with its own beliefs,
   ``p_j = (x_j / v_i(S)) Q_j(S, beta_S)``, computes its own kernel payoff ``y_j``
   (the nucleolus of ``j``'s game restricted to ``S``; ``j`` refuses when its
   imputation set is empty) and accepts iff ``p_j >= compromise * y_j``: the KST
   compromise, "compromising part of their payoff" (Sec. 6.3) -- it may accept less
   than it gets now. With ``status_quo=True`` it also requires ``p_j >= pbar[j,
   j]`` (it does not expect to lose by its own beliefs), which makes KST agents as
   conservative as BRE's; the option exists to measure that difference.  Unanimity
   forms ``S`` through :meth:`Agreement.form`; one refusal leaves the agreement
   unchanged (one proposal per round, as in Sec. 6.3).
6. Those left behind keep their demands (renormalised) and re-choose the action
   maximising the sum of their own believed payoffs
   ``sum_{k in R} r_k Q_k(R, a)``.

Tolerances: a gain or an acceptance is judged with slack ``tol * scale``,
``scale = max(1, max values)``.
"""

from __future__ import annotations

import numbers

import numpy as np

from .._masks import members, membership_table, singleton_masks, subcoalitions
from .._validate import fail
from ..coop import nucleolus
from .core import check_agreement, check_values
from .model import Agreement

__all__ = ["kst_round"]

#: Largest number of agents for which one round evaluates every coalition.
KST_MAX_AGENTS = 12


class _Kernels:
    """Nucleoli of agents' subgames, cached per ``(agent, mask)`` within one call."""

    def __init__(self, vmax: np.ndarray, slack: float) -> None:
        self.vmax = vmax  # (n, 2**n): v_k(S)
        self.slack = slack
        self.cache: dict[tuple[int, int], np.ndarray | None] = {}

    def division(self, agent: int, mask: int) -> np.ndarray | None:
        """``agent``'s nucleolus of the game restricted to ``mask`` (members in
        ascending order), or ``None`` when its imputation set is empty."""
        key = (agent, mask)
        if key not in self.cache:
            self.cache[key] = self._compute(agent, mask)
        return self.cache[key]

    def _compute(self, agent: int, mask: int) -> np.ndarray | None:
        m = members(mask)
        k = m.size
        w = self.vmax[agent][subcoalitions(m)]
        single = w[singleton_masks(k)]
        gap = w[-1] - single.sum()
        if gap < -self.slack:
            return None
        if k == 1:
            return w[1:2].copy()
        if k == 2 or gap <= self.slack:  # standard solution / the single imputation
            return single + max(gap, 0.0) / k
        return np.asarray(nucleolus(w), dtype=np.float64)


def kst_round(
    values,
    agreement: Agreement,
    proposer: int,
    compromise: float = 0.8,
    tol: float = 1e-9,
    status_quo: bool = False,
) -> Agreement:
    """One negotiation round of the adapted KST algorithm (Chalkiadakis & Boutilier 2012,
    Sec. 6.3).

    Parameters
    ----------
    values
        ``(n, 2**n, A)`` belief-based values ``Q_k(S, a)`` (see
        :mod:`accord.coalition.core`), ``n <= KST_MAX_AGENTS``.
    agreement
        the current ``<CS, d, alpha>``.
    proposer
        the agent who proposes this round.
    compromise
        the KST compromise factor in ``(0, 1]`` (0.8 in Sec. 6.3).
    tol
        relative slack for gains and acceptance (module docstring).
    status_quo
        partners also refuse proposals that leave them worse off than now (not the
        paper's rule; module docstring, steps 3 and 5).

    Returns
    -------
    Agreement
        The new agreement (a new object; the input is not modified).  Deterministic
        given the proposer; see the module docstring for the protocol.
    """
    func = "kst_round"
    v = check_values(func, values)
    n, size, n_actions = v.shape
    if n > KST_MAX_AGENTS:
        fail(
            func,
            f"one round evaluates the 2**(n-1) coalitions of the proposer, each "
            f"with a nucleolus; n = {n} exceeds KST_MAX_AGENTS = {KST_MAX_AGENTS}",
        )
    check_agreement(func, agreement, n, n_actions)
    if (
        isinstance(proposer, bool)
        or not isinstance(proposer, numbers.Integral)
        or not 0 <= proposer < n
    ):
        fail(func, f"proposer must be an agent index in [0, {n}); got {proposer!r}")
    if (
        isinstance(compromise, bool)
        or not isinstance(compromise, numbers.Real)
        or not 0.0 < float(compromise) <= 1.0
    ):
        fail(func, f"compromise must be a factor in (0, 1] (KST use 0.8); got {compromise!r}")
    tol = float(tol)
    if not np.isfinite(tol) or tol < 0:
        fail(func, f"tol must be a finite number >= 0; got {tol}")
    i = int(proposer)
    compromise = float(compromise)
    slack = tol * max(1.0, float(v.max()))

    vmax = v.max(axis=2)  # (n, 2**n)
    best = v.argmax(axis=2)  # (n, 2**n)
    pbar = agreement.believed_payoffs(v)
    kernels = _Kernels(vmax, slack)

    # 1-4: the proposer's candidates, by its own estimates.  In an imputation
    # x_i <= v_i(S) - sum_{j in S, j != i} v_i({j}); candidates are visited by this
    # bound, best first, and the search stops once no bound can beat the best x_i.
    member = membership_table(n)
    masks = np.flatnonzero(member[:, i])
    single = vmax[i, singleton_masks(n)]
    bound = vmax[i, masks] - member[masks].astype(np.float64) @ single + single[i]
    order = np.lexsort((masks, -bound))
    chosen: tuple[float, int, np.ndarray] | None = None
    for s, ub in zip(masks[order].tolist(), bound[order].tolist(), strict=True):
        if ub <= pbar[i, i] + slack or (chosen is not None and ub < chosen[0] - slack):
            break
        x = kernels.division(i, s)
        if x is None:
            continue
        m = members(s)
        xi = float(x[np.searchsorted(m, i)])
        if xi <= pbar[i, i] + slack or (status_quo and (x < pbar[i, m] - slack).any()):
            continue
        if chosen is None or xi > chosen[0] + slack or (xi >= chosen[0] - slack and s < chosen[1]):
            chosen = (xi, s, x)
    if chosen is None:
        return agreement.copy()
    _, s, x = chosen
    m = members(s)
    beta = int(best[i, s])

    # 5: the partners answer with their own beliefs
    total = vmax[i, s]
    for j, xj in zip(m.tolist(), x.tolist(), strict=True):
        if j == i:
            continue
        y = kernels.division(j, s)
        if y is None:
            return agreement.copy()
        pj = xj / total * v[j, s, beta]
        yj = float(y[np.searchsorted(m, j)])
        if pj < compromise * yj - slack or (status_quo and pj < pbar[j, j] - slack):
            return agreement.copy()

    # 6: form S; those left behind re-choose their action
    demand = np.zeros(n)
    demand[m] = x
    old = agreement.demand

    def rechoose(rest: int) -> int:
        rm = members(rest)
        d = old[rm]
        r = d / d.sum() if d.sum() > 0 else np.full(rm.size, 1.0 / rm.size)
        return int(np.argmax(r @ v[rm, rest, :]))

    out = agreement.form(s, beta, demand, rechoose)
    return out
