"""Servers, tasks and the settings of the load-balancing simulation.

In the load-balancing model of :mod:`accord.loadbalance` every server's capacity,
bidding sensitivity, risk aversion and coalition are drawn at random, and so are the
tasks (load, SLA level, complexity, latency requirement), whose number per round follows
a sinusoid.  :class:`LoadBalanceConfig` holds the ranges, all documented and settable.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

import numpy as np

from .._validate import check_bytes, choice, fail, integer, real_array

__all__ = ["MODES", "SLA_LEVELS", "LoadBalanceConfig", "Servers", "Tasks", "arrival_rate"]

#: How servers adapt their bidding sensitivity, and ``"dqn"``, where a deep Q-network
#: adjusts every bid (step 4 of :mod:`accord.loadbalance.bidding`) and sensitivity
#: follows the continuous rule.  ``"static"`` keeps sensitivities fixed (a baseline).
MODES = ("static", "continuous", "q-learning", "bandit", "ucb1", "thompson", "dqn")
#: Task service levels, index 0 is the highest.
SLA_LEVELS = ("gold", "silver", "bronze")

_RANGES = ("capacity", "sensitivity", "risk_aversion", "task_load", "complexity", "latency")


#: Largest upper end of a range setting: loads add up over servers, tasks and rounds
#: and are squared (the fairness index), all in float64.
RANGE_MAX = 1e100


def _number(
    func: str,
    name: str,
    x,
    lo: float | None = None,
    hi: float | None = None,
    lo_open: bool = False,
    scale: bool = False,
) -> float:
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        fail(func, f"{name} must be a number; got {x!r}", TypeError)
    x = float(x)
    if not math.isfinite(x):
        fail(func, f"{name} must be finite; got {x}")
    if lo is not None and (x <= lo if lo_open else x < lo):
        fail(func, f"{name} must be {'>' if lo_open else '>='} {lo}; got {x}")
    if hi is not None and x > hi:
        if scale:
            fail(
                func,
                f"{name} must be <= {hi:g} so that the simulation's sums and squares of "
                f"loads stay finite in float64; got {x:g} (rescale the units)",
            )
        fail(func, f"{name} must be <= {hi}; got {x}")
    return x


def _count(func: str, name: str, x, minimum: int) -> int:
    if isinstance(x, bool) or not isinstance(x, numbers.Integral):
        fail(func, f"{name} must be an integer; got {x!r}", TypeError)
    if int(x) < minimum:
        fail(func, f"{name} must be >= {minimum}; got {int(x)}")
    return int(x)


@dataclass(frozen=True)
class LoadBalanceConfig:
    """Every setting of one simulation; validated on construction.

    Ranges ``(lo, hi)`` are uniform draws.  The defaults are ten servers of capacity 50-150
    whose processing matches the mean arrival of ten tasks of load 5-25 per round, so loads
    hover near the target.

    ``sensitivity_bounds`` keeps the multiplicative sensitivity updates finite: the
    continuous rule grows without limit on a server that stays full.
    """

    n_servers: int = 10
    rounds: int = 500
    mode: str = "continuous"
    n_coalitions: int = 3
    capacity: tuple[float, float] = (50.0, 150.0)
    sensitivity: tuple[float, float] = (10.0, 50.0)
    risk_aversion: tuple[float, float] = (0.5, 2.0)
    target_load_ratio: float = 0.5
    # arrivals: avg = base + amplitude * sin(2 pi round / period), Poisson counts
    base_tasks_per_round: float = 10.0
    amplitude: float = 5.0
    period: float = 50.0
    task_load: tuple[float, float] = (5.0, 25.0)
    complexity: tuple[float, float] = (0.5, 2.0)
    latency: tuple[float, float] = (10.0, 100.0)
    sla_probabilities: tuple[float, float, float] = (0.2, 0.3, 0.5)
    # the load ratio's cap in a bid (1.0; inf removes it), bidding step 1
    ratio_cap: float = 1.0
    # processing: every server's load falls by this much per round
    processing_rate: float = 20.0
    # bids (accord.loadbalance.bidding)
    noise_std: float = 0.5
    damping: float = 200.0
    max_bid: float = 1000.0
    # auctioneer: task splitting and the adaptive reserve threshold
    overload_threshold: float = 0.6
    partner_threshold: float = 0.5
    initial_reserve: float = 100.0
    reserve_factor: float = 1.5
    # learning
    learning_rate: float = 0.1
    sensitivity_bounds: tuple[float, float] = (0.01, 1000.0)
    epsilon: float = 0.1
    alpha: float = 0.1
    gamma: float = 0.9
    ucb_c: float = 2.0
    dqn_lr: float = 1e-3
    dqn_batch: int = 64
    dqn_buffer: int = 20_000
    dqn_target_update: int = 100
    dqn_train_steps: int = 1
    # metrics
    shapley_every: int = 0
    shapley_exact_limit: int = 16
    shapley_samples: int = 2000
    ledger: bool = True

    def __post_init__(self) -> None:
        f = "LoadBalanceConfig"
        for field in fields(self):  # NumPy scalars are stored as Python numbers
            value = getattr(self, field.name)
            if isinstance(value, np.generic):
                object.__setattr__(self, field.name, value.item())
        _count(f, "n_servers", self.n_servers, 1)
        _count(f, "rounds", self.rounds, 1)
        choice(f, "mode", self.mode, MODES)
        _count(f, "n_coalitions", self.n_coalitions, 1)
        for name in _RANGES + ("sensitivity_bounds",):
            r = getattr(self, name)
            if not isinstance(r, (tuple, list)) or len(r) != 2:
                fail(f, f"{name} must be a pair (low, high); got {r!r}")
            lo = _number(
                f, f"{name}[0]", r[0], 0.0, lo_open=name in ("capacity", "sensitivity_bounds")
            )
            hi = _number(f, f"{name}[1]", r[1], hi=RANGE_MAX, scale=True)
            if hi < lo:
                fail(f, f"{name} must have low <= high; got {tuple(r)}")
            object.__setattr__(self, name, (lo, hi))
        p = self.sla_probabilities
        if not isinstance(p, (tuple, list)) or len(p) != len(SLA_LEVELS):
            fail(
                f, f"sla_probabilities must give one probability per level {SLA_LEVELS}; got {p!r}"
            )
        probs = tuple(_number(f, f"sla_probabilities[{i}]", x, 0.0, 1.0) for i, x in enumerate(p))
        if abs(sum(probs) - 1.0) > 1e-9:
            fail(f, f"sla_probabilities must sum to 1; got {probs} (sum {sum(probs)})")
        object.__setattr__(self, "sla_probabilities", probs)
        _number(f, "target_load_ratio", self.target_load_ratio, 0.0, 1.0)
        _number(f, "base_tasks_per_round", self.base_tasks_per_round, 0.0)
        _number(f, "amplitude", self.amplitude, 0.0)
        _number(f, "period", self.period, 0.0, lo_open=True)
        if not (
            isinstance(self.ratio_cap, numbers.Real)
            and not isinstance(self.ratio_cap, bool)
            and self.ratio_cap > 0
        ):
            fail(
                f,
                f"ratio_cap must be a number > 0 (1.0 caps the load ratio, inf for no cap); "
                f"got {self.ratio_cap!r}",
            )
        _number(f, "processing_rate", self.processing_rate, 0.0)
        _number(f, "noise_std", self.noise_std, 0.0)
        _number(f, "damping", self.damping, 0.0, lo_open=True)
        _number(f, "max_bid", self.max_bid, 0.0, lo_open=True)
        _number(f, "overload_threshold", self.overload_threshold, 0.0, 1.0)
        _number(f, "partner_threshold", self.partner_threshold, 0.0, 1.0)
        _number(f, "initial_reserve", self.initial_reserve, 0.0)
        _number(f, "reserve_factor", self.reserve_factor, 0.0, lo_open=True)
        _number(f, "learning_rate", self.learning_rate, 0.0, 1.0, lo_open=True)
        if self.learning_rate >= 1.0:
            fail(
                f,
                f"learning_rate must be < 1 (a 'decrease' multiplies by 1 - learning_rate);"
                f" got {self.learning_rate}",
            )
        _number(f, "epsilon", self.epsilon, 0.0, 1.0)
        _number(f, "alpha", self.alpha, 0.0, 1.0, lo_open=True)
        _number(f, "gamma", self.gamma, 0.0, 1.0)
        _number(f, "ucb_c", self.ucb_c, 0.0)
        _number(f, "dqn_lr", self.dqn_lr, 0.0, lo_open=True)
        _count(f, "dqn_batch", self.dqn_batch, 1)
        _count(f, "dqn_buffer", self.dqn_buffer, 1)
        _count(f, "dqn_target_update", self.dqn_target_update, 1)
        _count(f, "dqn_train_steps", self.dqn_train_steps, 0)
        _count(f, "shapley_every", self.shapley_every, 0)
        _count(f, "shapley_exact_limit", self.shapley_exact_limit, 1)
        if self.shapley_exact_limit > 25:
            fail(
                f,
                f"shapley_exact_limit must be <= 25 (a dense table of 2**n values); got "
                f"{self.shapley_exact_limit}",
            )
        _count(f, "shapley_samples", self.shapley_samples, 1)
        if not isinstance(self.ledger, (bool, np.bool_)):
            fail(
                f,
                f"ledger must be true or false; got {self.ledger!r} (a ledger sink is passed "
                "to simulate(ledger=...) or LoadBalancer(ledger=...), not stored in the config)",
                TypeError,
            )
        object.__setattr__(self, "ledger", bool(self.ledger))
        check_bytes(
            f,
            self.memory_bytes(),
            f"a simulation of {self.n_servers} servers over {self.rounds} rounds (its "
            "per-round history of every server)",
            "fewer servers or rounds",
        )

    def memory_bytes(self, rounds: int | None = None) -> int:
        """An estimate of the memory (bytes) a simulation of this config needs over
        ``rounds`` rounds (default ``self.rounds``): the per-round history (every
        server's load and sensitivity, every task's record), the per-round bid noise of
        every task at every server and the servers' state."""
        n = int(self.n_servers)
        if rounds is None:
            rounds = int(self.rounds)
        else:
            rounds = integer("LoadBalanceConfig.memory_bytes", "rounds", rounds, minimum=0)
        tasks = self.base_tasks_per_round + self.amplitude  # peak mean arrivals
        peak = int(tasks + 10 * math.sqrt(tasks) + 10)  # a Poisson count far in the tail
        history = rounds * (16 * n + 96 * peak)
        return history + 8 * n * peak + 8 * 64 * n

    @classmethod
    def from_dict(cls, params: dict) -> LoadBalanceConfig:
        """A config from plain values (TOML); unknown keys are an error."""
        if not isinstance(params, Mapping) or not all(isinstance(k, str) for k in params):
            fail(
                "LoadBalanceConfig.from_dict",
                f"params must be a dict of setting names to values; got {type(params).__name__}",
                TypeError,
            )
        known = {fl.name for fl in fields(cls)}
        unknown = sorted(set(params) - known)
        if unknown:
            fail(
                "LoadBalanceConfig.from_dict",
                f"unknown setting(s) {unknown}; known: {sorted(known)}",
            )
        kw: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in params.items()}
        return cls(**kw)

    def to_dict(self) -> dict:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}


