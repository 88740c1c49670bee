#!/usr/bin/env python
"""accord against memory floors and NumPy / pure-Python baselines, in one process.

Sections (``--sections a,b,c,d,e``; all by default):

a. exact Shapley and Banzhaf on dense float64 tables: time, ratio to the memory
   floor (the faster of ``numpy.max`` and ``numpy.sum`` over the same table),
   speed-up over a vectorised NumPy implementation, and over the textbook itertools
   implementation of the definition (Shapley 1953);
b. ``core_violation``: time, ratio to the same floor, speed-up over NumPy;
c. sampled Shapley values: marginal contributions per second per core for each
   method against a vectorised NumPy permutation sampler, and the error against
   the exact values at 10^4 and 10^5 samples;
d. least core and nucleolus (``accord.coop.lp``, when it exists): time, LP size,
   and the least-core value checked against the full LP solved by HiGHS;
e. the CUDA kernels (when accord._cuda, a device and CuPy are available): exact
   Shapley and ``core_violation`` on device tables, achieved bandwidth relative to
   the device's peak (``--gpu-sizes``, default 28,30);
f. sampled Shapley values on the device: marginal contributions per second for
   each method on a dense device table and a 1,000-player weighted voting game,
   checked against the CPU kernels (same Philox samples).

Sections e and f run on ``--device cuda`` (default); ``--device cpu`` runs the same
code on NumPy arrays and the CPU kernels, to test it on a machine without a GPU.

Every timing is the best of ``--repeat`` calls after one warm-up call (fewer
repeats when a call is long), with ``time.perf_counter``.  Inputs are seeded
(``benchmarks/benchmarks/common.py``).

    python benchmarks/compare.py                 # full run (a few minutes)
    python benchmarks/compare.py --quick         # smoke test, small sizes
    python benchmarks/compare.py --sections a,c --threads 2
    python benchmarks/compare.py --sections e,f --device cpu --gpu-sizes 16,18 --quick
"""

from __future__ import annotations

import argparse
import itertools
import math
import os
import platform
import sys
import time
from math import comb

import numpy as np

import accord
from accord._masks import membership, membership_table
from accord.coop import banzhaf, core_violation, shapley

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchmarks import common  # noqa: E402  (benchmarks/benchmarks/common.py)

# --------------------------------------------------------------------------- timing


def best_of(fn, repeat: int, budget: float = 10.0):
    """(best time in seconds, result of the warm-up call).  One warm-up call, then
    ``repeat`` timed calls (more for short calls), fewer when they would exceed
    ``budget`` seconds."""
    t0 = time.perf_counter()
    out = fn()
    first = time.perf_counter() - t0
    first = max(first, 1e-9)
    # Short calls get more repeats (up to 50 within ~0.3 s): the best of many is
    # robust to other processes on the machine; long calls stop at `budget`.
    runs = max(1, min(max(repeat, min(50, int(0.3 / first))), int(budget / first)))
    best = math.inf
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def best_of_device(fn, repeat: int):
    """``best_of`` for GPU work: each call waits for the current CUDA stream."""

    def run():
        out = fn()
        common.synchronize()
        return out

    return best_of(run, repeat)


