"""asv benchmarks of accord.bayes: the belief update (enumerated and sampled), expected
values, VPI, type sampling and the belief filter, on the CPU and (when a device is
visible) the CUDA kernels.

Sizes are ``rows x members x types``: many small coalitions (5,000 x 4 x 4, 256 joint
type vectors each), mid-sized ones (500 x 6 x 4, 4,096) and a few large ones
(2 x 10 x 4, about a million); 3 actions; 100 samples in the sampled mode
(Chalkiadakis & Boutilier (2012), Sec. 6).
"""

from __future__ import annotations

import functools

import numpy as np

import accord.bayes as bayes

from . import common

SIZES = {"5000x4x4": (5000, 4, 4), "500x6x4": (500, 6, 4), "2x10x4": (2, 10, 4)}
SAMPLED = {"5000x8x6": (5000, 8, 6), "200x30x10": (200, 30, 10)}
FILTERS = {"10000x16": (10_000, 16), "100x1000": (100, 1000)}
ACTIONS = 3
SAMPLES = 100


@functools.cache
def _enumerated(name: str) -> dict:
    B, m, K = SIZES[name]
    T = K**m
    rng = np.random.default_rng([common.SEED, 4, B, m, K])
    is_best = np.zeros((B, ACTIONS), dtype=bool)
    is_best[:, 0] = True
    return {
        "lp": np.log(rng.dirichlet(np.ones(K), size=(B, m))),
        "ll": np.log(rng.random((B, T))),
        "values": rng.random((B, ACTIONS, T)) * 100,
        "share": rng.random((B, ACTIONS)),
        "best": np.full(B, 60.0),
        "second": np.full(B, 40.0),
        "is_best": is_best,
    }


@functools.cache
def _sampled(name: str) -> dict:
    B, m, K = SAMPLED[name]
    rng = np.random.default_rng([common.SEED, 5, B, m, K])
    lp = np.log(rng.dirichlet(np.ones(K), size=(B, m)))
    is_best = np.zeros((B, ACTIONS), dtype=bool)
    is_best[:, 0] = True
    return {
        "lp": lp,
        "samples": bayes.sample_types(lp, SAMPLES, common.SEED),
        "ll": np.log(rng.random((B, SAMPLES, m, K))),
        "values": rng.random((B, ACTIONS, SAMPLES)) * 100,
        "share": rng.random((B, ACTIONS)),
        "best": np.full(B, 60.0),
        "second": np.full(B, 40.0),
        "is_best": is_best,
    }


@functools.cache
def _filter(name: str) -> dict:
    B, S = FILTERS[name]
    rng = np.random.default_rng([common.SEED, 6, B, S])
    return {
        "b": rng.dirichlet(np.ones(S), size=B),
        "T": rng.dirichlet(np.ones(S), size=S),
        "o": rng.random((B, S)),
    }


def _place(data: dict, device: str) -> dict:
    if device == "cpu":
        return data
    common.require_cuda()
    import cupy

    return {k: cupy.asarray(v) for k, v in data.items()}


def _done(device: str) -> None:
    if device == "cuda":
        common.synchronize()


class Enumerated:
    """Exact update, expected values and VPI over every joint type vector."""

    params = [["cpu", "cuda"], list(SIZES)]
    param_names = ["device", "size"]
    timeout = 300

    def setup(self, device, size):
        self.d = _place(_enumerated(size), device)

    def time_update(self, device, size):
        bayes.update(self.d["lp"], self.d["ll"])
        _done(device)

    def time_expected_values(self, device, size):
        bayes.expected_values(self.d["lp"], self.d["values"])
        _done(device)

    def time_vpi(self, device, size):
        d = self.d
        bayes.vpi(d["lp"], d["values"], d["share"], d["best"], d["second"], d["is_best"])
        _done(device)


class Sampled:
    """Sampled type vectors (100 per row): drawing them, the Rao-Blackwellised update,
    expected values and VPI."""

    params = [["cpu", "cuda"], list(SAMPLED)]
    param_names = ["device", "size"]
    timeout = 300

    def setup(self, device, size):
        self.d = _place(_sampled(size), device)

    def time_sample_types(self, device, size):
        bayes.sample_types(self.d["lp"], SAMPLES, 1)
        _done(device)

    def time_update(self, device, size):
        bayes.update(self.d["lp"], self.d["ll"], samples=self.d["samples"])
        _done(device)

    def time_expected_values(self, device, size):
        bayes.expected_values(self.d["lp"], self.d["values"], samples=self.d["samples"])
        _done(device)

    def time_vpi(self, device, size):
        d = self.d
        bayes.vpi(
            d["lp"],
            d["values"],
            d["share"],
            d["best"],
            d["second"],
            d["is_best"],
            samples=d["samples"],
        )
        _done(device)


class Filter:
    """Dec-POMDP belief filter with one shared transition matrix."""

    params = [["cpu", "cuda"], list(FILTERS)]
    param_names = ["device", "size"]

    def setup(self, device, size):
        self.d = _place(_filter(size), device)

    def time_filter_step(self, device, size):
        bayes.filter_step(self.d["b"], self.d["T"], self.d["o"])
        _done(device)
