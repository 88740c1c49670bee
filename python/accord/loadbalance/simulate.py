"""The auction-based load-balancing simulation, round by round.

Each round:

1. a Poisson number of tasks arrives with mean ``base + amplitude sin(2 pi t / period)``;
2. tasks are auctioned one after another: every server bids (:mod:`.bidding`), the
   lowest bid wins and the second-lowest is recorded as the price (a reverse
   second-price auction, Vickrey (1961)); a winner whose load ratio exceeds
   ``overload_threshold`` splits the task equally with the least-loaded server of
   its coalition whose load ratio is below ``partner_threshold`` (ties: lowest index),
   if there is one; a winning bid above the reserve threshold is flagged "assigned
   above threshold", and the threshold becomes ``reserve_factor`` x the average of
   all winning bids so far (an adaptive reserve threshold);
3. every server's load falls by ``processing_rate`` (not below zero);
4. servers update their sensitivity: ``continuous`` multiplies it by
   ``1 + lr (ratio - target)``; the learning modes observe the discretised load ratio
   ``min(int(10 ratio), 10)``, are rewarded with the reduction of ``|ratio - target|``
   since their previous action, and apply the action chosen (increase: x(1 + lr),
   decrease: x(1 - lr), none);
5. metrics are recorded: loads, sensitivities, reserve, fairness (std of loads) and
   social welfare ``-sum |load_i - capacity_i target_i|``.

The load ratio is capped at ``ratio_cap`` (1.0 by default) everywhere it is used, so
by the bid formula a server past its capacity stops raising its bid; a cheap server
can then absorb load without bound, with the coalition split as the only safety
valve.  ``ratio_cap = inf`` removes the cap.

Choices of this implementation: the reward of a sensitivity action is observed one
round later (the action can only change the next round's bids); in ``"dqn"`` mode one
Q-network shared by all servers picks each bid's step-4 action from (load ratio,
task load / max task load, sensitivity / max sensitivity, risk aversion), is rewarded
with the change of ``|ratio - target|`` that the auction caused, and sensitivity
follows the continuous rule.

Two auction paths give identical results: ``"kernel"`` (C++, one call per round) and
``"numpy"`` (the bids of all servers as one array operation per task).  The DQN mode
always runs the NumPy path, since its network acts between one task's auction and the
next.  The tests check both paths against a per-task Python loop over servers.

The ledger (``ledger=``) is kept in this process, not at all, or by a *ledger sink*
(:mod:`.ledger_sink`), e.g. one that replicates every round's record through the
coordination service.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np

from .._backend import cpu_kernels
from .._validate import choice, fail, integer
from .bidding import action_multipliers
from .game import coalition_shapley
from .ledger_sink import LedgerSink, ledger_choice
from .model import LoadBalanceConfig, Servers, Tasks

if TYPE_CHECKING:
    from ..consensus.ledger import Ledger, LedgerCheck
    from ..learn.bandits import UCB1, EpsilonGreedy, ThompsonSampling
    from ..learn.dqn import DQNAgent
    from ..learn.qlearning import QLearning

__all__ = ["AUCTION_PATHS", "LoadBalancer", "RoundRecord", "SimulationResult", "simulate"]

AUCTION_PATHS = ("kernel", "numpy")
_DISCRETE = ("q-learning", "bandit", "ucb1", "thompson")
_N_STATES = 11  # min(int(10 * ratio), 10) for ratio in [0, 1]
LOG_FIELDS = ("round", "load", "sla", "winner", "partner", "bid", "price", "above", "reserve")


@dataclass
class RoundRecord:
    """The auctions of one round, one entry per task (``partner`` is -1 without a split)."""

    round: int
    tasks: Tasks
    winner: np.ndarray
    partner: np.ndarray
    bid: np.ndarray
    price: np.ndarray
    above: np.ndarray
    reserve: np.ndarray  # the threshold each winning bid was compared with

    def ledger_record(self, reserve_after: float) -> dict:
        """The JSON record of this round in the auction ledger."""
        t = self.tasks
        return {
            "round": self.round,
            "reserve": reserve_after,
            "auctions": [
                list(row)
                for row in zip(
                    t.load.tolist(),
                    t.sla.tolist(),
                    self.winner.tolist(),
                    self.partner.tolist(),
                    self.bid.tolist(),
                    self.price.tolist(),
                    self.above.tolist(),
                    strict=True,
                )
            ],
        }


@dataclass
class SimulationResult:
    """Per-round metrics (arrays with one row per round) and the auction log.

    ``log`` is columnar: one entry per auction for each of :data:`LOG_FIELDS`.
    ``shapley[k]`` holds every server's Shapley value in its coalition's spare-capacity
    game at the end of round ``shapley_rounds[k]``.
    """

    config: LoadBalanceConfig
    capacity: np.ndarray
    coalition: np.ndarray
    loads: np.ndarray
    sensitivity: np.ndarray
    reserve: np.ndarray
    fairness: np.ndarray
    welfare: np.ndarray
    tasks: np.ndarray
    splits: np.ndarray
    above: np.ndarray
    log: dict[str, np.ndarray]
    shapley_rounds: np.ndarray
    shapley: np.ndarray
    ledger: Ledger | None
    elapsed_s: float
    auction: str
    #: the sink that kept the ledger instead of :attr:`ledger` (``ledger=<sink>``)
    ledger_sink: LedgerSink | None = None

    @property
    def rounds_per_second(self) -> float:
        return len(self.welfare) / self.elapsed_s if self.elapsed_s > 0 else float("inf")

    @property
    def auctions_per_second(self) -> float:
        n = int(self.tasks.sum())
        return n / self.elapsed_s if self.elapsed_s > 0 else float("inf")

    def summary(self, tail: float = 0.5) -> dict[str, float]:
        """Scalars over the last ``tail`` fraction of rounds (and totals)."""
        r = len(self.welfare)
        s = slice(max(0, r - max(1, int(round(r * tail)))), r)
        n_auctions = int(self.tasks.sum())
        return {
            "welfare": float(self.welfare[s].mean()),
            "fairness": float(self.fairness[s].mean()),
            "reserve": float(self.reserve[-1]),
            "mean_load_ratio": float((self.loads[s] / self.capacity).mean()),
            "split_rate": float(self.splits.sum() / max(n_auctions, 1)),
            "above_rate": float(self.above.sum() / max(n_auctions, 1)),
            "auctions": float(n_auctions),
            "rounds_per_second": self.rounds_per_second,
        }

    def verify_ledger(self) -> LedgerCheck:
        """Check the ledger's hash chain and that it records exactly this auction log;
        return the chain's :class:`accord.consensus.LedgerCheck` (length and head).

        With a ledger sink the entries are the ones its ``fetch()`` reads back, checked
        against the head it trusts (``check.trusted_head``).  Raises
        :class:`accord.consensus.LedgerError` naming the first bad entry.
        """
        from ..consensus.ledger import LedgerError, verify_ledger

        if self.ledger is not None:
            entries = list(self.ledger)
            check = self.ledger.verify()
        elif self.ledger_sink is not None:
            fetched, head = self.ledger_sink.fetch()
            entries = list(fetched)
            check = verify_ledger(entries, head=head)
        else:
            fail("SimulationResult.verify_ledger", "this run kept no ledger (ledger=false)")
        if len(entries) != len(self.welfare):
            raise LedgerError(
                min(len(entries), len(self.welfare)),
                f"the ledger has {len(entries)} rounds, the run {len(self.welfare)}",
            )
        bounds = np.concatenate([[0], np.cumsum(self.tasks)])
        for t, entry in enumerate(entries):
            a, b = int(bounds[t]), int(bounds[t + 1])
            rec = RoundRecord(
                t,
                Tasks(self.log["load"][a:b], self.log["sla"][a:b], np.ones(b - a), np.zeros(b - a)),
                self.log["winner"][a:b],
                self.log["partner"][a:b],
                self.log["bid"][a:b],
                self.log["price"][a:b],
                self.log["above"][a:b],
                self.log["reserve"][a:b],
            )
            if entry.record != rec.ledger_record(float(self.reserve[t])):
                raise LedgerError(t, "the entry does not match the auction log of its round")
        return check


@dataclass
class _Learner:
    """Sensitivity learning of the discrete modes, vectorised over servers."""

    #: Q-learning over load-ratio states, or a stateless bandit.
    agent: QLearning | EpsilonGreedy | UCB1 | ThompsonSampling
    prev_state: np.ndarray | None = None
    prev_action: np.ndarray | None = None
    prev_dev: np.ndarray | None = None


@dataclass
class _History:
    loads: list = field(default_factory=list)
    sensitivity: list = field(default_factory=list)
    reserve: list = field(default_factory=list)
    records: list = field(default_factory=list)
    shapley_rounds: list = field(default_factory=list)
    shapley: list = field(default_factory=list)


class LoadBalancer:
    """A running simulation: call :meth:`step` per round or :meth:`run` for all rounds.

    ``servers`` overrides the random servers of ``config`` (their coalition ids are used
    as given); ``auction`` picks the auction path (:data:`AUCTION_PATHS`; ``"kernel"``
    falls back to ``"numpy"`` in ``"dqn"`` mode, whose step-4 actions need the network
    between auctions).  ``ledger`` overrides ``config.ledger``: ``True``, ``False`` or a
    ledger sink (:class:`~accord.loadbalance.LedgerSink`), which gets every round's
    record; :meth:`close` closes it.
    """

    def __init__(
        self,
        config: LoadBalanceConfig | None = None,
        *,
        servers: Servers | None = None,
        seed: int | np.random.SeedSequence | None = None,
        auction: str = "kernel",
        ledger: bool | LedgerSink | None = None,
    ) -> None:
        self._setup("LoadBalancer", config, servers, seed, auction, ledger)

    def _setup(self, func: str, config, servers, seed, auction, ledger=None) -> None:
        """``__init__``, with argument errors named after ``func``, the public function
        the user called (``simulate``)."""
        if config is None:
            config = LoadBalanceConfig()
        if not isinstance(config, LoadBalanceConfig):
            fail(
                func,
                f"config must be a LoadBalanceConfig; got {type(config).__name__}",
                TypeError,
            )
        choice(func, "auction", auction, AUCTION_PATHS)
        keep = config.ledger if ledger is None else ledger_choice(func, ledger)
        if (keep is not False) != config.ledger:  # the argument wins, and the config says so
            config = replace(config, ledger=keep is not False)
        if isinstance(seed, np.random.SeedSequence):
            ss = seed
        elif seed is None:
            ss = np.random.SeedSequence()
        else:
            ss = np.random.SeedSequence(integer(func, "seed", seed, minimum=0))
        s_servers, s_tasks, s_noise, s_learn, s_shap = ss.spawn(5)
        self.config = config
        if servers is None:
            servers = Servers.random(config, np.random.default_rng(s_servers))
        elif not isinstance(servers, Servers):
            fail(
                func,
                f"servers must be a Servers instance; got {type(servers).__name__}",
                TypeError,
            )
        else:
            servers = servers.copy()
        self.servers = servers
        if auction == "kernel" and config.mode == "dqn":
            auction = "numpy"
        self.auction = auction
        self._rng_tasks = np.random.default_rng(s_tasks)
        self._rng_noise = np.random.default_rng(s_noise)
        self._shapley_seed = int(s_shap.generate_state(1, dtype=np.uint32)[0])
        self.round = 0
        self.reserve = float(config.initial_reserve)
        self._win_sum = 0.0
        self._win_count = 0
        self._mult = action_multipliers(config.learning_rate)
        self._learner = self._make_learner(np.random.default_rng(s_learn))
        self._dqn = self._make_dqn(s_learn) if config.mode == "dqn" else None
        self._history = _History()
        self._ledger: Ledger | None = None
        self._sink: LedgerSink | None = None
        if keep is True:
            from ..consensus.ledger import Ledger

            self._ledger = Ledger()
        elif keep is not False:
            self._sink = keep

    # ------------------------------------------------------------------ learners

    def _make_learner(self, rng: np.random.Generator) -> _Learner | None:
        c, n, mode = self.config, self.servers.n, self.config.mode
        if mode not in _DISCRETE:
            return None
        from ..learn.bandits import UCB1, EpsilonGreedy, ThompsonSampling
        from ..learn.qlearning import QLearning

        if mode == "q-learning":
            return _Learner(
                QLearning(
                    n, _N_STATES, 3, alpha=c.alpha, gamma=c.gamma, epsilon=c.epsilon, seed=rng
                )
            )
        if mode == "bandit":
            return _Learner(EpsilonGreedy(n, 3, epsilon=c.epsilon, seed=rng))
        if mode == "ucb1":
            return _Learner(UCB1(n, 3, c=c.ucb_c, seed=rng))
        return _Learner(ThompsonSampling(n, 3, prior="gaussian", seed=rng))

    def _make_dqn(self, ss: np.random.SeedSequence) -> DQNAgent:
        from ..learn.dqn import DQNAgent

        c = self.config
        seed = int(ss.spawn(1)[0].generate_state(1, dtype=np.uint32)[0])
        return DQNAgent(
            state_dim=4,
            n_actions=3,
            hidden=(64, 64),
            gamma=c.gamma,
            lr=c.dqn_lr,
            epsilon=c.epsilon,
            batch_size=c.dqn_batch,
            buffer_size=c.dqn_buffer,
            target_update=c.dqn_target_update,
            seed=seed,
        )

    # ------------------------------------------------------------------ one round

    def step(self, tasks: Tasks | None = None) -> RoundRecord:
        """Simulate one round; ``tasks`` replaces the random arrivals of this round."""
        c, s = self.config, self.servers
        if tasks is None:
            tasks = Tasks.random(c, self.round, self._rng_tasks)
        elif not isinstance(tasks, Tasks):
            fail(
                "LoadBalancer.step",
                f"tasks must be a Tasks instance or None; got {type(tasks).__name__}",
                TypeError,
            )
        noise = self._rng_noise.normal(0.0, c.noise_std, size=(len(tasks), s.n))
        rec = self._auctions(tasks, noise)
        # step 3: processing
        np.maximum(s.load - c.processing_rate, 0.0, out=s.load)
        # step 4: sensitivity
        self._learn()
        if self._dqn is not None:
            for _ in range(c.dqn_train_steps):
                self._dqn.train_step()
        h = self._history
        h.loads.append(s.load.copy())
        h.sensitivity.append(s.sensitivity.copy())
        h.reserve.append(self.reserve)
        h.records.append(rec)
        if self._ledger is not None:
            self._ledger.append(rec.ledger_record(self.reserve))
        elif self._sink is not None:
            self._sink.append(rec.ledger_record(self.reserve))
        self.round += 1
        if c.shapley_every and self.round % c.shapley_every == 0:
            self._snapshot_shapley()
        return rec

    def _auctions(self, tasks: Tasks, noise: np.ndarray) -> RoundRecord:
        n_tasks = len(tasks)
        out = {
            "winner": np.empty(n_tasks, np.int64),
            "partner": np.full(n_tasks, -1, np.int64),
            "bid": np.empty(n_tasks),
            "price": np.empty(n_tasks),
            "above": np.zeros(n_tasks, bool),
            "reserve": np.empty(n_tasks),
        }
        if n_tasks:
            self._run_auctions(tasks, noise, out)
        return RoundRecord(self.round, tasks, **out)

    def _run_auctions(self, tasks: Tasks, noise: np.ndarray, out: dict) -> None:
        """Auction every task in order: fill ``out`` (one entry per task), add the loads
        and keep the reserve bookkeeping."""
        if self.auction == "kernel":
            self._auctions_kernel(tasks, noise, out)
        else:
            self._auctions_numpy(tasks, noise, out)

    def _close_auction(self, bid: float) -> bool:
        """Reserve bookkeeping after one auction; returns 'assigned above threshold'."""
        above = bid > self.reserve
        self._win_sum += bid
        self._win_count += 1
        self.reserve = self.config.reserve_factor * (self._win_sum / self._win_count)
        return above

    def _dqn_state(self, ratio: np.ndarray, task_load: float) -> np.ndarray:
        """DQN input per server: ratio, task load, sensitivity and risk aversion, scaled."""
        c, s = self.config, self.servers
        state = np.empty((s.n, 4))
        state[:, 0] = ratio
        state[:, 1] = task_load / (c.task_load[1] if c.task_load[1] > 0 else 1.0)
        state[:, 2] = s.sensitivity / c.sensitivity[1]
        state[:, 3] = s.risk_aversion
        return state

    def _dqn_remember(self, state: np.ndarray, actions: np.ndarray, ratio: np.ndarray) -> None:
        """Store each server's transition; the reward is the fall of |ratio - target|."""
        target = self.servers.target_load_ratio
        after = state.copy()
        after[:, 0] = ratio
        reward = np.abs(state[:, 0] - target) - np.abs(ratio - target)
        assert self._dqn is not None  # dqn mode
        self._dqn.remember(state, actions, reward, after, np.zeros(len(ratio), bool))

    def _auctions_numpy(self, tasks: Tasks, noise: np.ndarray, out: dict) -> None:
        c, s = self.config, self.servers
        cap, load, coal, target = s.capacity, s.load, s.coalition, s.target_load_ratio
        capf = 1.0 + cap / c.damping
        ratio = np.minimum(load / cap, c.ratio_cap)
        sr = s.sensitivity * ratio
        risk = 1.0 + s.risk_aversion * np.maximum(0.0, ratio - target)
        dqn = self._dqn
        for k, task_load in enumerate(tasks.load.tolist()):
            bid = (sr + task_load) * risk
            if dqn is not None:
                state = self._dqn_state(ratio, task_load)
                actions = dqn.act(state)
                bid = bid * self._mult[actions]
            bid = np.minimum((bid + noise[k]) * capf, c.max_bid)
            w = int(np.argmin(bid))
            best = float(bid[w])
            out["bid"][k] = best
            out["price"][k] = float(np.partition(bid, 1)[1]) if s.n > 1 else best
            j = -1
            if ratio[w] > c.overload_threshold:
                cand = (coal == coal[w]) & (ratio < c.partner_threshold)
                cand[w] = False
                if cand.any():
                    j = int(np.argmin(np.where(cand, ratio, np.inf)))
            share = task_load if j < 0 else task_load / 2
            for i in (w,) if j < 0 else (w, j):
                load[i] += share
                r = min(load[i] / cap[i], c.ratio_cap)
                ratio[i] = r
                sr[i] = s.sensitivity[i] * r
                risk[i] = 1.0 + s.risk_aversion[i] * max(0.0, r - target[i])
            if dqn is not None:
                self._dqn_remember(state, actions, ratio)
            out["winner"][k] = w
            out["partner"][k] = j
            out["reserve"][k] = self.reserve
            out["above"][k] = self._close_auction(best)

    def _auctions_kernel(self, tasks: Tasks, noise: np.ndarray, out: dict) -> None:
        c, s = self.config, self.servers
        state = np.array([self.reserve, self._win_sum, float(self._win_count)])
        cpu_kernels("loadbalance").auction_round(
            s.load,
            s.capacity,
            s.sensitivity,
            s.risk_aversion,
            s.target_load_ratio,
            s.coalition,
            tasks.load,
            np.ascontiguousarray(noise),
            state,
            out["winner"],
            out["partner"],
            out["bid"],
            out["price"],
            out["above"],
            out["reserve"],
            c.damping,
            c.max_bid,
            c.overload_threshold,
            c.partner_threshold,
            c.reserve_factor,
            c.ratio_cap,
        )
        self.reserve, self._win_sum, self._win_count = (
            float(state[0]),
            float(state[1]),
            int(state[2]),
        )

    def _learn(self) -> None:
        c, s = self.config, self.servers
        ratio = s.load_ratio(c.ratio_cap)
        if c.mode in ("continuous", "dqn"):
            s.sensitivity *= 1.0 + c.learning_rate * (ratio - s.target_load_ratio)
        elif self._learner is not None:
            from ..learn.qlearning import QLearning

            lr, agent = self._learner, self._learner.agent
            state = np.minimum((ratio * 10).astype(np.int64), _N_STATES - 1)
            dev = np.abs(ratio - s.target_load_ratio)
            if lr.prev_action is not None and lr.prev_dev is not None:
                reward = lr.prev_dev - dev
                if isinstance(agent, QLearning):
                    agent.update(lr.prev_state, lr.prev_action, reward, state)
                else:
                    agent.update(lr.prev_action, reward)
            action = agent.select(state) if isinstance(agent, QLearning) else agent.select()
            s.sensitivity *= self._mult[action]
            lr.prev_state, lr.prev_action, lr.prev_dev = state, action, dev
        np.clip(s.sensitivity, *c.sensitivity_bounds, out=s.sensitivity)

    def _snapshot_shapley(self) -> None:
        c, s = self.config, self.servers
        h = self._history
        h.shapley_rounds.append(self.round - 1)
        h.shapley.append(
            coalition_shapley(
                s.capacity,
                s.load,
                s.coalition,
                exact_limit=c.shapley_exact_limit,
                samples=c.shapley_samples,
                seed=self._shapley_seed + self.round,
            )
        )

    # ------------------------------------------------------------------ whole run

    def close(self) -> None:
        """Close the ledger sink, if any: its pending records are stored and its ledger
        ends (a replicated one gets its certified head).  The local ledger needs nothing."""
        if self._sink is not None:
            self._sink.close()

    def run(self, rounds: int | None = None) -> SimulationResult:
        """Run ``rounds`` more rounds (default: ``config.rounds``) and collect the result."""
        from .._validate import check_bytes

        rounds = (
            self.config.rounds
            if rounds is None
            else integer("LoadBalancer.run", "rounds", rounds, minimum=1)
        )
        check_bytes(
            "LoadBalancer.run",
            self.config.memory_bytes(self.round + rounds),
            f"the history of {self.config.n_servers} servers over {self.round + rounds} rounds",
            "fewer rounds",
        )
        t0 = time.perf_counter()
        for _ in range(rounds):
            self.step()
        elapsed = time.perf_counter() - t0
        h = self._history
        if not h.shapley_rounds or h.shapley_rounds[-1] != self.round - 1:
            self._snapshot_shapley()
        return self._result(elapsed)

    def _result(self, elapsed: float) -> SimulationResult:
        h, s = self._history, self.servers
        loads = np.array(h.loads)
        target_load = s.capacity * s.target_load_ratio
        recs = h.records
        log = {
            "round": np.concatenate([np.full(len(r.tasks), r.round, np.int64) for r in recs]),
            "load": np.concatenate([r.tasks.load for r in recs]),
            "sla": np.concatenate([r.tasks.sla for r in recs]),
        }
        for name in LOG_FIELDS[3:]:
            log[name] = np.concatenate([getattr(r, name) for r in recs])
        counts = np.array([len(r.tasks) for r in recs], dtype=np.int64)
        return SimulationResult(
            config=self.config,
            capacity=s.capacity.copy(),
            coalition=s.coalition.copy(),
            loads=loads,
            sensitivity=np.array(h.sensitivity),
            reserve=np.array(h.reserve),
            fairness=loads.std(axis=1),
            welfare=-np.abs(loads - target_load).sum(axis=1),
            tasks=counts,
            splits=np.array([int((r.partner >= 0).sum()) for r in recs], dtype=np.int64),
            above=np.array([int(r.above.sum()) for r in recs], dtype=np.int64),
            log=log,
            shapley_rounds=np.array(h.shapley_rounds, dtype=np.int64),
            shapley=np.array(h.shapley),
            ledger=self._ledger,
            elapsed_s=elapsed,
            auction=self.auction,
            ledger_sink=self._sink,
        )


