"""VCG with the Clarke pivot against brute-force enumeration; DSIC, IR, no deficit."""

import itertools
import warnings

import numpy as np
import pytest
from auction_reference import best_allocation, vcg_reference
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.auctions.combinatorial import vcg, vcg_multi_unit


def _as_ref(bids):
    return [(b, {j: 1 for j in items}, v) for b, items, v in bids]


def _check_against_reference(out, ref_bids, cap, n, reverse, bid_list=True):
    """Welfare, W(-i) and payments agree with enumeration to 1e-9 of the largest bid (the
    documented precision of the HiGHS solve)."""
    total, without = vcg_reference(ref_bids, cap, n, reverse)
    tol = 1e-9 * max(v for _, _, v in ref_bids) + 1e-300
    assert abs(out.welfare - total) <= tol
    fin = np.isfinite(without)
    np.testing.assert_array_equal(np.isfinite(out.welfare_without), fin)
    np.testing.assert_allclose(out.welfare_without[fin], np.array(without)[fin], rtol=0, atol=tol)
    # the returned allocation is feasible and attains the optimum
    used = out.allocation.sum(axis=0)
    assert (used >= cap).all() if reverse else (used <= cap).all()
    assert abs(out.values.sum() - total) <= tol
    for i in range(n):
        k = out.bid_index[i]
        if k >= 0 and bid_list:
            assert ref_bids[k][0] == i and out.values[i] == ref_bids[k][2]
    # Clarke pivot for the returned allocation (exact in the solver's own numbers)
    for i in range(n):
        if not fin[i]:
            continue
        assert abs(out.payments[i] - (without[i] - (total - out.values[i]))) <= 3 * tol
        assert out.payments[i] == out.welfare_without[i] - (out.welfare - out.values[i])


@st.composite
def combinatorial(draw, reverse=False):
    n = draw(st.integers(1, 4))
    m = draw(st.integers(1, 3))
    bids = []
    for i in range(n):
        for _ in range(draw(st.integers(0, 3))):
            items = draw(st.sets(st.integers(0, m - 1), min_size=1, max_size=m))
            value = draw(
                st.one_of(
                    st.integers(0, 6).map(float),
                    st.floats(0, 10, allow_nan=False, allow_infinity=False),
                )
            )
            bids.append((i, sorted(items), value))
    if not bids:
        bids.append((0, [0], 1.0))
    return n, m, bids


@settings(max_examples=60, deadline=None)
@given(inst=combinatorial())
def test_forward_combinatorial_matches_enumeration(inst):
    n, m, bids = inst
    out = vcg(bids, n_items=m, n_bidders=n)
    _check_against_reference(out, _as_ref(bids), [1] * m, n, reverse=False)
    assert (out.payments >= -1e-12).all()  # no deficit, bidder by bidder
    assert (out.utilities >= -1e-12).all()  # individually rational
    assert (out.payments <= out.values + 1e-12).all()
    assert out.revenue == pytest.approx(out.payments.sum())


@settings(max_examples=60, deadline=None)
@given(inst=combinatorial(), demand=st.lists(st.integers(0, 1), min_size=3, max_size=3))
def test_reverse_combinatorial_matches_enumeration(inst, demand):
    n, m, bids = inst
    cap = demand[:m]
    ref = _as_ref(bids)
    total, _ = best_allocation(ref, cap, True)
    if np.isinf(total):
        with pytest.raises(ValueError, match="vcg\\(\\): the demand cannot be met"):
            vcg(bids, n_items=m, n_bidders=n, reverse=True, demand=cap)
        return
    out = vcg(bids, n_items=m, n_bidders=n, reverse=True, demand=cap, essential="report")
    _check_against_reference(out, ref, cap, n, reverse=True)
    assert set(out.essential) == {i for i in range(n) if np.isinf(out.welfare_without[i])}
    finite = np.isfinite(out.payments)
    assert (out.utilities[finite] >= -1e-12).all()  # IR: paid at least the reported cost
    assert (out.payments[finite] >= out.values[finite] - 1e-12).all()
    assert np.isinf(out.payments[~finite]).all() and np.isinf(out.utilities[~finite]).all()


