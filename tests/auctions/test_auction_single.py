"""Single sealed-bid auctions: exact outcomes on fixed bid tables, properties, bad input."""

import math

import numpy as np
import pytest
from auction_reference import single_item
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.auctions.single import first_price, second_price

AUCTIONS = {"first": first_price, "second": second_price}

# bids, reserve, reverse, expected (first-price winner, price), (second-price winner, price)
TABLE = [
    ([3.0, 7.0, 5.0], None, False, (1, 7.0), (1, 5.0)),
    ([4.0, 9.0, 9.0, 2.0], None, False, (1, 9.0), (1, 9.0)),  # tie: lowest index, price = tie
    ([9.0, 9.0, 9.0], None, False, (0, 9.0), (0, 9.0)),
    ([6.0], None, False, (0, 6.0), (0, 0.0)),  # lone bidder pays the reserve (0), not its bid
    ([6.0], 2.5, False, (0, 6.0), (0, 2.5)),
    ([3.0, 7.0, 5.0], 6.0, False, (1, 7.0), (1, 6.0)),  # reserve above the runner-up
    ([3.0, 7.0, 5.0], 7.0, False, (1, 7.0), (1, 7.0)),  # a bid equal to the reserve sells
    ([3.0, 7.0, 5.0], 7.5, False, (None, None), (None, None)),  # reserve above every bid
    ([0.0, 0.0], None, False, (0, 0.0), (0, 0.0)),
    ([3.0, 7.0, 5.0], None, True, (0, 3.0), (0, 5.0)),
    ([4.0, 2.0, 2.0, 8.0], None, True, (1, 2.0), (1, 2.0)),  # reverse tie
    ([3.0, 7.0, 5.0], 4.0, True, (0, 3.0), (0, 4.0)),  # buyer's maximum below the runner-up
    ([3.0, 7.0, 5.0], 2.0, True, (None, None), (None, None)),  # every ask above the maximum
    ([6.0], 8.0, True, (0, 6.0), (0, 8.0)),
]


@pytest.mark.parametrize("bids, reserve, reverse, first, second", TABLE)
def test_fixed_tables(bids, reserve, reverse, first, second):
    for mech, (w, p) in (("first", first), ("second", second)):
        out = AUCTIONS[mech](bids, reserve=reserve, reverse=reverse)
        assert out.winner == w
        assert out.sold is (w is not None)
        if w is None:
            assert out.payment == 0.0 and math.isnan(out.price) and out.revenue == 0.0
            assert not out.payments.any()
        else:
            assert out.price == p and out.payment == p and out.revenue == p
            expect = np.zeros(len(bids))
            expect[w] = p
            np.testing.assert_array_equal(out.payments, expect)
        assert out.mechanism == mech and out.reverse is reverse


def test_utilities_and_efficiency_forward():
    out = second_price([3.0, 7.0, 5.0], values=[4.0, 8.0, 6.0])
    np.testing.assert_array_equal(out.utilities, [0.0, 3.0, 0.0])
    assert out.efficiency == 1.0
    # overbidding by a low-value bidder: inefficient sale and negative utility
    out = second_price([3.0, 9.0, 5.0], values=[4.0, 2.0, 6.0])
    assert out.winner == 1 and out.utilities[1] == 2.0 - 5.0
    assert out.efficiency == pytest.approx(2.0 / 6.0)
    # no sale: efficiency 0, or 1 when nobody values the item
    assert second_price([1.0], reserve=2.0, values=[3.0]).efficiency == 0.0
    assert second_price([1.0], reserve=2.0, values=[0.0]).efficiency == 1.0
    assert first_price([3.0, 7.0], values=[5.0, 8.0]).utilities.tolist() == [0.0, 1.0]


def test_utilities_and_efficiency_reverse():
    out = second_price([3.0, 7.0, 5.0], reverse=True, values=[2.0, 7.0, 4.0])
    np.testing.assert_array_equal(out.utilities, [3.0, 0.0, 0.0])
    assert out.efficiency == 1.0
    out = first_price([3.0, 7.0, 5.0], reverse=True, values=[3.0, 1.0, 5.0])
    assert out.utilities[0] == 0.0 and out.efficiency == pytest.approx(1.0 / 3.0)
    assert first_price([3.0], reverse=True, reserve=1.0, values=[2.0]).efficiency == 0.0
    assert first_price([0.0, 1.0], reverse=True, values=[0.0, 0.0]).efficiency == 1.0


def test_tie_break_random_is_reproducible_and_uniform():
    bids = [5.0, 9.0, 1.0, 9.0, 9.0]
    winners = [second_price(bids, tie_break="random", seed=s).winner for s in range(600)]
    assert set(winners) == {1, 3, 4}
    counts = np.bincount(winners, minlength=5)[[1, 3, 4]]
    assert counts.min() > 150  # ~200 each
    a = second_price(bids, tie_break="random", seed=7)
    b = second_price(bids, tie_break="random", seed=np.random.default_rng(7))
    assert a.winner == b.winner
    # the price with a tie is the tied bid whoever wins
    assert {second_price(bids, tie_break="random", seed=s).price for s in range(20)} == {9.0}


def test_input_not_altered_and_copied():
    bids = np.array([1.0, 2.0])
    out = second_price(bids)
    bids[0] = 10.0
    assert out.bids.tolist() == [1.0, 2.0]


finite = st.floats(min_value=0.0, max_value=100.0, allow_nan=False, allow_infinity=False)
# Small integers make ties frequent.
bid_lists = st.lists(st.one_of(finite, st.integers(0, 5).map(float)), min_size=1, max_size=8)


