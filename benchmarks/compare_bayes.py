#!/usr/bin/env python
"""accord.bayes against straightforward vectorised NumPy, in one process.

Every row is one agent's view of one coalition: m unknown members with K types each
(default B = 5,000 rows, m = 4, K = 4, so K**m = 256 joint type vectors; A = 3
coalitional actions; 100 samples for the sampled mode; fixed seeds). Cases:

  update        Eq. 5 over the enumerated joint: NumPy broadcasts the joint log prior,
                adds the log-likelihood, exponentiates once against the row maximum
                and sums every member's marginal out of the (B, K, ..., K) tensor;
  update(S)     the sampled (Rao-Blackwellised) update from (B, S, m, K) likelihoods:
                NumPy logsumexp over the samples, then a normalisation per member;
  expected      Eq. 2: joint probabilities times values, einsum over the joint;
  vpi           Eqs. 11-13: the gain of every (row, action, joint vector), weighted;
  sample        sample_types (B x S x m draws) against NumPy inverse-CDF sampling
                (cumulative sums compared with uniform draws);
  filter        the Dec-POMDP filter, 10,000 rows over 64 states, a shared transition:
                NumPy's ``b @ T`` is a BLAS matrix product.

Timings are the best of ``--repeat`` calls after a warm-up (``compare.best_of``) and
include accord's argument checks; "max |diff|" compares the results (log
probabilities for the updates, probabilities for the filter).

With ``--device cuda`` the same cases run on CuPy arrays (accord._cuda) instead, against
accord's CPU kernels: time, rows per second, bytes read per second and their share of
the device's peak bandwidth.  ``--device cpu`` runs that code on NumPy arrays, to test
it without a GPU.

    python benchmarks/compare_bayes.py
    python benchmarks/compare_bayes.py --rows 20000 --members 5 --threads 1
    python benchmarks/compare_bayes.py --device cuda --rows 50000
"""

from __future__ import annotations

import argparse
import os
import platform
import sys

import numpy as np

import accord
import accord.bayes as bayes

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare import Device, best_of, ms, speedup, table  # noqa: E402

SEED = 20240611


# ------------------------------------------------------------------ NumPy baselines


def np_joint_log_prior(lp: np.ndarray) -> np.ndarray:
    """(B, K, ..., K) log B(t) by broadcasting the members' log-marginals."""
    B, m, K = lp.shape
    out = np.zeros((B,) + (K,) * m)
    for j in range(m):
        shape = [B] + [1] * m
        shape[1 + j] = K
        out = out + lp[:, j, :].reshape(shape)
    return out


def np_update(lp: np.ndarray, ll: np.ndarray) -> np.ndarray:
    B, m, K = lp.shape
    lj = np_joint_log_prior(lp) + ll.reshape((B,) + (K,) * m)
    M = lj.reshape(B, -1).max(axis=1).reshape((B,) + (1,) * m)
    e = np.exp(lj - M)
    z = e.reshape(B, -1).sum(axis=1)
    marg = np.stack(
        [e.sum(axis=tuple(1 + q for q in range(m) if q != j)) for j in range(m)], axis=1
    )
    with np.errstate(divide="ignore"):
        return np.log(marg / z[:, None, None])


def np_update_sampled(lp: np.ndarray, ll: np.ndarray) -> np.ndarray:
    mx = ll.max(axis=1)
    v = lp + mx + np.log(np.exp(ll - mx[:, None]).sum(axis=1))
    top = v.max(axis=2, keepdims=True)
    return v - (top + np.log(np.exp(v - top).sum(axis=2, keepdims=True)))


def np_expected(lp: np.ndarray, values: np.ndarray) -> np.ndarray:
    P = np.exp(np_joint_log_prior(lp).reshape(lp.shape[0], -1))
    return np.einsum("bat,bt->ba", values, P)


def np_vpi(lp, values, share, best, second, is_best) -> np.ndarray:
    P = np.exp(np_joint_log_prior(lp).reshape(lp.shape[0], -1))
    q = share[..., None] * values
    gain = np.where(
        is_best[..., None],
        np.maximum(second[:, None, None] - q, 0.0),
        np.maximum(q - best[:, None, None], 0.0),
    )
    return np.einsum("bat,bt->ba", gain, P)