def arrival_rate(config: LoadBalanceConfig, round_num) -> np.ndarray | float:
    """Mean number of tasks in round ``round_num`` (a number or an array of finite round
    numbers; a sinusoid), floored at 0."""
    func = "arrival_rate"
    if not isinstance(config, LoadBalanceConfig):
        fail(func, f"config must be a LoadBalanceConfig; got {type(config).__name__}", TypeError)
    if isinstance(round_num, (bool, np.bool_)):
        fail(
            func, f"round_num must be a number or an array of numbers; got {round_num!r}", TypeError
        )
    t = real_array(func, "round_num", round_num)
    if not np.isfinite(t).all():
        fail(func, f"round_num must be finite; got {round_num!r}")
    avg = config.base_tasks_per_round + config.amplitude * np.sin(2 * np.pi * t / config.period)
    out = np.maximum(avg, 0.0)
    return float(out) if out.ndim == 0 else out


def _vector(
    func: str, name: str, x, n: int | None, lo: float | None = None, lo_open: bool = False
) -> np.ndarray:
    a = np.array(real_array(func, name, x), dtype=np.float64)
    if a.ndim == 0 and n is not None:
        a = np.full(n, float(a))
    if a.ndim != 1 or (n is not None and a.shape[0] != n):
        fail(
            func,
            f"{name} must be a scalar or have shape ({n if n is not None else 'n'},); "
            f"got shape {a.shape}",
        )
    if not np.isfinite(a).all():
        i = int(np.flatnonzero(~np.isfinite(a))[0])
        fail(func, f"{name} must be finite; entry {i} is {a[i]}")
    if lo is not None:
        bad = a <= lo if lo_open else a < lo
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            fail(func, f"{name} must be {'>' if lo_open else '>='} {lo}; entry {i} is {a[i]}")
    return a


