"""asv benchmarks of accord.games' correlated equilibria: the violation kernels, the
incentive-matrix kernel, max-welfare CE of random games (accord, and SciPy / OpenSpiel
when importable) and the exact CE / CCE of Colonel Blotto with 10 coins on 3 fields."""

from __future__ import annotations

import functools

import numpy as np

from accord.games import (
    cce_violation,
    ce_violation,
    coarse_correlated_equilibrium,
    colonel_blotto,
    correlated_equilibrium,
    incentive_matrix,
    random_game,
)

from . import common

SHAPES = {"10x10": (10, 10), "50x50": (50, 50), "10x10x10": (10, 10, 10),
          "6x6x6x6": (6, 6, 6, 6)}


@functools.cache
def _payoffs(name: str) -> np.ndarray:
    shape = SHAPES[name]
    return random_game(shape, seed=[common.SEED, 3, *shape]).payoffs


def _baselines():
    """compare_correlated.py's baselines (benchmarks/ is not a package on sys.path)."""
    import importlib.util
    import pathlib

    path = pathlib.Path(__file__).resolve().parents[1] / "compare_correlated.py"
    spec = importlib.util.spec_from_file_location("compare_correlated", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


class CorrelatedRandom:
    """Max-welfare correlated equilibrium of a random game (payoffs U[0, 1))."""

    params = [list(SHAPES)]
    param_names = ["game"]
    timeout = 300

    def setup(self, game):
        self.u = _payoffs(game)

    def time_accord(self, game):
        correlated_equilibrium(self.u)

    def time_accord_cce(self, game):
        coarse_correlated_equilibrium(self.u)

    def track_overhead_fraction(self, game):
        """(assembly + model passing + polish + verification) / time in HiGHS run."""
        t = min((correlated_equilibrium(self.u) for _ in range(3)),
                key=lambda r: r.solve_time).timings
        return (t["assembly"] + t["polish"] + t["other"]) / t["solver"]

    track_overhead_fraction.unit = "fraction"


class CorrelatedScipy:
    """The same LP assembled by NumPy and solved by ``linprog(method="highs")``."""

    params = [list(SHAPES)]
    param_names = ["game"]
    timeout = 300

    def setup(self, game):
        self.u = _payoffs(game)
        self.solve = _baselines().scipy_max_welfare

    def time_scipy(self, game):
        self.solve(self.u)


class CorrelatedOpenSpiel:
    """OpenSpiel's max-welfare CE (``jpsro._mwce``: cvxpy + ECOS); skipped when
    open_spiel (or cvxpy) cannot be imported."""

    params = [["10x10", "10x10x10", "6x6x6x6"]]
    param_names = ["game"]
    timeout = 300

    def setup(self, game):
        solve, why = _baselines().openspiel_solver()
        if solve is None:
            raise NotImplementedError(why)
        self.solve = solve
        self.u = _payoffs(game)

    def time_openspiel(self, game):
        self.solve(self.u)


class Blotto:
    """Exact (verified violation <= 1e-9) max-welfare CE and CCE of Colonel Blotto,
    10 coins on 3 fields (66x66: 4,356 variables, 8,580 CE incentive rows)."""

    timeout = 600
    number = 1
    repeat = 3

    def setup(self):
        self.game = colonel_blotto(10, 3)

    def time_ce(self):
        correlated_equilibrium(self.game)

    def time_cce(self):
        coarse_correlated_equilibrium(self.game)

    def track_ce_violation(self):
        return correlated_equilibrium(self.game).max_violation

    track_ce_violation.unit = "payoff"


class ViolationKernels:
    """ce_violation / cce_violation of a batch of 1,000 random 2-player 20x20 games,
    and of one 3-player 40x30x20 game."""

    params = [["batch1000x20x20", "single40x30x20"]]
    param_names = ["input"]

    def setup(self, inp):
        rng = np.random.default_rng(common.SEED)
        if inp.startswith("batch"):
            self.game = random_game((20, 20), batch=1000, seed=common.SEED)
            p = rng.random((1000, 20, 20))
            self.p = p / p.sum(axis=(1, 2), keepdims=True)
        else:
            self.game = random_game((40, 30, 20), seed=common.SEED)
            p = rng.random((40, 30, 20))
            self.p = p / p.sum()

    def time_ce_violation(self, inp):
        ce_violation(self.game, self.p)

    def time_cce_violation(self, inp):
        cce_violation(self.game, self.p)


class IncentiveMatrix:
    """The CE incentive matrix (CSR) by the C++ kernel."""

    params = [list(SHAPES)]
    param_names = ["game"]

    def setup(self, game):
        self.u = _payoffs(game)

    def time_incentive_matrix(self, game):
        incentive_matrix(self.u)
