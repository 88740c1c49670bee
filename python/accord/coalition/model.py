"""Bayesian coalition formation problems and coalition agreements.

A Bayesian coalition formation problem (BCFP, Definition 2 of Chalkiadakis &
Boutilier 2012, "Sequentially optimal repeated coalition formation under
uncertainty", JAAMAS 24(3):441-484, Sec. 3.1) has agents ``N``, a type set ``T_i``
per agent, coalitional actions, stochastic outcomes with ``Pr(s | alpha, t_C)``, a
reward ``R(s)`` per outcome and beliefs ``B_i`` over the partners' types.

Conventions: coalitions are bitmasks (bit ``i`` is agent ``i``; :mod:`accord._masks`);
types are global integer ids into :attr:`BCFP.type_names`; beliefs are stored as
per-partner categorical marginals, ``beliefs[i, j]`` being agent ``i``'s
distribution over agent ``j``'s type (``beliefs[i, i]`` is a point mass on ``i``'s
own type).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from .._masks import is_member, members, singleton_masks
from .._validate import fail

__all__ = [
    "BCFP",
    "MISINFORMED_SPREAD",
    "Agreement",
    "Task",
    "TypeStatistic",
    "check_beliefs",
    "members",
    "misinformed_prior",
    "uniform_prior",
]

OutcomeModel = Callable[[np.ndarray, np.ndarray], np.ndarray]


@dataclass(frozen=True)
class TypeStatistic:
    """A sufficient statistic of an outcome model: the probabilities depend on the
    members' types only through the sum of per-type ``points``,
    ``Pr(s | alpha, t_C) = by_total(C, sum_{j in C} points[t_j])``.

    The software company (Chalkiadakis & Boutilier 2012, Appendix A, Tables 8-9) is
    one: quality points add up, and the roles are public. Beliefs then enter the
    values (Eq. 2), VPI (Eqs. 11-13) and the update (Eq. 5) only through the
    distribution of the total, which :func:`accord.bayes.subset_sums` gives exactly for
    every coalition at once.

    ``points`` is ``(K,)`` non-negative integers, one per global type;
    ``by_total(members, totals)`` maps the coalition's members ``(m,)`` and a batch of
    totals ``(V,)`` to ``(V, A, O)``. It must agree with the task's ``outcome_probs``
    (checked on sampled type vectors when a valuator first uses it).
    """

    points: np.ndarray
    by_total: OutcomeModel = field(repr=False)

    def __post_init__(self) -> None:
        pts = np.asarray(self.points)
        if pts.ndim != 1 or pts.dtype == np.bool_ or pts.dtype.kind not in "iu":
            fail(
                "TypeStatistic",
                f"points must be a 1-d integer array; got dtype {pts.dtype}, shape {pts.shape}",
            )
        if (pts < 0).any():
            fail("TypeStatistic", f"points must be >= 0; got {pts.tolist()}")
        pts = pts.astype(np.int64)
        pts.flags.writeable = False
        object.__setattr__(self, "points", pts)


@dataclass(frozen=True)
class Task:
    """One stage problem: actions, outcomes, ``R(s)`` and ``Pr(s | alpha, t_C)``.

    ``outcome_probs(members, types)`` receives the coalition's members (sorted agent
    ids, shape ``(m,)``) and a batch of their type vectors (global type ids, shape
    ``(V, m)``) and returns ``Pr(s | alpha, t_C)`` with shape ``(V, A, O)``.
    Rewards must be non-negative: relative demands (Sec. 3.1) divide a realised
    reward among the members in proportion to their demands.

    ``anonymous`` declares that the probabilities depend on a coalition only
    through its members' types, not on which agents they are; coalitions of equal
    size can then be evaluated in one ``outcome_probs`` call (it then receives the
    members of one of them).
    """

    name: str
    actions: tuple[str, ...]
    outcomes: tuple[str, ...]
    rewards: np.ndarray
    outcome_probs: OutcomeModel = field(repr=False)
    anonymous: bool = False
    statistic: TypeStatistic | None = None

    def __post_init__(self) -> None:
        r = np.asarray(self.rewards, dtype=np.float64)
        if r.shape != (len(self.outcomes),):
            fail(
                "Task",
                f"task {self.name!r}: rewards must have one entry per outcome "
                f"({len(self.outcomes)}); got shape {r.shape}",
            )
        if not np.isfinite(r).all():
            fail("Task", f"task {self.name!r}: rewards must be finite; got {r.tolist()}")
        if (r < 0).any():
            fail(
                "Task",
                f"task {self.name!r}: rewards must be >= 0 (relative demands share a "
                f"non-negative reward); got {r.tolist()}",
            )
        if len(self.actions) < 1:
            fail("Task", f"task {self.name!r}: at least one coalitional action is needed")
        object.__setattr__(self, "rewards", r)

    def probabilities(self, members: np.ndarray, types: np.ndarray) -> np.ndarray:
        """``Pr(s | alpha, t_C)`` for a batch of type vectors, checked: ``(V, A, O)``."""
        members = np.asarray(members, dtype=np.int64)
        types = np.asarray(types, dtype=np.int64).reshape(-1, members.size)
        p = np.asarray(self.outcome_probs(members, types), dtype=np.float64)
        return self._checked(p, members, "outcome_probs", "type vectors", types)

    def probabilities_by_total(self, members: np.ndarray, totals: np.ndarray) -> np.ndarray:
        """``Pr(s | alpha, total)`` of the task's :class:`TypeStatistic`, checked:
        ``(V, A, O)`` for totals ``(V,)``."""
        if self.statistic is None:
            fail("Task", f"task {self.name!r} has no type statistic")
        members = np.asarray(members, dtype=np.int64)
        totals = np.asarray(totals, dtype=np.int64).reshape(-1)
        p = np.asarray(self.statistic.by_total(members, totals), dtype=np.float64)
        return self._checked(p, members, "statistic.by_total", "totals", totals[:, None])

    def _checked(
        self, p: np.ndarray, members: np.ndarray, source: str, rows: str, inputs: np.ndarray
    ) -> np.ndarray:
        want = (inputs.shape[0], len(self.actions), len(self.outcomes))
        if p.shape != want:
            fail(
                "Task",
                f"task {self.name!r}: {source} returned shape {p.shape}; "
                f"expected {want} ({rows}, actions, outcomes)",
            )
        if not np.isfinite(p).all() or (p < -1e-12).any():
            fail(
                "Task",
                f"task {self.name!r}: outcome probabilities must be finite and >= 0 "
                f"(coalition {members.tolist()})",
            )
        if np.abs(p.sum(axis=-1) - 1.0).max(initial=0.0) > 1e-9:
            bad = np.argwhere(np.abs(p.sum(axis=-1) - 1.0) > 1e-9)[0]
            fail(
                "Task",
                f"task {self.name!r}: outcome probabilities must sum to 1; coalition "
                f"{members.tolist()} {rows} {inputs[bad[0]].tolist()} action "
                f"{self.actions[bad[1]]!r} sums to {p[bad[0], bad[1]].sum():.6g}",
            )
        return p

    def values(self, members: np.ndarray, types: np.ndarray) -> np.ndarray:
        """``Q(C, alpha | t_C) = sum_s Pr(s | alpha, t_C) R(s)`` (Eq. 1): ``(V, A)``."""
        return self.probabilities(members, types) @ self.rewards


class BCFP:
    """A Bayesian coalition formation problem (Chalkiadakis & Boutilier 2012,
    Definition 2).

    Parameters
    ----------
    type_names : names of all types (global ids ``0..K-1``).
    type_sets : per agent, the global type ids it may have (what others know about
        it: in the software-company setting roles are public, qualities are not).
    true_types : per agent, its actual type (private; used to draw outcomes).
    tasks : the stage problems; ``schedule(stage) -> task index`` chooses one per
        stage (default: always task 0, the static setting of Sec. 6.1).
    """

    def __init__(
        self,
        type_names: Sequence[str],
        type_sets: Sequence[Iterable[int]],
        true_types: Sequence[int],
        tasks: Sequence[Task],
        schedule: Callable[[int], int] | None = None,
        agent_names: Sequence[str] | None = None,
        name: str = "",
    ) -> None:
        self.name = name
        self.type_names = tuple(type_names)
        k = len(self.type_names)
        self.type_sets = tuple(
            np.asarray(sorted(set(map(int, ts))), dtype=np.int64) for ts in type_sets
        )
        self.n_agents = n = len(self.type_sets)
        if n < 1 or n > 20:
            fail(
                "BCFP",
                f"between 1 and 20 agents are supported (coalitions are "
                f"bitmasks over 2**n subsets); got {n}",
            )
        for i, ts in enumerate(self.type_sets):
            if ts.size == 0 or ts.min() < 0 or ts.max() >= k:
                fail("BCFP", f"type_sets[{i}] must be non-empty ids in [0, {k}); got {ts.tolist()}")
        self.true_types = np.asarray(true_types, dtype=np.int64)
        if self.true_types.shape != (n,):
            fail(
                "BCFP",
                f"true_types must have one entry per agent ({n}); "
                f"got shape {self.true_types.shape}",
            )
        for i, t in enumerate(self.true_types):
            if t not in self.type_sets[i]:
                fail(
                    "BCFP",
                    f"true type {t} of agent {i} is not in its type set "
                    f"{self.type_sets[i].tolist()}",
                )
        self.tasks = tuple(tasks)
        if not self.tasks:
            fail("BCFP", "at least one task is needed")
        a0 = self.tasks[0]
        for t in self.tasks[1:]:
            if len(t.actions) != len(a0.actions) or len(t.outcomes) != len(a0.outcomes):
                fail(
                    "BCFP",
                    f"every task must have the same numbers of actions and "
                    f"outcomes; task {t.name!r} differs from {a0.name!r}",
                )
        for t in self.tasks:
            if t.statistic is not None and t.statistic.points.size != k:
                fail(
                    "BCFP",
                    f"task {t.name!r}: its statistic must give points for each of the {k} "
                    f"types; got {t.statistic.points.size}",
                )
        self._schedule = schedule
        self.agent_names = (
            tuple(agent_names) if agent_names is not None else tuple(f"agent {i}" for i in range(n))
        )
        self.k_max = max(ts.size for ts in self.type_sets)

    @property
    def n_types(self) -> int:
        return len(self.type_names)

    @property
    def n_actions(self) -> int:
        return len(self.tasks[0].actions)

    @property
    def n_outcomes(self) -> int:
        return len(self.tasks[0].outcomes)

    def task_index(self, stage: int) -> int:
        if self._schedule is None:
            return 0
        j = int(self._schedule(stage))
        if not 0 <= j < len(self.tasks):
            fail("BCFP.task_index", f"schedule({stage}) = {j} is not a task index of {self.name!r}")
        return j

    def task(self, stage: int) -> Task:
        return self.tasks[self.task_index(stage)]

    def __repr__(self) -> str:
        return (
            f"BCFP({self.name!r}, agents={self.n_agents}, types={self.n_types}, "
            f"tasks={[t.name for t in self.tasks]})"
        )


# ---- priors ----------------------------------------------------------------------


def uniform_prior(problem: BCFP) -> np.ndarray:
    """Every agent believes each partner's type uniform over its type set.

    Returns probabilities ``(n, n, K)``; row ``[i, i]`` is ``i``'s own type.
    """
    n, k = problem.n_agents, problem.n_types
    b = np.zeros((n, n, k))
    for j, ts in enumerate(problem.type_sets):
        b[:, j, ts] = 1.0 / ts.size
    b[np.arange(n), np.arange(n)] = 0.0
    b[np.arange(n), np.arange(n), problem.true_types] = 1.0
    return b


#: How a misinformed prior spreads its mass on wrong types (Sec. 6.1 does not say):
#: evenly over the partner's other types, or all of it on the type furthest from the
#: true one in its type set's order (for quality-ordered sets, the opposite extreme).
MISINFORMED_SPREAD = ("even", "opposite")


def misinformed_prior(problem: BCFP, wrong: float = 0.7, spread: str = "even") -> np.ndarray:
    """Each partner is believed to have a type other than its true one w.p. ``wrong``.

    Chalkiadakis & Boutilier (2012), Sec. 6.1: "agents believe with probability 0.7
    that each of its opponents has a type different than its actual". ``spread``
    (:data:`MISINFORMED_SPREAD`) places that mass: ``"even"`` over the other types of
    the partner's set (with four types the true one, at 0.3, stays the most probable;
    with three it does not), or ``"opposite"``: all on the type furthest from the true
    one in the set's order.
    """
    if not 0.0 <= wrong <= 1.0:
        fail("misinformed_prior", f"wrong must be in [0, 1]; got {wrong}")
    if spread not in MISINFORMED_SPREAD:
        fail(
            "misinformed_prior",
            f"spread must be one of {', '.join(MISINFORMED_SPREAD)}; got {spread!r}",
        )
    b = uniform_prior(problem)
    n = problem.n_agents
    for j, ts in enumerate(problem.type_sets):
        if ts.size == 1:
            continue
        col = np.zeros(problem.n_types)
        true = problem.true_types[j]
        if spread == "even":
            col[ts] = wrong / (ts.size - 1)
        else:
            pos = int(np.flatnonzero(ts == true)[0])
            far = 0 if pos >= ts.size - 1 - pos else ts.size - 1
            col[ts[far]] = wrong
        col[true] = 1.0 - wrong
        for i in range(n):
            if i != j:
                b[i, j] = col
    return b


def check_beliefs(
    problem: BCFP, beliefs: np.ndarray, name: str = "prior", func: str = "check_beliefs"
) -> np.ndarray:
    """Validate a ``(n, n, K)`` belief array: probabilities summing to 1 per partner,
    supported on each partner's type set, own type known.  Errors name ``func``."""
    b = np.asarray(beliefs, dtype=np.float64)
    n, k = problem.n_agents, problem.n_types
    if b.shape != (n, n, k):
        fail(func, f"{name} must have shape (agents, agents, types) = {(n, n, k)}; got {b.shape}")
    if not np.isfinite(b).all() or (b < 0).any():
        fail(func, f"{name} must hold finite probabilities >= 0")
    sums = b.sum(axis=-1)
    bad = np.argwhere(np.abs(sums - 1.0) > 1e-9)
    if bad.size:
        i, j = bad[0]
        fail(
            func,
            f"{name}[{i}, {j}] (agent {i}'s belief about agent {j}) sums to "
            f"{sums[i, j]:.6g}; probabilities must sum to 1 -- normalise it",
        )
    for j, ts in enumerate(problem.type_sets):
        outside = np.ones(k, dtype=bool)
        outside[ts] = False
        if (b[:, j, outside] > 0).any():
            fail(
                func,
                f"{name}: some agent puts probability on a type agent {j} cannot have "
                f"(its type set is {ts.tolist()})",
            )
    own = b[np.arange(n), np.arange(n), problem.true_types]
    if not np.allclose(own, 1.0):
        fail(func, f"{name}[i, i] must be a point mass on agent i's true type")
    return b


