"""asv benchmarks of accord.coop: exact semivalues, core checks, sampled Shapley
values, least core / nucleolus (when accord.coop.lp exists) and the CUDA paths."""

from __future__ import annotations

import numpy as np

from accord.coop import TUGame, banzhaf, core_violation, shapley

from . import common

SAMPLING_GAMES = ("dense20", "voting1000")
METHODS = ("permutation", "antithetic", "stratified")
#: Marginal contributions per player and call: the voting game's stratified method
#: needs at least 2 per position, i.e. 2 * 1000.
SAMPLES = {"dense20": 100_000, "voting1000": 2_000}


def _sampling_game(name: str):
    return common.dense_game(20) if name == "dense20" else common.voting_game()


class ExactSemivalues:
    """Exact Shapley value and Banzhaf index of a dense table (one pass each)."""

    params = [[20, 22, 24, 26]]
    param_names = ["n"]
    timeout = 300

    def setup(self, n):
        self.game = common.dense_game(n)

    def time_shapley(self, n):
        shapley(self.game)

    def time_banzhaf(self, n):
        banzhaf(self.game)


class CoreViolation:
    """Largest excess over all coalitions of the equal split of v(N)."""

    params = [[22, 24, 26]]
    param_names = ["n"]
    timeout = 300

    def setup(self, n):
        self.game = common.dense_game(n)
        self.x = common.efficient_allocation(common.dense_values(n))

    def time_core_violation(self, n):
        core_violation(self.game, self.x)


class SampledShapley:
    """Monte Carlo Shapley values: a dense 20-player table and a 1,000-player
    weighted voting game, every method, ``SAMPLES[game]`` samples per call."""

    params = [list(SAMPLING_GAMES), list(METHODS)]
    param_names = ["game", "method"]
    timeout = 300

    def setup_cache(self):
        # Exact values for the error track (the voting game's from the DP, ~10 s).
        return {name: np.asarray(shapley(_sampling_game(name))) for name in SAMPLING_GAMES}

    def setup(self, exact, game, method):
        self.game = _sampling_game(game)
        self.samples = SAMPLES[game]

    def time_shapley_sampled(self, exact, game, method):
        shapley(self.game, samples=self.samples, seed=1, method=method)

    def track_max_abs_error(self, exact, game, method):
        est = shapley(self.game, samples=self.samples, seed=1, method=method)
        return float(np.max(np.abs(est.values - exact[game])))

    track_max_abs_error.unit = "value"


class LeastCoreNucleolus:
    """LP solution concepts on random games (skipped until accord.coop.lp exists)."""

    params = [[12, 14, 16]]
    param_names = ["n"]
    timeout = 300

    def setup(self, n):
        self.lp = common.lp_module()
        if self.lp is None:
            raise NotImplementedError("accord.coop.lp is not available")
        self.game = common.lp_game(n)

    def time_least_core(self, n):
        self.lp.least_core(self.game)

    def time_nucleolus(self, n):
        self.lp.nucleolus(self.game)

    def track_rows_generated(self, n):
        return int(getattr(self.lp.least_core(self.game), "rows_generated", 0))

    track_rows_generated.unit = "rows"


class CudaDense:
    """The CUDA kernels on a CuPy table (skipped without accord._cuda, a device or
    CuPy)."""

    params = [[24, 26, 28, 30]]
    param_names = ["n"]
    timeout = 300

    def setup(self, n):
        common.require_cuda()
        self.game = common.device_game(n)
        self.x = np.full(n, 1.0 / n)
        shapley(self.game)  # warm-up: module load, context
        common.synchronize()

    def time_shapley(self, n):
        shapley(self.game)
        common.synchronize()

    def time_banzhaf(self, n):
        banzhaf(self.game)
        common.synchronize()

    def time_core_violation(self, n):
        core_violation(self.game, self.x)
        common.synchronize()


class CudaSampledShapley:
    """Sampled Shapley values with device='cuda' (same draws as the CPU)."""

    params = [list(SAMPLING_GAMES), list(METHODS)]
    param_names = ["game", "method"]
    timeout = 300

    def setup(self, game, method):
        common.require_cuda()
        if game == "dense20":
            import cupy

            self.game = TUGame(cupy.asarray(common.dense_values(20)))
        else:
            self.game = common.voting_game()
        self.samples = SAMPLES[game]

    def time_shapley_sampled(self, game, method):
        shapley(self.game, samples=self.samples, seed=1, method=method, device="cuda")
        common.synchronize()
