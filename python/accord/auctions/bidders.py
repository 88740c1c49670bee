"""Bidders: heuristic task-auction strategies and learning bidders built on :mod:`accord.learn`.

The task-auction model (agents with skill levels bid for tasks that require skills):

* valuation of a task: ``max(0, reward * match * U(0.8, 1.2))`` with ``match = min(1, sum of
  the bidder's levels of the required skills / number of required skills)`` (missing skill:
  0; no required skills: ``match = 0.5``) -- :func:`task_valuations`;
* execution cost: ``complexity * (2 - efficiency)``, ``efficiency`` the mean level of the
  required skills (missing skill: 0.5; no required skills: multiplier 1) --
  :func:`execution_costs`;
* bid = valuation x a strategy multiplier (:data:`MULTIPLIER_RANGES`): truthful 1,
  competitive ``U(1.05, 1.15)``, conservative ``U(0.7, 0.9)``, aggressive ``U(1.2, 1.5)``;
  adaptive: 1 without history, else by the success rate (share of positive payoffs) of the last
  10 auctions: below 0.3 ``U(1.1, 1.3)``, above 0.7 ``U(0.7, 0.9)``, else ``U(0.9, 1.1)``, and
  with probability ``exploration_rate`` ``U(0.5, 1.5)`` instead; after each auction the
  exploration rate is multiplied by 1.1 (at most 0.3) when the mean payoff of the last 5
  auctions is below ``payoff_threshold`` (default 10), else by 0.95 (at least 0.05) --
  :func:`strategy_multipliers`, :func:`adaptive_multiplier`, :class:`StrategicBidder`;
* participation: ``bid - cost >= cost * min_profit_margin`` (default margin 0.1) --
  :func:`participates`;
* the winner's payoff ``payment - cost`` (losers 0) -- :func:`task_payoffs`.

In this task auction the *highest* bid wins and the winner is credited with
``payment - cost``, so its payoff grows with the price; :func:`task_auction` runs that
flow with accord's mechanisms (a lone bidder pays the reserve, not its own bid). In
:func:`accord.auctions.repeated_auction` bidders are instead paid their quasi-linear auction
utility (forward ``value - price``, reverse ``price - cost``).

Every bidder controls one seat in each of ``markets`` independent parallel markets and works on
arrays of length ``markets``: ``reset(markets, seed)``, ``bid(values, costs=None) -> (bids,
participate)``, ``observe(feedback)``. Learning bidders (bandits over bid multipliers,
Q-learning) use :mod:`accord.learn`; in second-price auctions truthful bidding is dominant
(Vickrey 1961), so they should learn the multiplier 1; in first-price auctions they shade.
Banchio & Skrzypacz (2022) study Q-learners in repeated auctions.
"""

from __future__ import annotations

import numbers
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .._validate import choice, fail
from ._common import MECHANISMS, generator, numeric_array, real

if TYPE_CHECKING:
    from ..learn.bandits import UCB1, EpsilonGreedy, ThompsonSampling
    from ..learn.qlearning import QLearning
    from .batch import BatchOutcome

__all__ = [
    "BIDDER_KINDS",
    "MULTIPLIER_RANGES",
    "STRATEGIES",
    "BanditBidder",
    "Feedback",
    "QLearningBidder",
    "StrategicBidder",
    "adaptive_multiplier",
    "execution_costs",
    "make_bidder",
    "participates",
    "strategy_multipliers",
    "task_auction",
    "task_payoffs",
    "task_valuations",
]

