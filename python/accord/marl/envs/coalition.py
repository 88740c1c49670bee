"""``coalition-formation``: repeated coalition formation among agents of unknown types,
on the Bayesian coalition formation problems of :mod:`accord.coalition` (Chalkiadakis
& Boutilier 2012, "Sequentially optimal repeated coalition formation under
uncertainty", JAAMAS 24(3)).

Every stage each agent proposes a coalition that contains it and the coalitional
action it should take; a coalition forms when all its members propose it with the
same action (unanimity, the exclusive-membership "gamma" game of Hart & Kurz 1983).
An agent whose proposal is not unanimous works alone with the action it proposed.
Every formed coalition ``C`` then executes its action ``alpha``: its outcome ``s`` is
drawn from the problem's ``Pr(s | alpha, t_C)`` with the members' true types, and its
members share the reward ``R(s)`` equally (the relative demands ``r_i = 1 / |C|`` of an
agreement with equal demands, Sec. 3.1).  With ``payoff="expected"`` each member gets
``Q(C, alpha | t_C) / |C|`` instead (Eq. 1; :func:`accord.coalition.classic_payoffs`).
The stage's task follows the problem's schedule, stage ``t`` being step ``t`` of the
episode.

Actions: agent ``i``'s action ``p * A + alpha`` proposes action ``alpha`` and the
coalition of ``i`` and the partners given by the bits of ``p`` (``0 <= p <
2**(n-1)``; bit ``b`` of ``p`` stands for the ``b``-th other agent in index order).
Observations: the agent's coalition of the previous stage in the same encoding, its
action and its outcome, ``(p, alpha, s)`` (a Box of int64 from ``(0, 0, 0)`` to
``(2**(n-1) - 1, A - 1, O)``), with ``(0, 0, O)`` (alone, no outcome
yet) at the start of an episode.  Agents learn their partners' types only through
these outcomes.
"""

from __future__ import annotations

import gymnasium
import numpy as np

from ..._validate import check_bytes, choice, fail, integer
from .base import VecEnv
from .registry import register

__all__ = ["PROBLEMS", "CoalitionFormationVecEnv"]

#: Problems by name: the settings of :mod:`accord.coalition.environments`.
PROBLEMS = ("kst", "software-company", "carpenter", "good-bad-ugly")
#: Largest number of agents (proposals are ``2**(n-1) A`` actions).
MAX_AGENTS = 12


def _problem(func: str, problem):
    from ...coalition import (
        BCFP,
        carpenter_example,
        good_bad_ugly,
        kst_setting,
        software_company,
    )

    if isinstance(problem, BCFP):
        return problem
    if not isinstance(problem, str):
        fail(
            func,
            f"problem must be a BCFP or one of {', '.join(map(repr, PROBLEMS))}; got "
            f"{type(problem).__name__}",
            TypeError,
        )
    name = choice(func, "problem", problem, PROBLEMS)
    return {
        "kst": kst_setting,
        "software-company": software_company,
        "carpenter": carpenter_example,
        "good-bad-ugly": good_bad_ugly,
    }[name]()


