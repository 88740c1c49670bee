"""CPU vs GPU agreement of the accord.bayes kernels (skipped without a GPU)."""

from __future__ import annotations

import numpy as np
import pytest
from bayes_reference import log_of, random_log_marginals

import accord.bayes as bayes

pytestmark = pytest.mark.gpu


def _dev(*arrays):
    import cupy

    return [cupy.asarray(a) for a in arrays]


def _host(x):
    import cupy

    assert isinstance(x, cupy.ndarray)
    return cupy.asnumpy(x)


@pytest.mark.parametrize(("B", "m", "K", "S"), [(7, 4, 5, 100), (300, 2, 3, 17), (3, 0, 4, 5),
                                                (2, 6, 40, 1000)])
def test_sample_types_identical(B, m, K, S):
    lp = random_log_marginals(np.random.default_rng(B + m), B, m, K, pad=0.4)
    (dlp,) = _dev(lp)
    for seed in (0, 123456789, 2**64 - 1):
        np.testing.assert_array_equal(_host(bayes.sample_types(dlp, S, seed)),
                                      bayes.sample_types(lp, S, seed))


@pytest.mark.parametrize(("B", "m", "K"), [(50, 3, 4), (5, 0, 3), (4, 1, 5000), (2, 8, 4),
                                           (64, 5, 3)])
def test_update_enumerated_matches_cpu(B, m, K):
    rng = np.random.default_rng(m * 10 + K)
    lp = random_log_marginals(rng, B, m, K, pad=0.3)
    ll = log_of(rng.random((B, K**m))) * 3
    ll[rng.random(ll.shape) < 0.2] = -np.inf
    ll[:, 0] = 0.0                                 # keep some evidence in most rows
    try:
        cpu = bayes.update(lp, ll, return_joint=True)
    except bayes.ZeroLikelihoodError as err:
        with pytest.raises(bayes.ZeroLikelihoodError) as info:
            bayes.update(*_dev(lp, ll))
        assert info.value.rows == err.rows
        return
    gpu = bayes.update(*_dev(lp, ll), return_joint=True)
    for c, g in zip(cpu, gpu, strict=True):
        g = _host(g)
        np.testing.assert_array_equal(np.isneginf(g), np.isneginf(c))
        fin = np.isfinite(c)
        np.testing.assert_allclose(g[fin], c[fin], rtol=1e-11, atol=1e-11)
    np.testing.assert_allclose(_host(bayes.update(*_dev(lp, ll))), cpu[0], rtol=1e-11,
                               atol=1e-11)


def test_update_zero_evidence_on_gpu():
    lp = np.log(np.full((3, 1, 2), 0.5))
    ll = np.array([[0.0, 0.0], [-np.inf, -np.inf], [0.0, -np.inf]])
    with pytest.raises(bayes.ZeroLikelihoodError) as info:
        bayes.update(*_dev(lp, ll))
    assert info.value.rows == [1]


def test_update_sampled_matches_cpu():
    rng = np.random.default_rng(1)
    B, m, K, S = 40, 4, 5, 100
    lp = random_log_marginals(rng, B, m, K, pad=0.3)
    samples = bayes.sample_types(lp, S, 3)
    ll = log_of(rng.random((B, S, m, K)))
    cpu = bayes.update(lp, ll, samples=samples)
    gpu = _host(bayes.update(*_dev(lp, ll), samples=_dev(samples)[0]))
    fin = np.isfinite(cpu)
    np.testing.assert_array_equal(np.isfinite(gpu), fin)
    np.testing.assert_allclose(gpu[fin], cpu[fin], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(("B", "m", "K", "A"), [(100, 4, 4, 3), (3, 0, 2, 2), (2, 7, 4, 2)])
def test_expected_values_and_vpi_match_cpu(B, m, K, A):
    rng = np.random.default_rng(B)
    lp = random_log_marginals(rng, B, m, K, pad=0.3)
    values = rng.normal(size=(B, A, K**m))
    share = rng.random((B, A))
    best = rng.normal(size=B)
    second = best - rng.random(B)
    is_best = np.zeros((B, A), dtype=bool)
    is_best[:, 0] = True
    d = _dev(lp, values, share, best, second, is_best)
    np.testing.assert_allclose(_host(bayes.expected_values(d[0], d[1])),
                               bayes.expected_values(lp, values), rtol=1e-11, atol=1e-12)
    np.testing.assert_allclose(_host(bayes.vpi(*d)),
                               bayes.vpi(lp, values, share, best, second, is_best),
                               rtol=1e-11, atol=1e-12)
    samples = bayes.sample_types(lp, 64, 5)
    sv = rng.normal(size=(B, A, 64))
    (ds, dsv) = _dev(samples, sv)
    np.testing.assert_allclose(_host(bayes.expected_values(d[0], dsv, samples=ds)),
                               bayes.expected_values(lp, sv, samples=samples), rtol=1e-12)
    np.testing.assert_allclose(
        _host(bayes.vpi(d[0], dsv, *d[2:], samples=ds)),
        bayes.vpi(lp, sv, share, best, second, is_best, samples=samples), rtol=1e-12,
        atol=1e-13)


@pytest.mark.parametrize("per_row", [False, True])
def test_filter_matches_cpu(per_row):
    rng = np.random.default_rng(4)
    B, S = 33, 300
    b = rng.random((B, S))
    b /= b.sum(axis=1, keepdims=True)
    T = rng.random((B, S, S) if per_row else (S, S))
    T /= T.sum(axis=-1, keepdims=True)
    o = rng.random((B, S))
    o[5] = 0.0
    with pytest.raises(bayes.ZeroLikelihoodError) as info:
        bayes.filter_step(*_dev(b, T, o))
    assert info.value.rows == [5]
    o[5] = 1.0
    np.testing.assert_allclose(_host(bayes.filter_step(*_dev(b, T, o))),
                               bayes.filter_step(b, T, o), rtol=1e-12, atol=1e-15)


def test_mixed_devices_are_rejected():
    (dlp,) = _dev(np.log(np.full((1, 1, 2), 0.5)))
    with pytest.raises(ValueError, match="same device"):
        bayes.update(dlp, np.zeros((1, 2)))


@pytest.mark.parametrize(("Z", "n", "K"), [(3, 0, 2), (40, 5, 4), (300, 10, 4), (2, 12, 3)])
def test_subset_sums_match_cpu(Z, n, K):
    rng = np.random.default_rng(Z + n)
    p = rng.random((Z, n, K)) * (rng.random((Z, n, K)) > 0.3) + 1e-3
    p /= p.sum(-1, keepdims=True)
    points = rng.integers(0, 4, K)
    values = rng.normal(size=(1 << n, 3, n * int(points.max()) + 1))
    dp, dv = _dev(p, values)
    np.testing.assert_allclose(_host(bayes.subset_sums(dp, points)),
                               bayes.subset_sums(p, points), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(_host(bayes.subset_sums(dp, points, values=dv)),
                               bayes.subset_sums(p, points, values=values), rtol=1e-11,
                               atol=1e-12)
