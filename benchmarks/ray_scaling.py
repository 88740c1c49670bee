"""Scaling of the ``ray`` executor from 1 to 2 workers on a local Ray cluster.

Each run computes the exact Shapley value of a random 24-player TU game (a 128 MiB table,
CPU-bound, one OpenMP thread per run), so the wall time of the experiment is the work
divided among the workers plus Ray's scheduling overhead. Prints the wall time for each
worker count and the speed-up; results are checked identical between the two.

    python benchmarks/ray_scaling.py [--runs 16] [--players 24]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def run(params: dict, seed: int) -> dict:
    """One run: exact Shapley value of a seeded random game."""
    from accord.coop import TUGame, shapley

    n = int(params["players"])
    v = np.random.default_rng(seed).random(1 << n)
    v[0] = 0.0
    phi = shapley(TUGame(v))
    return {"phi_sum": float(phi.sum()), "phi0": float(phi[0])}


CONFIG = """
[experiment]
kind = "ray-scaling"
name = "ray-scaling"
runs = {runs}
seed = 3
[grid]
players = [{players}]
"""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=16, help="runs (default 16)")
    ap.add_argument("--players", type=int, default=24, help="players per game (default 24)")
    args = ap.parse_args()

    import ray

    from accord.runner import load, register, run_experiment

    os.environ["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(HERE), os.environ.get("PYTHONPATH")) if p
    )
    sys.path.insert(0, str(HERE))
    register("ray-scaling", run="ray_scaling:run")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    try:
        tables, times = {}, {}
        with tempfile.TemporaryDirectory() as d:
            config = Path(d) / "c.toml"
            config.write_text(CONFIG.format(runs=args.runs, players=args.players))
            # warm the workers (imports) so that both timings see started processes
            run_experiment(config, Path(d) / "warm", executor="ray", workers=2, progress=False)
            for workers in (1, 2):
                out = Path(d) / f"w{workers}"
                t0 = time.perf_counter()
                run_experiment(config, out, executor="ray", workers=workers, progress=False)
                times[workers] = time.perf_counter() - t0
                tables[workers] = load(out).drop_columns(["wall_s"])
        assert tables[1].equals(tables[2]), "results differ between worker counts"
    finally:
        ray.shutdown()
    print(f"ray executor, {args.runs} runs of exact Shapley (n = {args.players}), 2-CPU cluster")
    for w, t in times.items():
        print(f"  {w} worker{'s' if w > 1 else ' '}: {t:7.2f} s")
    print(f"  speed-up 1 -> 2 workers: {times[1] / times[2]:.2f}x (ideal 2.00x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
