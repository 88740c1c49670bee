"""Multi-armed bandits, vectorised over many independent learners.

Each class holds ``n_learners`` independent bandit learners over the same ``n_arms`` arms in
``(n_learners, n_arms)`` arrays -- one learner per server, say -- and updates any subset of
them in one call, without a Python loop over learners:

* :class:`EpsilonGreedy` -- sample-average action values ``value_a += (r - value_a)/n_a``
  (Sutton & Barto (2018), *Reinforcement Learning*, 2nd ed., Sec. 2.4) with epsilon-greedy
  selection;
* :class:`UCB1` -- the same estimates with upper-confidence selection (Auer, Cesa-Bianchi &
  Fischer (2002), "Finite-time analysis of the multiarmed bandit problem");
* :class:`ThompsonSampling` -- posterior sampling (Thompson (1933); Agrawal & Goyal (2012,
  2013)) with a Beta-Bernoulli or known-variance Gaussian model.

Calling convention: ``select(learners=None)`` returns one arm per learner, or one per entry of
``learners`` (an int or a 1-D int array of learner indices); ``update(arms, rewards,
learners=None)`` takes arrays of that same shape. Repeated indices in ``learners`` are the same
as applying the updates one after another in the given order.
"""

from __future__ import annotations

import numpy as np

from .._validate import fail
from ._common import (
    check_bytes,
    float_array,
    generator,
    index_array,
    integer,
    learner_index,
    random_argmax,
)
from ._common import real as _real

__all__ = ["EpsilonGreedy", "ThompsonSampling", "UCB1"]

PRIORS = ("beta", "gaussian")


def _check_tables(cls: str, n_learners: int, n_arms: int, tables: int) -> None:
    """Refuse ``(n_learners, n_arms)`` state tables larger than the machine's memory."""
    check_bytes(
        cls,
        8 * tables * n_learners * n_arms,
        f"{tables} tables of shape ({n_learners}, {n_arms}) (n_learners x n_arms)",
        "fewer learners or arms",
    )


class _SampleAverage:
    """Sample-average action values shared by :class:`EpsilonGreedy` and :class:`UCB1`."""

    def __init__(self, n_learners: int, n_arms: int, initial: float, seed) -> None:
        cls = type(self).__name__
        self.n_learners = integer(cls, "n_learners", n_learners, minimum=1)
        self.n_arms = integer(cls, "n_arms", n_arms, minimum=1)
        _check_tables(cls, self.n_learners, self.n_arms, 2)
        initial = _real(cls, "initial", initial)
        self.rng = generator(cls, seed)
        #: Estimated value of each arm, ``(n_learners, n_arms)`` float64.
        self.values = np.full((self.n_learners, self.n_arms), initial, dtype=np.float64)
        #: Number of updates of each arm, ``(n_learners, n_arms)`` int64.
        self.counts = np.zeros((self.n_learners, self.n_arms), dtype=np.int64)

    def _check_update(self, func: str, arms, rewards, learners):
        idx, shape = learner_index(func, learners, self.n_learners)
        a = index_array(func, "arms", arms, self.n_arms, shape, "n_arms").reshape(-1)
        r = float_array(func, "rewards", rewards, shape).reshape(-1)
        return idx, a, r

    def update(self, arms, rewards, learners=None) -> None:
        """``counts[l, a] += 1; values[l, a] += (r - values[l, a]) / counts[l, a]`` for each
        (learner, arm, reward) triple (Sutton & Barto (2018), Sec. 2.4).

        Repeated (learner, arm) pairs are folded in at once: ``m`` rewards with sum ``S`` give
        ``values += (S - m * values) / (counts + m)``, the sequential result up to rounding;
        with ``m = 1`` this is the sequential update bit for bit.
        """
        idx, a, r = self._check_update(f"{type(self).__name__}.update", arms, rewards, learners)
        if idx.size == 0:
            return
        if learners is None:  # one arm per learner: no pair repeats
            n = self.counts[idx, a] + 1
            v = self.values[idx, a]
            self.values[idx, a] = v + (r - v) / n
            self.counts[idx, a] = n
            return
        keys, inverse = np.unique(idx * self.n_arms + a, return_inverse=True)
        m = np.bincount(inverse)
        total = np.bincount(inverse, weights=r)
        pair = np.divmod(keys, self.n_arms)
        n = self.counts[pair] + m
        v = self.values[pair]
        self.values[pair] = v + (total - m * v) / n
        self.counts[pair] = n


