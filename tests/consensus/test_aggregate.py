"""Robust aggregation (accord.consensus.aggregate): exact values, breakdown, weights, errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from accord.consensus.aggregate import (
    breakdown_point,
    geometric_median,
    max_byzantine,
    median,
    trimmed_mean,
)

# ----------------------------------------------------------------------------- references


def drop_reference(positions, f: int) -> np.ndarray:
    """Brute force: per coordinate sort a Python list, drop f from each end, np.mean the rest
    (clipped into the kept range, as documented: this only undoes rounding)."""
    a = np.asarray(positions, dtype=float)
    cols = a.reshape(a.shape[0], -1).T
    out = []
    for col in cols:
        kept = sorted(col.tolist())[f : len(col) - f]
        out.append(float(np.clip(np.mean(np.array(kept)), kept[0], kept[-1])))
    return np.array(out).reshape(a.shape[1:])


def weighted_trim_reference(values, weights, beta: float) -> float:
    """Weighted trimmed mean of one coordinate, agent by agent, in exact-ish float loops."""
    pairs = sorted(zip(values, weights, strict=True))
    total = sum(weights)
    lo, hi = beta * total, (1 - beta) * total
    num = den = 0.0
    acc = 0.0
    for v, w in pairs:
        keep = max(0.0, min(acc + w, hi) - max(acc, lo))
        num += keep * v
        den += keep
        acc += w
    return num / den


def weighted_median_reference(values, weights) -> float:
    pairs = sorted(zip(values, weights, strict=True))
    total = sum(weights)
    acc = 0.0
    lower = upper = None
    for v, w in pairs:
        acc += w
        if lower is None and acc >= total / 2:
            lower = v
        if upper is None and acc > total / 2:
            upper = v
    return (lower + upper) / 2


# ----------------------------------------------------------------------------- strategies

honest_values = st.floats(-1e6, 1e6, allow_nan=False, allow_subnormal=False)
evil_values = st.one_of(
    st.floats(-1e300, 1e300, allow_nan=False, allow_infinity=False),
    st.sampled_from([-1e300, 1e300, -1e12, 1e12]),
)


@st.composite
def honest_and_evil(draw, n_evil=lambda m, f: f):
    """(m, d) positions, f, and the index set of the Byzantine rows."""
    m = draw(st.integers(1, 12))
    d = draw(st.integers(1, 3))
    f = draw(st.integers(0, (m - 1) // 2))
    k = n_evil(m, f)
    X = draw(hnp.arrays(np.float64, (m, d), elements=honest_values))
    evil = draw(st.lists(st.integers(0, m - 1), min_size=k, max_size=k, unique=True))
    for i in evil:
        X[i] = draw(hnp.arrays(np.float64, (d,), elements=evil_values))
    return X, f, np.array(sorted(evil), dtype=int)


def honest_range(X, evil):
    honest = np.delete(X, evil, axis=0)
    return honest.min(axis=0), honest.max(axis=0)


# ----------------------------------------------------------------------------- exact values


def test_small_table_unweighted():
    x = [1.0, 2.0, 3.0, 4.0, 100.0]
    assert trimmed_mean(x, f=0) == pytest.approx(22.0)
    assert trimmed_mean(x, f=1) == 3.0
    assert trimmed_mean(x, f=2) == 3.0
    assert median(x) == 3.0
    assert median([4.0, 1.0, 3.0, 2.0]) == 2.5
    # trim*m = 0.5: half of the smallest and half of the largest agent are removed
    assert trimmed_mean(x, trim=0.1) == pytest.approx((0.5 * 1 + 2 + 3 + 4 + 0.5 * 100) / 4)
    assert trimmed_mean(x, trim=0.2) == trimmed_mean(x, f=1)
    out = trimmed_mean(x, f=1)
    assert isinstance(out, np.ndarray) and out.shape == () and out.dtype == np.float64


def test_small_table_two_coordinates():
    X = [[1.0, -5.0], [2.0, 0.0], [3.0, 7.0], [50.0, 1.0], [-9.0, 2.0]]
    np.testing.assert_array_equal(trimmed_mean(X, f=1), [2.0, 1.0])
    np.testing.assert_array_equal(median(X), [2.0, 1.0])
    np.testing.assert_array_equal(trimmed_mean(X, f=2), median(X))
    out = trimmed_mean(X, f=1)
    assert out.shape == (2,) and out.dtype == np.float64


def test_small_table_weighted():
    x = [1.0, 2.0, 3.0, 4.0, 100.0]
    w = [1.0, 2.0, 3.0, 4.0, 0.5]
    # W = 10.5 and f=1 trims 2.1 from each side. Sorted weight blocks: value 1 [0, 1],
    # 2 [1, 3], 3 [3, 6], 4 [6, 10], 100 [10, 10.5]; kept (2.1, 8.4]: 0.9 of value 2, all 3
    # of value 3, 2.4 of value 4; values 1 and 100 are cut entirely.
    expected = (0.9 * 2 + 3 * 3 + 2.4 * 4) / 6.3
    assert trimmed_mean(x, w, f=1) == pytest.approx(expected, rel=1e-14)
    assert trimmed_mean(x, w, trim=0.2) == pytest.approx(expected, rel=1e-14)
    assert trimmed_mean(x, w, trim=0.0) == pytest.approx(np.average(x, weights=w), rel=1e-14)
    assert median(x, w) == 3.0  # cumulative 1, 3, 6 >= 5.25 - first reached at value 3
    assert median([0.0, 1.0, 2.0], [1.0, 2.0, 3.0]) == 1.5  # exact tie at W/2: midpoint
    assert median([0.0, 7.0, 10.0], [1.0, 0.0, 1.0]) == 5.0  # zero trust never selected...
    assert median([0.0, 7.0, 10.0], [1.0, 0.0, 2.0]) == 10.0
    assert median([0.0, 5.0, 10.0], [3.0, 1.0, 1.0]) == 0.0  # ...a majority wins outright


def test_weighted_scale_of_weights_is_irrelevant():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(9, 2))
    w = rng.uniform(0.1, 2, size=9)
    for s in (1e-200, 2.0**-30, 3.0, 1e250):
        np.testing.assert_allclose(
            trimmed_mean(X, w * s, trim=0.3), trimmed_mean(X, w, trim=0.3), rtol=1e-13
        )
        np.testing.assert_allclose(median(X, w * s), median(X, w), rtol=0, atol=0)


@given(
    hnp.arrays(
        np.float64,
        st.tuples(st.integers(1, 15), st.integers(1, 3)),
        elements=st.floats(-1e12, 1e12, allow_subnormal=False),
    ),
    st.data(),
)
def test_unweighted_f_equals_brute_force_exactly(X, data):
    f = data.draw(st.integers(0, (X.shape[0] - 1) // 2))
    np.testing.assert_array_equal(trimmed_mean(X, f=f), drop_reference(X, f))
    np.testing.assert_array_equal(trimmed_mean(X[:, 0], f=f), drop_reference(X[:, 0], f))
    np.testing.assert_array_equal(trimmed_mean(X, trim=f / X.shape[0]), drop_reference(X, f))
    np.testing.assert_array_equal(median(X), np.median(X, axis=0))


@given(
    st.lists(st.tuples(st.integers(-1000, 1000), st.integers(0, 20)), min_size=1, max_size=12),
    st.floats(0, 0.49),
)
def test_weighted_equals_agent_by_agent_reference(rows, beta):
    x = np.array([v for v, _ in rows], dtype=float)
    w = np.array([q for _, q in rows], dtype=float)
    assume(w.sum() > 0)
    assert trimmed_mean(x, w, trim=beta) == pytest.approx(
        weighted_trim_reference(x, w, beta), rel=1e-12, abs=1e-9
    )
    assert median(x, w) == weighted_median_reference(x, w)


# ----------------------------------------------------------------------------- breakdown


@given(honest_and_evil())
def test_f_byzantine_stay_inside_honest_range(case):
    X, f, evil = case
    lo, hi = honest_range(X, evil)
    for out in (trimmed_mean(X, f=f), trimmed_mean(X, trim=f / len(X)), median(X)):
        assert np.all(lo <= out) and np.all(out <= hi)


@given(honest_and_evil(n_evil=lambda m, f: (m - 1) // 2))
def test_median_tolerates_floor_m_minus_1_over_2(case):
    X, _, evil = case
    lo, hi = honest_range(X, evil)
    out = median(X)
    assert np.all(lo <= out) and np.all(out <= hi)
    assert breakdown_point("median", len(X)) == len(evil) / len(X)


@given(st.integers(3, 12), st.data(), st.floats(1e3, 1e250))
def test_f_plus_one_byzantine_break_the_trimmed_mean(m, data, target):
    f = data.draw(st.integers(0, (m - 3) // 2))  # leaves at least one honest agent kept
    honest = np.array(data.draw(st.lists(honest_values, min_size=m - f - 1, max_size=m - f - 1)))
    kept = m - 2 * f
    A = np.abs(honest).max()
    # f+1 agents at V > every honest value: f are trimmed, one is averaged with kept-1 honest
    # values >= -A, so the result is >= (V - (kept-1) A)/kept >= 2 target
    V = 2 * kept * (target + A)
    X = np.concatenate([honest, np.full(f + 1, V)])
    out = trimmed_mean(X, f=f)
    assert out >= target and out > A
    assert trimmed_mean(-X, f=f) <= -target  # and in the other direction


@given(st.integers(1, 12), st.data(), st.floats(1e3, 1e250))
def test_more_than_half_byzantine_break_the_median(m, data, target):
    k = m // 2 + 1 if m % 2 else m // 2  # one more than floor((m-1)/2)
    honest = np.array(data.draw(st.lists(honest_values, min_size=m - k, max_size=m - k)))
    V = 2 * (target + (abs(honest.max()) if honest.size else 0.0))
    out = median(np.concatenate([honest, np.full(k, V)]))
    assert out >= target


@st.composite
def weighted_case(draw):
    """Positions, trust weights, Byzantine rows and a trim with Byzantine weight < trim * W."""
    X, _, evil = draw(honest_and_evil(n_evil=lambda m, f: m // 2))
    m = len(X)
    assume(m - len(evil) >= 1)
    w = np.array(
        draw(st.lists(st.floats(0.0, 100.0, allow_subnormal=False), min_size=m, max_size=m))
    )
    honest = np.setdiff1d(np.arange(m), evil)
    w[honest[0]] = max(w[honest[0]], 1.0)
    total, bad = w.sum(), w[evil].sum()
    assume(bad < 0.499 * total)
    share = bad / total
    u = draw(st.floats(0.001, 0.999))
    beta = share + u * (0.5 - share)
    return X, w, evil, beta


@given(weighted_case())
def test_weighted_stays_inside_honest_range(case):
    X, w, evil, beta = case
    lo, hi = honest_range(X, evil)
    for out in (trimmed_mean(X, w, trim=beta), median(X, w)):
        assert np.all(lo <= out) and np.all(out <= hi)
    k = max_byzantine("trimmed_mean", len(X), weights=w, trim=beta)
    assert k <= len(X) and (k == 0 or np.sort(w)[::-1][:k].sum() <= beta * w.sum() * (1 + 1e-12))


def test_weighted_boundary_exactly_at_trimmed_weight():
    """Byzantine weight == trim * W in real numbers: rounding must not let it back in."""
    x = np.array([0.3, 0.7, 0.1, -1e300, 0.5])
    w = np.array([0.1, 0.2, 0.2, 0.3, 0.2])  # blocks -1e300 [0, .3], .1 [.3, .5], .3 [.5, .6], ...
    out = trimmed_mean(x, w, trim=0.3)  # keeps (0.3, 0.7]: 0.2 of 0.1, 0.1 of 0.3, 0.1 of 0.5
    assert 0.1 <= out <= 0.7
    np.testing.assert_allclose(out, (0.2 * 0.1 + 0.1 * 0.3 + 0.1 * 0.5) / 0.4, rtol=1e-12)
    assert trimmed_mean(-x, w, trim=0.3) == pytest.approx(-out, rel=1e-12)


@given(st.lists(st.floats(0.01, 100.0), min_size=1, max_size=10), st.floats(0.01, 0.49), st.data())
def test_weighted_boundary_hypothesis(honest_w, beta, data):
    """One Byzantine agent per tail, each holding beta * W (real arithmetic) of the trust."""
    m = len(honest_w)
    x = np.array(data.draw(st.lists(honest_values, min_size=m, max_size=m)))
    wh = np.array(honest_w)
    wb = beta / (1 - 2 * beta) * wh.sum()  # so that wb = beta * (wh.sum() + 2 wb)
    X = np.concatenate([x, [1e300, -1e300]])
    w = np.concatenate([wh, [wb, wb]])
    out = trimmed_mean(X, w, trim=beta)
    assert x.min() <= out <= x.max()


def test_trust_weight_above_trim_breaks():
    x = np.array([0.0, 1.0, 2.0, 1e15])
    w = np.array([1.0, 1.0, 1.0, 1.5])  # Byzantine share 1.5/4.5 = 1/3 > 0.25
    assert trimmed_mean(x, w, trim=0.25) > 1e13
    assert trimmed_mean(x, w, trim=0.34) <= 2.0


@given(
    hnp.arrays(
        np.float64, st.tuples(st.integers(1, 10), st.integers(1, 3)), elements=honest_values
    ),
    st.floats(0.01, 50.0),
    st.floats(0, 0.49),
    st.data(),
)
def test_equal_weights_reduce_to_unweighted(X, c, beta, data):
    w = np.full(len(X), c)
    f = data.draw(st.integers(0, (len(X) - 1) // 2))
    np.testing.assert_array_equal(trimmed_mean(X, w, f=f), trimmed_mean(X, f=f))
    np.testing.assert_array_equal(trimmed_mean(X, w, trim=beta), trimmed_mean(X, trim=beta))
    np.testing.assert_array_equal(median(X, w), median(X))
    np.testing.assert_allclose(
        trimmed_mean(X, np.ones(len(X)) + 1e-12 * np.arange(len(X)), f=f),
        trimmed_mean(X, f=f),
        rtol=1e-9,
        atol=1e-3,
    )


# ----------------------------------------------------------------------------- invariances


@settings(deadline=None)
@given(
    hnp.arrays(
        np.float64, st.tuples(st.integers(1, 10), st.integers(1, 3)), elements=honest_values
    ),
    st.data(),
)
def test_permutation_invariance(X, data):
    m = len(X)
    w = np.array(data.draw(st.lists(st.floats(0, 10), min_size=m, max_size=m)))
    assume(w.sum() > 0)
    perm = np.array(data.draw(st.permutations(range(m))))
    beta = data.draw(st.floats(0, 0.49))
    f = data.draw(st.integers(0, (m - 1) // 2))
    for wt in (None, w):
        wp = None if wt is None else wt[perm]
        np.testing.assert_array_equal(
            trimmed_mean(X[perm], wp, trim=beta), trimmed_mean(X, wt, trim=beta)
        )
        np.testing.assert_array_equal(trimmed_mean(X[perm], wp, f=f), trimmed_mean(X, wt, f=f))
        np.testing.assert_array_equal(median(X[perm], wp), median(X, wt))
        np.testing.assert_allclose(
            geometric_median(X[perm], wp),
            geometric_median(X, wt),
            rtol=1e-9,
            atol=1e-9 * (1 + np.abs(X).max()),
        )


dyadic = st.integers(-(10**6), 10**6).map(lambda k: k / 1024)  # scaling by 2**p stays exact


@settings(deadline=None)
@given(
    hnp.arrays(np.float64, st.tuples(st.integers(1, 10), st.integers(1, 3)), elements=dyadic),
    st.data(),
)
def test_translation_and_scale_equivariance(X, data):
    m, d = X.shape
    w = np.array(data.draw(st.lists(st.floats(0.01, 10), min_size=m, max_size=m)))
    shift = np.array(data.draw(st.lists(st.floats(-1e3, 1e3), min_size=d, max_size=d)))
    a = data.draw(st.floats(0.01, 100).map(lambda v: v * data.draw(st.sampled_from([1, -1]))))
    p = data.draw(st.integers(-20, 20))
    beta = data.draw(st.floats(0, 0.49))
    size = 1 + np.abs(X).max()
    t_tol = 1e-9 * (size + np.abs(shift).max())
    for wt in (None, w):
        for agg in (
            lambda Y, wt=wt: trimmed_mean(Y, wt, trim=beta),
            lambda Y, wt=wt: trimmed_mean(Y, wt, f=(m - 1) // 2),
            lambda Y, wt=wt: median(Y, wt),
        ):
            base = agg(X)
            np.testing.assert_allclose(agg(X + shift), base + shift, rtol=0, atol=t_tol)
            np.testing.assert_allclose(agg(a * X), a * base, rtol=0, atol=1e-9 * abs(a) * size)
            np.testing.assert_array_equal(agg(2.0**p * X), 2.0**p * base)  # exact in binary
        if d > 1:
            g = geometric_median(X, wt)
            np.testing.assert_allclose(
                geometric_median(X + shift, wt),
                g + shift,
                rtol=0,
                atol=1e-6 * (size + np.abs(shift).max()),
            )
            np.testing.assert_allclose(
                geometric_median(a * X, wt), a * g, rtol=0, atol=1e-6 * abs(a) * size
            )


def test_input_not_altered():
    X = np.array([[3.0, 1.0], [1.0, 2.0], [2.0, 0.0]])
    w = np.array([1.0, 2.0, 3.0])
    Xc, wc = X.copy(), w.copy()
    trimmed_mean(X, w, f=1)
    median(X, w)
    geometric_median(X, w)
    np.testing.assert_array_equal(X, Xc)
    np.testing.assert_array_equal(w, wc)


# ----------------------------------------------------------------------------- geometric median


def objective(X, w, y):
    return float((w * np.linalg.norm(X - y, axis=1)).sum())


def test_geometric_median_known_points():
    square = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    np.testing.assert_allclose(geometric_median(square), [0.5, 0.5], atol=1e-9)
    tri = np.array([[0.0, 0.0], [1.0, 0.0], [0.5, np.sqrt(3) / 2]])
    np.testing.assert_allclose(geometric_median(tri), tri.mean(axis=0), atol=1e-9)
    # an angle of 120 degrees or more: the optimum is that vertex (Vardi-Zhang case)
    obtuse = np.array([[0.0, 0.0], [10.0, 0.0], [-10.0, 0.1]])
    np.testing.assert_array_equal(geometric_median(obtuse), [0.0, 0.0])
    # a heavy agent holding half the trust or more is the answer
    np.testing.assert_array_equal(geometric_median(square, [3.0, 1.0, 1.0, 1.0]), [0.0, 0.0])
    np.testing.assert_array_equal(geometric_median([[2.0, 3.0]]), [2.0, 3.0])
    np.testing.assert_array_equal(geometric_median([[2.0, 3.0]] * 4), [2.0, 3.0])
    # one coordinate: the median
    assert geometric_median([5.0, 1.0, 2.0, 9.0]) == median([5.0, 1.0, 2.0, 9.0])
    assert geometric_median([[5.0], [1.0], [2.0]], [1, 1, 5]).shape == (1,)


@settings(max_examples=50, deadline=None)
@given(
    hnp.arrays(
        np.float64, st.tuples(st.integers(2, 12), st.integers(2, 4)), elements=st.floats(-100, 100)
    ),
    st.data(),
)
def test_geometric_median_minimises_objective(X, data):
    m = len(X)
    w = np.array(data.draw(st.lists(st.floats(0.1, 10), min_size=m, max_size=m)))
    y = geometric_median(X, w)
    best = objective(X, w, y)
    rng = np.random.default_rng(0)
    for cand in (*X, X.mean(axis=0), median(X, w), y + 1e-4 * rng.normal(size=(8, X.shape[1]))):
        for c in np.atleast_2d(cand):
            assert best <= objective(X, w, c) * (1 + 1e-9) + 1e-9


def test_geometric_median_integer_weights_equal_replication():
    rng = np.random.default_rng(7)
    X = rng.normal(size=(6, 3))
    reps = np.array([1, 3, 2, 1, 4, 2])
    np.testing.assert_allclose(
        geometric_median(X, reps.astype(float)),
        geometric_median(np.repeat(X, reps, axis=0)),
        atol=1e-7,
    )


@settings(max_examples=50, deadline=None)
@given(honest_and_evil(n_evil=lambda m, f: (m - 1) // 2), st.data())
def test_geometric_median_bounded_under_minority_byzantine(case, data):
    X, _, evil = case
    assume(X.shape[1] >= 2)
    m = len(X)
    w = np.array(data.draw(st.lists(st.floats(0.5, 1.0), min_size=m, max_size=m)))
    honest = np.setdiff1d(np.arange(m), evil)
    WH, WB = w[honest].sum(), w[evil].sum()
    assume(WB < 0.95 * WH)
    z = X[honest].mean(axis=0)
    r = np.linalg.norm(X[honest] - z, axis=1).max()
    bound = 2 * WH * r / (WH - WB)
    y = geometric_median(X, w)
    assert np.linalg.norm(y - z) <= bound * (1 + 1e-6) + 1e-9 * (1 + np.abs(X[honest]).max())


def test_geometric_median_warns_when_not_converged():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(20, 3))
    with pytest.warns(RuntimeWarning, match=r"geometric_median\(\): no convergence .*max_iter"):
        geometric_median(X, max_iter=1, tol=1e-15)


# ----------------------------------------------------------------------------- breakdown_point


def test_breakdown_points():
    assert breakdown_point("trimmed_mean", 10, f=3) == 0.3
    assert max_byzantine("trimmed_mean", 10, f=3) == 3
    assert max_byzantine("trimmed_mean", 10, trim=0.25) == 2
    assert max_byzantine("trimmed_mean", 49, trim=1 / 49) == 1
    assert max_byzantine("median", 7) == 3 and max_byzantine("median", 8) == 3
    assert breakdown_point("median", 8) == 3 / 8
    assert breakdown_point("geometric_median", 5) == 0.4
    assert breakdown_point("mean", 5) == 0.0
    # weighted: the adversary captures the most trusted agents first
    w = [4.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]  # W = 10
    assert max_byzantine("trimmed_mean", 7, weights=w, trim=0.4) == 1
    assert max_byzantine("trimmed_mean", 7, weights=w, trim=0.45) == 1
    assert max_byzantine("trimmed_mean", 7, weights=w, trim=0.3) == 0
    assert max_byzantine("median", 7, weights=w) == 1  # 4 + 1 = 5 is not < 5
    assert max_byzantine("median", 7, weights=[1.0] * 7) == 3
    assert max_byzantine("trimmed_mean", 7, weights=[2.0] * 7, f=2) == 2


# ----------------------------------------------------------------------------- validation

ALL = [
    ("trimmed_mean", lambda x, w=None: trimmed_mean(x, w, f=0)),
    ("median", median),
    ("geometric_median", geometric_median),
]


@pytest.mark.parametrize("name, fn", ALL)
@pytest.mark.parametrize(
    "positions, exc, match",
    [
        ([], ValueError, r"positions is empty; need at least one agent"),
        (np.zeros((0, 2)), ValueError, r"positions is empty"),
        (np.zeros((3, 0)), ValueError, r"no coordinates .* need d >= 1"),
        (np.zeros((2, 2, 2)), ValueError, r"shape \(m,\) or \(m, d\)"),
        (3.0, ValueError, r"shape \(m,\) or \(m, d\)"),
        ([1.0, np.nan, 2.0, 3.0], ValueError, r"positions contain NaN at row 1; remove or impute"),
        (
            [[1.0, 2.0], [0.0, 1.0], [3.0, np.nan], [1.0, 1.0]],
            ValueError,
            r"positions contain NaN at row 2, column 1; remove or impute",
        ),
        ([1.0, np.inf], ValueError, r"infinite value at row 1"),
        ([[1.0], [2.0, 3.0]], ValueError, r"rectangular array of numbers"),
        ("abc", TypeError, r"positions must be numbers"),
        ([1 + 2j, 3.0], TypeError, r"positions must be real numbers"),
        ([object(), 1.0], TypeError, r"positions must be real numbers"),
    ],
)
def test_positions_errors(name, fn, positions, exc, match):
    with pytest.raises(exc, match=rf"^{name}\(\): .*{match}"):
        fn(positions)


@pytest.mark.parametrize("name, fn", ALL)
@pytest.mark.parametrize(
    "weights, exc, match",
    [
        ([1.0, -0.5, 1.0], ValueError, r"weights must be >= 0; weight 1 is -0.5; clip"),
        ([0.0, 0.0, 0.0], ValueError, r"weights are all zero; give at least one agent positive"),
        ([1.0, 1.0], ValueError, r"weights has length 2 but there are 3 agents .*one trust score"),
        ([[1.0, 1.0, 1.0]], ValueError, r"weights must be 1-dimensional"),
        ([1.0, np.nan, 1.0], ValueError, r"weights contain nan at index 1"),
        ([1.0, np.inf, 1.0], ValueError, r"weights contain inf at index 1"),
        (["a", "b", "c"], TypeError, r"weights must be real numbers"),
    ],
)
def test_weights_errors(name, fn, weights, exc, match):
    with pytest.raises(exc, match=rf"^{name}\(\): {match}"):
        fn([[0.0, 1.0], [1.0, 2.0], [2.0, 0.0]], weights)


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        ({}, TypeError, r"pass exactly one of f= .* or trim="),
        ({"f": 1, "trim": 0.1}, TypeError, r"pass exactly one of f="),
        (
            {"f": 3},
            ValueError,
            r"f=3 needs at least 2\*f\+1 = 7 agents but there are 6; "
            r"lower f to at most 2 or add agents",
        ),
        ({"f": -1}, ValueError, r"f must be >= 0"),
        ({"f": 1.0}, TypeError, r"f must be an integer number of agents"),
        ({"f": True}, TypeError, r"f must be an integer"),
        ({"trim": 0.5}, ValueError, r"trim must be in \[0, 0.5\)"),
        ({"trim": -0.1}, ValueError, r"trim must be in \[0, 0.5\)"),
        ({"trim": float("nan")}, ValueError, r"trim must be in \[0, 0.5\)"),
        ({"trim": "0.1"}, TypeError, r"trim must be a number"),
    ],
)
def test_trim_errors(kwargs, exc, match):
    with pytest.raises(exc, match=rf"^trimmed_mean\(\): {match}"):
        trimmed_mean(np.arange(6.0), **kwargs)
    with pytest.raises(exc, match=rf"^trimmed_mean\(\): {match}"):
        trimmed_mean(np.arange(6.0), [1.0, 2.0, 3.0, 1.0, 2.0, 3.0], **kwargs)


def test_checks_run_in_argument_order():
    with pytest.raises(ValueError, match=r"positions contain NaN"):
        trimmed_mean([np.nan, 1.0], [-1.0, 1.0], trim=0.9)
    with pytest.raises(ValueError, match=r"weights must be >= 0"):
        trimmed_mean([0.0, 1.0], [-1.0, 1.0], trim=0.9)


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        ({"tol": 0.0}, ValueError, r"tol must be a positive finite number"),
        ({"tol": float("inf")}, ValueError, r"tol must be a positive finite"),
        ({"max_iter": 0}, ValueError, r"max_iter must be >= 1"),
        ({"max_iter": 2.5}, TypeError, r"max_iter must be an integer"),
    ],
)
def test_geometric_median_option_errors(kwargs, exc, match):
    with pytest.raises(exc, match=rf"^geometric_median\(\): {match}"):
        geometric_median([[0.0, 1.0], [1.0, 0.0]], **kwargs)


@pytest.mark.parametrize("fn", [max_byzantine, breakdown_point])
@pytest.mark.parametrize(
    "args, kwargs, exc, match",
    [
        (("trimmed", 5), {"f": 1}, ValueError, r"method must be one of 'trimmed_mean'"),
        (("median", 0), {}, ValueError, r"m must be >= 1"),
        (("median", 2.0), {}, TypeError, r"m must be an integer"),
        (("median", 5), {"f": 1}, TypeError, r"f= and trim= apply only to method 'trimmed_mean'"),
        (("trimmed_mean", 5), {}, TypeError, r"pass exactly one of f="),
        (("trimmed_mean", 5), {"f": 3}, ValueError, r"f=3 needs at least 2\*f\+1 = 7 agents"),
        (("median", 3), {"weights": [1.0, 2.0]}, ValueError, r"weights has length 2"),
    ],
)
def test_breakdown_errors(fn, args, kwargs, exc, match):
    with pytest.raises(exc, match=rf"^{fn.__name__}\(\): {match}"):
        fn(*args, **kwargs)


@pytest.mark.parametrize("d", [2, 3, 5])
@pytest.mark.parametrize("weighted", [False, True])
def test_geometric_median_near_float64_max_is_finite_and_scale_equivariant(d, weighted):
    # offsets between agents near +-1.7e308 overflow float64 unless the work is rescaled
    rng = np.random.default_rng(d)
    for _ in range(5):
        m = int(rng.integers(2, 8))
        X = rng.uniform(-1.0, 1.0, size=(m, d))
        X[0] = np.sign(X[0])  # one agent on a corner of the box
        w = rng.uniform(0.5, 2.0, size=m) if weighted else None
        big = 1.7e308
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            ref = geometric_median(X, w)
            got = geometric_median(X * big, w)
        assert np.isfinite(got).all()
        assert np.all(np.abs(got) <= big)
        np.testing.assert_allclose(got / big, ref, rtol=1e-6, atol=1e-6)


def test_geometric_median_of_opposite_extremes():
    pts = np.array([[1.7e308, 0.0], [0.0, 1.7e308], [-1.7e308, -1.7e308]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = geometric_median(pts)
        ref = geometric_median(pts / 1.7e308)
    np.testing.assert_allclose(got / 1.7e308, ref, rtol=1e-9, atol=1e-12)
    top = np.finfo(np.float64).max
    corners = np.array([[top, top], [-top, top], [top, -top], [-top, -top], [top, 0.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isfinite(geometric_median(corners)).all()


def test_geometric_median_fuzz_mixed_magnitudes_finite_without_warnings():
    rng = np.random.default_rng(7)
    top = np.finfo(np.float64).max
    mags = [top, 1.7e308, 1e308, 2.0**1000, 1e300, 1.0, 1e-300, 5e-324, 0.0]
    for _ in range(200):
        m, d = int(rng.integers(2, 9)), int(rng.integers(2, 12))
        X = rng.choice(mags, size=(m, d)) * rng.choice([-1.0, 1.0], size=(m, d))
        w = rng.uniform(0.1, 3.0, size=m) if rng.random() < 0.5 else None
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            warnings.filterwarnings("ignore", "geometric_median.*no convergence")
            y = geometric_median(X, w)
        assert np.isfinite(y).all()
        assert np.all((X.min(axis=0) <= y) & (y <= X.max(axis=0)))


def test_geometric_median_converges_in_a_flat_elongated_valley():
    """Four agents almost on a line: the objective is nearly flat between the middle two,
    where Weiszfeld crawls and the full Newton step overshoots (found by the equivariance
    property test). Backtracking along the Newton step converges."""
    X = np.array(
        [
            [8.37890625, 0.0],
            [0.30078125, 131.10546875],
            [2.150390625, 122.357421875],
            [5.41796875, -444.879882812],
        ]
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        g = geometric_median(X)
    f = np.linalg.norm(X - g, axis=1).sum()
    for d in ([1e-4, 0], [0, 1e-4], [-1e-4, 0], [0, -1e-4]):
        assert f <= np.linalg.norm(X - (g + d), axis=1).sum()
    assert np.allclose(g, [2.2855567, 98.893177], atol=1e-5)