def np_sample(lp: np.ndarray, S: int, rng) -> np.ndarray:
    cdf = np.cumsum(np.exp(lp), axis=2)  # (B, m, K)
    u = rng.random((lp.shape[0], S, lp.shape[1])) * cdf[:, None, :, -1]
    return (u[..., None] >= cdf[:, None]).sum(axis=3).astype(np.int32)


def np_filter(b: np.ndarray, T: np.ndarray, o: np.ndarray) -> np.ndarray:
    post = (b @ T) * o
    return post / post.sum(axis=1, keepdims=True)


# ------------------------------------------------------------------------- inputs


def log_marginals(rng, B: int, m: int, K: int) -> np.ndarray:
    return np.log(rng.dirichlet(np.ones(K), size=(B, m)))


def max_diff(a, b) -> float:
    """Largest difference over the finite entries of b (infinities must coincide)."""
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype.kind in "iub":
        return float(np.abs(a.astype(np.int64) - b.astype(np.int64)).max(initial=0))
    fin = np.isfinite(b)
    if not np.array_equal(np.isfinite(a), fin):
        return float("inf")
    return float(np.abs(a[fin] - b[fin]).max(initial=0.0))


def device_section(dev: Device, cases, repeat: int) -> None:
    """The cases on ``dev`` against accord's CPU kernels: ``cases`` holds (name, size,
    rows, bytes read, function of the array module, the inputs)."""
    rows = []
    for name, size, count, nbytes, fn, inputs in cases:
        on_dev = [dev.xp.asarray(x) if isinstance(x, np.ndarray) else x for x in inputs]
        t, out = dev.time(lambda fn=fn, a=on_dev: fn(*a), repeat)
        t_cpu, ref = best_of(lambda fn=fn, a=inputs: fn(*a), repeat)
        out = out[0] if isinstance(out, tuple) else out
        ref = ref[0] if isinstance(ref, tuple) else ref
        bw = nbytes / t
        rows.append(
            [
                name,
                size,
                ms(t),
                f"{count / t:,.0f}",
                f"{bw / 1e9:.0f}",
                dev.of_peak(bw),
                ms(t_cpu),
                speedup(t_cpu / t),
                f"{max_diff(dev.asnumpy(out), ref):.1e}",
            ]
        )
        del on_dev, out
        dev.free()
    table(
        f"accord.bayes on {dev.name} vs accord's CPU kernels (ms, best of repeats)",
        ["case", "size", "device", "rows/s", "GB/s", "of peak", "CPU", "speed-up", "max |diff|"],
        rows,
        [dev.peak_note(), "GB/s: bytes of the inputs (outputs for sample) per second"],
    )


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=5000)
    ap.add_argument("--members", type=int, default=4)
    ap.add_argument("--types", type=int, default=4)
    ap.add_argument("--actions", type=int, default=3)
    ap.add_argument("--samples", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=10)
    ap.add_argument(
        "--threads", type=int, default=None, help="accord's OpenMP threads (default: all)"
    )
    ap.add_argument(
        "--device",
        choices=("cuda", "cpu"),
        default=None,
        help="run the cases on this device against the CPU kernels "
        "(cpu: the same code on NumPy arrays) instead of against NumPy",
    )
    args = ap.parse_args(argv)
    if args.threads:
        accord.set_num_threads(args.threads)
    B, m, K, A, S = args.rows, args.members, args.types, args.actions, args.samples
    T = K**m
    rng = np.random.default_rng(SEED)
    lp = log_marginals(rng, B, m, K)
    ll = np.log(rng.random((B, T)))
    values = rng.random((B, A, T)) * 100
    share = rng.random((B, A))
    best = np.full(B, 60.0)
    second = np.full(B, 40.0)
    is_best = np.zeros((B, A), dtype=bool)
    is_best[:, 0] = True
    samples = bayes.sample_types(lp, S, SEED)
    ll_s = np.log(rng.random((B, S, m, K)))
    fb = rng.dirichlet(np.ones(64), size=10_000)
    fT = rng.dirichlet(np.ones(64), size=64)
    fo = rng.random((10_000, 64))

    if args.device is not None:
        reason = Device.unavailable(args.device)
        if reason is not None:
            print(f"accord.bayes on {args.device}: unavailable ({reason})")
            return
        dev = Device(args.device)
        device_section(
            dev,
            [
                (
                    "update",
                    f"{B}x{m}x{K} (T={T})",
                    B,
                    ll.nbytes + lp.nbytes,
                    bayes.update,
                    (lp, ll),
                ),
                (
                    "update(S)",
                    f"{B}x{m}x{K}, S={S}",
                    B,
                    ll_s.nbytes + lp.nbytes,
                    lambda a, b, c: bayes.update(a, b, samples=c),
                    (lp, ll_s, samples),
                ),
                (
                    "expected",
                    f"{B}x{A}x{T}",
                    B,
                    values.nbytes + lp.nbytes,
                    bayes.expected_values,
                    (lp, values),
                ),
                (
                    "vpi",
                    f"{B}x{A}x{T}",
                    B,
                    values.nbytes + lp.nbytes,
                    bayes.vpi,
                    (lp, values, share, best, second, is_best),
                ),
                (
                    "sample",
                    f"{B}x{S}x{m}",
                    B,
                    B * S * m * 4,
                    lambda a: bayes.sample_types(a, S, SEED),
                    (lp,),
                ),
                (
                    "filter",
                    "10000x64, shared T",
                    10_000,
                    fb.nbytes + fo.nbytes + fT.nbytes,
                    bayes.filter_step,
                    (fb, fT, fo),
                ),
            ],
            args.repeat,
        )
        return

    threads = accord._core.get_num_threads()
    load = f", load average {os.getloadavg()[0]:.1f}" if hasattr(os, "getloadavg") else ""
    print(
        f"accord.bayes vs NumPy {np.__version__} -- {platform.processor() or platform.machine()}"
        f", {os.cpu_count()} CPUs{load}, accord threads {threads}"
    )

    cases = [
        ("update", f"{B}x{m}x{K} (T={T})", lambda: bayes.update(lp, ll), lambda: np_update(lp, ll)),
        (
            "update(S)",
            f"{B}x{m}x{K}, S={S}",
            lambda: bayes.update(lp, ll_s, samples=samples),
            lambda: np_update_sampled(lp, ll_s),
        ),
        (
            "expected",
            f"{B}x{A}x{T}",
            lambda: bayes.expected_values(lp, values),
            lambda: np_expected(lp, values),
        ),
        (
            "vpi",
            f"{B}x{A}x{T}",
            lambda: bayes.vpi(lp, values, share, best, second, is_best),
            lambda: np_vpi(lp, values, share, best, second, is_best),
        ),
        (
            "sample",
            f"{B}x{S}x{m}",
            lambda: bayes.sample_types(lp, S, SEED),
            lambda: np_sample(lp, S, np.random.default_rng(SEED)),
        ),
        (
            "filter",
            "10000x64, shared T",
            lambda: bayes.filter_step(fb, fT, fo),
            lambda: np_filter(fb, fT, fo),
        ),
    ]
    rows = []
    for name, size, ours, theirs in cases:
        t_a, r_a = best_of(ours, args.repeat)
        t_n, r_n = best_of(theirs, args.repeat)
        if name == "sample":
            # Different generators: compare the type frequencies instead.
            fa = np.bincount(r_a.ravel(), minlength=K) / r_a.size
            fn = np.bincount(r_n.ravel(), minlength=K) / r_n.size
            diff = f"freq {np.abs(fa - fn).max():.1e}"
        else:
            fin = np.isfinite(r_n)
            diff = f"{np.abs(r_a[fin] - r_n[fin]).max():.1e}"
        rows.append([name, size, ms(t_a), ms(t_n), speedup(t_n / t_a), diff])
    table(
        "accord.bayes vs vectorised NumPy (ms, best of repeats)",
        ["case", "size", "accord", "numpy", "speed-up", "max |diff|"],
        rows,
    )


if __name__ == "__main__":
    main()
