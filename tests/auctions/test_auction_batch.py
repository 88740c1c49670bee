"""batch_auction agrees exactly with the single-auction functions, row by row."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from accord.auctions.batch import batch_auction
from accord.auctions.single import first_price, second_price

AUCTIONS = {"first": first_price, "second": second_price}


def _row(bids, mask, values, reserve, mech, reverse):
    """The single-auction outcome of one row, mapped back to full-row bidder indices."""
    idx = np.flatnonzero(mask)
    if idx.size == 0:
        return None
    out = AUCTIONS[mech](bids[idx], reserve=reserve, reverse=reverse,
                         values=None if values is None else values[idx])
    return idx, out


def _check(res, bids, mask, values, reserve, mech, reverse):
    B, n = bids.shape
    for i in range(B):
        r = None if reserve is None else float(np.broadcast_to(reserve, (B,))[i])
        single = _row(bids[i], mask[i], None if values is None else values[i], r, mech, reverse)
        if single is None:
            assert res.winner[i] == -1 and not res.sold[i] and res.payment[i] == 0.0
            assert math.isnan(res.price[i])
            if values is not None:
                assert not res.utilities[i].any() and res.efficiency[i] == 1.0
            continue
        idx, out = single
        assert res.sold[i] == out.sold
        assert res.winner[i] == (idx[out.winner] if out.sold else -1)
        assert res.payment[i] == out.payment and res.revenue[i] == out.revenue
        assert (math.isnan(res.price[i]) and math.isnan(out.price)) or res.price[i] == out.price
        if values is not None:
            full = np.zeros(n)
            full[idx] = out.utilities
            np.testing.assert_array_equal(res.utilities[i], full)
            assert res.efficiency[i] == out.efficiency
        assert res.participants[i] == idx.size


@st.composite
def tables(draw):
    B = draw(st.integers(1, 6))
    n = draw(st.integers(1, 6))
    elems = st.one_of(st.integers(0, 4).map(float),
                      st.floats(0.0, 10.0, allow_nan=False, allow_infinity=False))
    bids = draw(hnp.arrays(np.float64, (B, n), elements=elems))
    values = draw(st.one_of(st.none(), hnp.arrays(np.float64, (B, n), elements=elems)))
    mask = draw(st.one_of(st.none(), hnp.arrays(np.bool_, (B, n))))
    reserve = draw(st.one_of(st.none(), st.integers(0, 5).map(float),
                             hnp.arrays(np.float64, (B,), elements=elems)))
    return bids, values, mask, reserve


@settings(max_examples=300, deadline=None)
@given(data=tables(), mech=st.sampled_from(["first", "second"]), reverse=st.booleans())
def test_agrees_with_single(data, mech, reverse):
    bids, values, mask, reserve = data
    full_mask = np.ones(bids.shape, dtype=bool) if mask is None else mask
    if mech == "second" and reverse and reserve is None and (full_mask.sum(1) == 1).any():
        with pytest.raises(ValueError, match="batch_auction\\(\\): auction .* one participant"):
            batch_auction(bids, mechanism=mech, reverse=reverse, values=values, mask=mask)
        return
    res = batch_auction(bids, mechanism=mech, reserve=reserve, reverse=reverse, values=values,
                        mask=mask)
    assert res.winner.dtype == np.int64 and res.sold.dtype == bool
    assert res.mechanism == mech and res.reverse is reverse
    _check(res, bids, full_mask, values, reserve, mech, reverse)


@settings(max_examples=100, deadline=None)
@given(bids=hnp.arrays(np.float64, st.integers(1, 7), elements=st.integers(0, 2).map(float)),
       seed=st.integers(0, 2**32), mech=st.sampled_from(["first", "second"]))
def test_random_tie_break_matches_single(bids, seed, mech):
    one = AUCTIONS[mech](bids, tie_break="random", seed=seed)
    res = batch_auction(bids[None, :], mechanism=mech, tie_break="random", seed=seed)
    assert res.winner[0] == one.winner and res.payment[0] == one.payment


def test_random_tie_break_is_uniform_over_tied_bidders():
    bids = np.tile([1.0, 3.0, 3.0, 0.0, 3.0], (30_000, 1))
    res = batch_auction(bids, tie_break="random", seed=1)
    counts = np.bincount(res.winner, minlength=5)
    assert counts[[0, 3]].sum() == 0
    np.testing.assert_allclose(counts[[1, 2, 4]] / 30_000, 1 / 3, atol=0.015)
    assert (res.payment == 3.0).all()
    again = batch_auction(bids, tie_break="random", seed=1)
    np.testing.assert_array_equal(res.winner, again.winner)


def test_lowest_index_tie_break_and_mask():
    bids = np.array([[5.0, 5.0, 1.0], [5.0, 5.0, 1.0], [2.0, 2.0, 2.0]])
    mask = np.array([[True, True, True], [False, True, True], [False, False, False]])
    res = batch_auction(bids, mask=mask)
    assert res.winner.tolist() == [0, 1, -1]
    assert res.payment.tolist() == [5.0, 1.0, 0.0]
    assert res.participants.tolist() == [3, 2, 0]


def test_empty_batch():
    res = batch_auction(np.zeros((0, 3)), values=np.zeros((0, 3)))
    assert res.winner.shape == (0,) and res.utilities.shape == (0, 3)


def test_input_not_altered():
    bids = np.array([[1.0, 2.0], [3.0, 0.5]])
    copy = bids.copy()
    batch_auction(bids, reverse=True, reserve=[4.0, 4.0])
    np.testing.assert_array_equal(bids, copy)


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        ({"bids": np.zeros(3)}, ValueError, "bids must be 2-dimensional"),
        ({"bids": np.zeros((2, 0))}, ValueError, "at least one bidder column"),
        ({"bids": np.array([[1.0, np.nan]])}, ValueError,
         "bids must be finite; entry \\(0, 1\\) is nan.*mask="),
        ({"bids": np.array([[1.0, -1.0]])}, ValueError, "bids must be >= 0; entry \\(0, 1\\)"),
        ({"bids": np.array([["a"]])}, TypeError, "bids must be real numbers"),
        ({"bids": np.ones((2, 2)), "values": np.ones((2, 3))}, ValueError,
         "values must have the shape of bids"),
        ({"bids": np.ones((2, 2)), "values": np.full((2, 2), np.inf)}, ValueError,
         "values must be finite"),
        ({"bids": np.ones((2, 2)), "mask": np.ones((2, 2))}, TypeError, "mask must be a bool"),
        ({"bids": np.ones((2, 2)), "mask": np.ones((2, 3), dtype=bool)}, ValueError,
         "mask must have the shape"),
        ({"bids": np.ones((2, 2)), "reserve": [1.0, 2.0, 3.0]}, ValueError,
         "reserve must be a scalar or have shape \\(2,\\)"),
        ({"bids": np.ones((2, 2)), "reserve": np.nan}, ValueError, "reserve must be finite"),
        ({"bids": np.ones((2, 2)), "reserve": -1.0}, ValueError, "reserve must be finite and >= 0"),
        ({"bids": np.ones((2, 2)), "mechanism": "dutch"}, ValueError, "mechanism must be one of"),
        ({"bids": np.ones((2, 2)), "tie_break": "coin"}, ValueError, "tie_break must be one of"),
        ({"bids": np.ones((2, 1)), "reverse": True}, ValueError,
         "auction 0 is a reverse second-price auction with one participant"),
    ],
)
def test_bad_input(kwargs, exc, match):
    with pytest.raises(exc, match=f"batch_auction\\(\\): .*{match}"):
        batch_auction(**kwargs)


@pytest.mark.gpu
def test_cupy_in_cupy_out():
    cupy = pytest.importorskip("cupy")
    rng = np.random.default_rng(5)
    bids = np.round(rng.random((2000, 9)) * 4) / 4  # many ties
    values = rng.random((2000, 9))
    mask = rng.random((2000, 9)) < 0.8
    reserve = rng.random(2000) * 0.5
    for mech in ("first", "second"):
        for reverse in (False, True):
            for tb in ("lowest-index", "random"):
                kw = dict(mechanism=mech, reverse=reverse, reserve=reserve, tie_break=tb, seed=3)
                cpu = batch_auction(bids, values=values, mask=mask, **kw)
                gpu = batch_auction(cupy.asarray(bids), values=cupy.asarray(values),
                                    mask=cupy.asarray(mask), **kw)
                for name in ("winner", "sold", "price", "payment", "utilities", "efficiency"):
                    g = getattr(gpu, name)
                    assert isinstance(g, cupy.ndarray)
                    np.testing.assert_array_equal(cupy.asnumpy(g), getattr(cpu, name))
