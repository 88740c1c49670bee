"""Speed of the load-balancing simulation and of its auction paths.

In one process, on the same configuration and seed: the C++ round kernel, the NumPy
path (one array operation over all servers per task) and the per-task Python loop over
servers (the tests' reference round, ``tests/loadbalance/loadbalance_oracle.py``).  The
paths give identical results (checked on the shared rounds), so the ratios compare
equal work.

    python benchmarks/compare_loadbalance.py [--servers 100] [--rounds 10000]
        [--loop-rounds 1000] [--mode continuous]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from accord.loadbalance import LoadBalanceConfig, simulate

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "loadbalance"))
from loadbalance_oracle import PATHS, simulate_path  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--servers", type=int, default=100)
    ap.add_argument("--rounds", type=int, default=10_000)
    ap.add_argument(
        "--loop-rounds",
        type=int,
        default=1000,
        help="rounds for the NumPy and Python paths (they are slower)",
    )
    ap.add_argument("--tasks-per-server", type=float, default=1.0)
    ap.add_argument("--mode", default="continuous")
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()
    base = a.tasks_per_server * a.servers
    cfg = LoadBalanceConfig(
        n_servers=a.servers,
        rounds=a.rounds,
        mode=a.mode,
        n_coalitions=max(1, a.servers // 10),
        base_tasks_per_round=base,
        amplitude=base / 2,
        period=500.0,
        ledger=False,
    )
    full = simulate(cfg, seed=a.seed, auction="kernel")
    print(
        f"{a.servers} servers, {a.rounds} rounds, {int(full.tasks.sum())} auctions, "
        f"mode {a.mode}, path {full.auction}: {full.elapsed_s:.2f} s = "
        f"{full.rounds_per_second:,.0f} rounds/s, {full.auctions_per_second:,.0f} auctions/s"
    )
    short = LoadBalanceConfig.from_dict({**cfg.to_dict(), "rounds": a.loop_rounds})
    runs = {p: simulate_path(p, short, seed=a.seed) for p in PATHS}
    for p in ("kernel", "numpy"):
        for key in runs["python"].log:
            if not np.array_equal(runs[p].log[key], runs["python"].log[key]):
                raise SystemExit(f"path {p} differs from the Python loop in {key!r}")
    py = runs["python"].rounds_per_second
    print(
        f"first {a.loop_rounds} rounds ({int(runs['python'].tasks.sum())} auctions), "
        "identical on every path:"
    )
    for p, r in runs.items():
        print(
            f"  {p:7s} {r.elapsed_s:8.3f} s  {r.rounds_per_second:10,.0f} rounds/s  "
            f"x{r.rounds_per_second / py:6.1f} vs the per-task Python loop"
        )


if __name__ == "__main__":
    main()
