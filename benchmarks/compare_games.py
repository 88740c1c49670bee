#!/usr/bin/env python
"""accord.games best responses and fictitious play against baselines, in one process.

Sections (``--sections br,fp,layout,gpu``; all by default):

br. Batched best responses: 10,000 two-player 16x16 games and 1,000 three-player
    10x10x10 games, float64 and float32, against the NumPy ``einsum`` baseline
    (contract, then argmax); time, payoff bytes read per second, ratio.
fp. Fictitious play, 1,000 iterations on random 200x200 and 1000x1000 games:
    accord (incremental, in the kernel) against a plain NumPy loop (a full
    matrix-vector product per step and player), quantecon's ``FictitiousPlay`` and
    nashpy's ``Game.fictitious_play``; all start from actions (0, 0) and break ties
    towards the lowest index, and the final empirical profiles are compared.
layout. Fictitious play (1,000 iterations) on the same 1000x1000 payoffs held in three
    memory layouts: a ``np.stack`` of two ``rng.random`` matrices, the array of
    ``random_game``, and a copy in a 2 MiB-aligned mapping advised for transparent
    huge pages (``MADV_HUGEPAGE``): the kernel time should not depend on how the
    operating system backs the payoffs.
gpu. On an NVIDIA GPU (accord._cuda, CuPy and a device): batched best responses
    and fictitious play over 100,000 small games (``--batch``): games per second and
    achieved bandwidth relative to the device's peak.  ``--device cpu`` runs the same
    code on NumPy arrays, to test it without a GPU.

Timings are the best of ``--repeat`` calls after a warm-up (``compare.best_of``).

    python benchmarks/compare_games.py
    python benchmarks/compare_games.py --quick --sections br
    python benchmarks/compare_games.py --sections gpu --device cpu --batch 2000
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from dataclasses import dataclass

import numpy as np

import accord
import accord.games as G

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare import Device, best_of, ms, speedup, table  # noqa: E402

SEED = 20240611


@dataclass
class Config:
    quick: bool
    repeat: int
    batch: int | None = None  # games of the gpu section (default 100,000; 10,000 quick)
    device: Device | str = "not selected"  # where the gpu section runs, or why it cannot


def _profiles(rng, batch, ks, dtype):
    return [rng.dirichlet(np.ones(k), size=batch).astype(dtype) for k in ks]


def numpy_best_response(P, prof, optimize=False):
    """The NumPy baseline: one einsum per player, then argmax and max."""
    n = P.shape[1]
    letters = "ijklmnop"[:n]
    acts, vals = [], []
    for i in range(n):
        others = [j for j in range(n) if j != i]
        spec = f"b{letters}," + ",".join(f"b{letters[j]}" for j in others) + f"->b{letters[i]}"
        u = np.einsum(spec, P[:, i], *[prof[j] for j in others], optimize=optimize)
        acts.append(u.argmax(axis=1))
        vals.append(u.max(axis=1))
    return acts, vals


def section_br(cfg: Config) -> None:
    rng = np.random.default_rng(SEED)
    cases = [
        ((16, 16), 1_000 if cfg.quick else 10_000),
        ((10, 10, 10), 100 if cfg.quick else 1_000),
    ]
    rows = []
    for ks, batch in cases:
        for dtype in (np.float64, np.float32):
            game = G.random_game(ks, batch=batch, seed=SEED, dtype=dtype)
            P = game.payoffs
            prof = _profiles(rng, batch, ks, dtype)
            nbytes = P.nbytes
            # The baseline gets the faster of plain einsum and einsum(optimize=True)
            # (which hands the contraction to BLAS-backed matmul).
            t_np, (a_np, v_np) = min(
                (
                    best_of(lambda P=P, prof=prof, o=o: numpy_best_response(P, prof, o), cfg.repeat)
                    for o in (False, True)
                ),
                key=lambda r: r[0],
            )
            threads = accord.info()["threads"]
            results = {}
            for nt in sorted({1, threads}):
                accord.set_num_threads(nt)
                results[nt] = best_of(
                    lambda game=game, prof=prof: G.best_response(game, prof), cfg.repeat
                )
            accord.set_num_threads(threads)
            a_acc = results[threads][1][0]
            agree = np.mean([np.mean(x == y) for x, y in zip(a_acc, a_np, strict=True)])
            shape = "x".join(map(str, ks))
            rows.append(
                [
                    f"{batch:,} x {shape}",
                    np.dtype(dtype).name,
                    f"{nbytes / 2**20:.1f}",
                    ms(t_np),
                    f"{nbytes / t_np / 1e9:.1f}",
                ]
                + [
                    x
                    for nt in sorted(results)
                    for x in (
                        ms(results[nt][0]),
                        f"{nbytes / results[nt][0] / 1e9:.1f}",
                        speedup(t_np / results[nt][0]),
                    )
                ]
                + [f"{100 * agree:.2f}%"]
            )
    nts = sorted({1, accord.info()["threads"]})
    headers = ["games", "dtype", "MiB", "numpy ms", "GB/s"]
    for nt in nts:
        headers += [f"accord {nt}t ms", "GB/s", "ratio"]
    table(
        "br. batched best responses (public API, profile validation included)",
        headers + ["same actions"],
        rows,
        ["ratio = NumPy einsum time / accord time; GB/s = payoff bytes / time"],
    )


# ----------------------------------------------------------------- fictitious play


def numpy_fictitious_play(A, B, iterations):
    """Plain NumPy loop: beliefs as empirical frequencies, full products per step."""
    m, n = A.shape
    c0, c1 = np.zeros(m), np.zeros(n)
    c0[0] += 1
    c1[0] += 1
    for t in range(1, iterations + 1):
        a0 = int(np.argmax(A @ (c1 / t)))
        a1 = int(np.argmax((c0 / t) @ B))
        c0[a0] += 1
        c1[a1] += 1
    return c0 / c0.sum(), c1 / c1.sum()


def quantecon_fictitious_play(A, B, iterations):
    from quantecon import game_theory as gt

    g = gt.NormalFormGame((gt.Player(A), gt.Player(B.T)))
    fp = gt.FictitiousPlay(g)
    m, n = A.shape
    start = (np.eye(m)[0], np.eye(n)[0])
    return fp.play(actions=start, num_reps=iterations, tie_breaking="smallest")


def nashpy_fictitious_play(A, B, iterations):
    import nashpy

    *_, last = nashpy.Game(A, B).fictitious_play(iterations=iterations)
    return tuple(c / c.sum() for c in last)


def section_fp(cfg: Config) -> None:
    sizes = [50, 200] if cfg.quick else [200, 1000]
    iterations = 1000
    rows = []
    for k in sizes:
        game = G.random_game(k, seed=SEED + k)
        A, B = (np.ascontiguousarray(x) for x in game.bimatrix())
        t_acc, res = best_of(
            lambda g=game: G.fictitious_play(g, iterations, record_every=iterations), cfg.repeat
        )
        row = [f"{k}x{k}", ms(t_acc)]
        for fn in (numpy_fictitious_play, quantecon_fictitious_play, nashpy_fictitious_play):
            try:
                t, prof = best_of(
                    lambda fn=fn, A=A, B=B: fn(A, B, iterations),
                    1 if k >= 1000 else cfg.repeat,
                    budget=30,
                )
            except ImportError:
                row += ["n/a", "n/a"]
                continue
            err = max(
                float(np.abs(np.asarray(p) - q).max())
                for p, q in zip(prof, res.profile, strict=True)
            )
            row += [f"{ms(t)} ({speedup(t / t_acc)})", f"{err:.0e}"]
        rows.append(row)
    table(
        f"fp. fictitious play, {iterations} iterations, times in ms (accord speed-up)",
        [
            "game",
            "accord",
            "numpy loop",
            "profile diff",
            "quantecon",
            "profile diff",
            "nashpy",
            "profile diff",
        ],
        rows,
        [
            "profile diff: largest difference of the final empirical profile from accord's "
            "(nashpy's first play is its own BR to an empty history, so it may differ)"
        ],
    )


def _huge_page_copy(a: np.ndarray) -> tuple[np.ndarray, object]:
    """A copy of ``a`` in an anonymous mapping advised for transparent huge pages
    (and the mapping, which must outlive the copy)."""
    import mmap

    huge = 2 << 20
    mm = mmap.mmap(-1, a.nbytes + huge)
    if hasattr(mmap, "MADV_HUGEPAGE"):
        mm.madvise(mmap.MADV_HUGEPAGE)
    raw = np.frombuffer(mm, dtype=np.uint8)
    start = -raw.ctypes.data % huge
    out = raw[start : start + a.nbytes].view(a.dtype).reshape(a.shape)
    out[...] = a
    return out, mm


def _anon_huge_kib() -> str:
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("AnonHugePages:"):
                    return line.split(":")[1].strip()
    except OSError:
        pass
    return "n/a"


def section_layout(cfg: Config) -> None:
    from accord import _core

    k = 200 if cfg.quick else 1000
    iterations = 1000
    rng = np.random.default_rng(SEED)
    stacked = np.stack([rng.random((k, k)), rng.random((k, k))])[None]
    generated = np.ascontiguousarray(G.random_game(k, seed=SEED).as_batch())
    huge, mapping = _huge_page_copy(stacked)
    init = np.zeros((1, 2), dtype=np.int64)
    rows = []
    for name, P in (("np.stack", stacked), ("random_game", generated), ("huge pages", huge)):
        t, _ = best_of(
            lambda P=P: _core.games.fictitious_play(P, iterations, 0, init, iterations),
            cfg.repeat * 4,
        )
        game = G.NormalFormGame(P[0])
        t_api, _ = best_of(
            lambda g=game: G.fictitious_play(g, iterations, record_every=iterations),
            cfg.repeat * 4,
        )
        rows.append([name, f"{k}x{k}", ms(t), ms(t_api)])
    del huge, mapping
    try:
        with open("/sys/kernel/mm/transparent_hugepage/enabled") as f:
            thp = f.read().strip()
    except OSError:
        thp = "n/a"
    table(
        f"layout. fictitious play, {iterations} iterations, by payoff memory (ms)",
        ["payoffs", "game", "kernel", "fictitious_play()"],
        rows,
        [
            f"transparent huge pages: {thp}; AnonHugePages now {_anon_huge_kib()}",
            "fictitious_play() owns a copy of the payoffs (NormalFormGame), made once",
        ],
    )


# ------------------------------------------------------------------------------- GPU


def section_gpu(cfg: Config) -> None:
    dev = cfg.device
    reason = Device.unavailable(dev.kind) if isinstance(dev, Device) else dev
    if reason is not None:
        print(f"\ngpu. unavailable ({reason})")
        return
    xp = dev.xp
    batch = cfg.batch or (10_000 if cfg.quick else 100_000)
    rows = []
    rng = np.random.default_rng(SEED)
    for ks in ((8, 8), (16, 16), (4, 4, 4)):
        for dtype in (np.float64, np.float32):
            host = G.random_game(ks, batch=batch, seed=SEED, dtype=dtype)
            prof_h = _profiles(rng, batch, ks, dtype)
            game = G.NormalFormGame(xp.asarray(host.payoffs), batch=True)
            prof = [xp.asarray(p) for p in prof_h]
            t, (acts, _) = dev.time(
                lambda game=game, prof=prof: G.best_response(game, prof), cfg.repeat
            )
            cpu_acts, _ = G.best_response(host, prof_h)
            agree = np.mean(
                [np.mean(dev.asnumpy(a) == b) for a, b in zip(acts, cpu_acts, strict=True)]
            )
            nbytes = host.payoffs.nbytes + sum(p.nbytes for p in prof_h)
            bw = nbytes / t
            rows.append(
                [
                    "best_response",
                    "x".join(map(str, ks)),
                    np.dtype(dtype).name,
                    f"{batch:,}",
                    ms(t),
                    f"{batch / t:,.0f}",
                    f"{bw / 1e9:.0f}",
                    dev.of_peak(bw),
                    f"{100 * agree:.2f}%",
                ]
            )
            del game, prof
            dev.free()
    for k in (8, 16):
        host = G.random_game(k, batch=batch, seed=SEED)
        game = G.NormalFormGame(xp.asarray(host.payoffs), batch=True)
        its = 1000
        t, res = dev.time(
            lambda game=game, its=its: G.fictitious_play(game, its, record_every=its), cfg.repeat
        )
        sub = host[:200]
        cpu = G.fictitious_play(sub, its, record_every=its)
        agree = float(np.abs(dev.asnumpy(res.profile[0][:200]) - cpu.profile[0]).max())
        rows.append(
            [
                "fictitious_play x1000",
                f"{k}x{k}",
                "float64",
                f"{batch:,}",
                ms(t),
                f"{batch / t:,.0f}",
                f"{host.payoffs.nbytes / t / 1e9:.0f}",
                "(compute)",
                f"max diff {agree:.0e}",
            ]
        )
        del game
        dev.free()
    table(
        f"gpu. {dev.name}: games per second and bandwidth",
        ["kernel", "game", "dtype", "games", "ms", "games/s", "GB/s", "of peak", "vs CPU"],
        rows,
        [dev.peak_note(), "vs CPU: share of best responses equal to the CPU kernel's"],
    )


SECTIONS = {"br": section_br, "fp": section_fp, "layout": section_layout, "gpu": section_gpu}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="small sizes (smoke test)")
    ap.add_argument("--sections", default=",".join(SECTIONS))
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--repeat", type=int, default=None)
    ap.add_argument(
        "--device",
        choices=("cuda", "cpu"),
        default="cuda",
        help="where the gpu section runs (cpu: the same code on NumPy arrays)",
    )
    ap.add_argument("--batch", type=int, default=None, help="games of the gpu section")
    args = ap.parse_args(argv)
    sections = [s.strip() for s in args.sections.split(",") if s.strip()]
    unknown = [s for s in sections if s not in SECTIONS]
    if unknown:
        ap.error(f"unknown sections {unknown}; choose from {','.join(SECTIONS)}")
    if args.threads is not None:
        accord.set_num_threads(args.threads)
    cfg = Config(args.quick, args.repeat or (3 if args.quick else 5), args.batch)
    if "gpu" in sections:
        reason = Device.unavailable(args.device)
        cfg.device = Device(args.device) if reason is None else reason
    info = accord.info()
    print(
        f"accord {info['version']}, NumPy {np.__version__}, {platform.machine()}, "
        f"{os.cpu_count()} CPUs, accord threads = {info['threads']}; load average "
        f"{os.getloadavg()[0]:.2f}"
    )
    t0 = time.perf_counter()
    for s in sections:
        SECTIONS[s](cfg)
    print(f"\ntotal {time.perf_counter() - t0:.1f} s; load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