# ---- agreements ------------------------------------------------------------------


@dataclass
class Agreement:
    """A coalition agreement vector ``<CS, d, alpha>`` (Sec. 3.1).

    ``coalition[i]`` is the bitmask of the coalition agent ``i`` belongs to,
    ``action[i]`` that coalition's action, ``demand[i] >= 0`` its demand; the
    relative demand is ``r_i = d_i / sum_{j in C_i} d_j`` (equal split when the
    demands of a coalition are all zero).
    """

    coalition: np.ndarray
    action: np.ndarray
    demand: np.ndarray
    _share: np.ndarray | None = field(default=None, repr=False, compare=False)

    @classmethod
    def singletons(cls, n: int, actions: Sequence[int] | None = None) -> Agreement:
        act = np.zeros(n, dtype=np.int64) if actions is None else np.asarray(actions, np.int64)
        return cls(singleton_masks(n), act.copy(), np.ones(n))

    def copy(self) -> Agreement:
        return Agreement(self.coalition.copy(), self.action.copy(), self.demand.copy())

    def key(self) -> bytes:
        """A hashable key equal for equal agreements (coalitions, actions, demands)."""
        return self.coalition.tobytes() + self.action.tobytes() + self.demand.tobytes()

    def structure(self) -> list[int]:
        """The coalition structure as sorted masks."""
        return sorted(set(int(c) for c in self.coalition))

    def share(self) -> np.ndarray:
        """Relative demands ``r`` (n,), read-only (computed once: an agreement's arrays
        are not changed after it is made; :meth:`form` makes a new one)."""
        if self._share is None:
            r = relative_demands(self.coalition[None], self.demand[None])[0]
            r.flags.writeable = False
            self._share = r
        return self._share

    def believed_payoffs(self, values: np.ndarray) -> np.ndarray:
        """``pbar[..., j] = r_j values[..., C_j, alpha_j]``: what a holder of coalition
        values ``values`` (shape ``(..., 2**n, A)``) believes each agent ``j`` gets in
        this agreement (Sec. 3.1).  For the views of all agents, ``(n, 2**n, A)``,
        ``pbar[i, j]`` is agent ``i``'s belief about agent ``j``: shape ``(n, n)``."""
        c = np.asarray(self.coalition, dtype=np.int64)
        a = np.asarray(self.action, dtype=np.int64)
        return np.ascontiguousarray(self.share() * values[..., c, a])

    def validate(self) -> None:
        n = self.coalition.size
        for i in range(n):
            c = int(self.coalition[i])
            if not is_member(c, i):
                fail("Agreement", f"agent {i} is not in its own coalition {c:#x}")
            for j in members(c):
                if self.coalition[j] != c or self.action[j] != self.action[i]:
                    fail("Agreement", f"agents {i} and {j} disagree on coalition {c:#x}")
        if (self.demand < 0).any() or not np.isfinite(self.demand).all():
            fail("Agreement", "demands must be finite and >= 0")

    def form(
        self, mask: int, action: int, demands: np.ndarray, rechoose: Callable[[int], int]
    ) -> Agreement:
        """The agreement after coalition ``mask`` forms with ``action`` and ``demands``
        (one entry per agent; only the members' are used): :func:`form_many` for one
        coalition."""
        d = np.asarray(demands, dtype=np.float64)[None]
        c, a, dem = form_many(self, np.array([mask]), np.array([action]), d, rechoose)
        return Agreement(c[0], a[0], dem[0])