#: The heuristic bidding strategies.
STRATEGIES = ("truthful", "competitive", "conservative", "aggressive", "adaptive")
#: Bid multiplier ranges of the fixed strategies: the bid is the value times ``U(lo, hi)``.
MULTIPLIER_RANGES = {
    "truthful": (1.0, 1.0),
    "competitive": (1.05, 1.15),
    "conservative": (0.7, 0.9),
    "aggressive": (1.2, 1.5),
}
#: The adaptive strategy's ranges: winning too rarely, too often, in between; exploration.
ADAPTIVE_RANGES = {"low": (1.1, 1.3), "high": (0.7, 0.9), "mid": (0.9, 1.1), "explore": (0.5, 1.5)}
#: Every name :func:`make_bidder` accepts.
BIDDER_KINDS = STRATEGIES + ("bandit", "q-learning")
#: Default grid of bid multipliers of the learning bidders.
DEFAULT_MULTIPLIERS = (0.5, 0.75, 1.0, 1.25, 1.5)
BANDIT_ALGORITHMS = ("epsilon-greedy", "ucb1", "thompson")


def _strategy(func: str, strategy) -> str:
    if not isinstance(strategy, str) or strategy not in STRATEGIES:
        fail(func, f"strategy must be one of {', '.join(map(repr, STRATEGIES))}; got {strategy!r}")
    return strategy


def _size(func: str, size) -> int:
    if isinstance(size, (bool, np.bool_)) or not isinstance(size, numbers.Integral) or size < 0:
        fail(func, f"size must be a non-negative integer; got {size!r}")
    return int(size)


def _rate(func: str, name: str, x) -> float:
    x = real(func, name, x, 0.0)
    if x > 1.0:
        fail(func, f"{name} must lie in [0, 1]; got {x}")
    return x


# --------------------------------------------------------------------------- the task-auction rules