@settings(max_examples=40, deadline=None)
@given(
    table=st.lists(
        st.lists(st.integers(0, 6).map(float), min_size=3, max_size=3), min_size=1, max_size=4
    ),
    units=st.integers(1, 4),
    marginal=st.booleans(),
    reverse=st.booleans(),
)
def test_multi_unit_matches_enumeration(table, units, marginal, reverse):
    v = np.array(table)
    n, k = v.shape
    totals = np.cumsum(v, axis=1) if marginal else v
    ref = [
        (i, {0: q}, float(totals[i, q - 1]))
        for i in range(n)
        for q in range(1, k + 1)
        if reverse or q <= units
    ]
    total, _ = best_allocation(ref, [units], reverse)
    if np.isinf(total):
        with pytest.raises(ValueError, match="vcg_multi_unit\\(\\): the demand cannot be met"):
            vcg_multi_unit(v, units, marginal=marginal, reverse=reverse)
        return
    out = vcg_multi_unit(v, units, marginal=marginal, reverse=reverse, essential="report")
    _check_against_reference(out, ref, [units], n, reverse, bid_list=False)
    q = out.allocation[:, 0]
    assert (q.sum() >= units) if reverse else (q.sum() <= units)
    np.testing.assert_array_equal(out.bid_index, np.where(q > 0, q - 1, -1))
    for i in range(n):
        assert out.values[i] == (totals[i, q[i] - 1] if q[i] else 0.0)


def test_single_item_vcg_is_vickrey():
    out = vcg([(0, [0], 3.0), (1, [0], 7.0), (2, [0], 5.0)])
    assert out.bid_index.tolist() == [-1, 1, -1]
    assert out.payments.tolist() == [0.0, 5.0, 0.0]
    assert out.utilities.tolist() == [0.0, 2.0, 0.0]


def test_multi_unit_uniform_example():
    # 2 units; marginal values: bidder 0 (5, 3), bidder 1 (4, 1), bidder 2 (2, 2)
    out = vcg_multi_unit([[5, 3], [4, 1], [2, 2]], 2)
    assert out.allocation[:, 0].tolist() == [1, 1, 0]
    assert out.welfare == 9.0
    assert out.payments.tolist() == [2.0, 3.0, 0.0]  # p0 = 6 - 4, p1 = 8 - 5
    assert out.revenue == 5.0


def test_combinatorial_complements_example():
    """Bidder 0 wants both items for 3; bidders 1, 2 want one each for 2: they win and each
    pays 1 (W(-1) = 3, W - v_1 = 2)."""
    out = vcg([(0, 0b11, 3.0), (1, [0], 2.0), (2, [1], 2.0)])
    assert out.allocation.tolist() == [[0, 0], [1, 0], [0, 1]]
    assert out.payments.tolist() == [0.0, 1.0, 1.0]
    assert out.revenue == 2.0  # below the losing bid of 3: VCG is not core-selecting


def test_procurement_overpayment():
    """Sellers 0, 1 each supply one of two needed items at cost 1; seller 2 supplies both at
    3. VCG buys from 0 and 1 and pays each C(-i) - (C - c_i) = 3 - 1 = 2: the buyer spends 4,
    more than seller 2's ask of 3 (VCG overpays in procurement)."""
    out = vcg([(0, [0], 1.0), (1, [1], 1.0), (2, [0, 1], 3.0)], reverse=True)
    assert out.allocation.tolist() == [[1, 0], [0, 1], [0, 0]]
    assert out.welfare == 2.0
    assert out.payments.tolist() == [2.0, 2.0, 0.0]
    assert out.revenue == 4.0 > 3.0
    assert out.utilities.tolist() == [1.0, 1.0, 0.0]


