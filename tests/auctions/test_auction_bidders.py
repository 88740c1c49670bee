"""The task-auction bidder rules (strategies, valuation, cost, participation, adaptive rule,
payoff), the repeated-auction driver and bad input."""

import copy

import numpy as np
import pytest

import accord.auctions as auctions
from accord.auctions.bidders import (
    MULTIPLIER_RANGES,
    STRATEGIES,
    BanditBidder,
    Feedback,
    QLearningBidder,
    StrategicBidder,
    adaptive_multiplier,
    execution_costs,
    make_bidder,
    participates,
    strategy_multipliers,
    task_auction,
    task_payoffs,
    task_valuations,
)
from accord.auctions.repeated import repeated_auction


def test_public_api():
    for name in ("first_price", "second_price", "batch_auction", "vcg", "vcg_multi_unit",
                 "repeated_auction", "make_bidder", "StrategicBidder", "BanditBidder",
                 "QLearningBidder", "AuctionOutcome", "BatchOutcome", "VCGOutcome", "theory"):
        assert name in auctions.__all__ and hasattr(auctions, name), name


@pytest.mark.parametrize("strategy", ["truthful", "competitive", "conservative", "aggressive"])
def test_fixed_strategy_ranges(strategy):
    lo, hi = MULTIPLIER_RANGES[strategy]
    m = strategy_multipliers(strategy, 20_000, seed=1)
    assert m.shape == (20_000,) and m.min() >= lo and m.max() <= hi
    assert m.mean() == pytest.approx((lo + hi) / 2, abs=0.003)


def test_seed_ranges_are_the_seeds():
    assert MULTIPLIER_RANGES == {"truthful": (1.0, 1.0), "competitive": (1.05, 1.15),
                                 "conservative": (0.7, 0.9), "aggressive": (1.2, 1.5)}


