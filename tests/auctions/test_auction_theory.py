"""Monte-Carlo revenue of batch_auction against the closed forms for U[0,1] values.

Each check asserts that the closed form lies in the 99.9% confidence interval (z = 3.29) of
the sample mean, with the standard error from the sample standard deviation. Seeds are fixed.
"""

import numpy as np
import pytest

from accord.auctions import theory
from accord.auctions.batch import batch_auction

Z = 3.2905  # two-sided 99.9%
SAMPLES = 200_000


def assert_in_ci(samples: np.ndarray, expected: float) -> None:
    mean = samples.mean()
    half = Z * samples.std(ddof=1) / np.sqrt(samples.size)
    assert abs(mean - expected) <= half, (mean, expected, half)


def values(n: int, seed: int) -> np.ndarray:
    return np.random.default_rng([seed, n]).random((SAMPLES, n))


@pytest.mark.parametrize("n", [2, 3, 5])
def test_second_price_revenue_welfare_surplus(n):
    v = values(n, 1)
    out = batch_auction(v, mechanism="second", values=v)
    assert out.sold.all() and (out.efficiency == 1.0).all()
    assert_in_ci(out.revenue, theory.expected_revenue(n))
    assert_in_ci(v.max(axis=1), theory.expected_winner_value(n))
    assert_in_ci(out.utilities.sum(axis=1), theory.expected_bidder_surplus(n))


@pytest.mark.parametrize("n", [2, 3, 5])
def test_first_price_equilibrium_revenue(n):
    v = values(n, 2)
    out = batch_auction(theory.first_price_bid(v, n), mechanism="first", values=v)
    assert (out.efficiency == 1.0).all()  # the equilibrium bid is increasing: efficient
    assert_in_ci(out.revenue, theory.expected_revenue(n))  # revenue equivalence


@pytest.mark.parametrize("n", [2, 4])
@pytest.mark.parametrize("r", [0.3, 0.5, 0.8])
def test_reserve_revenue(n, r):
    v = values(n, 3)
    second = batch_auction(v, mechanism="second", reserve=r)
    assert not second.sold[v.max(axis=1) < r].any()
    assert_in_ci(second.revenue, theory.expected_revenue(n, r))
    first = batch_auction(theory.first_price_bid(v, n, reserve=r), mechanism="first", reserve=r)
    np.testing.assert_array_equal(first.sold, second.sold)
    assert_in_ci(first.revenue, theory.expected_revenue(n, r))


@pytest.mark.parametrize("n", [2, 3, 5])
def test_reverse_payment(n):
    c = values(n, 4)
    second = batch_auction(c, mechanism="second", reverse=True, values=c)
    assert (second.efficiency == 1.0).all() and (second.utilities >= 0).all()
    assert_in_ci(second.revenue, theory.reverse_expected_payment(n))
    first = batch_auction(theory.reverse_first_price_bid(c, n), mechanism="first", reverse=True)
    np.testing.assert_array_equal(first.winner, second.winner)
    assert_in_ci(first.revenue, theory.reverse_expected_payment(n))


@pytest.mark.parametrize("n, r", [(2, 0.6), (3, 0.4)])
def test_reverse_payment_with_maximum_price(n, r):
    c = values(n, 5)
    out = batch_auction(c, mechanism="second", reverse=True, reserve=r)
    assert not out.sold[c.min(axis=1) > r].any()
    assert_in_ci(out.revenue, theory.reverse_expected_payment(n, r))


def test_closed_forms():
    for n in range(1, 8):
        assert theory.expected_revenue(n) == pytest.approx((n - 1) / (n + 1))
        assert theory.reverse_expected_payment(n, 1.0) == pytest.approx(2 / (n + 1))
        # the optimal reserve 1/2 maximises the closed form
        grid = np.linspace(0, 1, 101)
        rev = [theory.expected_revenue(n, r) for r in grid]
        assert grid[int(np.argmax(rev))] == theory.optimal_reserve(n) == 0.5
    assert theory.expected_revenue(2, 0.5) == pytest.approx(5 / 12)
    assert theory.first_price_bid(0.4, 3, reserve=0.4) == pytest.approx(0.4)
    np.testing.assert_allclose(theory.first_price_bid([0.2, 0.9], 3, reserve=0.0),
                               [0.2 * 2 / 3, 0.9 * 2 / 3])
    assert theory.first_price_bid(0.1, 3, reserve=0.4) == 0.1
    assert theory.reverse_first_price_bid(0.0, 4) == 0.25


def test_first_price_bid_is_a_best_response():
    """Against n-1 opponents bidding b(v), no bid on a grid beats b(v) in expectation
    (the win probability of a bid x is (b^{-1}(x))**(n-1), exactly)."""
    n, r = 3, 0.3
    vgrid = np.linspace(0, 1, 2001)
    bgrid = theory.first_price_bid(vgrid, n, reserve=r)

    def expected_utility(v, x):
        if x < r:
            return 0.0
        inv = np.interp(x, bgrid[vgrid >= r], vgrid[vgrid >= r], right=1.0)
        return (v - x) * inv ** (n - 1)

    for v in (0.35, 0.5, 0.8, 1.0):
        eq = expected_utility(v, float(theory.first_price_bid(v, n, reserve=r)))
        for x in np.linspace(0, 1, 201):
            assert expected_utility(v, x) <= eq + 1e-6


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: theory.expected_revenue(0), "expected_revenue\\(\\): n must be >= 1"),
        (lambda: theory.expected_revenue(2, 1.5), "expected_revenue\\(\\): reserve must lie"),
        (lambda: theory.first_price_bid([0.5, 2.0], 2), "first_price_bid\\(\\): values must"),
        (lambda: theory.reverse_expected_payment(2, -0.1),
         "reverse_expected_payment\\(\\): reserve must be >= 0"),
    ],
)
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_first_price_bid_stays_finite_for_many_bidders():
    # v**(n-1) underflows for n = 500; the bid is still v - v (1 - (r/v)**n) / n
    bid = theory.first_price_bid([0.2, 0.5], 500, reserve=0.1)
    np.testing.assert_allclose(bid, [0.2 - 0.2 / 500, 0.5 - 0.5 / 500])
    np.testing.assert_allclose(theory.first_price_bid(0.5, 10**30, reserve=0.1), 0.5)