def test_procurement_essential_seller():
    bids = [(0, [0], 1.0), (1, [1], 1.0), (2, [1], 4.0)]
    with pytest.raises(
        ValueError, match="vcg\\(\\): seller\\(s\\) \\[0\\] are essential.*essential='report'"
    ):
        vcg(bids, reverse=True)
    out = vcg(bids, reverse=True, essential="report")
    assert out.essential == (0,)
    assert np.isinf(out.payments[0]) and out.payments[1] == 4.0 and np.isinf(out.revenue)


def _true_utility(out, i, true_bids):
    """Bidder i's utility at its true valuation given the outcome of a report."""
    k = out.allocation[i]
    if not k.any():
        return out.payments[i] if out.reverse else -out.payments[i]
    # value of the won bundle under the XOR true valuation: best true atom contained in it
    got = {j for j in range(k.size) if k[j]}
    if out.reverse:
        # a seller's true cost of supplying exactly the bundle it asked for
        costs = [v for b, items, v in true_bids if b == i and set(items) == got]
        return out.payments[i] - min(costs)
    vals = [v for b, items, v in true_bids if b == i and set(items) <= got]
    return max(vals, default=0.0) - out.payments[i]


@pytest.mark.parametrize("reverse", [False, True])
def test_dsic_on_a_grid_of_misreports(reverse):
    rng = np.random.default_rng(11)
    factors = [0.0, 0.5, 0.8, 1.0, 1.25, 2.0]
    for _ in range(8):
        n, m = 3, 2
        bundles = [[0], [1], [0, 1]]
        truth = []
        for i in range(n):
            for b in rng.choice(3, size=2, replace=False):
                truth.append((i, bundles[b], float(rng.integers(1, 8))))
        if reverse:  # make every seller inessential: a backup seller for each item
            truth += [(n, [0], 20.0), (n + 1, [1], 20.0)]
        kw = dict(n_items=m, reverse=reverse)
        honest = vcg(truth, **kw)
        for i in range(n):
            u_true = _true_utility(honest, i, truth)
            assert u_true >= -1e-12
            mine = [k for k, b in enumerate(truth) if b[0] == i]
            for fs in itertools.product(factors, repeat=len(mine)):
                report = list(truth)
                for k, f in zip(mine, fs, strict=True):
                    report[k] = (i, truth[k][1], truth[k][2] * f)
                lie = vcg(report, **kw)
                assert _true_utility(lie, i, truth) <= u_true + 1e-9
            # dropping a bid altogether is no better either
            for k in mine:
                lie = vcg(
                    [b for j, b in enumerate(truth) if j != k],
                    n_bidders=len({b[0] for b in truth}),
                    **kw,
                )
                assert _true_utility(lie, i, truth) <= u_true + 1e-9