def simulate(
    config: LoadBalanceConfig | None = None,
    *,
    seed=None,
    servers: Servers | None = None,
    auction: str = "kernel",
    **settings,
) -> SimulationResult:
    """Run the load-balancing simulation; ``settings`` override fields of ``config``.

    ``ledger`` is ``True`` (a local hash chain), ``False`` or a ledger sink
    (:class:`~accord.loadbalance.LedgerSink`), which is closed after the last round; the
    result's ``elapsed_s`` includes closing it.

    >>> r = simulate(n_servers=5, rounds=20, seed=1)
    >>> r.loads.shape
    (20, 5)
    """
    sink = None
    if "ledger" in settings and not isinstance(settings["ledger"], (bool, np.bool_)):
        sink = ledger_choice("simulate", settings.pop("ledger"))
    if settings:
        if config is not None and not isinstance(config, LoadBalanceConfig):
            fail(
                "simulate",
                f"config must be a LoadBalanceConfig; got {type(config).__name__}",
                TypeError,
            )
        base = (config or LoadBalanceConfig()).to_dict()
        base.update(settings)
        config = LoadBalanceConfig.from_dict(base)
    balancer = LoadBalancer.__new__(LoadBalancer)
    balancer._setup("simulate", config, servers, seed, auction, sink)
    result = balancer.run()
    if sink is not None:
        t0 = time.perf_counter()
        balancer.close()
        result.elapsed_s += time.perf_counter() - t0
    return result
