"""CPU vs GPU agreement of the normal-form game kernels (skipped without a GPU)."""

import numpy as np
import pytest

import accord.games as G

pytestmark = pytest.mark.gpu


@pytest.mark.parametrize("ks", [(16, 16), (3, 4, 5), (2, 2, 2, 2), (7,), (120, 130)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_best_response_matches_cpu(ks, dtype):
    import cupy

    host = G.random_game(ks, batch=257, seed=1, dtype=dtype)
    rng = np.random.default_rng(2)
    prof = [rng.dirichlet(np.ones(k), size=257).astype(dtype) for k in ks]
    dev = G.NormalFormGame(cupy.asarray(host.payoffs), batch=True)
    dprof = [cupy.asarray(p) for p in prof]
    a_cpu, v_cpu = G.best_response(host, prof)
    a_gpu, v_gpu = G.best_response(dev, dprof)
    assert isinstance(a_gpu[0], cupy.ndarray)
    rtol = 1e-12 if dtype == np.float64 else 1e-5
    for x, y in zip(v_cpu, v_gpu, strict=True):
        np.testing.assert_allclose(cupy.asnumpy(y), x, rtol=rtol, atol=rtol)
    agree = np.mean([np.mean(cupy.asnumpy(y) == x) for x, y in zip(a_cpu, a_gpu, strict=True)])
    assert agree > (0.999 if dtype == np.float64 else 0.99)
    u_cpu = G.expected_payoffs(host, prof)
    u_gpu = G.expected_payoffs(dev, dprof)
    for x, y in zip(u_cpu, u_gpu, strict=True):
        np.testing.assert_allclose(cupy.asnumpy(y), x, rtol=rtol, atol=rtol)
    np.testing.assert_allclose(cupy.asnumpy(G.nash_conv(dev, dprof)), G.nash_conv(host, prof),
                               rtol=rtol, atol=rtol)


@pytest.mark.parametrize("k", [3, 16, 40, 100])
@pytest.mark.parametrize("mode", ["simultaneous", "alternating"])
def test_fictitious_play_matches_cpu(k, mode):
    import cupy

    host = G.NormalFormGame(np.random.default_rng(k).integers(-5, 6, size=(64, 2, k, k + 1))
                            .astype(float))
    dev = G.NormalFormGame(cupy.asarray(host.payoffs))
    init = np.random.default_rng(0).integers(0, k, size=(64, 2))
    cpu = G.fictitious_play(host, 500, mode=mode, initial=init, record_every=7)
    gpu = G.fictitious_play(dev, 500, mode=mode, initial=init, record_every=7)
    for x, y in zip(cpu.profile, gpu.profile, strict=True):
        np.testing.assert_array_equal(cupy.asnumpy(y), x)  # integer payoffs: exact
    np.testing.assert_allclose(cupy.asnumpy(gpu.history), cpu.history, rtol=1e-12, atol=1e-12)
