"""The CUDA kernels (accord._cuda) against the CPU kernels (accord._core.coop).

Table passes agree to 1e-12 (max_excess bit for bit, mask included); permutations
are identical; sampling sums agree to 1e-9 (same samples, another summation order;
voting sums are exact counts and agree exactly).
"""

import numpy as np
import pytest

pytestmark = pytest.mark.gpu

_cuda = pytest.importorskip("accord._cuda", reason="accord was built without CUDA")
try:
    import cupy as cp
except Exception as exc:  # not installed, or installed without a usable CUDA runtime
    pytest.skip(f"CuPy is not usable: {exc}", allow_module_level=True)
if _cuda.device_count() == 0:
    pytest.skip("no CUDA device is visible", allow_module_level=True)

from accord import _core  # noqa: E402

cpu = _core.coop


def _stream():
    return cp.cuda.get_current_stream().ptr


def _table(n, seed, low=0.5, high=1.5):
    return np.random.default_rng(seed).uniform(low, high, 1 << n)


def _close(gpu, ref, rtol):
    gpu, ref = np.asarray(gpu), np.asarray(ref)
    assert gpu.shape == ref.shape
    scale = max(1.0, float(np.abs(ref).max())) if ref.size else 1.0
    np.testing.assert_allclose(gpu, ref, rtol=rtol, atol=rtol * scale)


def _shapley_coefficients(n):
    from math import comb

    p = np.array([1.0 / (n * comb(n - 1, s)) for s in range(n)] + [0.0])
    c = np.array([(p[s - 1] if s else 0.0) + p[s] for s in range(n + 1)])
    return c, p


# ---- device queries ----------------------------------------------------------------


def test_device_queries():
    devs = _cuda.devices()
    assert len(devs) == _cuda.device_count()
    for i, d in enumerate(devs):
        assert d["index"] == i
        assert isinstance(d["name"], str) and d["name"]
        major, minor = d["compute_capability"].split(".")
        assert int(major) >= 7 and int(minor) >= 0
        assert d["total_memory"] > 0
        bw = d["peak_bandwidth_bytes_per_s"]
        if bw is not None:
            assert bw == pytest.approx(2 * d["memory_clock_khz"] * 1e3 * d["memory_bus_width"] / 8)
    info = _cuda.build_info()
    assert info["cuda_version"] and info["architectures"]


# ---- semivalue sums ----------------------------------------------------------------


@pytest.mark.parametrize("n", [0, 1, 3, 7, 8, 9, 12, 17, 20])
def test_semivalue_sums_matches_cpu(n):
    rng = np.random.default_rng(n)
    v = _table(n, 100 + n)
    c, b = rng.uniform(0.1, 1.0, n + 1), rng.uniform(0.1, 1.0, n + 1)
    dv = cp.asarray(v)
    A, T = _cuda.semivalue_sums(dv.data.ptr, n, c, b, _stream())
    Ar, Tr = cpu.semivalue_sums(v, c, b)
    assert A.shape == (n,) and A.dtype == np.float64
    _close(A, Ar, 1e-12)
    assert T == pytest.approx(Tr, rel=1e-12)


def test_semivalue_sums_shapley_n24():
    n = 24
    v = _table(n, 24)
    c, b = _shapley_coefficients(n)
    A, T = _cuda.semivalue_sums(cp.asarray(v).data.ptr, n, c, b)
    Ar, Tr = cpu.semivalue_sums(v, c, b)
    _close(A, Ar, 1e-12)
    assert T == pytest.approx(Tr, rel=1e-12)
    _close(A - T, Ar - Tr, 1e-10)


@pytest.mark.parametrize("n", [5, 11])
def test_semivalue_sums_unaligned_table_and_stream(n):
    # A table that is 8- but not 16-byte aligned takes the scalar-load path.
    v = _table(n, 7)
    c, b = _shapley_coefficients(n)
    stream = cp.cuda.Stream(non_blocking=True)
    with stream:
        buf = cp.empty((1 << n) + 1)
        buf[1:] = cp.asarray(v)
        A, T = _cuda.semivalue_sums(buf.data.ptr + 8, n, c, b, stream.ptr)
    Ar, Tr = cpu.semivalue_sums(v, c, b)
    _close(A, Ar, 1e-12)
    assert T == pytest.approx(Tr, rel=1e-12)


def test_bad_arguments_raise():
    v = cp.asarray(_table(4, 0))
    c = np.ones(5)
    with pytest.raises(ValueError, match="length 5"):
        _cuda.semivalue_sums(v.data.ptr, 4, np.ones(4), c)
    with pytest.raises(ValueError, match="null"):
        _cuda.semivalue_sums(0, 4, c, c)
    with pytest.raises(ValueError, match="aligned"):
        _cuda.semivalue_sums(v.data.ptr + 4, 4, c, c)
    with pytest.raises(ValueError, match="n must be"):
        _cuda.max_excess(v.data.ptr, 63, np.ones(63))
    with pytest.raises(ValueError, match="per_stratum"):
        _cuda.stratified_sample_dense(v.data.ptr, 4, 1, 5, 3, 3, np.zeros(4))


