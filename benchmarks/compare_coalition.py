"""Repeated coalition formation: time per stage of each learning method, valued
through the software company's type statistic (exact subset sums, the default) and
per type vector (enumerated up to 1000 joint vectors, sampled above), in one process.

At 5 agents both are exact, so the runs must be identical (checked); at 10 agents the
per-type-vector path samples 100 vectors per row, as Chalkiadakis & Boutilier (2012)
do, and the statistic path is exact.

    python benchmarks/compare_coalition.py [--agents 5] [--stages 40] [--rounds 50]
        [--methods myopic,map,vpi,osla,vpi-osla] [--repeat 2]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from accord.coalition import simulate, software_company, uniform_prior


def timed(method: str, stages: int, rounds: int, agents: int, statistics: bool):
    p = software_company(agents)
    t0 = time.perf_counter()
    r = simulate(
        p, method, uniform_prior(p), stages=stages, rounds=rounds, statistics=statistics, seed=1
    )
    return time.perf_counter() - t0, r.rewards


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--stages", type=int, default=40)
    ap.add_argument("--rounds", type=int, default=50)
    ap.add_argument("--agents", type=int, choices=(5, 10), default=5)
    ap.add_argument("--methods", default="myopic,map,vpi,osla,vpi-osla")
    ap.add_argument("--repeat", type=int, default=2, help="best of this many runs")
    ap.add_argument(
        "--no-vectors",
        action="store_true",
        help="time the statistic path only (per type vector, 10-agent OSLA methods take "
        "many seconds per stage)",
    )
    args = ap.parse_args()
    run = (args.stages, args.rounds, args.agents)
    print(f"{args.agents} agents, {args.stages} stages, {args.rounds} negotiation rounds")
    print(f"{'method':<10} {'statistic ms/stage':>19} {'type vectors ms/stage':>22} {'ratio':>7}")
    for method in args.methods.split(","):
        ts, rs = min((timed(method, *run, True) for _ in range(args.repeat)), key=lambda x: x[0])
        line = f"{method:<10} {1e3 * ts / args.stages:19.2f}"
        if not args.no_vectors:
            tv, rv = min(
                (timed(method, *run, False) for _ in range(args.repeat)), key=lambda x: x[0]
            )
            line += f" {1e3 * tv / args.stages:22.2f} {tv / ts:6.1f}x"
            if args.agents == 5 and not np.array_equal(rs, rv):
                line += "  (runs differ: both paths are exact here)"
        print(line, flush=True)


if __name__ == "__main__":
    main()
