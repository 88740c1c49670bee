"""accord.bayes: bad input is rejected early with messages that name the argument, the
place and the fix; inputs are never modified."""

from __future__ import annotations

import numpy as np
import pytest

import accord.bayes as bayes

LP = np.log(np.full((2, 2, 3), 1 / 3))          # B = 2, m = 2, K = 3: T = 9
LL = np.zeros((2, 9))
SAMPLES = np.zeros((2, 4, 2), dtype=np.int32)


def _lp(**changes):
    lp = LP.copy()
    for idx, value in changes.items():
        lp[tuple(int(c) for c in idx[1:])] = value
    return lp


def _not_normalised():
    lp = LP.copy()
    lp[1, 0] = np.log([0.5, 0.3, 0.3])
    return lp


def _dead_member():
    lp = LP.copy()
    lp[0, 1] = -np.inf
    return lp


def _impossible_sample():
    lp = LP.copy()
    lp[0, 1] = [0.0, -np.inf, -np.inf]
    s = SAMPLES.copy()
    s[0, 2, 1] = 2
    return lp, s


UPDATE_CASES = [
    pytest.param(lambda: (_not_normalised(), LL), {},
                 r"update\(\): log_prior: row 1, member 0 is not normalised: its "
                 r"probabilities sum to 1\.1.*normalise the prior", id="not-normalised"),
    pytest.param(lambda: (_lp(i012=np.nan), LL), {}, r"log_prior\[0, 1, 2\] is nan",
                 id="prior-nan"),
    pytest.param(lambda: (_lp(i100=np.inf), LL), {}, r"log_prior\[1, 0, 0\] is inf",
                 id="prior-posinf"),
    pytest.param(lambda: (_dead_member(), LL), {},
                 r"row 0, member 1 has no possible type.*normalise the prior", id="dead-member"),
    pytest.param(lambda: (LP[0], LL), {}, r"log_prior must have shape \(B, m, K\)",
                 id="prior-2d"),
    pytest.param(lambda: (LP, np.zeros((2, 8))), {},
                 r"log_likelihood must have shape \(2, 9\) = \(B, K\*\*m\)", id="ll-shape"),
    pytest.param(lambda: (LP, np.where(np.arange(9) == 4, np.nan, 0.0)[None].repeat(2, 0)), {},
                 r"log_likelihood\[0, 4\] is nan", id="ll-nan"),
    pytest.param(lambda: (LP, np.where(np.arange(9) == 7, np.inf, 0.0)[None].repeat(2, 0)), {},
                 r"log_likelihood\[0, 7\] is inf.*finite or -inf", id="ll-posinf"),
    pytest.param(lambda: (np.log(np.full((1, 25, 2), 0.5)), np.zeros((1, 1))), {},
                 r"2\*\*25 = 33,554,432 joint type vectors exceed the enumeration limit.*"
                 r"sample_types", id="too-large"),
    pytest.param(lambda: (LP, np.zeros((2, 4, 2, 3))), {"samples": np.zeros((2, 4, 3),
                                                                            np.int32)},
                 r"samples must have shape \(B, S, m\) = \(2, S, 2\)", id="samples-shape"),
    pytest.param(lambda: (LP, np.zeros((2, 4, 2, 3))), {"samples": SAMPLES + 3},
                 r"samples\[0, 0, 0\] = 3 is not a type index in \[0, 3\)", id="samples-range"),
    pytest.param(lambda: (_impossible_sample()[0], np.zeros((2, 4, 2, 3))),
                 {"samples": _impossible_sample()[1]},
                 r"samples\[0, 2, 1\] = 2 is a type of zero probability for member 1 of row 0",
                 id="samples-impossible"),
    pytest.param(lambda: (LP, np.zeros((2, 4, 2, 2))), {"samples": SAMPLES},
                 r"log_likelihood must have shape \(2, 4, 2, 3\)", id="sampled-ll-shape"),
    pytest.param(lambda: (LP, np.zeros((2, 4, 2, 3))), {"samples": SAMPLES, "return_joint": True},
                 r"return_joint=True needs the enumerated mode", id="joint-sampled"),
]


