#!/usr/bin/env python
"""accord.marl planning against one LP per state, in one process.

Sections (``--sections vi``; all by default):

vi. Shapley's value iteration on Littman's soccer (762 states, 5 x 5 actions, discount
    0.9, tolerance 1e-8): accord's ``zero_sum_value_iteration`` (all stage games of a
    sweep in one ``minimax_batch`` call) against the same sweeps with one HiGHS LP
    per state (``accord.games.minimax``, the approach of LP-based implementations);
    the LP sweeps are timed over ``--lp-sweeps`` sweeps and scaled to the sweep count,
    and their values are compared with accord's after those sweeps.

    python benchmarks/compare_marl.py
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time

import numpy as np

import accord
import accord.games as G
from accord.marl import soccer, zero_sum_value_iteration

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare import table  # noqa: E402


def section_vi(args) -> None:
    game = soccer()
    t0 = time.perf_counter()
    sol = zero_sum_value_iteration(game, tol=1e-8)
    t_acc = time.perf_counter() - t0
    live = np.flatnonzero(~game.terminal)
    V = np.zeros(game.num_states)
    t0 = time.perf_counter()
    for _ in range(args.lp_sweeps):
        Q = game.stage_payoffs(np.stack([V, -V]))[:, 0]
        new = np.zeros_like(V)
        new[live] = [G.minimax(Q[s])[0] for s in live]
        V = new
    t_lp = (time.perf_counter() - t0) / args.lp_sweeps
    check = zero_sum_value_iteration(game, tol=1e-300, max_iterations=args.lp_sweeps)
    diff = float(np.abs(check.values[0] - V).max())
    per_sweep = t_acc / sol.iterations
    table(
        "vi. soccer value iteration (762 states, 5 x 5 actions)",
        ["solver", "sweeps", "per sweep", "total", "ratio"],
        [
            ["accord (minimax_batch)", sol.iterations, f"{per_sweep * 1e3:.1f} ms",
             f"{t_acc:.2f} s", "1"],
            ["one HiGHS LP per state", sol.iterations, f"{t_lp * 1e3:.1f} ms",
             f"{t_lp * sol.iterations:.1f} s (scaled)", f"{t_lp / per_sweep:.0f}x"],
        ],
        [f"value of the start with A holding the ball: "
         f"{sol.values[0, np.flatnonzero(game.initial)[0]]:.6f}; after {args.lp_sweeps} "
         f"sweeps the two agree to {diff:.0e}"],
    )


SECTIONS = {"vi": section_vi}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sections", default=",".join(SECTIONS))
    ap.add_argument("--lp-sweeps", type=int, default=3)
    args = ap.parse_args(argv)
    print(f"accord {accord.__version__}, Python {platform.python_version()}, "
          f"{os.cpu_count()} CPUs")
    for name in args.sections.split(","):
        SECTIONS[name](args)


if __name__ == "__main__":
    main()
