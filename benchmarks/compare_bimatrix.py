#!/usr/bin/env python
"""accord's exact two-player Nash solvers against quantecon, pygambit and nashpy, in
one process.

Sections (``--sections lh,term,ve,batch``; all by default):

lh.   Lemke-Howson, time per equilibrium on random n x n games (uniform payoffs,
      n = 10, 20, 40): accord.games.lemke_howson, quantecon.game_theory.lemke_howson,
      pygambit.nash.lcp_solve(rational=False, stop_after=1) and nashpy's
      Game.lemke_howson (capped by --nashpy-limit seconds per call); initial label 0.
term. Lemke-Howson termination: the fraction of calls that return an equilibrium
      (NashConv <= 1e-6) on nondegenerate and degenerate (integer payoffs) games;
      nashpy, which can cycle on degenerate games, is stopped after --nashpy-limit
      seconds per call.  accord and quantecon are also run from every label.
ve.   All extreme equilibria: accord.games.vertex_enumeration against
      quantecon.game_theory.vertex_enumeration and pygambit.nash.enummixed_solve
      (rational=False) on random 10 x 10 and 15 x 15 games; accord alone at 20 x 20
      (and support_enumeration at 10 x 10).  Equilibrium counts are cross-checked.

batch. Stage-game solvers of multi-agent learners, many small games per call: accord's
      lemke_howson_batch on 10^5 random 4x4 and 8x8 games (--batch-games) against
      quantecon's lemke_howson called per game in a loop, and accord's minimax_batch
      (zero-sum values) against one HiGHS LP per game (accord.games.minimax); the
      baselines run on a subset of the games and are timed per game.  Answers are
      cross-checked (equal strategies; values within 1e-12).

Every timing is the best of --repeat passes over the same inputs after one warm-up
pass (JIT compilation, baseline game objects), with ``time.perf_counter``; a pass
over all games is timed as a whole and divided by their number.  The slow all-NE
baselines are timed by one call per game after a warm-up on a 4 x 4 game, in a
forked process stopped after --ve-limit seconds; accord at 20 x 20 by one call.  Baselines that are
not installed are reported as missing.  Inputs are seeded
(``benchmarks/benchmarks/bimatrix.py``).

    python benchmarks/compare_bimatrix.py               # full run (a few minutes)
    python benchmarks/compare_bimatrix.py --quick       # smoke test, small sizes
    python benchmarks/compare_bimatrix.py --sections lh --games 100 --repeat 7
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import platform
import queue as queue_mod
import signal
import sys
import time
import warnings

import numpy as np

import accord
from accord.games import lemke_howson, support_enumeration

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchmarks import bimatrix as bench  # noqa: E402  (benchmarks/benchmarks/bimatrix.py)

BASELINES = ("quantecon", "pygambit", "nashpy")


class Timeout(Exception):
    pass


def _alarm(signum, frame):
    raise Timeout


def limited(fn, limit: float | None):
    """``fn`` stopped (Timeout) after ``limit`` seconds of wall time (SIGALRM: only
    Python-level code, such as nashpy, can be interrupted)."""
    if limit is None:
        return fn

    def run(*args):
        old = signal.signal(signal.SIGALRM, _alarm)
        signal.setitimer(signal.ITIMER_REAL, limit)
        try:
            return fn(*args)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, old)

    return run


def nash_gap(A, B, x, y) -> float:
    x, y = np.asarray(x, float), np.asarray(y, float)
    return float((A @ y).max() - x @ A @ y + (x @ B).max() - x @ B @ y)


def available(lib: str) -> bool:
    try:
        bench.baseline(lib)
        return True
    except NotImplementedError:
        return False


def best_pass(fn, games, repeat: int, budget: float) -> float:
    """Best time of one pass of ``fn`` over ``games`` (seconds per game)."""
    for A, B in games:  # warm-up pass
        fn(A, B)
    best = float("inf")
    start = time.perf_counter()
    for _ in range(repeat):
        t0 = time.perf_counter()
        for A, B in games:
            fn(A, B)
        best = min(best, time.perf_counter() - t0)
        if time.perf_counter() - start > budget:
            break
    return best / len(games)


def _child(lib, games, queue) -> None:
    warnings.simplefilter("ignore")
    solve = bench.all_ne_solver(lib)
    solve(*bench.random_bimatrices(4, 1)[0])  # JIT / import warm-up
    t0 = time.perf_counter()  # one timed call per game: the baselines are slow
    counts = [len(solve(A, B)) for A, B in games]
    queue.put(((time.perf_counter() - t0) / len(games), counts))


def timed_in_child(lib: str, games, limit: float):
    """(seconds per game, equilibrium counts) of ``lib``'s all-NE solver, run in a
    forked process that is stopped after ``limit`` seconds ((None, None) then): C++
    baselines cannot be interrupted in-process."""
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(lib, games, queue))
    proc.start()
    try:
        return queue.get(timeout=limit)
    except queue_mod.Empty:
        return None, None
    finally:
        proc.kill()
        proc.join()


def table(title: str, headers: list[str], rows: list[list], notes=()) -> None:
    widths = [max(len(str(h)), *(len(str(r[i])) for r in rows)) for i, h in enumerate(headers)]
    print(f"\n{title}")
    print("  ".join(str(h).rjust(w) for h, w in zip(headers, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print("  ".join(str(c).rjust(w) for c, w in zip(r, widths, strict=True)))
    for n in notes:
        print(f"  {n}")


def us(t: float) -> str:
    return f"{t * 1e6:,.1f} us"


def ms(t: float) -> str:
    return f"{t * 1e3:,.2f} ms"


# --------------------------------------------------------------------------- sections


def nashpy_lh_time(solve, games, cfg, t_acc: float) -> str:
    """Median time of nashpy's Lemke-Howson over the games on which it finishes
    within the limit (each call timed on its own), and the number that do not."""
    solve = limited(solve, cfg.nashpy_limit)
    times, missed = [], 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for A, B in games:
            t0 = time.perf_counter()
            try:
                solve(A, B)
                times.append(time.perf_counter() - t0)
            except Exception:  # noqa: BLE001  (Timeout: it cycles or is too slow)
                missed += 1
    if not times:
        return f"> {cfg.nashpy_limit} s"
    t = float(np.median(times))
    return f"{us(t)} ({t / t_acc:.1f}x; {missed} stopped)"


def section_lh(cfg) -> None:
    rows = []
    for n in cfg.lh_sizes:
        games = bench.random_bimatrices(n, cfg.games)
        t_acc = best_pass(bench.lh_solver("accord"), games, cfg.repeat, cfg.budget)
        row = [f"{n}x{n}", us(t_acc)]
        for lib in BASELINES:
            if not available(lib):
                row.append("missing")
                continue
            solve = bench.lh_solver(lib)
            if lib == "nashpy":
                row.append(
                    nashpy_lh_time(solve, games, cfg, t_acc) if n <= cfg.nashpy_max_n else "skipped"
                )
                continue
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                t = best_pass(
                    solve, games, max(1, cfg.repeat // (3 if lib != "quantecon" else 1)), cfg.budget
                )
            row.append(f"{us(t)} ({t / t_acc:.1f}x)")
        rows.append(row)
    table(
        f"Lemke-Howson, time per equilibrium (initial label 0; {cfg.games} random games "
        "per size, uniform payoffs)",
        ["game", "accord", *BASELINES],
        rows,
        [
            "(Nx): baseline time / accord time; accord includes input validation.",
            f"nashpy: pure Python, run up to {cfg.nashpy_max_n}x{cfg.nashpy_max_n}; median of "
            f"single calls over the games it finishes in {cfg.nashpy_limit} s.",
        ],
    )


def section_term(cfg) -> None:
    families = [("uniform", 10), ("int2", 10), ("int3", 10), ("int2", 20)]
    if cfg.quick:
        families = [("uniform", 6), ("int2", 6)]
    rows = []
    for kind, n in families:
        games = bench.random_bimatrices(n, cfg.term_games, kind)
        row = [f"{kind} {n}x{n}"]
        for lib in ("accord", *BASELINES):
            if lib != "accord" and not available(lib):
                row.append("missing")
                continue
            solve = bench.lh_solver(lib)
            if lib == "nashpy":
                solve = limited(solve, cfg.nashpy_limit)
            ok = 0
            for A, B in games:
                try:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        x, y = solve(A, B)
                    ok += nash_gap(A, B, x, y) <= 1e-6
                except Exception:  # noqa: BLE001  (timeouts and failures are misses)
                    pass
            row.append(f"{ok / len(games):.1%}")
        # every label: accord and quantecon
        calls = ok_acc = ok_qe = 0
        qe = bench.baseline("quantecon") if available("quantecon") else None
        for A, B in games:
            g = qe.NormalFormGame((qe.Player(A), qe.Player(B.T))) if qe else None
            for label in range(2 * n):
                calls += 1
                x, y = lemke_howson(A, B, label)
                ok_acc += nash_gap(A, B, x, y) <= 1e-6
                if qe:
                    try:
                        x, y = qe.lemke_howson(g, init_pivot=label)
                        ok_qe += nash_gap(A, B, x, y) <= 1e-6
                    except Exception:  # noqa: BLE001
                        pass
        row.append(f"{ok_acc / calls:.1%}")
        row.append(f"{ok_qe / calls:.1%}" if qe else "missing")
        rows.append(row)
    table(
        f"Lemke-Howson termination rate ({cfg.term_games} games per family; label 0 unless stated)",
        ["games", "accord", *BASELINES, "accord all labels", "quantecon all labels"],
        rows,
        [
            "uniform: payoffs on [0, 1); intK: integer payoffs 0..K-1 (degenerate).",
            f"nashpy is stopped after {cfg.nashpy_limit} s per call (it can cycle); a miss "
            "is a timeout, an exception or NashConv > 1e-6.",
        ],
    )


def section_ve(cfg) -> None:
    rows = []
    for n in cfg.ve_sizes:
        big = n > cfg.ve_baseline_max_n  # accord alone, one game, one timed call
        games = bench.random_bimatrices(n, 1 if big else cfg.ve_games)
        counts = {}
        acc = bench.all_ne_solver("accord")
        t0 = time.perf_counter()
        counts["accord"] = [len(acc(A, B)) for A, B in games]
        t_acc = (
            (time.perf_counter() - t0)
            if big
            else best_pass(acc, games, max(1, cfg.repeat // 2), cfg.budget)
        )
        row = [f"{n}x{n}", ms(t_acc), f"{np.mean(counts['accord']):.1f}"]
        for lib in ("quantecon", "pygambit"):
            if big:
                row.append("skipped")
                continue
            if not available(lib):
                row.append("missing")
                continue
            t, counts[lib] = timed_in_child(lib, games, cfg.ve_limit)
            if t is None:
                row.append(f"> {cfg.ve_limit:.0f} s")
                continue
            agree = "" if counts[lib] == counts["accord"] else f" counts {counts[lib]}!"
            row.append(f"{ms(t)} ({t / t_acc:.1f}x){agree}")
        rows.append(row)
    se_n = 8 if cfg.quick else 10
    games = bench.random_bimatrices(se_n, cfg.ve_games)
    t_se = best_pass(lambda A, B: list(support_enumeration(A, B)), games, 1, cfg.budget)
    table(
        f"All extreme equilibria, time per game ({cfg.ve_games} random games per size; one "
        f"at sizes above {cfg.ve_baseline_max_n})",
        ["game", "accord", "mean #NE", "quantecon", "pygambit"],
        rows,
        [
            "quantecon: vertex_enumeration (qhull); pygambit: enummixed_solve(rational="
            "False).  (Nx): baseline / accord; '!' marks a differing equilibrium count.",
            f"accord support_enumeration, {se_n}x{se_n}: {ms(t_se)} per game.",
        ],
    )


def section_batch(cfg) -> None:
    from accord.games import lemke_howson_batch, minimax, minimax_batch

    rng = np.random.default_rng(20261204)
    rows = []
    for k in (4, 8):
        P = rng.random((cfg.batch_games, 2, k, k))
        t0 = time.perf_counter()
        eq = lemke_howson_batch(P)
        t_acc = (time.perf_counter() - t0) / len(P)
        sub = P[: cfg.batch_baseline_games]
        row = [f"{len(P):,} x {k}x{k}", f"{us(t_acc)}", f"{int(eq.solved.sum()):,}"]
        if available("quantecon"):
            from quantecon.game_theory import NormalFormGame, Player
            from quantecon.game_theory import lemke_howson as qe_lh

            qe_lh(NormalFormGame((Player(sub[0, 0]), Player(sub[0, 1].T))))  # JIT warm-up
            t0 = time.perf_counter()
            qe = [qe_lh(NormalFormGame((Player(g[0]), Player(g[1].T)))) for g in sub]
            t_qe = (time.perf_counter() - t0) / len(sub)
            diff = max(
                max(np.abs(x - eq.x[i]).max(), np.abs(y - eq.y[i]).max())
                for i, (x, y) in enumerate(qe)
            )
            row.append(f"{us(t_qe)} ({t_qe / t_acc:.0f}x; max diff {diff:.0e})")
        else:
            row.append("missing")
        A = P[:, 0] - P[:, 1]  # a zero-sum game per entry
        t0 = time.perf_counter()
        values, _, _ = minimax_batch(A)
        t_mm = (time.perf_counter() - t0) / len(A)
        t0 = time.perf_counter()
        lp = [minimax(a)[0] for a in A[: cfg.batch_baseline_games]]
        t_lp = (time.perf_counter() - t0) / len(lp)
        vdiff = float(np.abs(np.array(lp) - values[: len(lp)]).max())
        row += [us(t_mm), f"{us(t_lp)} ({t_lp / t_mm:.0f}x; max diff {vdiff:.0e})"]
        rows.append(row)
    table(
        "batch. stage-game solvers, time per game (one call for the whole batch)",
        [
            "games",
            "lemke_howson_batch",
            "solved",
            "quantecon LH loop",
            "minimax_batch",
            "HiGHS LP per game",
        ],
        rows,
        [
            f"baselines timed over the first {cfg.batch_baseline_games:,} games; (Nx): "
            "baseline / accord; initial label 0; accord includes validation and the "
            "equilibrium check of every game"
        ],
    )


# --------------------------------------------------------------------------- main


class Config:
    def __init__(self, a) -> None:
        self.quick = a.quick
        self.repeat = a.repeat or (3 if a.quick else 7)
        self.games = a.games or (10 if a.quick else 50)
        self.term_games = 30 if a.quick else 100
        self.ve_games = 2 if a.quick else 3
        self.lh_sizes = (10, 20) if a.quick else (10, 20, 40)
        self.ve_sizes = (8, 10) if a.quick else (10, 15, 20)
        self.ve_baseline_max_n = 15
        self.ve_limit = a.ve_limit
        self.nashpy_limit = a.nashpy_limit
        self.nashpy_max_n = 10 if a.quick else 20
        self.budget = 5.0 if a.quick else 30.0
        self.batch_games = a.batch_games or (10_000 if a.quick else 100_000)
        self.batch_baseline_games = 500 if a.quick else 5_000


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="small sizes (smoke test)")
    ap.add_argument(
        "--sections", default="lh,term,ve,batch", help="comma-separated: lh,term,ve,batch"
    )
    ap.add_argument("--batch-games", type=int, default=None, help="games of section batch")
    ap.add_argument("--games", type=int, default=None, help="games per size (section lh)")
    ap.add_argument("--repeat", type=int, default=None, help="timed passes (best is kept)")
    ap.add_argument("--threads", type=int, default=None, help="accord.set_num_threads")
    ap.add_argument(
        "--nashpy-limit",
        type=float,
        default=0.5,
        help="seconds per nashpy call before it counts as not terminating",
    )
    ap.add_argument(
        "--ve-limit",
        type=float,
        default=300.0,
        help="seconds for an all-NE baseline on one size's games (forked)",
    )
    a = ap.parse_args(argv)
    if a.threads:
        accord.set_num_threads(a.threads)
    cfg = Config(a)
    versions = []
    for lib, mod in (("quantecon", "quantecon"), ("pygambit", "pygambit"), ("nashpy", "nashpy")):
        try:
            versions.append(f"{lib} {__import__(mod).__version__}")
        except ImportError:
            versions.append(f"{lib} missing")
    print(
        f"accord {accord.__version__}, Python {platform.python_version()}, "
        f"{platform.machine()}, {os.cpu_count()} CPUs, accord threads "
        f"{accord._core.get_num_threads()}; {', '.join(versions)}"
    )
    sections = {"lh": section_lh, "term": section_term, "ve": section_ve, "batch": section_batch}
    for name in a.sections.split(","):
        if name not in sections:
            ap.error(f"unknown section {name!r}; choose from {', '.join(sections)}")
        sections[name](cfg)


if __name__ == "__main__":
    main()