class EpsilonGreedy(_SampleAverage):
    """Epsilon-greedy sample-average bandits for ``n_learners`` independent learners (Sutton &
    Barto (2018), Sec. 2.2-2.4).

    ``epsilon`` is the exploration probability (may be reassigned, e.g. from
    :mod:`accord.learn.schedules`); ``initial`` the starting value estimate (it is replaced
    by the first reward of each arm, as the sample-average update does).
    """

    def __init__(
        self, n_learners: int, n_arms: int, epsilon: float = 0.1, initial: float = 0.0, seed=None
    ) -> None:
        self.epsilon = epsilon
        super().__init__(n_learners, n_arms, initial, seed)

    @property
    def epsilon(self) -> float:
        return self._epsilon

    @epsilon.setter
    def epsilon(self, value: float) -> None:
        self._epsilon = _real("EpsilonGreedy", "epsilon", value, 0.0, 1.0)

    def select(self, learners=None) -> np.ndarray:
        """One arm per learner (int64): uniformly random with probability ``epsilon``, else
        the arm of highest value with ties broken uniformly at random."""
        idx, shape = learner_index("EpsilonGreedy.select", learners, self.n_learners)
        explore = self.rng.random(idx.size) < self._epsilon
        random_arm = self.rng.integers(self.n_arms, size=idx.size)
        greedy = random_argmax(self.values[idx], self.rng)
        return np.where(explore, random_arm, greedy).astype(np.int64).reshape(shape)