@settings(max_examples=200, deadline=None)
@given(bids=bid_lists, reserve=st.one_of(st.none(), st.integers(0, 6).map(float), finite),
       reverse=st.booleans(), mech=st.sampled_from(["first", "second"]))
def test_matches_reference(bids, reserve, reverse, mech):
    if mech == "second" and reverse and reserve is None and len(bids) == 1:
        return
    out = AUCTIONS[mech](bids, reserve=reserve, reverse=reverse)
    w, p = single_item(bids, mechanism=mech, reserve=reserve, reverse=reverse)
    assert out.winner == w
    if w is not None:
        assert out.price == p


@settings(max_examples=200, deadline=None)
@given(bids=bid_lists, reserve=st.one_of(st.none(), finite), reverse=st.booleans(),
       mech=st.sampled_from(["first", "second"]))
def test_individual_rationality_and_reserve(bids, reserve, reverse, mech):
    """Truthful bidders never lose money; losers pay 0; no sale beyond the reserve."""
    if mech == "second" and reverse and reserve is None and len(bids) == 1:
        return
    out = AUCTIONS[mech](bids, reserve=reserve, reverse=reverse, values=bids)
    assert (out.utilities >= 0).all()
    losers = np.arange(len(bids)) != (out.winner if out.sold else -1)
    assert not out.payments[losers].any() and not out.utilities[losers].any()
    if out.sold:
        if reverse:
            assert out.price >= bids[out.winner]
            assert reserve is None or out.price <= reserve
        else:
            assert out.price <= bids[out.winner]
            assert reserve is None or out.price >= reserve
    elif reserve is not None:
        assert (min(bids) > reserve) if reverse else (max(bids) < reserve)
    else:
        pytest.fail("without reserve there is always a sale")
    # truthful second price is efficient whenever it sells
    if mech == "second" and out.sold:
        assert out.efficiency == 1.0


GRID = np.linspace(0.0, 2.0, 21)


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("reserve", [None, 0.55])
def test_second_price_dsic_on_a_grid(reverse, reserve):
    """Truthful utility >= utility of every deviation on a grid, for every opponent profile
    on a grid (ties included), for both tie-break rules."""
    rng = np.random.default_rng(0)
    for _ in range(40):
        others = list(rng.choice(GRID[:15], size=int(rng.integers(1, 4))))
        value = float(rng.choice(GRID[:15]))
        for pos in range(len(others) + 1):
            for tb in ("lowest-index", "random"):
                def util(b, pos=pos, tb=tb, others=others, value=value):
                    bids = others[:pos] + [b] + others[pos:]
                    vals = [0.0] * len(bids)
                    vals[pos] = value
                    o = second_price(bids, reserve=reserve, reverse=reverse, values=vals,
                                     tie_break=tb, seed=3)
                    return o.utilities[pos]
                truthful = util(value)
                deviations = [util(float(b)) for b in GRID]
                assert truthful >= max(deviations) - 1e-12


def test_first_price_is_not_dsic():
    """Shading pays in a first-price auction (so the DSIC test above is not vacuous)."""
    truthful = first_price([0.8, 0.3], values=[0.8, 0.0]).utilities[0]
    shaded = first_price([0.5, 0.3], values=[0.8, 0.0]).utilities[0]
    assert truthful == 0.0 and shaded > 0.0


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("func", [first_price, second_price])
@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        ({"bids": []}, ValueError, "bids is empty"),
        ({"bids": [1.0, float("nan")]}, ValueError, "bids must be finite; entry 1 is nan"),
        ({"bids": [1.0, float("inf")]}, ValueError, "bids must be finite; entry 1"),
        ({"bids": [1.0, -2.0]}, ValueError, "bids must be >= 0; entry 1"),
        ({"bids": [[1.0, 2.0]]}, ValueError, "bids must be 1-dimensional.*batch_auction"),
        ({"bids": "12"}, TypeError, "bids must be numbers"),
        ({"bids": ["a", "b"]}, TypeError, "bids must be real numbers"),
        ({"bids": [1.0], "reserve": float("nan")}, ValueError, "reserve must be finite"),
        ({"bids": [1.0], "reserve": -1.0}, ValueError, "reserve must be >= 0"),
        ({"bids": [1.0], "reserve": "1"}, TypeError, "reserve must be a real number"),
        ({"bids": [1.0, 2.0], "values": [1.0]}, ValueError, "values must have shape \\(2,\\)"),
        ({"bids": [1.0, 2.0], "values": [1.0, np.nan]}, ValueError, "values must be finite"),
        ({"bids": [1.0], "tie_break": "highest"}, ValueError, "tie_break must be one of"),
        ({"bids": [1.0], "tie_break": "random", "seed": -1}, ValueError, "seed must be a non-neg"),
        ({"bids": [1.0], "tie_break": "random", "seed": 1.5}, TypeError, "seed must be"),
        ({"bids": [1.0], "reverse": "yes"}, TypeError, "reverse must be True or False"),
    ],
)
def test_bad_input(func, kwargs, exc, match):
    with pytest.raises(exc, match=f"{func.__name__}\\(\\): .*{match}"):
        func(**kwargs)


def test_reverse_second_price_lone_seller_needs_reserve():
    with pytest.raises(ValueError, match="second_price\\(\\): .*one seller and no reserve.*"
                                         "reserve="):
        second_price([3.0], reverse=True)
    assert second_price([3.0], reverse=True, reserve=5.0).price == 5.0
    assert first_price([3.0], reverse=True).price == 3.0