def member_bits(masks: np.ndarray, n: int) -> np.ndarray:
    """``(..., n)`` booleans: agent ``j`` is in ``masks[...]``."""
    return ((np.asarray(masks, dtype=np.int64)[..., None] >> np.arange(n)) & 1).astype(bool)


def relative_demands(coalition: np.ndarray, demand: np.ndarray) -> np.ndarray:
    """Relative demands ``r_i = d_i / sum_{j in C_i} d_j`` (Sec. 3.1; an equal split
    where a coalition's demands are all zero) of agreements given as ``(D, n)`` arrays."""
    coalition = np.asarray(coalition, dtype=np.int64)
    same = coalition[:, :, None] == coalition[:, None, :]  # (D, n, n): j is in i's coalition
    total = (same * demand[:, None, :]).sum(axis=2)
    size = same.sum(axis=2)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(total > 0, demand / np.where(total > 0, total, 1.0), 1.0 / size)


def form_many(
    agreement: Agreement,
    masks: np.ndarray,
    actions: np.ndarray,
    demands: np.ndarray,
    rechoose: Callable[[int], int],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Coalition ``masks[d]`` forms from ``agreement`` with ``actions[d]`` and its
    members' entries of ``demands[d]``, for each row ``d``: ``(coalition, action,
    demand)`` arrays ``(D, n)``.  Agents left behind by the members stay together with
    their demands (so their relative demands renormalise) and re-choose their action
    with ``rechoose(remaining_mask)``."""
    masks = np.asarray(masks, dtype=np.int64)
    c0 = np.asarray(agreement.coalition, dtype=np.int64)
    n = c0.size
    inside = member_bits(masks, n)  # (D, n)
    rest = c0[None, :] & ~masks[:, None]
    hit = ((c0[None, :] & masks[:, None]) != 0) & ~inside
    coalition = np.where(inside, masks[:, None], np.where(hit, rest, c0[None, :]))
    action = np.where(inside, np.asarray(actions, dtype=np.int64)[:, None], agreement.action)
    chosen: dict[int, int] = {}
    for d, k in zip(*np.nonzero(hit), strict=True):
        r = int(rest[d, k])
        if r not in chosen:
            chosen[r] = rechoose(r)
        action[d, k] = chosen[r]
    demand = np.where(inside, np.asarray(demands, dtype=np.float64), agreement.demand[None, :])
    return coalition, action, demand
