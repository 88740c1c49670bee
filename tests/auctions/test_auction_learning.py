"""Learning bidders in repeated auctions with private values.

Setting: bidder 0 learns over the multipliers (0.5, 0.75, 1, 1.25, 1.5) with a private value
0.8; two truthful opponents draw values U[0,1] every round. Second price: the expected utility
of multiplier m is 0.512 (m**2 - 2 m**3 / 3) for m <= 1.25, largest at m = 1 (truthful bidding
is dominant, Vickrey 1961). First price: 0.512 m**2 (1 - m), largest on the grid at m = 0.75.
200 independent markets run in parallel; the assertions are about the population of learners
(plurality and mean estimates), not every single market.
"""

import numpy as np
import pytest

from accord.auctions.bidders import BanditBidder, QLearningBidder, StrategicBidder
from accord.auctions.repeated import repeated_auction

ROUNDS = 1500
MARKETS = 200


def private_values(rng, markets, n):
    v = rng.random((markets, n))
    v[:, 0] = 0.8
    return v


def run(learner, mechanism, seed=1):
    opponents = [StrategicBidder("truthful"), StrategicBidder("truthful")]
    h = repeated_auction([learner, *opponents], ROUNDS, mechanism=mechanism, markets=MARKETS,
                         values=private_values, seed=seed)
    return h


LEARNERS = {
    "epsilon-greedy": lambda: BanditBidder(epsilon=0.1),
    "ucb1": lambda: BanditBidder(algorithm="ucb1", c=0.5),
    "thompson": lambda: BanditBidder(algorithm="thompson", noise_std=0.3),
    "q-learning": lambda: QLearningBidder(alpha=0.1, gamma=0.5, epsilon=0.1),
}


def mean_estimates(learner):
    if isinstance(learner, QLearningBidder):
        return learner.learner.Q.mean(axis=(0, 1))
    return learner.estimates.mean(axis=0)


@pytest.mark.parametrize("name", list(LEARNERS))
def test_second_price_learners_approach_truthful_bidding(name):
    learner = LEARNERS[name]()
    h = run(learner, "second")
    truthful = int(np.flatnonzero(learner.multipliers == 1.0)[0])
    assert int(np.argmax(mean_estimates(learner))) == truthful
    greedy = learner.greedy_multiplier
    shares = [(greedy == m).mean() for m in learner.multipliers]
    assert int(np.argmax(shares)) == truthful and shares[truthful] >= 0.4, shares  # plurality
    ratio = np.nanmean(h.bid_ratio(0)[ROUNDS // 2:])
    assert abs(ratio - 1.0) < 0.1, ratio  # time-averaged bid/value close to 1


@pytest.mark.parametrize("name", list(LEARNERS))
def test_first_price_learners_shade(name):
    learner = LEARNERS[name]()
    h = run(learner, "first")
    assert (learner.greedy_multiplier < 1.0).mean() >= 0.9
    assert np.nanmean(h.bid_ratio(0)[ROUNDS // 2:]) < 0.9
    assert learner.multipliers[int(np.argmax(mean_estimates(learner)))] == 0.75


def test_learning_is_reproducible():
    a = run(BanditBidder(), "second", seed=3)
    b = run(BanditBidder(), "second", seed=3)
    np.testing.assert_array_equal(a.bids, b.bids)