def test_multi_unit_dsic():
    rng = np.random.default_rng(4)
    for _ in range(6):
        v = np.sort(rng.integers(0, 10, size=(3, 3)).astype(float), axis=1)[:, ::-1]
        units = 3
        honest = vcg_multi_unit(v, units)
        for i in range(3):
            u = honest.utilities[i]
            for f in itertools.product([0.0, 0.5, 1.0, 1.5], repeat=3):
                r = v.copy()
                r[i] = v[i] * np.array(f)
                lie = vcg_multi_unit(r, units)
                q = lie.allocation[i, 0]
                assert v[i, :q].sum() - lie.payments[i] <= u + 1e-9


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "bids, kwargs, exc, match",
    [
        ([], {}, ValueError, "bids is empty"),
        ("abc", {}, TypeError, "bids must be a sequence"),
        ([(0, [0])], {}, TypeError, "bids\\[0\\] must be a \\(bidder, bundle, value\\)"),
        ([(0, [0], float("nan"))], {}, ValueError, "bids\\[0\\]: value must be finite"),
        ([(0, [0], -1.0)], {}, ValueError, "value must be finite and >= 0"),
        ([(0, [0], "1")], {}, TypeError, "value must be a real number"),
        ([(-1, [0], 1.0)], {}, ValueError, "bidder must be >= 0"),
        ([(0, [], 1.0)], {}, ValueError, "bundle is empty"),
        ([(0, 0, 1.0)], {}, ValueError, "bundle bitmask must be >= 1"),
        ([(0, [0, 0], 1.0)], {}, ValueError, "names an item twice"),
        ([(0, [-1], 1.0)], {}, ValueError, "items must be non-negative integers"),
        ([(0, "ab", 1.0)], {}, TypeError, "bundle must be a bitmask"),
        ([(0, [3], 1.0)], {"n_items": 2}, ValueError, "n_items = 2 but a bid names item 3"),
        ([(2, [0], 1.0)], {"n_bidders": 2}, ValueError, "n_bidders = 2"),
        ([(0, [0], 1.0)], {"supply": [1, 2]}, ValueError, "supply must be a scalar or have"),
        ([(0, [0], 1.0)], {"supply": 1.5}, ValueError, "supply must be non-negative integers"),
        ([(0, [0], 1.0)], {"demand": 1}, ValueError, "demand= is for reverse"),
        ([(0, [0], 1.0)], {"reverse": True, "supply": 1}, ValueError, "supply= is for forward"),
        ([(0, [0], 1.0)], {"essential": "ignore"}, ValueError, "essential must be"),
        ([(0, [0], 1.0)], {"reverse": True, "demand": 2}, ValueError, "demand cannot be met"),
    ],
)
def test_bad_input(bids, kwargs, exc, match):
    with pytest.raises(exc, match=f"vcg\\(\\): .*{match}"):
        vcg(bids, **kwargs)


@pytest.mark.parametrize(
    "values, units, exc, match",
    [
        (np.zeros((0, 2)), 1, ValueError, "values must have shape \\(n, k\\)"),
        ([1.0, 2.0], 1, ValueError, "values must have shape \\(n, k\\)"),
        ([[1.0, np.nan]], 1, ValueError, "values must be finite; entry \\(0, 1\\)"),
        ([[1.0, -1.0]], 1, ValueError, "values must be >= 0"),
        ([[1.0]], 0, ValueError, "units must be >= 1"),
        ([[1.0]], 1.5, TypeError, "units must be an integer"),
    ],
)
def test_multi_unit_bad_input(values, units, exc, match):
    with pytest.raises(exc, match=f"vcg_multi_unit\\(\\): {match}"):
        vcg_multi_unit(values, units)


OVERFLOW = r"overflows float64.*rescale the values"


@pytest.mark.parametrize(
    "bids",
    [
        [(0, [0], 1.7e308), (1, [1], 1.7e308)],
        [(0, [0], 1e308), (1, [1], 1e308), (2, [0, 1], 1.5e308)],
    ],
)
def test_forward_welfare_overflow_is_a_clear_error(bids):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match=r"vcg\(\): the bids' welfare .*" + OVERFLOW):
            vcg(bids)
        with pytest.raises(ValueError, match=r"vcg\(\): the bids' welfare .*" + OVERFLOW):
            vcg(bids, essential="report")


def test_reverse_cost_overflow_is_not_reported_as_an_essential_seller():
    # without seller 2 the demand is met only at a cost above the float64 range
    bids = [(0, [0], 1e308), (1, [1], 1e308), (2, [0, 1], 1.5e308)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for essential in ("raise", "report"):
            with pytest.raises(ValueError, match=r"vcg\(\): the sellers' total cost .*" + OVERFLOW):
                vcg(bids, reverse=True, essential=essential)


def test_multi_unit_overflow_is_a_clear_error():
    v = np.array([[1.7e308, 1e308], [1.7e308, 1.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match=r"vcg_multi_unit\(\): bidder 0's value of 2 units"):
            vcg_multi_unit(v, 2)
        with pytest.raises(ValueError, match=r"vcg_multi_unit\(\): the bids' welfare"):
            vcg_multi_unit(v, 2, marginal=False)


def test_near_limit_values_that_do_not_overflow_still_work():
    out = vcg([(0, [0], 1.7e308), (1, [0], 1.6e308)])
    assert out.welfare == 1.7e308 and out.payments[0] == 1.6e308