@pytest.mark.parametrize(("make", "kwargs", "match"), UPDATE_CASES)
def test_update_rejects(make, kwargs, match):
    lp, ll = make()
    with pytest.raises(ValueError, match=match):
        bayes.update(lp, ll, **kwargs)


@pytest.mark.parametrize(("lp", "ll", "samples", "exc", "match"), [
    (LP.astype(complex), LL, None, TypeError, r"log_prior must be a real"),
    (LP, LL.astype(bool), None, TypeError, r"log_likelihood must be a real"),
    (LP, np.zeros((2, 4, 2, 3)), SAMPLES.astype(float), TypeError, r"samples must be an integer"),
    ("abc", LL, None, TypeError, r"log_prior must be a real"),
])
def test_update_type_errors(lp, ll, samples, exc, match):
    with pytest.raises(exc, match=match):
        bayes.update(lp, ll, samples=samples)


VALUES = np.zeros((2, 3, 9))
SHARE, BEST, SECOND = np.full((2, 3), 0.5), np.array([1.0, 2.0]), np.array([0.5, 1.0])
IS_BEST = np.eye(2, 3, dtype=bool)


@pytest.mark.parametrize(("args", "kwargs", "match"), [
    ((LP, np.zeros((2, 3, 8))), {}, r"values must have shape \(B, A, K\*\*m\) = \(2, A, 9\)"),
    ((LP, np.full((2, 3, 9), np.inf)), {}, r"values\[0, 0, 0\] is inf; values must be finite"),
    ((LP, np.zeros((2, 3, 5))), {"samples": SAMPLES},
     r"values must have shape \(B, A, S\) = \(2, A, 4\) in sampled mode"),
    ((_not_normalised(), VALUES), {}, r"log_marginals: row 1, member 0 is not normalised"),
])
def test_expected_values_rejects(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        bayes.expected_values(*args, **kwargs)


@pytest.mark.parametrize("sampled", [False, True])
def test_non_finite_values_are_named(sampled):
    values = np.zeros((2, 3, 4 if sampled else 9))
    values[1, 2, 3] = np.nan
    kwargs = {"samples": SAMPLES} if sampled else {}
    with pytest.raises(ValueError, match=r"expected_values\(\): values\[1, 2, 3\] is nan"):
        bayes.expected_values(LP, values, **kwargs)
    values[1, 2, 3] = -np.inf
    with pytest.raises(ValueError, match=r"vpi\(\): values\[1, 2, 3\] is -inf"):
        bayes.vpi(LP, values, SHARE, BEST, SECOND, IS_BEST, **kwargs)


@pytest.mark.parametrize(("change", "exc", "match"), [
    ({"share": np.full((2, 3), 1.5)}, ValueError, r"share\[0, 0\] = 1.5 is not in \[0, 1\]"),
    ({"share": np.full((3, 2), 0.5)}, ValueError, r"share must have shape \(2, 3\)"),
    ({"best": np.array([1.0])}, ValueError, r"best must have shape \(2,\)"),
    ({"second": np.array([0.5, 3.0])}, ValueError,
     r"second\[1\] = 3.0 exceeds best\[1\] = 2.0"),
    ({"second": np.array([np.nan, 0.0])}, ValueError, r"second\[0\] is nan"),
    ({"is_best": IS_BEST.astype(float)}, TypeError, r"is_best must be a boolean array"),
    ({"is_best": IS_BEST.astype(int) * 2}, ValueError, r"is_best must be boolean \(or 0/1\)"),
    ({"is_best": IS_BEST[:, :2]}, ValueError, r"is_best must have shape \(2, 3\)"),
])
def test_vpi_rejects(change, exc, match):
    args = {"share": SHARE, "best": BEST, "second": SECOND, "is_best": IS_BEST} | change
    with pytest.raises(exc, match=match):
        bayes.vpi(LP, VALUES, args["share"], args["best"], args["second"], args["is_best"])


B2 = np.array([[0.5, 0.5], [1.0, 0.0]])
T2 = np.array([[0.9, 0.1], [0.2, 0.8]])
O2 = np.ones((2, 2))


@pytest.mark.parametrize(("b", "T", "o", "match"), [
    (np.array([[0.5, 0.6], [1.0, 0.0]]), T2, O2,
     r"belief\[0\] sums to 1.1, not 1.*normalise the belief rows"),
    (np.array([[1.5, -0.5], [1.0, 0.0]]), T2, O2, r"belief\[0, 1\] = -0.5 is negative"),
    (B2, np.array([[0.9, 0.2], [0.2, 0.8]]), O2, r"transition\[0\] sums to 1.1"),
    (B2, np.ones((3, 2, 2)) / 2, O2, r"transition must have shape \(S, S\) = \(2, 2\)"),
    (B2, T2, -O2, r"observation_likelihood\[0, 0\] = -1.0 is negative"),
    (B2, T2, np.ones((2, 3)), r"observation_likelihood must have shape \(2, 2\)"),
    (B2, T2, np.full((2, 2), np.nan), r"observation_likelihood\[0, 0\] is nan"),
    (np.ones(2) / 2, T2, O2, r"belief must have shape \(B, S\)"),
])
def test_filter_rejects(b, T, o, match):
    with pytest.raises(ValueError, match=match):
        bayes.filter_step(b, T, o)


@pytest.mark.parametrize(("seed", "exc"), [(-1, ValueError), (2**64, ValueError),
                                           (1.5, TypeError), (True, TypeError)])
def test_sample_types_rejects_seed(seed, exc):
    with pytest.raises(exc, match="seed"):
        bayes.sample_types(LP, 3, seed)


def test_inputs_are_never_modified_and_views_work():
    rng = np.random.default_rng(0)
    p = rng.random((3, 2, 4))
    lp = np.log(p / p.sum(axis=2, keepdims=True))
    ll = np.log(rng.random((3, 16)))
    lp0, ll0 = lp.copy(), ll.copy()
    for a in (lp, ll):
        a.flags.writeable = False
    post, joint = bayes.update(lp, ll, return_joint=True)
    np.testing.assert_array_equal(lp, lp0)
    np.testing.assert_array_equal(ll, ll0)
    # Fortran-ordered and strided views give the same results as contiguous copies.
    big = np.zeros((3, 2, 8))
    big[:, :, ::2] = lp
    big[:, :, 1::2] = np.nan
    np.testing.assert_array_equal(bayes.update(big[:, :, ::2], np.asfortranarray(ll)), post)
    values = rng.random((3, 2, 16))
    vf = np.asfortranarray(values)
    np.testing.assert_array_equal(bayes.expected_values(lp, vf),
                                  bayes.expected_values(lp, values))
    assert vf.flags.f_contiguous
    b = np.array([[0.25, 0.75]])
    T = np.array([[0.5, 0.5], [0.1, 0.9]])
    o = np.array([[2.0, 1.0]])
    copies = [x.copy() for x in (b, T, o)]
    bayes.filter_step(b, T, o)
    for x, y in zip((b, T, o), copies, strict=True):
        np.testing.assert_array_equal(x, y)


def test_lists_and_integer_arrays_are_accepted():
    post = bayes.update([[[0.0]]], [[-1]])
    np.testing.assert_array_equal(post, [[[0.0]]])
    np.testing.assert_allclose(bayes.expected_values([[[0.0]]], [[[3]]]), [[3.0]])


def test_float32_likelihood_is_converted():
    lp = np.log(np.full((1, 1, 2), 0.5))
    a = bayes.update(lp, np.log(np.array([[0.25, 0.75]], dtype=np.float32)))
    np.testing.assert_allclose(np.exp(a), [[[0.25, 0.75]]], rtol=1e-7)


def test_public_names():
    assert sorted(bayes.__all__) == ["ZeroLikelihoodError", "expected_values", "filter_step",
                                     "sample_types", "subset_sums", "update", "vpi"]
    assert issubclass(bayes.ZeroLikelihoodError, ValueError)
