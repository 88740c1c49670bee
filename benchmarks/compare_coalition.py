"""Batched kernel path vs a straightforward NumPy implementation of the estimators.

Runs the same repeated coalition formation (software company with 5 or 10 agents,
uniform prior, full negotiation) once with :mod:`accord.bayes` and once with the NumPy
functions of ``naive_bayes.py`` swapped in, in one process, and prints the time per
stage and the ratio for each learning method. Results are identical up to
rounding (checked).

    python benchmarks/compare_coalition.py [--stages 20] [--agents 10 --methods vpi,map]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

import naive_bayes  # noqa: E402

from accord.coalition import (  # noqa: E402
    estimators,
    simulate,
    software_company,
    uniform_prior,
    valuation,  # noqa: E402
)


class _Naive:
    """The accord.bayes interface backed by naive_bayes (errors come from accord.bayes)."""

    def __init__(self, real):
        self.ZeroLikelihoodError = real.ZeroLikelihoodError
        self.sample_types = real.sample_types          # same samples on both paths
        self.update = naive_bayes.update
        self.expected_values = naive_bayes.expected_values
        self.vpi = naive_bayes.vpi


class _NaiveCore:
    """Stands in for the binding module used on the VPI hot path."""

    class bayes:  # noqa: N801
        @staticmethod
        def vpi(lm, values, share, best, second, is_best):
            samples = None if lm is not None else True
            b, _, n = values.shape
            lm = lm if lm is not None else np.zeros((b, 0, 1))
            return naive_bayes.vpi(lm, values, share, best, second, is_best.astype(bool),
                                   samples=samples)


def timed(method: str, stages: int, rounds: int, agents: int) -> tuple[float, np.ndarray]:
    p = software_company(agents)
    t0 = time.perf_counter()
    r = simulate(p, method, uniform_prior(p), stages=stages, rounds=rounds, seed=1)
    return time.perf_counter() - t0, r.rewards


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--stages", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=50)
    ap.add_argument("--agents", type=int, choices=(5, 10), default=5)
    ap.add_argument("--methods", default="myopic,map,vpi,osla,vpi-osla",
                    help="comma-separated (OSLA methods: many minutes per stage at 10 agents)")
    args = ap.parse_args()
    run = (args.stages, args.rounds, args.agents)
    real = valuation.bayes
    print(f"{'method':<10} {'kernel ms/stage':>16} {'numpy ms/stage':>15} {'speed-up':>9}")
    for method in args.methods.split(","):
        tk, rk = min((timed(method, *run) for _ in range(2)),
                     key=lambda x: x[0])
        naive = _Naive(real)
        real_cpu = estimators.cpu
        valuation.bayes, estimators.cpu = naive, _NaiveCore
        try:
            tn, rn = min((timed(method, *run) for _ in range(2)),
                         key=lambda x: x[0])
        finally:
            valuation.bayes, estimators.cpu = real, real_cpu
        same = np.array_equal(rk, rn)
        print(f"{method:<10} {1e3 * tk / args.stages:16.2f} {1e3 * tn / args.stages:15.2f} "
              f"{tn / tk:8.2f}x" + ("" if same else "  (trajectories differ by rounding)"))


if __name__ == "__main__":
    main()