class Device:
    """Where the GPU sections run: ``"cuda"`` (CuPy arrays, accord._cuda) or ``"cpu"``
    (NumPy arrays through the same code and the CPU kernels, to test a section on a
    machine without a GPU).  ``unavailable(kind)`` says why a kind cannot run."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        if kind == "cuda":
            import cupy

            from accord import _backend

            device = cupy.cuda.Device()
            info = _backend.cuda_module().devices()[device.id]
            self.xp = cupy
            self.name = info.get("name") or "CUDA device"
            self.peak = info.get("peak_bandwidth_bytes_per_s")
            if not self.peak:  # CuPy's view of the same attributes: 2 x clock x bus width
                attrs = device.attributes
                clock_khz = attrs.get("MemoryClockRate", 0)
                bus_bits = attrs.get("GlobalMemoryBusWidth", 0)
                self.peak = 2.0 * clock_khz * 1e3 * bus_bits / 8 or None
        else:
            self.xp = np
            self.name = f"CPU ({platform.machine()}, {os.cpu_count()} CPUs)"
            self.peak = None

    @staticmethod
    def unavailable(kind: str) -> str | None:
        return common.cuda_available() if kind == "cuda" else None

    def sync(self) -> None:
        if self.kind == "cuda":
            self.xp.cuda.get_current_stream().synchronize()

    def asnumpy(self, x) -> np.ndarray:
        return self.xp.asnumpy(x) if self.kind == "cuda" else np.asarray(x)

    def free(self) -> None:
        if self.kind == "cuda":
            self.xp.get_default_memory_pool().free_all_blocks()

    def time(self, fn, repeat: int):
        """``best_of`` where each call waits for the device."""

        def run():
            out = fn()
            self.sync()
            return out

        return best_of(run, repeat)

    def of_peak(self, bytes_per_s: float) -> str:
        return f"{100 * bytes_per_s / self.peak:.0f}%" if self.peak else "n/a"

    def peak_note(self) -> str:
        if self.peak:
            return f"peak = {self.peak / 1e9:.0f} GB/s (2 x memory clock x bus width)"
        return "peak bandwidth unknown (n/a)"


def memory_floor(v, repeat: int) -> float:
    """The faster of numpy.max(v) and numpy.sum(v): one read of the table."""
    return min(best_of(lambda: np.max(v), repeat)[0], best_of(lambda: np.sum(v), repeat)[0])


def table(title: str, headers: list[str], rows: list[list], notes: list[str] = ()) -> None:
    cells = [[str(c) for c in r] for r in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    line = "  ".join("-" * w for w in widths)
    print(f"\n{title}")
    print("  ".join(h.rjust(w) for h, w in zip(headers, widths, strict=True)))
    print(line)
    for r in cells:
        print("  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)))
    for note in notes:
        print(f"  {note}")
    sys.stdout.flush()


def ms(t: float) -> str:
    return f"{1e3 * t:.3f}" if t < 0.1 else f"{1e3 * t:.1f}"


def mib(n: int) -> str:
    return f"{8 * 2**n / 2**20:g} MiB"


def gbs(nbytes: float, t: float) -> str:
    return f"{nbytes / t / 1e9:.1f}"


def speedup(r: float) -> str:
    return f"{r:,.0f}x" if r >= 100 else f"{r:.1f}x"


def ratio(r: float) -> str:
    return f"{r:.1f}" if r >= 1 else f"{r:.3f}"


def sci(x: float) -> str:
    return f"{x:.2e}"


# --------------------------------------------------------------- NumPy baselines


class NumpySemivalue:
    """A vectorised NumPy exact semivalue of a dense table, in one pass.

    phi_i = sum_{S∋i} c(|S|) v(S) - sum_S b(|S|) v(S), c(s) = p(s-1) + p(s),
    b(s) = p(s) (the same identity as accord's kernel, Weber 1988).  The table is
    viewed as a (2**(n-k), 2**k) matrix, k = min(n, 13): row h holds the masks
    ``h << k | l``, so |S| = popcount(h) + popcount(l) and each row needs only one
    of the n-k+1 precomputed weight rows ``c[popcount(h) + popcount(l)]``.  Per row:
    two dot products (the row's weighted sum, for the high bits, and its b-weighted
    sum) and one vector add into the accumulator of its popcount class (for the low
    bits).  The weight rows and bit matrices depend only on n and are built
    untimed in ``__init__``.
    """

    K = 13

    def __init__(self, n: int, p: np.ndarray) -> None:
        k = min(n, self.K)
        self.n, self.k = n, k
        b = np.zeros(n + 1)
        b[:n] = p
        c = b.copy()
        c[1:] += p
        pc_lo = common.popcounts(k).astype(np.int64)
        self.pc_hi = common.popcounts(n - k).astype(np.int64)
        classes = np.arange(n - k + 1)[:, None] + pc_lo[None, :]
        self.cw = c[classes]  # (n-k+1, 2**k)
        self.bw = b[classes]
        self.bits_lo = membership_table(k).astype(np.float64)
        self.bits_hi = membership_table(n - k).astype(np.float64)

    def __call__(self, v: np.ndarray) -> np.ndarray:
        n, k = self.n, self.k
        rows_v = v.reshape(-1, 1 << k)
        acc = np.zeros((n - k + 1, 1 << k))
        row_sums = np.empty(rows_v.shape[0])
        total_b = 0.0
        cw, bw, pc_hi = self.cw, self.bw, self.pc_hi
        for h in range(rows_v.shape[0]):
            r = rows_v[h]
            j = pc_hi[h]
            row_sums[h] = cw[j] @ r
            total_b += bw[j] @ r
            acc[j] += r
        col = np.einsum("jl,jl->l", cw, acc)
        return np.concatenate([col @ self.bits_lo, row_sums @ self.bits_hi]) - total_b


def numpy_banzhaf(v: np.ndarray, n: int, bits) -> np.ndarray:
    """beta_i = 2**(1-n) (2 sum_{S∋i} v(S) - sum_S v(S)): a row-sum and a column-sum
    pass over the (2**(n-k), 2**k) view.  ``bits`` = (bits_lo, bits_hi) matrices."""
    k = bits[0].shape[1]
    m = v.reshape(-1, 1 << k)
    rows, cols = m.sum(axis=1), m.sum(axis=0)
    with_i = np.concatenate([cols @ bits[0], rows @ bits[1]])
    return 2.0 ** (1 - n) * (2.0 * with_i - rows.sum())


def numpy_core_violation(v: np.ndarray, x: np.ndarray) -> tuple[float, int]:
    """max_S v(S) - x(S) over non-empty S and the lowest maximising mask:
    x(S) = X_hi[h] + X_lo[l] on the (2**(n-k), 2**k) view, one subtraction pass
    and one argmax pass."""
    n = x.shape[0]
    k = min(n, NumpySemivalue.K)
    e = v.reshape(-1, 1 << k) - common.subset_sums(x[:k])[None, :]
    e -= common.subset_sums(x[k:])[:, None]
    e[0, 0] = -np.inf
    i = int(np.argmax(e))
    return float(e.flat[i]), i


def itertools_shapley(agents, value_function):
    """The definition computed naively (Shapley 1953): for each player, every subset of
    the others by itertools.combinations, weight s!(n-s-1)!/n!, the value function called
    on lists of players."""
    n = len(agents)
    shapley_values = {agent: 0.0 for agent in agents}
    for agent in agents:
        marginal_contributions = []
        other_agents = [a for a in agents if a != agent]
        for r in range(len(other_agents) + 1):
            for coalition in itertools.combinations(other_agents, r):
                coalition_list = list(coalition)
                coalition_with_agent = coalition_list + [agent]
                value_with = value_function(coalition_with_agent)
                value_without = value_function(coalition_list)
                marginal_contribution = value_with - value_without
                coalition_size = len(coalition_list)
                weight = (
                    math.factorial(coalition_size) * math.factorial(n - coalition_size - 1)
                ) / math.factorial(n)
                marginal_contributions.append(marginal_contribution * weight)
        shapley_values[agent] = sum(marginal_contributions)
    return shapley_values


def table_value_function(values: list[float]):
    """A value function over a list of player ids: look the table up by
    building the coalition's bitmask (a Python list, the fastest lookup)."""

    def value_function(players):
        mask = 0
        for p in players:
            mask |= 1 << p
        return values[mask]

    return value_function


def shapley_weights(n: int) -> np.ndarray:
    return np.array([1.0 / (n * comb(n - 1, s)) for s in range(n)])


def numpy_permutation_dense(
    v: np.ndarray, n: int, samples: int, rng, batch: int = 1 << 13
) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised permutation sampler on a dense table: orders from
    ``Generator.permuted`` (a row-wise Fisher-Yates shuffle, faster than argsort of
    a random matrix), prefix masks by cumsum of 1 << order, values by fancy indexing,
    marginal contributions by diff, scattered back to players.  Returns (mean, stderr)."""
    s = np.zeros(n)
    q = np.zeros(n)
    base = np.broadcast_to(np.arange(n, dtype=np.int64), (batch, n))
    for start in range(0, samples, batch):
        b = min(batch, samples - start)
        orders = rng.permuted(base[:b], axis=1)
        masks = np.cumsum(np.left_shift(1, orders), axis=1)
        gains = np.diff(v[masks], axis=1, prepend=0.0)  # v[0] = 0
        m = np.empty_like(gains)
        np.put_along_axis(m, orders, gains, axis=1)
        s += m.sum(axis=0)
        q += np.einsum("ij,ij->j", m, m)
    mean = s / samples
    var = np.maximum(q - samples * mean * mean, 0.0) / max(samples - 1, 1)
    return mean, np.sqrt(var / samples)


def numpy_permutation_voting(
    w: np.ndarray, quota: float, samples: int, rng, batch: int = 256
) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised permutation sampler on a weighted voting game: cumulative weights
    along each order, the pivot (first position reaching the quota) by argmax, a
    bincount of pivotal players.  Every order yields n marginal contributions (one
    1, the rest 0).  Returns (mean, stderr)."""
    n = w.shape[0]
    counts = np.zeros(n)
    base = np.broadcast_to(np.arange(n, dtype=np.int64), (batch, n))
    for start in range(0, samples, batch):
        b = min(batch, samples - start)
        orders = rng.permuted(base[:b], axis=1)
        reached = np.cumsum(w[orders], axis=1) >= quota
        pivots = orders[np.arange(b), np.argmax(reached, axis=1)]
        counts += np.bincount(pivots, minlength=n)
    mean = counts / samples
    return mean, np.sqrt(mean * (1.0 - mean) / max(samples - 1, 1))


# --------------------------------------------------------------------------- sections


def section_a(cfg) -> None:
    rows = []
    for n in cfg.exact_sizes:
        v = common.dense_values(n)
        g = common.dense_game(n)
        floor = memory_floor(v, cfg.repeat)
        t_sh, phi = best_of(lambda g=g: shapley(g), cfg.repeat)
        t_bz, beta = best_of(lambda g=g: banzhaf(g), cfg.repeat)
        sv = NumpySemivalue(n, shapley_weights(n))
        t_nsh, phi_np = best_of(lambda v=v, sv=sv: sv(v), cfg.repeat)
        bits = (sv.bits_lo, sv.bits_hi)
        t_nbz, beta_np = best_of(lambda v=v, n=n, bits=bits: numpy_banzhaf(v, n, bits), cfg.repeat)
        err_sh = float(np.max(np.abs(phi - phi_np)))
        err_bz = float(np.max(np.abs(beta - beta_np)))
        assert err_sh <= 1e-9, f"NumPy Shapley differs from accord by {err_sh} at n={n}"
        assert err_bz <= 1e-9, f"NumPy Banzhaf differs from accord by {err_bz} at n={n}"
        nbytes = 8 * 2**n
        rows.append(
            [
                n,
                mib(n),
                ms(floor),
                gbs(nbytes, floor),
                ms(t_sh),
                f"{t_sh / floor:.2f}",
                gbs(nbytes, t_sh),
                ms(t_nsh),
                speedup(t_nsh / t_sh),
                ms(t_bz),
                f"{t_bz / floor:.2f}",
                ms(t_nbz),
                speedup(t_nbz / t_bz),
                sci(max(err_sh, err_bz)),
            ]
        )
    table(
        "a. Exact Shapley / Banzhaf, dense float64 (times in ms)",
        [
            "n",
            "table",
            "floor",
            "GB/s",
            "Shapley",
            "/floor",
            "GB/s",
            "NumPy Sh",
            "speed-up",
            "Banzhaf",
            "/floor",
            "NumPy Bz",
            "speed-up",
            "max|diff|",
        ],
        rows,
        [
            "floor = min(numpy.max(v), numpy.sum(v)) on the same table (single thread); "
            "/floor = accord time / floor",
            "NumPy Sh: one pass over a (2**(n-13), 2**13) view, dot products per row with "
            "popcount-class weight rows (untimed setup); NumPy Bz: row and column sums",
            "speed-up = NumPy time / accord time; max|diff| = max abs difference of the "
            "NumPy results from accord (asserted <= 1e-9)",
        ],
    )

    n = cfg.seed_n
    v = common.dense_values(n)
    g = common.dense_game(n)
    vf = table_value_function(v.tolist())
    agents = list(range(n))
    t_iter, phi_iter = best_of(
        lambda: itertools_shapley(agents, vf), min(cfg.repeat, 2), budget=5.0
    )
    phi_iter = np.array([phi_iter[a] for a in agents])
    t_acc, phi = best_of(lambda: shapley(g), cfg.repeat)
    sv = NumpySemivalue(n, shapley_weights(n))
    t_np, phi_np = best_of(lambda: sv(v), cfg.repeat)
    err = max(float(np.max(np.abs(phi - phi_iter))), float(np.max(np.abs(phi - phi_np))))
    assert err <= 1e-9, f"itertools/NumPy Shapley differ from accord by {err} at n={n}"
    table(
        f"a'. Exact Shapley at n = {n}: the naive itertools implementation",
        ["implementation", "time ms", "accord speed-up", "max|diff| vs accord"],
        [
            [
                "itertools",
                ms(t_iter),
                speedup(t_iter / t_acc),
                sci(float(np.max(np.abs(phi - phi_iter)))),
            ],
            [
                "NumPy vectorised",
                ms(t_np),
                speedup(t_np / t_acc),
                sci(float(np.max(np.abs(phi - phi_np)))),
            ],
            ["accord", ms(t_acc), "1x", "0"],
        ],
        [
            "itertools: the definition over itertools.combinations, value_function = "
            "table lookup by bitmask built from the player list"
        ],
    )


def section_b(cfg) -> None:
    rows = []
    for n in cfg.core_sizes:
        v = common.dense_values(n)
        g = common.dense_game(n)
        x = common.efficient_allocation(v)
        floor = memory_floor(v, cfg.repeat)
        t_acc, (exc, mask) = best_of(lambda g=g, x=x: core_violation(g, x), cfg.repeat)
        t_np, (exc_np, mask_np) = best_of(lambda v=v, x=x: numpy_core_violation(v, x), cfg.repeat)
        assert abs(exc - exc_np) <= 1e-9 and mask == mask_np, (n, exc, exc_np, mask, mask_np)
        rows.append(
            [
                n,
                mib(n),
                ms(floor),
                ms(t_acc),
                f"{t_acc / floor:.2f}",
                gbs(8 * 2**n, t_acc),
                ms(t_np),
                speedup(t_np / t_acc),
                f"{exc:.6f}",
                mask,
            ]
        )
    table(
        "b. core_violation(game, x), x = equal split of v(N) (times in ms)",
        [
            "n",
            "table",
            "floor",
            "accord",
            "/floor",
            "GB/s",
            "NumPy",
            "speed-up",
            "max excess",
            "mask",
        ],
        rows,
        [
            "NumPy: v - (X_hi[h] + X_lo[l]) on the (2**(n-13), 2**13) view, then argmax; "
            "results asserted equal"
        ],
    )


def section_c(cfg) -> None:
    threads = accord.info()["threads"]
    rng_seed = common.SEED
    dense_n = cfg.sample_dense_n
    dense = common.dense_game(dense_n)
    v = common.dense_values(dense_n)
    voting = common.voting_game(cfg.voting_n)
    t0 = time.perf_counter()
    exact_dense = shapley(dense)
    t_dense_exact = time.perf_counter() - t0
    t0 = time.perf_counter()
    exact_voting = shapley(voting)
    t_voting_exact = time.perf_counter() - t0
    games = [
        (
            f"dense n={dense_n}",
            dense,
            exact_dense,
            cfg.acc_samples_dense,
            lambda s, r: numpy_permutation_dense(v, dense_n, s, r),
            cfg.np_samples_dense,
        ),
        (
            f"voting n={cfg.voting_n}",
            voting,
            exact_voting,
            cfg.acc_samples_voting,
            lambda s, r: numpy_permutation_voting(voting.weights, voting.quota, s, r),
            cfg.np_samples_voting,
        ),
    ]

    rows = []
    for name, game, _, acc_samples, np_sampler, np_samples in games:
        n = game.n
        t_np, _ = best_of(
            lambda np_sampler=np_sampler, s=np_samples: np_sampler(
                s, np.random.default_rng(rng_seed)
            ),
            cfg.repeat,
        )
        np_rate = np_samples * n / t_np
        rows.append(
            [
                name,
                "NumPy permutation",
                1,
                f"{np_samples:,}",
                ms(t_np),
                sci(np_rate),
                sci(np_rate),
                "1.0",
            ]
        )
        for method in ("permutation", "antithetic", "stratified"):
            samples = acc_samples[method]
            t, est = best_of(
                lambda game=game, s=samples, m=method: shapley(game, samples=s, seed=1, method=m),
                cfg.repeat,
            )
            rate = est.samples * n / t
            rows.append(
                [
                    name,
                    f"accord {method}",
                    threads,
                    f"{est.samples:,}",
                    ms(t),
                    sci(rate),
                    sci(rate / threads),
                    ratio(rate / threads / np_rate),
                ]
            )
    table(
        "c. Sampled Shapley: throughput",
        [
            "game",
            "sampler",
            "threads",
            "samples",
            "time ms",
            "marg/s",
            "marg/s/core",
            "vs NumPy/core",
        ],
        rows,
        [
            "marginal contributions = samples x n (stratified: samples per position x n "
            "positions x n players); per core = / threads (NumPy is single-threaded)",
            "vs NumPy/core = accord per-core rate / NumPy per-core rate (goal >= 3)",
            f"voting game: integer weights uniform on 1..20 (seeded), quota = floor(W/2) + 1 "
            f"= {voting.quota:g} of W = {voting.weights.sum():g}",
            f"exact values: dense one-pass kernel {ms(t_dense_exact)} ms; voting "
            f"Shapley-Shubik DP {t_voting_exact:.2f} s",
        ],
    )

    rows = []
    notes = []
    for name, game, exact, _, np_sampler, _ in games:
        n = game.n
        for method in ("permutation", "antithetic", "stratified", "numpy"):
            prev = None
            for samples in cfg.error_samples:
                label = "NumPy permutation" if method == "numpy" else f"accord {method}"
                if prev is not None and prev[1] * samples / prev[0] > cfg.max_error_run:
                    predicted = prev[1] * samples / prev[0]
                    rows.append([name, label, f"{samples:,}", "skipped", "-", "-"])
                    notes.append(
                        f"{name} {label} at {samples:,} samples skipped: predicted "
                        f"{predicted:.0f} s > {cfg.max_error_run:g} s"
                    )
                    continue
                t0 = time.perf_counter()
                if method == "numpy":
                    values, stderr = np_sampler(samples, np.random.default_rng(rng_seed))
                else:
                    est = shapley(game, samples=samples, seed=1, method=method)
                    values, stderr = est.values, est.stderr
                t = time.perf_counter() - t0
                prev = (samples, t)
                err = float(np.max(np.abs(values - exact)))
                rows.append(
                    [name, label, f"{samples:,}", sci(err), sci(float(np.max(stderr))), ms(t)]
                )
    table(
        "c'. Sampled Shapley: error against the exact values",
        ["game", "sampler", "samples", "max|err|", "max stderr", "time ms"],
        rows,
        [
            "max|err| = max over players of |estimate - exact|; max stderr = the largest "
            "standard error the sampler reports",
            *notes,
        ],
    )


def max_proper_excess(v: np.ndarray, x) -> float:
    """max over coalitions other than the empty set and N of v(S) - x(S)."""
    exc = v - common.subset_sums(np.asarray(x, dtype=np.float64))
    return float(np.max(exc[1:-1]))


def section_d(cfg) -> None:
    lp = common.lp_module()
    if lp is None:
        print("\nd. least core / nucleolus: accord.coop.lp is not available")
        return
    from scipy.optimize import linprog

    rows = []
    for n in cfg.lp_sizes:
        g = common.lp_game(n)
        v = np.asarray(g.values)
        t_lc, res = best_of(lambda g=g: lp.least_core(g), cfg.repeat)
        t_nu, nuc = best_of(lambda g=g: lp.nucleolus(g), cfg.repeat)
        eps = res.eps
        # Check eps against the full LP (2**n - 2 rows) solved by HiGHS directly.
        masks = np.arange(1, (1 << n) - 1)
        inc = membership(masks, n, dtype=np.float64)
        t0 = time.perf_counter()
        full = linprog(
            np.r_[np.zeros(n), 1.0],
            A_ub=-np.hstack([inc, np.ones((masks.size, 1))]),
            b_ub=-v[masks],
            A_eq=np.r_[np.ones(n), 0.0][None, :],
            b_eq=[v[-1]],
            bounds=[(None, None)] * (n + 1),
            method="highs",
        )
        t_full = time.perf_counter() - t0
        assert full.status == 0, full.message
        assert abs(full.x[n] - eps) <= 1e-7 * max(1.0, abs(eps)), (n, full.x[n], eps)
        assert abs(float(np.sum(nuc)) - v[-1]) <= 1e-8 * max(1.0, abs(v[-1]))
        nuc_exc = max_proper_excess(v, nuc)
        try:  # the prenucleolus lies in the least core: its max excess must be eps
            pre_exc = f"{max_proper_excess(v, lp.nucleolus(g, imputation=False)):.6f}"
        except TypeError:
            pre_exc = "-"
        rows.append(
            [
                n,
                f"{getattr(res, 'lp_rows', masks.size + 1):,}",
                getattr(res, "lp_cols", n + 1),
                getattr(res, "rows_generated", "-"),
                ms(t_lc),
                ms(t_nu),
                ms(t_full),
                speedup(t_full / t_lc),
                f"{eps:.6f}",
                f"{nuc_exc:.6f}",
                pre_exc,
            ]
        )
    table(
        "d. least_core / nucleolus on random games (times in ms)",
        [
            "n",
            "LP rows",
            "cols",
            "rows gen.",
            "least_core",
            "nucleolus",
            "full LP",
            "speed-up",
            "eps",
            "nucl. max exc",
            "prenucl. max exc",
        ],
        rows,
        [
            "game: v(S) = a(S) + |S|^2/n (1 + u_S)/2, a_i, u_S ~ U[0,1) (seeded)",
            "full LP: all 2**n - 2 coalition rows given to scipy linprog(method='highs') "
            "once (eps asserted equal); speed-up = full LP / least_core",
            "max exc = max over proper coalitions S of v(S) - x(S) at the nucleolus and at "
            "the prenucleolus (imputation=False); the latter lies in the least core, so "
            "its max exc must equal eps",
        ],
    )


def device_table(dev: Device, n: int):
    """A random dense game on the device: ``v[mask]`` uniform on [0, 1), ``v[0] = 0``."""
    if dev.kind == "cuda":
        return common.device_game(n)
    return common.dense_game(n)


def section_e(cfg) -> None:
    dev = cfg.device
    reason = Device.unavailable(dev.kind) if isinstance(dev, Device) else dev
    if reason is not None:
        print(f"\ne. GPU: unavailable ({reason})")
        return
    xp = dev.xp
    rows = []
    for n in cfg.gpu_sizes:
        g = device_table(dev, n)
        x = np.full(n, 1.0 / n)
        t_sum, _ = dev.time(lambda g=g: xp.sum(g.values), cfg.repeat)
        t_max, _ = dev.time(lambda g=g: xp.max(g.values), cfg.repeat)
        t_sh, phi = dev.time(lambda g=g: shapley(g), cfg.repeat)
        t_cv, _ = dev.time(lambda g=g, x=x: core_violation(g, x), cfg.repeat)
        t_cpu = None
        if dev.kind == "cuda" and n <= 28:
            host = dev.asnumpy(g.values)
            t_cpu, phi_cpu = best_of(lambda host=host: shapley(host), 1)
            assert float(np.max(np.abs(dev.asnumpy(phi) - phi_cpu))) <= 1e-9
            del host
        nbytes = 8 * 2**n
        for what, t in (
            ("floor", min(t_sum, t_max)),
            ("shapley", t_sh),
            ("core_violation", t_cv),
        ):
            bw = nbytes / t
            rows.append([n, mib(n), what, ms(t), f"{bw / 1e9:.0f}", dev.of_peak(bw)])
        if t_cpu is not None:
            rows.append(
                [
                    n,
                    mib(n),
                    "shapley (CPU)",
                    ms(t_cpu),
                    f"{nbytes / t_cpu / 1e9:.1f}",
                    f"GPU {t_cpu / t_sh:.0f}x faster",
                ]
            )
        common.device_game.cache_clear()
        common.dense_game.cache_clear()
        del g
        dev.free()
    table(
        f"e. exact Shapley and core_violation on {dev.name}, times in ms",
        ["n", "table", "kernel", "time", "GB/s", "of peak"],
        rows,
        [
            dev.peak_note(),
            f"floor = min({xp.__name__}.sum, {xp.__name__}.max) over the same table",
        ],
    )


def section_f(cfg) -> None:
    from accord.coop import TUGame

    dev = cfg.device
    reason = Device.unavailable(dev.kind) if isinstance(dev, Device) else dev
    if reason is not None:
        print(f"\nf. GPU sampling: unavailable ({reason})")
        return
    n = cfg.gpu_sample_n
    dense = device_table(dev, n)
    host_dense = TUGame(dev.asnumpy(dense.values))
    voting = common.voting_game(cfg.voting_n)
    rows = []
    for kind, game, host, kw in (
        ("dense", dense, host_dense, {}),
        ("voting", voting, voting, {"device": dev.kind}),
    ):
        for method, samples in cfg.gpu_samples[kind].items():
            # The same samples as the CPU kernels: checked on a short run, timed on a long one.
            check = 2 * game.n if method == "stratified" else 10_000
            est = shapley(game, check, 1, method, **kw)
            ref = shapley(host, check, 1, method, device="cpu")
            diff = float(np.max(np.abs(dev.asnumpy(est.values) - ref.values)))
            assert diff <= 1e-9, (kind, method, diff)
            t, est = dev.time(
                lambda g=game, s=samples, m=method, kw=kw: shapley(g, s, 1, m, **kw),
                cfg.repeat,
            )
            rate = est.samples * game.n / t
            name = f"{kind} n={game.n}"
            rows.append([name, method, f"{est.samples:,}", ms(t), sci(rate), f"{diff:.0e}"])
    common.device_game.cache_clear()
    del dense
    dev.free()
    table(
        f"f. sampled Shapley values on {dev.name} (times in ms)",
        ["game", "method", "samples", "time", "marginals/s", "max |diff| vs CPU"],
        rows,
        [
            "marginals/s = samples x n / time (one marginal contribution per player and sample)",
            "max |diff| vs CPU: the same Philox samples on the CPU kernels (a short run), "
            "equal up to summation order",
        ],
    )


# --------------------------------------------------------------------------- driver


class Config:
    def __init__(self, quick: bool, repeat: int) -> None:
        self.repeat = repeat
        self.max_error_run = 60.0
        if quick:
            self.exact_sizes = [16, 18]
            self.seed_n = 10
            self.core_sizes = [16, 18]
            self.sample_dense_n = 12
            self.voting_n = 200
            self.acc_samples_dense = dict.fromkeys(
                ("permutation", "antithetic", "stratified"), 100_000
            )
            self.acc_samples_voting = {
                "permutation": 20_000,
                "antithetic": 20_000,
                "stratified": 2_000,
            }
            self.np_samples_dense = 20_000
            self.np_samples_voting = 2_000
            self.error_samples = [1_000, 10_000]
            self.lp_sizes = [8, 10]
            self.gpu_sizes = [22, 24]
            self.gpu_sample_n = 14
            self.gpu_samples = {
                "dense": dict.fromkeys(("permutation", "antithetic", "stratified"), 100_000),
                "voting": {"permutation": 20_000, "antithetic": 20_000, "stratified": 2_000},
            }
        else:
            self.exact_sizes = [20, 22, 24, 26]
            self.seed_n = 14
            self.core_sizes = [22, 24, 26]
            self.sample_dense_n = 20
            self.voting_n = common.VOTING_PLAYERS
            self.acc_samples_dense = dict.fromkeys(
                ("permutation", "antithetic", "stratified"), 1_000_000
            )
            self.acc_samples_voting = {
                "permutation": 100_000,
                "antithetic": 100_000,
                "stratified": 4_000,
            }
            self.np_samples_dense = 200_000
            self.np_samples_voting = 10_000
            self.error_samples = [10_000, 100_000]
            self.lp_sizes = [12, 14, 16]
            self.gpu_sizes = [28, 30]
            self.gpu_sample_n = 20
            self.gpu_samples = {
                "dense": dict.fromkeys(("permutation", "antithetic", "stratified"), 10_000_000),
                "voting": {"permutation": 1_000_000, "antithetic": 1_000_000, "stratified": 20_000},
            }
        self.device: Device | str = "not selected"


SECTIONS = {
    "a": section_a,
    "b": section_b,
    "c": section_c,
    "d": section_d,
    "e": section_e,
    "f": section_f,
}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="small sizes (smoke test)")
    ap.add_argument(
        "--sections",
        default="a,b,c,d,e,f",
        help="comma-separated subset of a,b,c,d,e,f (default: all)",
    )
    ap.add_argument(
        "--device",
        choices=("cuda", "cpu"),
        default="cuda",
        help="where sections e and f run (cpu: the same code on NumPy arrays)",
    )
    ap.add_argument(
        "--gpu-sizes",
        default=None,
        help="comma-separated n of the dense tables of section e (default 28,30; 22,24 quick)",
    )
    ap.add_argument(
        "--threads", type=int, default=None, help="accord.set_num_threads(THREADS) before measuring"
    )
    ap.add_argument(
        "--repeat",
        type=int,
        default=None,
        help="timed calls per measurement after the warm-up (default 5; 3 quick)",
    )
    args = ap.parse_args(argv)
    sections = [s.strip() for s in args.sections.split(",") if s.strip()]
    unknown = [s for s in sections if s not in SECTIONS]
    if unknown:
        ap.error(f"unknown sections {unknown}; choose from {','.join(SECTIONS)}")
    if args.threads is not None:
        accord.set_num_threads(args.threads)
    cfg = Config(args.quick, args.repeat or (3 if args.quick else 5))
    if args.gpu_sizes:
        cfg.gpu_sizes = [int(x) for x in args.gpu_sizes.split(",") if x.strip()]
    if {"e", "f"} & set(sections):
        reason = Device.unavailable(args.device)
        cfg.device = Device(args.device) if reason is None else reason
    info = accord.info()
    print(
        f"accord {info['version']}, Python {info['python']}, NumPy {np.__version__}, "
        f"{platform.machine()}, {os.cpu_count()} CPUs, accord threads = {info['threads']}"
    )
    print(
        f"compiler {info['compiler']} {info['cxx_flags']}; timings: best of "
        f"{cfg.repeat} after a warm-up; load average {os.getloadavg()[0]:.2f}"
        + ("; --quick sizes" if args.quick else "")
    )
    if os.getloadavg()[0] > 0.5:
        print(
            "warning: the machine is busy (load average above); timings of the "
            "multi-threaded kernels suffer most"
        )
    t0 = time.perf_counter()
    for s in sections:
        SECTIONS[s](cfg)
    print(f"\ntotal {time.perf_counter() - t0:.1f} s; load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