@dataclass
class Servers:
    """The servers' state as arrays of length ``n``.

    ``load`` and ``sensitivity`` change during a simulation; the rest are fixed.
    ``coalition[i]`` is server ``i``'s coalition id.
    """

    capacity: np.ndarray
    sensitivity: np.ndarray
    risk_aversion: np.ndarray
    target_load_ratio: np.ndarray
    coalition: np.ndarray
    load: np.ndarray

    def __post_init__(self) -> None:
        f = "Servers"
        self.capacity = _vector(f, "capacity", self.capacity, None, 0.0, lo_open=True)
        n = self.capacity.shape[0]
        if n < 1:
            fail(f, "capacity must hold at least one server; got an empty array")
        self.sensitivity = _vector(f, "sensitivity", self.sensitivity, n, 0.0)
        self.risk_aversion = _vector(f, "risk_aversion", self.risk_aversion, n, 0.0)
        self.target_load_ratio = _vector(f, "target_load_ratio", self.target_load_ratio, n, 0.0)
        if (self.target_load_ratio > 1).any():
            fail(f, "target_load_ratio must be in [0, 1]")
        self.load = _vector(f, "load", self.load, n, 0.0)
        c = np.array(self.coalition)
        if c.ndim == 0:
            c = np.full(n, c)
        if c.shape != (n,) or not np.issubdtype(c.dtype, np.integer) or (c < 0).any():
            fail(f, f"coalition must be {n} non-negative integer ids; got {self.coalition!r}")
        self.coalition = c.astype(np.int64)

    @property
    def n(self) -> int:
        return int(self.capacity.shape[0])

    @classmethod
    def random(cls, config: LoadBalanceConfig, rng: np.random.Generator) -> Servers:
        """Servers drawn uniformly from the ranges of ``config``; empty at start."""
        n = config.n_servers
        return cls(
            capacity=rng.uniform(*config.capacity, n),
            sensitivity=rng.uniform(*config.sensitivity, n),
            risk_aversion=rng.uniform(*config.risk_aversion, n),
            target_load_ratio=np.full(n, config.target_load_ratio),
            coalition=rng.integers(0, config.n_coalitions, n),
            load=np.zeros(n),
        )

    def load_ratio(self, cap: float = 1.0) -> np.ndarray:
        """min(load / capacity, cap) (step 1 of :mod:`accord.loadbalance.bidding`); ``cap`` a
        number > 0, inf for no cap."""
        if (
            isinstance(cap, (bool, np.bool_))
            or not isinstance(cap, numbers.Real)
            or math.isnan(cap)
            or cap <= 0
        ):
            fail(
                "Servers.load_ratio",
                f"cap must be a number > 0 (1.0 caps the load ratio, inf for no cap); got {cap!r}",
                TypeError if not isinstance(cap, numbers.Real) else ValueError,
            )
        return np.minimum(self.load / self.capacity, cap)

    def copy(self) -> Servers:
        return Servers(**{fl.name: getattr(self, fl.name).copy() for fl in fields(self)})


