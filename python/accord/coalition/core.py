"""The Bayesian core (Chalkiadakis & Boutilier 2012, Sec. 3.1, Definitions 3 and 4) and
the classic core.

Convention for belief-based values: ``values`` is an array ``(n, 2**n, A)`` with
``values[i, S, a] = Q_i(S, a)``, agent ``i``'s expected total reward of coalition
``S`` (a bitmask) taking action ``a`` under ``i``'s beliefs (Eq. 2; the entry
``S = 0`` is unused and should be 0).  Rewards are non-negative, so values are too.

In an agreement ``<CS, d, alpha>`` with relative demands ``r`` (``Agreement.share``)
agent ``i`` believes agent ``j`` gets ``pbar[i, j] = r_j * Q_i(C_j, alpha_j)``
(Sec. 3.1: "i's beliefs about the expected stochastic payoff of j").

Closed forms (derived here; the tests check them against a search over demand
vectors).  A deviation is a coalition ``S``, an action ``beta`` and demands
``d_S >= 0``; their relative demands ``r_S`` range over the whole simplex
``{r >= 0, sum_{k in S} r_k = 1}`` (all-zero demands mean an equal split, itself a
point of the simplex).  Write ``w_k = Q_k(S, beta)``.

* Weak core (Definition 3): ``S`` blocks with ``beta`` iff some ``r_S`` has
  ``r_k w_k > pbar[k, k]`` for every ``k in S``.  For ``w_k > 0`` this is the strict
  lower bound ``r_k > pbar[k, k] / w_k``; for ``w_k = 0`` it needs
  ``pbar[k, k] < 0``, impossible since ``pbar >= 0``.  Strict lower bounds
  ``l_k >= 0`` are met inside the simplex iff ``sum_k l_k < 1`` (take
  ``r_k = l_k + (1 - sum l) / |S|``).  So: blocking iff ``w_k > 0`` for all ``k in S``
  and ``sum_{k in S} pbar[k, k] / w_k < 1``.
* Strong core (Definition 4): ``i in S`` blocks with ``beta`` iff some ``r_S`` has
  ``r_i W > pbar[i, i]`` and ``r_j W >= pbar[i, j]`` for ``j in S \\ {i}``, all valued
  by ``i``: ``W = Q_i(S, beta)``.  ``W = 0`` cannot block (it needs
  ``pbar[i, i] < 0``); for ``W > 0`` the bounds are ``r_i > pbar[i, i] / W``,
  ``r_j >= pbar[i, j] / W``, feasible iff ``sum_{j in S} pbar[i, j] < W``.

Tolerance: ``tol`` is *relative* (the ratios above are scale free): the weak test
is ``sum_k pbar[k, k] / w_k < 1 - tol`` and the strong one
``sum_{j in S} pbar[i, j] < (1 - tol) W``.  A deviation has to beat the agreement by
a fraction ``tol`` of its value, so rounding of an agreement that sits exactly on
a core boundary never shows as blocking.

With identical beliefs (``values[i] == w`` for all ``i``) both tests reduce to the
classic core of the coalition structure: ``pbar[i, j] = x_j := r_j w(C_j, alpha_j)``
for every ``i``, and ``S`` blocks (weakly or strongly, with some ``beta``) iff
``x(S) < max_beta w(S, beta) = v(S)`` (``w(S, beta) > x(S) >= 0`` makes every
``w_k > 0``).  So ``in_weak_bayesian_core == in_strong_bayesian_core ==`` "no
coalition has a positive excess ``v(S) - x(S)``", which is :func:`in_classic_core`
for the payoff vector ``x`` (up to the tolerance conventions).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import numpy as np

from .. import _highs
from .._masks import members, membership_table
from .._validate import fail
from ..coop import TUGame, core_violation
from .model import BCFP, Agreement

__all__ = [
    "believed_payoffs",
    "classic_game",
    "classic_payoffs",
    "coalition_values",
    "in_classic_core",
    "in_strong_bayesian_core",
    "in_weak_bayesian_core",
    "strong_core_blocking",
    "strong_core_configuration",
    "weak_core_blocking",
]


def check_values(func: str, values) -> np.ndarray:
    """Validate a belief-value array ``(n, 2**n, A)``: finite and ``>= 0``."""
    try:
        v = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        fail(
            func,
            f"values must be a numeric array (n, 2**n, actions); got {type(values).__name__}",
            TypeError,
        )
    if v.ndim != 3 or v.shape[0] < 1 or v.shape[1] != 1 << v.shape[0] or v.shape[2] < 1:
        fail(
            func,
            f"values must have shape (n, 2**n, actions) -- values[i, S, a] is "
            f"agent i's expected value of coalition mask S taking action a; got "
            f"shape {v.shape}",
        )
    if not np.isfinite(v).all():
        fail(func, "values must be finite")
    if (v < 0).any():
        i, s, a = np.argwhere(v < 0)[0]
        fail(
            func,
            f"values must be >= 0 (rewards are non-negative); values[{i}, {s}, {a}] = {v[i, s, a]}",
        )
    return v


def check_agreement(func: str, agreement: Agreement, n: int, n_actions: int) -> None:
    """Validate an agreement against ``n`` agents and ``n_actions`` actions."""
    if not isinstance(agreement, Agreement):
        fail(func, f"agreement must be an Agreement; got {type(agreement).__name__}", TypeError)
    shapes = (np.shape(agreement.coalition), np.shape(agreement.action), np.shape(agreement.demand))
    if any(s != (n,) for s in shapes):
        fail(
            func,
            f"agreement must cover the {n} agents of values (coalition, action "
            f"and demand of shape ({n},)); got shapes {shapes}",
        )
    c = np.asarray(agreement.coalition)
    if (c < 1).any() or (c >= 1 << n).any():
        fail(func, f"agreement.coalition must hold non-empty masks below 2**{n}")
    a = np.asarray(agreement.action)
    if (a < 0).any() or (a >= n_actions).any():
        fail(func, f"agreement.action must be action indices in [0, {n_actions}); got {a.tolist()}")
    try:
        agreement.validate()
    except ValueError as e:
        fail(func, f"invalid agreement: {e}")


def _tolerance(func: str, tol: float) -> float:
    tol = float(tol)
    if not np.isfinite(tol) or not 0.0 <= tol < 1.0:
        fail(func, f"tol must be a relative tolerance in [0, 1); got {tol}")
    return tol


def believed_payoffs(values, agreement: Agreement) -> np.ndarray:
    """``pbar[i, j] = r_j Q_i(C_j, alpha_j)``: what ``i`` believes ``j`` expects to get
    in the agreement ``<CS, d, alpha>`` (Chalkiadakis & Boutilier 2012, Sec. 3.1).
    Returns ``(n, n)``."""
    func = "believed_payoffs"
    v = check_values(func, values)
    check_agreement(func, agreement, v.shape[0], v.shape[2])
    return agreement.believed_payoffs(v)


def _weak_ratio(v: np.ndarray, pbar: np.ndarray) -> np.ndarray:
    """``sum_{k in S} pbar[k, k] / Q_k(S, beta)`` per ``(S, beta)``; ``inf`` where some
    member values the deviation at 0 (it cannot block) and for ``S = 0``."""
    n = v.shape[0]
    member = membership_table(n)  # (2**n, n)
    own = np.diagonal(pbar)  # (n,)
    w = np.moveaxis(v, 0, 1)  # (2**n, n, A)
    positive = w > 0
    terms = np.divide(own[None, :, None], w, out=np.zeros_like(w), where=positive)
    ratio = (terms * member[:, :, None]).sum(axis=1)  # (2**n, A)
    usable = (positive | ~member[:, :, None]).all(axis=1)
    ratio[~usable] = np.inf
    ratio[0] = np.inf
    return ratio


def _strong_ratio(v: np.ndarray, pbar: np.ndarray) -> np.ndarray:
    """``sum_{j in S} pbar[i, j] / Q_i(S, beta)`` per ``(i, S, beta)`` with ``i in S``;
    ``inf`` where ``i`` is not in ``S`` or values the deviation at 0."""
    member = membership_table(v.shape[0])  # (2**n, n)
    need = (member.astype(np.float64) @ pbar.T).T  # (n, 2**n): sum_j in S
    positive = v > 0
    ratio = np.divide(need[:, :, None], v, out=np.full_like(v, np.inf), where=positive)
    ratio[~member.T] = np.inf
    return ratio


def weak_core_blocking(values, agreement: Agreement, tol: float = 1e-9) -> tuple[int, int] | None:
    """A blocking ``(mask, action)`` of the weak Bayesian core, or ``None``.

    Definition 3 of Chalkiadakis & Boutilier (2012): ``S`` blocks with ``beta`` if
    some demands make every member believe it is strictly better off -- iff every
    member values ``(S, beta)`` above 0 and
    ``sum_{k in S} pbar[k, k] / Q_k(S, beta) < 1 - tol`` (module docstring).  Returns
    the most blocking pair (smallest ratio, lowest mask and action on ties).
    """
    func = "weak_core_blocking"
    v = check_values(func, values)
    check_agreement(func, agreement, v.shape[0], v.shape[2])
    tol = _tolerance(func, tol)
    ratio = _weak_ratio(v, agreement.believed_payoffs(v))
    k = int(np.argmin(ratio))
    s, a = divmod(k, v.shape[2])
    return (s, a) if ratio[s, a] < 1.0 - tol else None


def strong_core_blocking(
    values, agreement: Agreement, tol: float = 1e-9
) -> tuple[int, int, int] | None:
    """A blocking ``(agent, mask, action)`` of the strong Bayesian core, or ``None``.

    Definition 4 of Chalkiadakis & Boutilier (2012): agent ``i in S`` believes some
    demands make itself strictly and every other member of ``S`` weakly better off
    with ``beta`` -- iff
    ``sum_{j in S} pbar[i, j] < (1 - tol) Q_i(S, beta)`` (module docstring).  Returns
    the most blocking triple (smallest ratio ``sum pbar / Q``; first on ties).
    """
    func = "strong_core_blocking"
    v = check_values(func, values)
    check_agreement(func, agreement, v.shape[0], v.shape[2])
    tol = _tolerance(func, tol)
    ratio = _strong_ratio(v, agreement.believed_payoffs(v))
    i, s, a = np.unravel_index(int(np.argmin(ratio)), ratio.shape)
    return (int(i), int(s), int(a)) if ratio[i, s, a] < 1.0 - tol else None


def in_weak_bayesian_core(values, agreement: Agreement, tol: float = 1e-9) -> bool:
    """True when no coalition blocks ``agreement`` in the sense of Definition 3."""
    return weak_core_blocking(values, agreement, tol) is None


def in_strong_bayesian_core(values, agreement: Agreement, tol: float = 1e-9) -> bool:
    """True when no agent and coalition block ``agreement`` (Definition 4)."""
    return strong_core_blocking(values, agreement, tol) is None


def _partitions(rest: int) -> Iterator[list[int]]:
    """Every partition of the agents in bitmask ``rest`` into coalitions (masks)."""
    if not rest:
        yield []
        return
    low = rest & -rest
    others = rest ^ low
    sub = others
    while True:  # every subset of the others joins the lowest agent
        for tail in _partitions(others ^ sub):
            yield [low | sub, *tail]
        if sub == 0:
            break
        sub = (sub - 1) & others


def strong_core_configuration(values, tol: float = 1e-9, max_agents: int = 6) -> Agreement | None:
    """An agreement in the strong Bayesian core (Definition 4) of the belief values
    ``values`` ``(n, 2**n, A)``, or ``None`` when that core is empty.

    Coalition structures and their actions are tried in decreasing order of their
    members' believed value (``sum_C mean_{i in C} Q_i(C, alpha_C)``; first found on
    ties); for each, relative demands with ``sum_{j in S} r_j Q_i(C_j, alpha_j) >=
    Q_i(S, beta)`` for every agent ``i``, coalition ``S`` containing it and action
    ``beta`` are sought by LP (HiGHS). The first feasible one is returned, checked by
    :func:`strong_core_blocking`. It serves as the "BC-stable configuration" of
    Chalkiadakis & Boutilier (2012), Fig. 2. Enumerates all structures, so ``n`` is
    limited to ``max_agents``.
    """
    func = "strong_core_configuration"
    v = check_values(func, values)
    n, m_n, a_n = v.shape
    if n > max_agents:
        fail(
            func, f"enumerates every coalition structure; n = {n} exceeds max_agents = {max_agents}"
        )
    tol = _tolerance(func, tol)
    mem = membership_table(n)
    i_idx, s_idx, b_idx = (
        np.asarray(x)
        for x in zip(
            *[(i, s, b) for i in range(n) for s in range(1, m_n) if mem[s, i] for b in range(a_n)],
            strict=True,
        )
    )
    live = v[i_idx, s_idx, b_idx] > 0  # a coalition worth 0 cannot block
    i_idx, s_idx, b_idx = i_idx[live], s_idx[live], b_idx[live]
    mean = np.stack([(v[:, s] * mem[s][:, None]).sum(0) / max(mem[s].sum(), 1) for s in range(m_n)])
    options: list[tuple[float, int, list[int], tuple[int, ...]]] = []
    for parts in _partitions(m_n - 1):
        for acts in itertools.product(range(a_n), repeat=len(parts)):
            score = sum(float(mean[c, a]) for c, a in zip(parts, acts, strict=True))
            options.append((-score, len(options), parts, acts))
    options.sort()
    for _, _, parts, acts in options:
        coalition = np.zeros(n, dtype=np.int64)
        action = np.zeros(n, dtype=np.int64)
        for c, a in zip(parts, acts, strict=True):
            coalition[mem[c]] = c
            action[mem[c]] = a
        cur = v[:, coalition, action]  # cur[i, j] = Q_i(C_j, alpha_j)
        try:
            res = _highs.linprog(
                func,
                "relative demands of a core configuration",
                np.zeros(n),
                a_ub=-(mem[s_idx] * cur[i_idx]),
                b_ub=-v[i_idx, s_idx, b_idx],
                a_eq=np.stack([mem[c] for c in parts]).astype(np.float64),
                b_eq=np.ones(len(parts)),
                lower=np.zeros(n),
                upper=np.ones(n),
                preset="simplex",
            )
        except _highs.InfeasibleError:
            continue
        agreement = Agreement(coalition, action, np.clip(res.x, 0.0, 1.0))
        if strong_core_blocking(v, agreement, tol) is None:
            return agreement
    return None


# ----------------------------------------------------------------- known types


def _check_problem(func: str, problem: BCFP, types, task: int) -> tuple[np.ndarray, int]:
    if not isinstance(problem, BCFP):
        fail(func, f"problem must be a BCFP; got {type(problem).__name__}", TypeError)
    n = problem.n_agents
    if n > 16:
        fail(
            func, f"exact coalition values need 2**n masks; n = {n} is too large (at most 16 here)"
        )
    t = problem.true_types if types is None else np.asarray(types, dtype=np.int64)
    if t.shape != (n,):
        fail(func, f"types must give one type id per agent ({n}); got shape {t.shape}")
    for i in range(n):
        if t[i] not in problem.type_sets[i]:
            fail(
                func,
                f"types[{i}] = {t[i]} is not in agent {i}'s type set "
                f"{problem.type_sets[i].tolist()}",
            )
    if (
        isinstance(task, bool)
        or not isinstance(task, (int, np.integer))
        or not 0 <= task < len(problem.tasks)
    ):
        fail(func, f"task must be a task index in [0, {len(problem.tasks)}); got {task!r}")
    return t, int(task)


def coalition_values(problem: BCFP, types=None, task: int = 0) -> np.ndarray:
    """``Q(S, a | t_S)`` for every coalition mask and action with known types
    (Chalkiadakis & Boutilier 2012, Eq. 1; the true types by default): ``(2**n, A)``, row 0 zero."""
    t, task = _check_problem("coalition_values", problem, types, task)
    n = problem.n_agents
    tk = problem.tasks[task]
    out = np.zeros((1 << n, problem.n_actions))
    for s in range(1, 1 << n):
        m = members(s)
        out[s] = tk.values(m, t[m][None, :])[0]
    return out


def classic_game(problem: BCFP, types=None, task: int = 0) -> TUGame:
    """The deterministic TU game ``v(S) = V(S | t_S) = max_a Q(S, a | t_S)`` (Eq. 1)."""
    return TUGame(coalition_values(problem, types, task).max(axis=1))


def classic_payoffs(problem: BCFP, agreement: Agreement, types=None, task: int = 0) -> np.ndarray:
    """Expected payoffs ``x_i = r_i Q(C_i, alpha_i | t)`` of an agreement with known
    types: ``(n,)``."""
    func = "classic_payoffs"
    t, task = _check_problem(func, problem, types, task)
    q = coalition_values(problem, t, task)
    check_agreement(func, agreement, problem.n_agents, problem.n_actions)
    return agreement.share() * q[np.asarray(agreement.coalition), np.asarray(agreement.action)]


def in_classic_core(
    problem: BCFP, agreement: Agreement, types=None, task: int = 0, tol: float = 1e-9
) -> bool:
    """True when the agreement's expected payoffs are in the core of its coalition
    structure for the known-type game ``v`` (:func:`classic_game`).

    The core of a structure (Aumann & Dreze 1974): payoffs ``x`` feasible per
    coalition (``x(C) <= v(C)``; here ``x(C) = Q(C, alpha_C) <= v(C)`` by
    construction) with ``x(S) >= v(S)`` for every coalition ``S``; together these force
    ``x(C) = v(C)``, i.e. every coalition takes a best action.  The largest excess
    ``max_S v(S) - x(S)`` comes from :func:`accord.coop.core_violation` (one pass over
    the table, ``S = N`` included); ``x`` is in the core iff it is at most
    ``tol * max(1, max_S v(S))``.
    """
    func = "in_classic_core"
    t, task = _check_problem(func, problem, types, task)
    tol = _tolerance(func, tol)
    q = coalition_values(problem, t, task)
    check_agreement(func, agreement, problem.n_agents, problem.n_actions)
    x = agreement.share() * q[np.asarray(agreement.coalition), np.asarray(agreement.action)]
    v = q.max(axis=1)
    excess, _ = core_violation(TUGame(v), x)
    return excess <= tol * max(1.0, float(v.max()))