class UCB1(_SampleAverage):
    """UCB1 for ``n_learners`` independent learners (Auer, Cesa-Bianchi & Fischer 2002).

    Each learner first plays its untried arms (lowest index first), then the arm maximising
    ``values + sqrt(c * ln(t) / counts)``, ``t`` being the learner's total number of updates
    (ties broken uniformly at random). ``c = 2`` is the paper's UCB1 for rewards in [0, 1].
    """

    def __init__(
        self, n_learners: int, n_arms: int, c: float = 2.0, initial: float = 0.0, seed=None
    ) -> None:
        self.c = _real("UCB1", "c", c, 0.0)
        super().__init__(n_learners, n_arms, initial, seed)

    def select(self, learners=None) -> np.ndarray:
        """One arm per learner (int64): an untried arm if any, else the UCB1 index argmax."""
        idx, shape = learner_index("UCB1.select", learners, self.n_learners)
        n = self.counts[idx]
        untried = n == 0
        t = n.sum(axis=1, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            bonus = np.sqrt(self.c * np.log(np.maximum(t, 1)) / n)
        ucb = np.where(untried, -np.inf, self.values[idx] + bonus)
        best = random_argmax(ucb, self.rng)
        first_untried = np.argmax(untried, axis=1)
        arm = np.where(untried.any(axis=1), first_untried, best)
        return arm.astype(np.int64).reshape(shape)


class ThompsonSampling:
    """Thompson sampling for ``n_learners`` independent learners (Thompson (1933);
    Agrawal & Goyal (2012, 2013)).

    ``prior="beta"``: Bernoulli rewards with a ``Beta(prior_alpha, prior_beta)`` prior per
    arm; rewards in [0, 1] (a fractional reward ``r`` adds ``r`` to ``alpha`` and ``1 - r`` to
    ``beta``, the fractional update of Agrawal & Goyal (2012), Sec. 2 in expectation).

    ``prior="gaussian"``: rewards ``N(mu_a, noise_std**2)`` with known ``noise_std`` and a
    ``N(prior_mean, prior_std**2)`` prior on ``mu_a``; the posterior is normal with precision
    ``1/prior_std**2 + n/noise_std**2``. The defaults (0, 1, 1) are Agrawal & Goyal's (2013)
    Gaussian Thompson sampling, which samples ``N(mean, 1/(n + 1))``.

    ``select`` draws one sample per arm from each posterior and plays the argmax.
    """

    def __init__(
        self,
        n_learners: int,
        n_arms: int,
        prior: str = "beta",
        seed=None,
        *,
        prior_alpha: float = 1.0,
        prior_beta: float = 1.0,
        prior_mean: float = 0.0,
        prior_std: float = 1.0,
        noise_std: float = 1.0,
    ) -> None:
        cls = "ThompsonSampling"
        self.n_learners = integer(cls, "n_learners", n_learners, minimum=1)
        self.n_arms = integer(cls, "n_arms", n_arms, minimum=1)
        _check_tables(cls, self.n_learners, self.n_arms, 3)
        if not isinstance(prior, str) or prior not in PRIORS:
            fail(cls, f"prior must be one of {', '.join(map(repr, PRIORS))}; got {prior!r}")
        self.prior = prior
        shape = (self.n_learners, self.n_arms)
        if prior == "beta":
            a0 = _real(cls, "prior_alpha", prior_alpha, 0.0, low_open=True)
            b0 = _real(cls, "prior_beta", prior_beta, 0.0, low_open=True)
            #: Beta posterior parameters, ``(n_learners, n_arms)`` float64 (beta prior only).
            self.alpha = np.full(shape, a0)
            self.beta = np.full(shape, b0)
        else:
            m0 = _real(cls, "prior_mean", prior_mean)
            s0 = _real(cls, "prior_std", prior_std, 0.0, low_open=True)
            self.noise_std = _real(cls, "noise_std", noise_std, 0.0, low_open=True)
            #: Normal posterior precision and precision-weighted mean, ``(n_learners, n_arms)``
            #: (gaussian prior only); see :attr:`mean`.
            self.precision = np.full(shape, 1.0 / s0**2)
            self._weighted = np.full(shape, m0 / s0**2)
        self.rng = generator(cls, seed)
        #: Number of updates of each arm, ``(n_learners, n_arms)`` int64.
        self.counts = np.zeros(shape, dtype=np.int64)

    @property
    def mean(self) -> np.ndarray:
        """Posterior mean of each arm's expected reward, ``(n_learners, n_arms)``."""
        if self.prior == "beta":
            return self.alpha / (self.alpha + self.beta)
        return self._weighted / self.precision

    def select(self, learners=None) -> np.ndarray:
        """One arm per learner (int64): the argmax of one posterior sample per arm."""
        idx, shape = learner_index("ThompsonSampling.select", learners, self.n_learners)
        if self.prior == "beta":
            draws = self.rng.beta(self.alpha[idx], self.beta[idx])
        else:
            p = self.precision[idx]
            draws = self.rng.normal(self._weighted[idx] / p, 1.0 / np.sqrt(p))
        return random_argmax(draws, self.rng).astype(np.int64).reshape(shape)

    def update(self, arms, rewards, learners=None) -> None:
        """Fold each (learner, arm, reward) into the arm's posterior (order-independent, so
        repeated indices are exact)."""
        func = "ThompsonSampling.update"
        idx, shape = learner_index(func, learners, self.n_learners)
        a = index_array(func, "arms", arms, self.n_arms, shape, "n_arms").reshape(-1)
        r = float_array(func, "rewards", rewards, shape).reshape(-1)
        if self.prior == "beta":
            bad = (r < 0) | (r > 1)
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                fail(
                    func,
                    f"rewards must be in [0, 1] with prior='beta'; entry {i} is {r[i]}; "
                    "rescale the rewards or use prior='gaussian'",
                )
            np.add.at(self.alpha, (idx, a), r)
            np.add.at(self.beta, (idx, a), 1.0 - r)
        else:
            w = 1.0 / self.noise_std**2
            np.add.at(self.precision, (idx, a), w)
            np.add.at(self._weighted, (idx, a), w * r)
        np.add.at(self.counts, (idx, a), 1)