class CoalitionFormationVecEnv(VecEnv):
    """``n_envs`` copies of repeated coalition formation on a Bayesian coalition formation
    problem (:mod:`accord.marl.envs.coalition`).

    Parameters
    ----------
    n_envs
        Copies ``E``.
    problem
        A :class:`accord.coalition.BCFP` of at most 12 agents, or a name in
        :data:`PROBLEMS`.
    payoff
        ``"sampled"`` (a drawn outcome's reward, shared equally) or ``"expected"``.
    max_steps
        Stages per episode.
    seed, stream_offset
        As :class:`accord.marl.envs.VecEnv`.

    Attributes
    ----------
    problem
    agent_labels
        The problem's names of the agents ``agent_0``, ``agent_1``, ...
    coalitions, coalition_actions, outcomes
        ``(E, n)`` each agent's coalition mask, the coalition's action and its outcome
        on the latest stage (outcome ``O`` before the first).
    """

    def __init__(
        self,
        n_envs: int = 1,
        *,
        problem="kst",
        payoff: str = "sampled",
        max_steps: int = 50,
        seed: int | None = None,
        stream_offset: int = 0,
    ) -> None:
        from ...coalition import coalition_values

        func = "CoalitionFormationVecEnv"
        E = integer(func, "n_envs", n_envs, minimum=1)
        problem = _problem(func, problem)
        self.payoff = choice(func, "payoff", payoff, ("sampled", "expected"))
        max_steps = integer(func, "max_steps", max_steps, minimum=1)
        n, A, n_out = problem.n_agents, problem.n_actions, problem.n_outcomes
        if n > MAX_AGENTS:
            fail(
                func,
                f"problem has {n} agents; at most {MAX_AGENTS} are supported (an agent "
                f"chooses among 2**(n-1) * actions proposals)",
            )
        T = len(problem.tasks)
        check_bytes(
            func,
            8 * T * (1 << n) * A * (n_out + 1) + 8 * E * n * (n + 8),
            f"the outcome tables of {n} agents",
            "a problem with fewer agents",
        )
        self.problem = problem
        self.agent_labels = tuple(problem.agent_names)
        masks = np.arange(1 << n, dtype=np.int64)
        # outcome distributions and expected values of every coalition, per task
        self._probs = np.zeros((T, 1 << n, A, n_out))
        self._values = np.zeros((T, 1 << n, A))
        types = problem.true_types
        for t, task in enumerate(problem.tasks):
            for s in masks[1:].tolist():
                m = np.flatnonzero((s >> np.arange(n)) & 1)
                self._probs[t, s] = task.probabilities(m, types[m][None, :])[0]
            self._values[t] = coalition_values(problem, task=t)
        self._rewards = np.stack([task.rewards for task in problem.tasks])  # (T, O)
        self._size = ((masks[:, None] >> np.arange(n)) & 1).sum(axis=1)
        self._lowest = np.zeros(1 << n, dtype=np.int64)
        self._lowest[1:] = [(s & -s).bit_length() - 1 for s in masks[1:].tolist()]
        self._schedule = np.array([problem.task_index(t) for t in range(max_steps)])
        top = np.array([(1 << (n - 1)) - 1, A - 1, n_out], dtype=np.int64)
        obs = [gymnasium.spaces.Box(0, top, dtype=np.int64) for _ in range(n)]
        act = [gymnasium.spaces.Discrete((1 << (n - 1)) * A) for _ in range(n)]
        super().__init__(
            E,
            [f"agent_{i}" for i in range(n)],
            obs,
            act,
            max_steps=max_steps,
            seed=seed,
            stream_offset=stream_offset,
        )
        self.coalitions = np.broadcast_to(1 << np.arange(n, dtype=np.int64), (E, n)).copy()
        self.coalition_actions = np.zeros((E, n), dtype=np.int64)
        self.outcomes = np.full((E, n), n_out, dtype=np.int64)

    # -- encodings -----------------------------------------------------------------------
    def proposal_masks(self, proposals: np.ndarray) -> np.ndarray:
        """Coalition masks ``(..., n)`` of proposal indices ``p`` ``(..., n)``: agent
        ``i``'s bit inserted into ``p`` at position ``i``."""
        p = np.asarray(proposals, dtype=np.int64)
        i = np.arange(self.num_agents, dtype=np.int64)
        low = p & ((1 << i) - 1)
        return low | (1 << i) | ((p >> i) << (i + 1))

    def proposal_index(self, masks: np.ndarray) -> np.ndarray:
        """The inverse of :meth:`proposal_masks`: ``p`` ``(..., n)`` of coalition masks
        ``(..., n)`` that contain their agent."""
        m = np.asarray(masks, dtype=np.int64)
        i = np.arange(self.num_agents, dtype=np.int64)
        return (m & ((1 << i) - 1)) | ((m >> (i + 1)) << i)

    def agreement(self, copy: int = 0):
        """The coalition structure and actions of copy ``copy``'s latest stage as an
        :class:`accord.coalition.Agreement` with equal demands."""
        from ...coalition import Agreement

        e = integer("CoalitionFormationVecEnv.agreement", "copy", copy, minimum=0)
        if e >= self.n_envs:
            fail("CoalitionFormationVecEnv.agreement", f"copy must be < {self.n_envs}; got {e}")
        n = self.num_agents
        return Agreement(self.coalitions[e].copy(), self.coalition_actions[e].copy(), np.ones(n))

    def formed(self, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The coalitions ``(E', n)`` (masks) and their actions that the joint proposals
        ``actions`` ``(E', n)`` form under unanimity."""
        a = np.asarray(actions, dtype=np.int64)
        A, n = self.problem.n_actions, self.num_agents
        want = self.proposal_masks(a // A)
        alpha = a % A
        member = ((want[..., :, None] >> np.arange(n)) & 1).astype(bool)  # [e, i, j]
        agree = (want[..., None, :] == want[..., :, None]) & (
            alpha[..., None, :] == alpha[..., :, None]
        )
        ok = (agree | ~member).all(axis=-1)
        return np.where(ok, want, 1 << np.arange(n, dtype=np.int64)), alpha

    # -- VecEnv --------------------------------------------------------------------------
    def _reset_copies(self, idx: np.ndarray) -> np.ndarray:
        n, n_out = self.num_agents, self.problem.n_outcomes
        self.coalitions[idx] = 1 << np.arange(n, dtype=np.int64)
        self.coalition_actions[idx] = 0
        self.outcomes[idx] = n_out
        obs = np.zeros((len(idx), n, 3), dtype=np.int64)
        obs[..., 2] = n_out
        return obs

    def _step(self, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        E, n = self.n_envs, self.num_agents
        coal, alpha = self.formed(actions)
        task = self._schedule[np.minimum(self.steps, len(self._schedule) - 1)]  # (E,)
        t = task[:, None]
        u = self._uniforms(n)  # one per coalition, indexed by its lowest member
        lead = self._lowest[coal]
        cdf = np.cumsum(self._probs[t, coal, alpha], axis=-1)
        cdf[..., -1] = np.inf  # rounding can leave the last sum just below 1
        draw = np.take_along_axis(u, lead, axis=1)
        outcome = (cdf <= draw[..., None]).sum(axis=-1)
        size = self._size[coal]
        if self.payoff == "sampled":
            rewards = self._rewards[t, outcome] / size
        else:
            rewards = self._values[t, coal, alpha] / size
        self.coalitions, self.coalition_actions, self.outcomes = coal, alpha, outcome
        obs = np.stack([self.proposal_index(coal), alpha, outcome], axis=-1)
        return obs, rewards, np.zeros(E, dtype=bool)


register("coalition-formation", CoalitionFormationVecEnv)
