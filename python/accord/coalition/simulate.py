"""Repeated coalition formation under type uncertainty (Chalkiadakis & Boutilier 2012,
Fig. 1).

Each stage: every agent values agreements with its learning method (values from
:mod:`accord.bayes` in batch), the agents negotiate (BRE with ``rounds`` rounds:
50 for full negotiation, 1 for one-step proposals; or KST), each coalition
executes its action, observes its own outcome, and its members update their
beliefs about their partners (Eq. 5).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import bayes
from .._masks import members, singleton_masks
from .._validate import fail
from .bre import draw_rounds, negotiate
from .core import strong_core_blocking, strong_core_configuration
from .estimators import (
    MAP_TIES,
    METHODS,
    Lookahead,
    StageValues,
    Valuation,
    check_magnitudes,
)
from .joint import BELIEFS, JointBeliefs
from .kst import kst_round
from .model import BCFP, Agreement, check_beliefs
from .valuation import Valuator, log_of, posteriors, write_back

NEGOTIATION = {"fn": 50, "osp": 1}
FORMATION = ("bre", "kst", "core")
#: Which values the Bayesian-core check of each stage (Table 4) uses: the agents'
#: expected values (Eq. 2) or the coalition values their method acts on (MAP's
#: most-probable-type values, the true ones for informed agents; the same as
#: "expected" for Myopic, VPI and OSLA, whose extra terms are not coalition values).
CORE_VALUES = ("expected", "acted")


@dataclass
class RunResult:
    rewards: np.ndarray  # (stages,) total reward of all coalitions
    #: (stages,) final agreement in the strong Bayesian core; None when not checked
    in_core: np.ndarray | None
    coalitions: np.ndarray  # (stages,) number of coalitions formed
    belief_error: np.ndarray  # (stages,) mean total-variation distance to true types
    #: (n, n) after the last stage: D(x, y) = 1 - B_x(t_y = true type of y)
    #: (Chalkiadakis & Boutilier 2012, Sec. 6.1); 0 on the diagonal
    distance: np.ndarray | None = None

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in ("rewards", "in_core", "coalitions", "belief_error")}


def epsilon_at(stage: int, stages: int, epsilon: float, epsilon_final: float | None) -> float:
    """The experimentation probability of BRE at ``stage``: ``epsilon`` throughout, or
    moving linearly from ``epsilon`` (first stage) to ``epsilon_final`` (last)."""
    if epsilon_final is None or stages <= 1:
        return epsilon
    return epsilon + (epsilon_final - epsilon) * stage / (stages - 1)


def _check(method, formation, rounds, stages, gamma, epsilon) -> None:
    if method not in METHODS:
        fail("simulate", f"method must be one of {', '.join(METHODS)}; got {method!r}")
    if formation not in FORMATION:
        fail("simulate", f"formation must be one of {', '.join(FORMATION)}; got {formation!r}")
    if formation in ("kst", "core") and method not in ("myopic", "informed"):
        fail(
            "simulate",
            f"{formation!r} formation values coalitions myopically; use "
            "method='myopic' or 'informed'",
        )
    if not (isinstance(rounds, int) and rounds >= 1):
        fail("simulate", f"rounds must be an integer >= 1; got {rounds!r}")
    if not (isinstance(stages, int) and stages >= 1):
        fail("simulate", f"stages must be an integer >= 1; got {stages!r}")
    if not 0.0 <= gamma < 1.0:
        fail("simulate", f"gamma must be in [0, 1); got {gamma}")
    if not 0.0 <= epsilon <= 1.0:
        fail("simulate", f"epsilon must be in [0, 1]; got {epsilon}")


def simulate(
    problem: BCFP,
    method: str,
    prior: np.ndarray,
    *,
    stages: int = 500,
    rounds: int = 50,
    gamma: float = 0.985,
    epsilon: float = 0.05,
    switch: int = 50,
    known_schedule: bool = True,
    formation: str = "bre",
    learning: bool = True,
    compromise: float = 0.8,
    core_check: bool | None = None,
    enumerate_limit: int = 1000,
    samples: int = 100,
    map_ties: str = "first",
    statistics: bool = True,
    epsilon_final: float | None = None,
    restart: bool = False,
    core_values: str = "expected",
    kst_status_quo: bool = False,
    beliefs: str = "marginal",
    seed: int = 0,
) -> RunResult:
    """Run one repeated coalition formation experiment (Chalkiadakis & Boutilier 2012,
    Sec. 6).

    ``method`` is one of :data:`METHODS`; ``prior`` is ``(n, n, K)`` probabilities
    (see :func:`~accord.coalition.uniform_prior`). ``learning=False`` freezes beliefs
    (KST without learning). ``core_check`` (default: ``n <= 6``) records whether each
    stage's final agreement is in the strong Bayesian core (Table 4). ``map_ties``
    (:data:`~accord.coalition.estimators.MAP_TIES`) is how MAP breaks ties between
    equally probable types. ``statistics`` values tasks that declare a
    :class:`~accord.coalition.model.TypeStatistic` exactly through it at any number of
    agents (false: per type vector, sampled above ``enumerate_limit`` as in the
    paper). VPI-over-OSLA's successor rule reveals type vectors, so its stage values
    (Eqs. 11-15) always go per type vector; its lookahead and every belief update
    still use the statistic.

    Negotiation: ``formation`` is ``"bre"`` (best reply with experimentation,
    ``rounds`` rounds per stage), ``"kst"`` (Kraus, Shehory & Taase's compromise
    rule) or ``"core"``: the agents are placed once, before the first stage, in a
    configuration of the strong Bayesian core of their initial beliefs
    (:func:`~accord.coalition.core.strong_core_configuration`) and keep it throughout
    -- the "BC-stable configuration" of Fig. 2, with no renegotiation (n <= 6).
    ``epsilon_final`` makes BRE's experimentation probability move linearly from
    ``epsilon`` to it over the run (default: constant). ``restart`` starts each
    stage's negotiation from singletons instead of the previous stage's agreement.
    ``kst_status_quo`` adds to KST's compromise the test that partners do not
    accept less than they get now (:func:`~accord.coalition.kst.kst_round`).
    ``core_values`` (:data:`CORE_VALUES`)
    chooses the values of the per-stage Bayesian-core check. ``beliefs``
    (:data:`~accord.coalition.joint.BELIEFS`) is ``"marginal"`` (Eq. 5's posterior
    projected to per-partner marginals, as in the paper) or ``"joint"``: each agent
    keeps the exact joint over its partners' type vectors
    (:class:`~accord.coalition.joint.JointBeliefs`; Myopic, MAP, VPI and informed
    agents, with any formation).
    """
    _check(method, formation, rounds, stages, gamma, epsilon)
    if epsilon_final is not None and not 0.0 <= epsilon_final <= 1.0:
        fail("simulate", f"epsilon_final must be in [0, 1] (or None); got {epsilon_final}")
    if core_values not in CORE_VALUES:
        fail(
            "simulate",
            f"core_values must be one of {', '.join(CORE_VALUES)}; got {core_values!r}",
        )
    if beliefs not in BELIEFS:
        fail("simulate", f"beliefs must be one of {', '.join(BELIEFS)}; got {beliefs!r}")
    if beliefs == "joint" and method in ("osla", "vpi-osla"):
        fail(
            "simulate",
            f"beliefs='joint' is not available to {method!r}: its lookahead values "
            "successor beliefs held as marginals; use beliefs='marginal'",
        )
    if map_ties not in MAP_TIES:
        fail("simulate", f"map_ties must be one of {', '.join(MAP_TIES)}; got {map_ties!r}")
    n = problem.n_agents
    for tk in problem.tasks:  # every coalition value is an expectation of these
        check_magnitudes("simulate", n, rewards=tk.rewards)
    prior = check_beliefs(problem, prior, "prior", "simulate")
    if method == "informed":
        prior = np.zeros_like(prior)
        prior[:, np.arange(n), problem.true_types] = 1.0
        learning = False
    if core_check is None:
        core_check = n <= 6
    rng = np.random.default_rng(seed)
    valuator = Valuator(
        problem, enumerate_limit=enumerate_limit, samples=samples, statistics=statistics
    )
    log_b = log_of(prior)
    joint = JointBeliefs(problem, valuator, log_b) if beliefs == "joint" else None
    truth = np.zeros(prior.shape[1:])
    truth[np.arange(n), problem.true_types] = 1.0

    out = RunResult(
        np.zeros(stages),
        np.zeros(stages, bool) if core_check else None,
        np.zeros(stages, np.int64),
        np.zeros(stages),
    )
    prior_values = None
    agreement: Agreement | None = None
    for t in range(stages):
        task = problem.task_index(t)
        kseed = int(rng.integers(2**62))
        sv = StageValues(problem, valuator, log_b, task, kseed, method, map_ties, joint)
        if agreement is None or (restart and formation != "core"):
            single = sv.base[np.arange(n), singleton_masks(n)].argmax(axis=1)
            agreement = Agreement.singletons(n, single)
        lookahead = None
        if method in ("osla", "vpi-osla"):
            if prior_values is None:
                prior_values = sv.expected.copy()
            nxt = problem.task_index(t + 1) if known_schedule else task
            lookahead = Lookahead(
                problem, valuator, sv, log_b, prior_values, agreement, nxt, t < switch, kseed
            )
        revealed = method == "vpi-osla"
        val = Valuation(method, sv, agreement, lookahead, gamma, revealed)
        eps = epsilon_at(t, stages, epsilon, epsilon_final)
        if formation == "core":
            if t == 0:
                found = strong_core_configuration(sv.expected)
                if found is None:
                    fail(
                        "simulate",
                        "the strong Bayesian core of the agents' initial beliefs is empty; "
                        "formation='core' needs a core configuration",
                    )
                agreement = found
        elif formation == "bre":
            agreement = negotiate(val, agreement, *draw_rounds(rng, n, rounds), eps)
        else:
            for proposer in rng.integers(n, size=rounds):
                agreement = kst_round(
                    val.base,
                    agreement,
                    int(proposer),
                    compromise=compromise,
                    status_quo=kst_status_quo,
                )
        if out.in_core is not None:
            q = sv.expected if core_values == "expected" else sv.base
            out.in_core[t] = strong_core_blocking(q, agreement) is None
        structure = agreement.structure()
        out.coalitions[t] = len(structure)
        requests = []
        tk = problem.tasks[task]
        for c in structure:
            mem = members(c)
            a = int(agreement.action[mem[0]])
            p = tk.probabilities(mem, problem.true_types[mem][None])[0, a]
            s = int(rng.choice(p.size, p=p))
            out.rewards[t] += tk.rewards[s]
            if learning and mem.size > 1:
                requests += [(int(i), int(i), c, a, s) for i in mem]
        if requests:
            try:
                log_b = _learn(valuator, joint, task, log_b, requests, kseed + 1)
            except bayes.ZeroLikelihoodError as e:
                i, _, c, a, s = requests[getattr(e, "requests", [0])[0]]
                fail(
                    "simulate",
                    f"stage {t}: agent {i} ({problem.agent_names[i]}) observed "
                    f"outcome {tk.outcomes[s]!r} of action {tk.actions[a]!r} in coalition "
                    f"{members(c).tolist()}, which has zero probability under its "
                    f"beliefs; give every possible type positive prior probability",
                )
        bel = np.exp(log_b)
        off = ~np.eye(n, dtype=bool)
        out.belief_error[t] = 0.5 * np.abs(bel - truth[None]).sum(-1)[off].mean()
    out.distance = 1.0 - np.exp(log_b[:, np.arange(n), problem.true_types])
    return out


def _learn(valuator, joint, task, log_b, requests, seed) -> np.ndarray:
    """The agents' beliefs after this stage's observations ``requests`` = [(agent,
    agent, mask, action, outcome)] (Eq. 5): the joint's marginals, or ``log_b`` with
    each row's posterior written back."""
    if joint is not None:
        joint.update(task, [(i, c, a, s) for i, _, c, a, s in requests])
        return joint.log_marginals()
    post = posteriors(valuator, task, log_b, requests, seed)
    for (i, _, c, _, _), lp in zip(requests, post, strict=True):
        write_back(log_b[i], valuator.row(task, i, c), lp)
    return log_b
