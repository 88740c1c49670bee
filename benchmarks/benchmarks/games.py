"""asv benchmarks of accord.games: batched best responses and learning dynamics
(CPU, and the CUDA kernels when a device is visible)."""

from __future__ import annotations

import numpy as np

import accord.games as G

from . import common

BATCHES = {"2p-16x16": ((16, 16), 10_000), "3p-10x10x10": ((10, 10, 10), 1_000)}


def _profile(ks, batch, dtype):
    rng = np.random.default_rng([common.SEED, batch, len(ks)])
    return [rng.dirichlet(np.ones(k), size=batch).astype(dtype) for k in ks]


class BestResponse:
    """Batched best responses of every player (payoffs read once)."""

    params = [list(BATCHES), ["float64", "float32"]]
    param_names = ["games", "dtype"]

    def setup(self, games, dtype):
        ks, batch = BATCHES[games]
        self.game = G.random_game(ks, batch=batch, seed=common.SEED, dtype=np.dtype(dtype))
        self.profile = _profile(ks, batch, np.dtype(dtype))

    def time_best_response(self, games, dtype):
        G.best_response(self.game, self.profile)

    def time_nash_conv(self, games, dtype):
        G.nash_conv(self.game, self.profile)


class FictitiousPlay:
    """1,000 iterations of fictitious play on one random game."""

    params = [[200, 1000], ["simultaneous", "alternating"]]
    param_names = ["actions", "mode"]

    def setup(self, actions, mode):
        self.game = G.random_game(actions, seed=common.SEED + actions)

    def time_fictitious_play(self, actions, mode):
        G.fictitious_play(self.game, 1000, mode=mode, record_every=1000)


class BatchedDynamics:
    """1,000 iterations of each dynamic on 1,000 random 8x8 games."""

    params = [["fictitious_play", "best_response_iteration", "regret_matching",
               "replicator_dynamics", "logit_fictitious_play"]]
    param_names = ["dynamic"]
    timeout = 120

    def setup(self, dynamic):
        self.game = G.random_game(8, batch=1000, seed=common.SEED)
        self.fn = getattr(G, dynamic)

    def time_dynamic(self, dynamic):
        self.fn(self.game, 1000, record_every=1000)


class GPUGames:
    """The CUDA kernels over 100,000 small games."""

    params = [["best_response", "fictitious_play"]]
    param_names = ["kernel"]

    def setup(self, kernel):
        common.require_cuda()
        import cupy

        host = G.random_game(16, batch=100_000, seed=common.SEED)
        self.game = G.NormalFormGame(cupy.asarray(host.payoffs), batch=True)
        self.profile = [cupy.asarray(p) for p in _profile((16, 16), 100_000, np.float64)]

    def time_kernel(self, kernel):
        if kernel == "best_response":
            G.best_response(self.game, self.profile)
        else:
            G.fictitious_play(self.game, 1000, record_every=1000)
        common.synchronize()