@dataclass
class Tasks:
    """One round's tasks as arrays.

    ``sla`` indexes :data:`SLA_LEVELS`.  Only ``load`` enters the bids; the
    other attributes are drawn and logged with every auction.
    """

    load: np.ndarray
    sla: np.ndarray
    complexity: np.ndarray
    latency: np.ndarray

    def __post_init__(self) -> None:
        f = "Tasks"
        self.load = _vector(f, "load", self.load, None, 0.0)
        n = self.load.shape[0]
        self.complexity = _vector(f, "complexity", self.complexity, n, 0.0)
        self.latency = _vector(f, "latency", self.latency, n, 0.0)
        s = np.array(self.sla)
        if s.ndim == 0:
            s = np.full(n, s)
        if (
            s.shape != (n,)
            or (n and not np.issubdtype(s.dtype, np.integer))
            or (s < 0).any()
            or (s >= len(SLA_LEVELS)).any()
        ):
            fail(f, f"sla must be {n} integers in [0, {len(SLA_LEVELS)}) indexing {SLA_LEVELS}")
        self.sla = s.astype(np.int64)

    def __len__(self) -> int:
        return int(self.load.shape[0])

    @classmethod
    def of_loads(cls, loads) -> Tasks:
        """Tasks with the given loads (a 1-D array of finite numbers >= 0) and neutral other
        attributes (silver, 1.0, 0.0)."""
        loads = _vector("Tasks.of_loads", "loads", loads, None, 0.0)
        n = loads.shape[0]
        return cls(load=loads, sla=np.ones(n, np.int64), complexity=np.ones(n), latency=np.zeros(n))

    @classmethod
    def random(cls, config: LoadBalanceConfig, round_num: int, rng: np.random.Generator) -> Tasks:
        """A Poisson number of tasks with mean :func:`arrival_rate`."""
        k = int(rng.poisson(arrival_rate(config, round_num)))
        return cls(
            load=rng.uniform(*config.task_load, k),
            sla=rng.choice(len(SLA_LEVELS), size=k, p=config.sla_probabilities),
            complexity=rng.uniform(*config.complexity, k),
            latency=rng.uniform(*config.latency, k),
        )