def test_adaptive_multipliers():
    n = 30_000
    s = np.repeat([0.1, 0.5, 0.9], n // 3)
    m = strategy_multipliers("adaptive", n, seed=2, success_rate=s, exploration_rate=0.0)
    low, mid, high = m[: n // 3], m[n // 3: 2 * n // 3], m[2 * n // 3:]
    assert 1.1 <= low.min() and low.max() <= 1.3  # winning too rarely: more aggressive
    assert 0.9 <= mid.min() and mid.max() <= 1.1
    assert 0.7 <= high.min() and high.max() <= 0.9  # winning too often: more conservative
    # boundaries: 0.3 and 0.7 are "in between"
    edge = strategy_multipliers("adaptive", 2, seed=2, success_rate=[0.3, 0.7],
                                exploration_rate=0.0)
    assert ((0.9 <= edge) & (edge <= 1.1)).all()
    x = strategy_multipliers("adaptive", n, seed=3, success_rate=np.full(n, 0.9),
                             exploration_rate=1.0)
    assert 0.5 <= x.min() and x.max() <= 1.5 and x.mean() == pytest.approx(1.0, abs=0.01)
    e = strategy_multipliers("adaptive", n, seed=3, success_rate=np.full(n, 0.9),
                             exploration_rate=0.2)
    assert ((e > 0.9) | (e < 0.7)).mean() == pytest.approx(0.2 * 0.8, abs=0.01)
    assert (strategy_multipliers("adaptive", 5, seed=1) == 1.0).all()  # no history: truthful


def test_adaptive_multiplier_window():
    assert adaptive_multiplier([]) == 1.0
    m = adaptive_multiplier([5.0] * 20 + [0.0] * 10, exploration_rate=0.0, seed=1)
    assert 1.1 <= m <= 1.3  # only the last 10 count: success rate 0
    m = adaptive_multiplier([0.0] * 20 + [5.0] * 10, exploration_rate=0.0, seed=1)
    assert 0.7 <= m <= 0.9


def test_strategic_bidder_adaptive_matches_scalar_rule():
    b = StrategicBidder("adaptive", exploration_rate=0.1, seed=9)
    b.reset(1)
    history = []
    rng = np.random.default_rng(0)
    for _ in range(25):
        rng_before = copy.deepcopy(b.rng)
        explore_before = float(b.exploration[0])
        bids, part = b.bid([2.0])
        expect = adaptive_multiplier(history, exploration_rate=explore_before, seed=rng_before)
        assert bids[0] == pytest.approx(2.0 * expect, rel=1e-15) and part[0]
        payoff = float(rng.choice([0.0, 12.0, -1.0]))
        history.append(payoff)
        b.observe(Feedback(values=np.array([2.0]), bids=bids, participated=part,
                           won=np.array([payoff != 0]), price=np.array([1.0]),
                           payment=np.array([1.0]), utility=np.array([payoff])))
        # the adaptive exploration-rate update over the last 5 payoffs
        recent = history[-5:]
        if sum(recent) / len(recent) < 10.0:
            want = min(0.3, explore_before * 1.1)
        else:
            want = max(0.05, explore_before * 0.95)
        assert b.exploration[0] == pytest.approx(want, rel=1e-12)


def test_task_valuations_and_costs():
    caps = [{"nlp": 1.0, "vision": 0.5}, {"nlp": 0.2}, {}, {"nlp": -3.0}]
    v = task_valuations(caps, ["nlp", "vision"], reward=100.0, seed=4)
    match = np.array([0.75, 0.1, 0.0, 0.0])  # min(1, sum/len); missing skill 0
    lo, hi = 100 * match * 0.8, 100 * match * 1.2
    assert ((v >= lo - 1e-12) & (v <= hi + 1e-12)).all()
    assert v[3] == 0.0  # negative match clipped at 0 (max(0, .))
    v0 = task_valuations(caps, [], reward=10.0, seed=4)
    assert ((v0 >= 4.0) & (v0 <= 6.0)).all()  # no required skills: match 0.5
    c = execution_costs(caps, ["nlp", "vision"], complexity=40.0)
    np.testing.assert_allclose(c, 40.0 * (2.0 - np.array([0.75, 0.35, 0.5, -1.25])))
    np.testing.assert_array_equal(execution_costs(caps, [], complexity=40.0), [40.0] * 4)
    arr = execution_costs(np.array([[1.0, 0.5]]), ["a", "b"], complexity=10.0)
    assert arr.tolist() == [12.5]


def test_participation_rule():
    # bid - cost >= cost * margin, boundary included
    assert participates([50.0, 49.0, 60.0], [40.0, 40.0, 40.0], 0.25).tolist() == [
        True, False, True]
    assert participates([10.0], [10.0], 0.0).tolist() == [True]


def test_task_payoffs():
    np.testing.assert_array_equal(task_payoffs(1, 30.0, [10.0, 20.0, 5.0]), [0.0, 10.0, 0.0])
    np.testing.assert_array_equal(task_payoffs(None, 0.0, [10.0, 20.0]), [0.0, 0.0])
    out = task_payoffs([0, -1], [7.0, 0.0], [[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_array_equal(out, [[6.0, 0.0], [0.0, 0.0]])
    with pytest.raises(ValueError, match="task_payoffs\\(\\): winner must be -1"):
        task_payoffs(5, 1.0, [1.0, 2.0])


def test_task_auction_flow():
    caps = [{"nlp": 1.0}, {"nlp": 0.9}, {"nlp": 0.1}]
    bidders = [StrategicBidder(s, seed=i) for i, s in enumerate(
        ["truthful", "conservative", "aggressive"])]
    res = task_auction(bidders, caps, ["nlp"], reward=100.0, complexity=50.0, seed=3)
    np.testing.assert_array_equal(res.participated,
                                  participates(res.bids, res.costs, 0.1))
    w = int(res.outcome.winner[0])
    if w >= 0:
        assert res.participated[w] and res.payoffs[w] == res.outcome.payment[0] - res.costs[w]
    # a lone participant pays the reserve (0 without one), not its own bid (which would break
    # truthfulness)
    lone = task_auction([StrategicBidder("truthful"), StrategicBidder("truthful")],
                        np.array([[1.0], [0.0]]), ["nlp"], reward=100.0, complexity=10.0,
                        seed=1)
    assert lone.participated.tolist() == [True, False]
    assert lone.outcome.winner[0] == 0 and lone.outcome.payment[0] == 0.0
    assert lone.payoffs[0] == -lone.costs[0]
    # nobody profitable: no sale
    none = task_auction([StrategicBidder("conservative")], [{"nlp": 0.0}], ["nlp"], seed=1)
    assert none.outcome.winner[0] == -1 and not none.payoffs.any()


def test_repeated_auction_shapes_and_reproducibility():
    def run():
        bidders = [StrategicBidder(s) for s in STRATEGIES]
        return repeated_auction(bidders, 30, markets=4, seed=5, mechanism="first")

    a, b = run(), run()
    assert a.bids.shape == (30, 4, 5) and a.winners.shape == (30, 4)
    for name in ("values", "bids", "winners", "prices", "payments", "utilities"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    truthful = a.bid_ratio(0)
    np.testing.assert_allclose(truthful, 1.0)
    assert ((a.bid_ratio(1) >= 1.05) & (a.bid_ratio(1) <= 1.15)).all()
    rows = a.winners >= 0
    won = np.take_along_axis(a.bids, np.maximum(a.winners, 0)[..., None], 2)[..., 0]
    np.testing.assert_array_equal(a.payments[rows], won[rows])


def test_repeated_auction_participation_with_costs():
    bidders = [StrategicBidder("truthful"), StrategicBidder("conservative")]
    values = np.array([1.0, 1.0])
    costs = np.array([0.5, 0.95])  # conservative bids <= 0.9 < 1.1 * 0.95: never takes part
    h = repeated_auction(bidders, 20, markets=3, values=values, costs=costs, seed=1)
    assert h.participated[..., 0].all() and not h.participated[..., 1].any()
    assert (h.winners == 0).all() and (h.payments == 0.0).all()


def test_repeated_reverse_procurement():
    bidders = [make_bidder("truthful"), make_bidder("truthful"), make_bidder("truthful")]
    h = repeated_auction(bidders, 50, markets=10, reverse=True, seed=2)
    low = h.values.argmin(axis=2)
    np.testing.assert_array_equal(h.winners, low)
    assert (h.utilities >= 0).all()


# ----------------------------------------------------------------------------- bad input


def test_unknown_strategy_names():
    with pytest.raises(ValueError, match="make_bidder\\(\\): strategy must be one of "
                                         "'truthful'.*'q-learning'; got 'greedy'"):
        make_bidder("greedy")
    with pytest.raises(ValueError, match="StrategicBidder\\(\\): strategy must be one of"):
        StrategicBidder("bandit")
    with pytest.raises(ValueError, match="strategy_multipliers\\(\\): strategy must be"):
        strategy_multipliers("TRUTHFUL", 3)
    with pytest.raises(ValueError, match="BanditBidder\\(\\): algorithm must be one of"):
        BanditBidder(algorithm="exp3")
    assert isinstance(make_bidder("bandit", epsilon=0.2), BanditBidder)
    assert isinstance(make_bidder("q-learning"), QLearningBidder)
    assert make_bidder("aggressive").strategy == "aggressive"


@pytest.mark.parametrize(
    "call, exc, match",
    [
        (lambda: BanditBidder(multipliers=[]), ValueError, "BanditBidder\\(\\): multipliers"),
        (lambda: BanditBidder(multipliers=[1.0, np.nan]), ValueError, "multipliers must be"),
        (lambda: QLearningBidder(price_bins=0), ValueError, "price_bins must be an integer"),
        (lambda: StrategicBidder("truthful", exploration_rate=2.0), ValueError,
         "exploration_rate must lie in \\[0, 1\\]"),
        (lambda: StrategicBidder("truthful").bid([1.0, np.nan]), ValueError,
         "StrategicBidder.bid\\(\\): values must be finite"),
        (lambda: strategy_multipliers("adaptive", 2, success_rate=[0.5]), ValueError,
         "success_rate must be None or \\(2,\\)"),
        (lambda: participates([1.0], [np.nan]), ValueError, "participates\\(\\): costs must be"),
        (lambda: task_valuations([], ["a"]), ValueError, "capabilities is empty"),
        (lambda: task_valuations([{"a": np.nan}], ["a"]), ValueError, "capabilities must be"),
        (lambda: execution_costs(np.ones((2, 3)), ["a"]), ValueError,
         "capabilities must be a list of"),
        (lambda: task_valuations([{"a": 1}], "a"), TypeError, "required_skills must be"),
        (lambda: task_auction([], [{}]), ValueError, "task_auction\\(\\): bidders must be"),
        (lambda: task_auction([object()], [{}]), TypeError, "bidders\\[0\\] must be"),
    ],
)
def test_bidder_bad_input(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_repeated_auction_bad_input():
    t = StrategicBidder("truthful")
    with pytest.raises(ValueError, match="repeated_auction\\(\\): bidders must be a non-empty"):
        repeated_auction([], 10)
    with pytest.raises(ValueError, match="bidders\\[1\\] is the same object as bidders\\[0\\]"):
        repeated_auction([t, t], 10)
    with pytest.raises(TypeError, match="bidders\\[0\\] has no reset\\(\\) method"):
        repeated_auction([object()], 10)
    with pytest.raises(ValueError, match="rounds must be an integer >= 1"):
        repeated_auction([t], 0)
    with pytest.raises(ValueError, match="values must be broadcastable"):
        repeated_auction([t, StrategicBidder("truthful")], 5, values=np.ones(3))
    with pytest.raises(ValueError, match="values must be finite and >= 0"):
        repeated_auction([t], 5, values=[np.nan])
    with pytest.raises(ValueError, match="values\\(rng, markets, n\\) must return shape"):
        repeated_auction([t], 5, values=lambda rng, m, n: np.ones(3))
    with pytest.raises(ValueError, match="mechanism must be one of"):
        repeated_auction([t], 5, mechanism="english")
    # a reverse second-price market with a lone seller and no maximum price: clear error
    with pytest.raises(ValueError, match="repeated_auction\\(\\): auction 0 is a reverse"):
        repeated_auction([t], 5, reverse=True)