def _adaptive(
    success: np.ndarray, has_history: np.ndarray, exploration: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Vectorised adaptive multipliers; draws three uniforms per entry in a fixed order."""
    size = success.shape[0]
    u = rng.random(size)
    coin = rng.random(size)
    ux = rng.random(size)
    lo = np.where(
        success < 0.3,
        ADAPTIVE_RANGES["low"][0],
        np.where(success > 0.7, ADAPTIVE_RANGES["high"][0], ADAPTIVE_RANGES["mid"][0]),
    )
    hi = np.where(
        success < 0.3,
        ADAPTIVE_RANGES["low"][1],
        np.where(success > 0.7, ADAPTIVE_RANGES["high"][1], ADAPTIVE_RANGES["mid"][1]),
    )
    m = lo + (hi - lo) * u
    elo, ehi = ADAPTIVE_RANGES["explore"]
    m = np.where(coin < exploration, elo + (ehi - elo) * ux, m)
    return np.where(has_history, m, 1.0)


def strategy_multipliers(
    strategy: str, size: int, *, seed=None, success_rate=None, exploration_rate=0.1
) -> np.ndarray:
    """Bid multipliers of one of the :data:`STRATEGIES` for ``size`` bids.

    ``strategy="adaptive"`` needs the bidders' recent success rates: ``success_rate`` None
    (no history: truthful, multiplier 1) or ``(size,)`` values in [0, 1];
    ``exploration_rate`` a scalar or ``(size,)`` in [0, 1]. Other strategies ignore both.
    """
    func = "strategy_multipliers"
    strategy = _strategy(func, strategy)
    size = _size(func, size)
    rng = generator(func, seed)
    if strategy != "adaptive":
        lo, hi = MULTIPLIER_RANGES[strategy]
        return np.ones(size) if lo == hi else rng.uniform(lo, hi, size)
    if success_rate is None:
        return np.ones(size)
    s = numeric_array(func, "success_rate", success_rate)
    if s.shape != (size,) or not np.isfinite(s).all() or (s < 0).any() or (s > 1).any():
        fail(func, f"success_rate must be None or ({size},) numbers in [0, 1]")
    e = numeric_array(func, "exploration_rate", exploration_rate)
    if e.ndim == 0:
        e = np.full(size, float(e))
    if e.shape != (size,) or not np.isfinite(e).all() or (e < 0).any() or (e > 1).any():
        fail(func, f"exploration_rate must be a number or ({size},) numbers in [0, 1]")
    return _adaptive(s, np.ones(size, dtype=bool), e, rng)


def adaptive_multiplier(
    recent_payoffs: Sequence[float], *, exploration_rate: float = 0.1, window: int = 10, seed=None
) -> float:
    """The adaptive strategy's multiplier for one bidder from its payoff history: the success
    rate is the share of positive payoffs among the last ``window`` entries; an empty history
    gives 1.0 (truthful)."""
    func = "adaptive_multiplier"
    p = numeric_array(func, "recent_payoffs", recent_payoffs)
    if p.ndim != 1 or not np.isfinite(p).all():
        fail(func, "recent_payoffs must be a 1-D sequence of finite payoffs")
    e = _rate(func, "exploration_rate", exploration_rate)
    if isinstance(window, bool) or not isinstance(window, numbers.Integral) or window < 1:
        fail(func, f"window must be an integer >= 1; got {window!r}")
    rng = generator(func, seed)
    if p.size == 0:
        return 1.0
    success = float((p[-window:] > 0).mean())
    return float(_adaptive(np.array([success]), np.array([True]), np.array([e]), rng)[0])


def _skill_table(func: str, capabilities, required_skills, missing: float) -> np.ndarray:
    """``(n, len(required))`` levels: from mappings (missing skills get ``missing``) or from an
    array whose columns are the required skills."""
    if isinstance(required_skills, (str, bytes)):
        fail(
            func,
            "required_skills must be a sequence of skill names, not a single string",
            TypeError,
        )
    try:
        req = list(required_skills)
    except TypeError:
        fail(
            func,
            "required_skills must be a sequence of skill names; got "
            f"{type(required_skills).__name__}",
            TypeError,
        )
    if (
        isinstance(capabilities, Sequence)
        and capabilities
        and all(isinstance(c, Mapping) for c in capabilities)
    ):
        rows = [[c.get(s, missing) for s in req] for c in capabilities]
        a = numeric_array(func, "capabilities", rows).reshape(len(capabilities), len(req))
    elif isinstance(capabilities, Sequence) and not capabilities:
        fail(func, "capabilities is empty; give one entry per bidder")
    else:
        a = numeric_array(func, "capabilities", capabilities)
        if a.ndim != 2 or a.shape[1] != len(req):
            fail(
                func,
                f"capabilities must be a list of {{skill: level}} mappings or an (n, "
                f"{len(req)}) array with one column per required skill; got shape "
                f"{a.shape}",
            )
        if a.shape[0] == 0:
            fail(func, "capabilities is empty; give one entry per bidder")
    if not np.isfinite(a).all():
        fail(func, "capabilities must be finite numbers")
    return a


def task_valuations(
    capabilities, required_skills=(), *, reward: float = 100.0, seed=None
) -> np.ndarray:
    """Each bidder's value of a task: ``max(0, reward * min(1, mean skill level) *
    U(0.8, 1.2))``, with a match of 0.5 when the task requires no skills. ``capabilities``: a
    list of ``{skill: level}`` mappings (missing skill: 0) or an ``(n, len(required_skills))``
    array."""
    return _task_valuations("task_valuations", capabilities, required_skills, reward, seed)


def _task_valuations(func: str, capabilities, required_skills, reward, seed) -> np.ndarray:
    levels = _skill_table(func, capabilities, required_skills, 0.0)
    reward = real(func, "reward", reward)
    rng = generator(func, seed)
    n, k = levels.shape
    match = np.minimum(1.0, levels.sum(axis=1) / k) if k else np.full(n, 0.5)
    return np.maximum(0.0, reward * match * rng.uniform(0.8, 1.2, n))


def execution_costs(capabilities, required_skills=(), *, complexity: float = 50.0) -> np.ndarray:
    """Each bidder's cost of executing a task: ``complexity * (2 - mean skill level)``
    (missing skill: 0.5); ``complexity`` without required skills."""
    return _execution_costs("execution_costs", capabilities, required_skills, complexity)


def _execution_costs(func: str, capabilities, required_skills, complexity) -> np.ndarray:
    levels = _skill_table(func, capabilities, required_skills, 0.5)
    complexity = real(func, "complexity", complexity)
    n, k = levels.shape
    return complexity * (2.0 - levels.mean(axis=1)) if k else np.full(n, complexity)


def participates(bids, costs, min_profit_margin=0.1) -> np.ndarray:
    """The participation rule: ``bid - cost >= cost * min_profit_margin`` (elementwise;
    ``min_profit_margin`` a scalar or an array broadcastable to the bids)."""
    func = "participates"
    b = numeric_array(func, "bids", bids)
    c = numeric_array(func, "costs", costs)
    m = numeric_array(func, "min_profit_margin", min_profit_margin)
    for name, a in (("bids", b), ("costs", c), ("min_profit_margin", m)):
        if not np.isfinite(a).all():
            fail(func, f"{name} must be finite")
    try:
        return (b - c) >= c * m
    except ValueError:
        fail(
            func,
            f"bids {b.shape}, costs {c.shape} and min_profit_margin {m.shape} must have "
            "broadcastable shapes",
        )


def task_payoffs(winner, payment, costs) -> np.ndarray:
    """Task-auction payoffs: the winner gets ``payment - cost``,
    everyone else 0. ``winner`` an int (-1 or None for no sale) with ``costs`` ``(n,)``, or
    ``(B,)`` winners and payments with ``costs`` ``(B, n)``."""
    func = "task_payoffs"
    c = numeric_array(func, "costs", costs)
    if c.ndim not in (1, 2):
        fail(func, f"costs must be (n,) or (B, n); got shape {c.shape}")
    w = np.asarray(-1 if winner is None else winner)
    p = numeric_array(func, "payment", payment)
    c2 = c.reshape(-1, c.shape[-1])
    w2 = w.reshape(-1).astype(np.int64)
    p2 = np.broadcast_to(p, w.shape).reshape(-1)
    if w2.shape[0] != c2.shape[0]:
        fail(func, f"winner must have one entry per row of costs ({c2.shape[0]}); got {w.shape}")
    if ((w2 < -1) | (w2 >= c2.shape[1])).any():
        fail(func, f"winner must be -1 (no sale) or a bidder index in [0, {c2.shape[1]})")
    out = np.zeros_like(c2)
    rows = np.flatnonzero(w2 >= 0)
    out[rows, w2[rows]] = p2[rows] - c2[rows, w2[rows]]
    return out.reshape(c.shape)


# ----------------------------------------------------------------------------- bidders


@dataclass(frozen=True, eq=False)
class Feedback:
    """What a bidder learns after a round, one entry per market (``(markets,)`` arrays).

    ``values``/``bids``/``participated``: its own; ``won``: whether it won; ``price``: the
    price formed (NaN for no sale); ``payment``: its own transfer (0 unless it won);
    ``utility``: its payoff for the round.
    """

    values: np.ndarray
    bids: np.ndarray
    participated: np.ndarray
    won: np.ndarray
    price: np.ndarray
    payment: np.ndarray
    utility: np.ndarray


def _values_arg(func: str, name: str, x, markets: int) -> np.ndarray:
    a = numeric_array(func, name, x)
    if a.ndim == 0:
        a = np.full(markets, float(a))
    if a.shape != (markets,):
        fail(func, f"{name} must have shape ({markets},), one entry per market; got {a.shape}")
    if not np.isfinite(a).all() or (a < 0).any():
        fail(func, f"{name} must be finite and >= 0")
    return a


class _Bidder(ABC):
    """Shared plumbing: per-market state is created by ``reset`` (or on the first ``bid``)."""

    markets: int | None = None
    rng: np.random.Generator

    def __init__(self, seed=None) -> None:
        self._seed = seed
        self.markets = None

    def reset(self, markets: int = 1, seed=None) -> None:
        """Start fresh for ``markets`` parallel markets (``seed`` overrides the constructor's)."""
        name = f"{type(self).__name__}.reset"
        if isinstance(markets, bool) or not isinstance(markets, numbers.Integral) or markets < 1:
            fail(name, f"markets must be an integer >= 1; got {markets!r}")
        self.markets = m = int(markets)
        self.rng = generator(name, self._seed if seed is None else seed)
        self._start(m)

    @abstractmethod
    def _start(self, m: int) -> None:
        """Create the per-market state for ``m`` (``self.markets``) markets."""

    def _prepare(self, func: str, values, costs) -> tuple[np.ndarray, np.ndarray | None, int]:
        """``(values, costs or None, markets)`` for one round."""
        v = numeric_array(func, "values", values)
        if v.ndim == 0:
            v = v.reshape(1)
        m = self.markets
        if m is None:
            m = int(v.shape[0] if v.ndim == 1 and v.shape[0] else 1)
            self.reset(m)
        v = _values_arg(func, "values", v, m)
        c = None if costs is None else _values_arg(func, "costs", costs, m)
        return v, c, m


class StrategicBidder(_Bidder):
    """A bidder following one of the :data:`STRATEGIES` (see the module docstring).

    Parameters
    ----------
    strategy
        one of :data:`STRATEGIES`.
    min_profit_margin
        the participation rule's margin (applied when costs are given).
    exploration_rate
        initial exploration rate of the adaptive strategy.
    window
        auctions in the adaptive success rate (default 10).
    payoff_window, payoff_threshold
        the adaptive exploration-rate update (last 5 payoffs, threshold 10).
    seed
        None, an int or a Generator.
    """

    def __init__(
        self,
        strategy: str,
        *,
        min_profit_margin: float = 0.1,
        exploration_rate: float = 0.1,
        window: int = 10,
        payoff_window: int = 5,
        payoff_threshold: float = 10.0,
        seed=None,
    ) -> None:
        func = "StrategicBidder"
        self.strategy = _strategy(func, strategy)
        self.min_profit_margin = real(func, "min_profit_margin", min_profit_margin)
        self.exploration_rate = _rate(func, "exploration_rate", exploration_rate)
        for name, w in (("window", window), ("payoff_window", payoff_window)):
            if isinstance(w, bool) or not isinstance(w, numbers.Integral) or w < 1:
                fail(func, f"{name} must be an integer >= 1; got {w!r}")
        self.window = int(window)
        self.payoff_window = int(payoff_window)
        self.payoff_threshold = real(func, "payoff_threshold", payoff_threshold)
        super().__init__(seed)

    def _start(self, m: int) -> None:
        depth = max(self.window, self.payoff_window)
        #: Last ``depth`` payoffs per market (most recent last) and how many are recorded.
        self.payoffs = np.zeros((m, depth))
        self.recorded = np.zeros(m, dtype=np.int64)
        #: Current exploration rate per market (adaptive strategy).
        self.exploration = np.full(m, self.exploration_rate)

    def bid(self, values, costs=None) -> tuple[np.ndarray, np.ndarray]:
        """``(bids, participate)`` for one round: value x multiplier; with ``costs`` the
        participation rule (:func:`participates`) decides who takes part (everyone otherwise)."""
        func = "StrategicBidder.bid"
        v, c, m = self._prepare(func, values, costs)
        if self.strategy == "adaptive":
            w = min(self.window, self.payoffs.shape[1])
            k = np.minimum(self.recorded, w)
            recent = self.payoffs[:, -w:]
            cols = np.arange(w)[None, :] >= (w - k)[:, None]
            wins = ((recent > 0) & cols).sum(axis=1)
            success = wins / np.maximum(k, 1)
            mult = _adaptive(success, k > 0, self.exploration, self.rng)
        else:
            lo, hi = MULTIPLIER_RANGES[self.strategy]
            mult = np.ones(m) if lo == hi else self.rng.uniform(lo, hi, m)
        bids = v * mult
        part = (
            np.ones(m, dtype=np.bool_)
            if c is None
            else participates(bids, c, self.min_profit_margin)
        )
        return bids, part

    def observe(self, feedback: Feedback) -> None:
        """Record the round's payoffs; the adaptive strategy updates its exploration rate."""
        u = np.asarray(feedback.utility, dtype=np.float64)
        self.payoffs = np.roll(self.payoffs, -1, axis=1)
        self.payoffs[:, -1] = u
        self.recorded += 1
        if self.strategy == "adaptive":
            w = min(self.payoff_window, self.payoffs.shape[1])
            k = np.minimum(self.recorded, w)
            cols = np.arange(w)[None, :] >= (w - k)[:, None]
            mean = np.where(cols, self.payoffs[:, -w:], 0.0).sum(axis=1) / k
            self.exploration = np.where(
                mean < self.payoff_threshold,
                np.minimum(0.3, self.exploration * 1.1),
                np.maximum(0.05, self.exploration * 0.95),
            )


def _multipliers(func: str, multipliers) -> np.ndarray:
    m = numeric_array(func, "multipliers", multipliers)
    if m.ndim != 1 or m.size == 0 or not np.isfinite(m).all() or (m < 0).any():
        fail(func, "multipliers must be a non-empty 1-D sequence of finite numbers >= 0")
    return m


class BanditBidder(_Bidder):
    """Bids ``value x multipliers[arm]``; a bandit per market picks the arm and is rewarded with
    the round's utility (:mod:`accord.learn.bandits`).

    Parameters
    ----------
    multipliers
        the arms (default 0.5, 0.75, 1, 1.25, 1.5).
    algorithm
        ``"epsilon-greedy"`` (``epsilon``), ``"ucb1"`` (``c``) or ``"thompson"``
        (Gaussian model with ``noise_std``, for unbounded utilities).
    seed
        None, an int or a Generator.
    """

    def __init__(
        self,
        multipliers=DEFAULT_MULTIPLIERS,
        *,
        algorithm: str = "epsilon-greedy",
        epsilon: float = 0.1,
        c: float = 2.0,
        noise_std: float = 1.0,
        seed=None,
    ) -> None:
        func = "BanditBidder"
        self.multipliers = _multipliers(func, multipliers)
        choice(func, "algorithm", algorithm, BANDIT_ALGORITHMS)
        self.algorithm = algorithm
        self.epsilon = _rate(func, "epsilon", epsilon)
        self.c = real(func, "c", c, 0.0)
        self.noise_std = real(func, "noise_std", noise_std)
        if self.noise_std <= 0:
            fail(func, f"noise_std must be > 0; got {self.noise_std}")
        super().__init__(seed)

    def _start(self, m: int) -> None:
        from ..learn.bandits import UCB1, EpsilonGreedy, ThompsonSampling

        k = self.multipliers.size
        self.learner: EpsilonGreedy | UCB1 | ThompsonSampling
        if self.algorithm == "epsilon-greedy":
            self.learner = EpsilonGreedy(m, k, epsilon=self.epsilon, seed=self.rng)
        elif self.algorithm == "ucb1":
            self.learner = UCB1(m, k, c=self.c, seed=self.rng)
        else:
            self.learner = ThompsonSampling(
                m, k, prior="gaussian", seed=self.rng, noise_std=self.noise_std
            )
        self._arms = np.zeros(m, dtype=np.int64)

    @property
    def estimates(self) -> np.ndarray:
        """``(markets, K)`` estimated mean utility of each multiplier."""
        from ..learn.bandits import ThompsonSampling

        lr = self.learner
        return lr.mean if isinstance(lr, ThompsonSampling) else lr.values

    @property
    def greedy_multiplier(self) -> np.ndarray:
        """``(markets,)`` multiplier with the highest estimate (lowest index among ties)."""
        return self.multipliers[np.argmax(self.estimates, axis=1)]

    def bid(self, values, costs=None) -> tuple[np.ndarray, np.ndarray]:
        """``(bids, participate)``: the learner's arm per market; always participates."""
        v, _, m = self._prepare("BanditBidder.bid", values, costs)
        self._arms = self.learner.select()
        return v * self.multipliers[self._arms], np.ones(m, dtype=np.bool_)

    def observe(self, feedback: Feedback) -> None:
        self.learner.update(self._arms, np.asarray(feedback.utility, dtype=np.float64))


class QLearningBidder(_Bidder):
    """Q-learning over bid multipliers (Watkins & Dayan 1992; :class:`accord.learn.QLearning`).

    State: whether this bidder won the last round, times ``price_bins`` bins of the last price
    on ``[0, price_max)`` (the last bin also takes prices ``>= price_max``; no sale: bin 0), so
    ``2 * price_bins`` states; the first round starts in state 0. Action: a multiplier; reward:
    the round's utility. ``initial`` fills the Q-table (optimistic values explore more).
    """

    def __init__(
        self,
        multipliers=DEFAULT_MULTIPLIERS,
        *,
        alpha: float = 0.1,
        gamma: float = 0.9,
        epsilon: float = 0.1,
        initial: float = 0.0,
        price_bins: int = 1,
        price_max: float = 1.0,
        seed=None,
    ) -> None:
        func = "QLearningBidder"
        self.multipliers = _multipliers(func, multipliers)
        self.alpha = real(func, "alpha", alpha)
        self.gamma = real(func, "gamma", gamma)
        self.epsilon = _rate(func, "epsilon", epsilon)
        self.initial = real(func, "initial", initial)
        if (
            isinstance(price_bins, bool)
            or not isinstance(price_bins, numbers.Integral)
            or price_bins < 1
        ):
            fail(func, f"price_bins must be an integer >= 1; got {price_bins!r}")
        self.price_bins: int = int(price_bins)
        self.price_max: float = real(func, "price_max", price_max)
        if self.price_max <= 0:
            fail(func, f"price_max must be > 0; got {self.price_max}")
        super().__init__(seed)

    def _start(self, m: int) -> None:
        from ..learn.qlearning import QLearning

        self.learner: QLearning = QLearning(
            m,
            2 * self.price_bins,
            self.multipliers.size,
            alpha=self.alpha,
            gamma=self.gamma,
            epsilon=self.epsilon,
            initial=self.initial,
            seed=self.rng,
        )
        self.state = np.zeros(m, dtype=np.int64)
        self._actions = np.zeros(m, dtype=np.int64)

    @property
    def greedy_multiplier(self) -> np.ndarray:
        """``(markets,)`` greedy multiplier in the current state."""
        return self.multipliers[self.learner.greedy(self.state)]

    def bid(self, values, costs=None) -> tuple[np.ndarray, np.ndarray]:
        v, _, m = self._prepare("QLearningBidder.bid", values, costs)
        self._actions = self.learner.select(self.state)
        return v * self.multipliers[self._actions], np.ones(m, dtype=np.bool_)

    def observe(self, feedback: Feedback) -> None:
        price = np.nan_to_num(np.asarray(feedback.price, dtype=np.float64), nan=0.0)
        b = np.clip(
            (price / self.price_max * self.price_bins).astype(np.int64), 0, self.price_bins - 1
        )
        nxt = 2 * b + np.asarray(feedback.won, dtype=np.int64)
        self.learner.update(
            self.state, self._actions, np.asarray(feedback.utility, dtype=np.float64), nxt
        )
        self.state = nxt


def make_bidder(strategy: str, **kwargs):
    """A bidder by name: one of :data:`STRATEGIES` (a :class:`StrategicBidder`), ``"bandit"``
    (:class:`BanditBidder`) or ``"q-learning"`` (:class:`QLearningBidder`); ``kwargs`` go to
    the constructor."""
    if not isinstance(strategy, str) or strategy not in BIDDER_KINDS:
        fail(
            "make_bidder",
            f"strategy must be one of {', '.join(map(repr, BIDDER_KINDS))}; got {strategy!r}",
        )
    if strategy == "bandit":
        return BanditBidder(**kwargs)
    if strategy == "q-learning":
        return QLearningBidder(**kwargs)
    return StrategicBidder(strategy, **kwargs)


# ---------------------------------------------------------------------------- the task auction


@dataclass(frozen=True, eq=False)
class TaskAuctionResult:
    """Result of :func:`task_auction`: the auction outcome (over all bidders, non-participants
    masked out) and the per-bidder quantities, ``(n,)`` arrays."""

    outcome: BatchOutcome
    values: np.ndarray
    costs: np.ndarray
    bids: np.ndarray
    participated: np.ndarray
    payoffs: np.ndarray


def task_auction(
    bidders: Sequence[StrategicBidder],
    capabilities,
    required_skills=(),
    *,
    reward: float = 100.0,
    complexity: float = 50.0,
    mechanism: str = "second",
    reserve=None,
    seed=None,
) -> TaskAuctionResult:
    """One round of the task auction with accord's mechanisms.

    Valuations (:func:`task_valuations`) and costs (:func:`execution_costs`) from the bidders'
    capabilities; bids from each :class:`StrategicBidder` (one market); the participation
    rule; a forward sealed-bid auction among the participants (highest bid wins; second price
    ``max(second bid, reserve)``, so a lone bidder pays the reserve, 0 without one; no
    participant or no bid at the reserve: no sale); payoffs ``payment - cost`` for the winner
    (the task-auction rule), which are fed back to the bidders.
    """
    from .batch import _batch_auction

    func = "task_auction"
    if not isinstance(bidders, Sequence) or not bidders:
        fail(func, "bidders must be a non-empty sequence of StrategicBidder")
    for i, b in enumerate(bidders):
        if not isinstance(b, StrategicBidder):
            fail(func, f"bidders[{i}] must be a StrategicBidder; got {type(b).__name__}", TypeError)
    choice(func, "mechanism", mechanism, MECHANISMS)
    rng = generator(func, seed)
    values = _task_valuations(func, capabilities, required_skills, reward, rng)
    costs = _execution_costs(func, capabilities, required_skills, complexity)
    if values.shape[0] != len(bidders):
        fail(func, f"capabilities has {values.shape[0]} entries for {len(bidders)} bidders")
    if (costs < 0).any():
        i = int(np.flatnonzero(costs < 0)[0])
        fail(
            func,
            f"the execution cost of bidder {i}, complexity * (2 - mean skill level), is "
            f"{costs[i]} < 0; give complexity >= 0 and skill levels <= 2",
        )
    bids = np.empty(len(bidders))
    part = np.empty(len(bidders), dtype=bool)
    for i, b in enumerate(bidders):
        if b.markets != 1:
            b.reset(1)
        bi, pi = b.bid(values[i : i + 1], costs[i : i + 1])
        bids[i], part[i] = bi[0], pi[0]
    out = _batch_auction(
        func,
        bids[None, :],
        mechanism=mechanism,
        reserve=reserve,
        mask=part[None, :],
        values=values[None, :],
    )
    payoffs = task_payoffs(int(out.winner[0]), float(out.payment[0]), costs)
    for i, b in enumerate(bidders):
        won = np.array([out.winner[0] == i])
        b.observe(
            Feedback(
                values=values[i : i + 1],
                bids=bids[i : i + 1],
                participated=part[i : i + 1],
                won=won,
                price=out.price,
                payment=np.where(won, out.payment, 0.0),
                utility=payoffs[i : i + 1],
            )
        )
    return TaskAuctionResult(
        outcome=out, values=values, costs=costs, bids=bids, participated=part, payoffs=payoffs
    )