# ---- max excess --------------------------------------------------------------------


@pytest.mark.parametrize("n", [0, 1, 4, 8, 9, 13, 20, 24])
def test_max_excess_matches_cpu_bit_for_bit(n):
    rng = np.random.default_rng(n)
    v = rng.normal(size=1 << n) * 10
    x = rng.normal(size=n)
    value, mask = _cuda.max_excess(cp.asarray(v).data.ptr, n, x, _stream())
    rvalue, rmask = cpu.max_excess(v, x)
    assert value == rvalue
    assert mask == rmask


@pytest.mark.parametrize("n", [3, 10, 14])
def test_max_excess_ties_take_the_lowest_mask(n):
    rng = np.random.default_rng(n)
    v = rng.integers(0, 3, 1 << n).astype(float)  # many exact ties
    x = rng.integers(0, 2, n).astype(float) * 0.25
    value, mask = _cuda.max_excess(cp.asarray(v).data.ptr, n, x)
    assert (value, mask) == cpu.max_excess(v, x)


def test_max_excess_skips_nan_and_unaligned():
    n = 12
    rng = np.random.default_rng(3)
    v = rng.normal(size=1 << n)
    v[rng.integers(0, 1 << n, 50)] = np.nan
    x = rng.normal(size=n)
    buf = cp.empty((1 << n) + 1)
    buf[1:] = cp.asarray(v)
    assert _cuda.max_excess(buf.data.ptr + 8, n, x) == cpu.max_excess(v, x)


# ---- permutations and samplers -----------------------------------------------------


@pytest.mark.parametrize(
    "n, seed, first, count", [(1, 0, 0, 3), (2, 5, 7, 100), (9, 42, 1000, 5000), (300, 9, 3, 64)]
)
def test_permutations_identical(n, seed, first, count):
    got = _cuda.permutations(n, seed, first, count)
    assert got.dtype == np.int32 and got.shape == (count, n)
    np.testing.assert_array_equal(got, cpu.permutations(n, seed, first, count))


@pytest.mark.parametrize("antithetic", [False, True])
@pytest.mark.parametrize("n", [1, 5, 12])
def test_permutation_sample_dense(n, antithetic):
    v = _table(n, n)
    v[0] = 0.0
    shift = v[1 << np.arange(n)]
    dv = cp.asarray(v)
    s, q = _cuda.permutation_sample_dense(dv.data.ptr, n, 11, 3, 2000, antithetic, shift, _stream())
    rs, rq = cpu.permutation_sample_dense(v, 11, 3, 2000, antithetic, shift)
    _close(s, rs, 1e-9)
    _close(q, rq, 1e-9)


@pytest.mark.parametrize("antithetic", [False, True])
@pytest.mark.parametrize("n, count", [(1, 10), (7, 3000), (40, 1000), (2000, 300)])
def test_permutation_sample_voting(n, count, antithetic):
    w = np.random.default_rng(n).uniform(0.0, 5.0, n)
    quota = 0.55 * w.sum()
    s, q = _cuda.permutation_sample_voting(w, quota, 5, 17, count, antithetic)
    rs, rq = cpu.permutation_sample_voting(w, quota, 5, 17, count, antithetic)
    np.testing.assert_array_equal(s, rs)  # multiples of 1/4: exact in any order
    np.testing.assert_array_equal(q, rq)


def test_permutation_sample_voting_unreachable_quota():
    w = np.ones(6)
    s, q = _cuda.permutation_sample_voting(w, 100.0, 1, 0, 50, True)
    assert not s.any() and not q.any()


@pytest.mark.parametrize("n", [1, 4, 10])
def test_stratified_sample_dense(n):
    v = _table(n, 3 * n)
    shift = v[1 << np.arange(n)]
    dv = cp.asarray(v)
    s, q = _cuda.stratified_sample_dense(dv.data.ptr, n, 8, 60, 10, 45, shift, _stream())
    rs, rq = cpu.stratified_sample_dense(v, 8, 60, 10, 45, shift)
    assert s.shape == (n, n)
    _close(s, rs, 1e-9)
    _close(q, rq, 1e-9)


@pytest.mark.parametrize("n, per, first, count", [(1, 4, 0, 4), (6, 50, 5, 40), (70, 8, 2, 6)])
def test_stratified_sample_voting(n, per, first, count):
    # n = 70: the other players need a two-word bitset.
    w = np.random.default_rng(n).uniform(0.0, 3.0, n)
    quota = 0.5 * w.sum()
    s, q = _cuda.stratified_sample_voting(w, quota, 13, per, first, count)
    rs, rq = cpu.stratified_sample_voting(w, quota, 13, per, first, count)
    assert s.shape == (n, n)
    np.testing.assert_array_equal(s, rs)
    np.testing.assert_array_equal(q, rq)
