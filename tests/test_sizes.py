"""Allocations that depend on an argument are sized before they are made, and long
exact computations warn before they start."""

from __future__ import annotations

import numpy as np
import pytest

import accord
from accord import _backend, _validate
from accord.coop import WeightedVotingGame, banzhaf, shapley


class _Refused(Exception):
    pass


def _no_kernels(monkeypatch, *names: str) -> None:
    """Make the named kernels (every kernel when none is named) raise, so a test proves
    that a check ran before the work."""
    real = _backend.cpu_kernels

    class Proxy:
        def __init__(self, mod) -> None:
            self._mod = mod

        def __getattr__(self, attr: str):
            if not names or attr in names:
                raise _Refused(attr)
            return getattr(self._mod, attr)

    monkeypatch.setattr(_backend, "cpu_kernels", lambda *a, **k: Proxy(real(*a, **k)))


def test_check_bytes_message() -> None:
    with pytest.raises(ValueError, match=r"^f\(\): a table needs 16\.0 GiB .*; use g\(\)$"):
        _validate.check_bytes("f", 16 * 2**30, "a table", "g()", limit=2**30)
    _validate.check_bytes("f", 2**30, "a table", "g()", limit=2**30)
    # exact Python ints: sizes far beyond int64 are refused, not wrapped around
    with pytest.raises(ValueError, match="needs"):
        _validate.check_bytes("f", 8 * 2**200, "a table", "g()")
    assert _validate.MEMORY_LIMIT > 0


def test_check_int64() -> None:
    _validate.check_int64("f", 2**63 - 1, "x", "y")
    with pytest.raises(ValueError, match=r"f\(\): x is 9223372036854775808, beyond"):
        _validate.check_int64("f", 2**63, "x", "y")


def test_banzhaf_dp_is_sized(monkeypatch) -> None:
    _no_kernels(monkeypatch)
    with pytest.raises(ValueError, match=r"banzhaf\(\): the exact Banzhaf DP .* needs 29\.8 GiB"):
        banzhaf(WeightedVotingGame([2e9, 1], 2e9))


def test_total_weight_beyond_int64() -> None:
    g = WeightedVotingGame([2.0**53] * 1100, 2.0**60)
    for f in (shapley, banzhaf):
        with pytest.raises(ValueError, match=r"total weight is \d+, beyond the int64 range"):
            f(g)


def test_exact_shapley_shubik_warns_before_a_long_run(monkeypatch) -> None:
    _no_kernels(monkeypatch)
    g = WeightedVotingGame(np.full(5000, 3.0), 7500)
    with pytest.warns(accord.SlowComputationWarning, match=r"samples=") as rec:
        with pytest.raises(_Refused):
            shapley(g)
    assert issubclass(rec[0].category, UserWarning)


def test_small_exact_indices_do_not_warn() -> None:
    g = WeightedVotingGame([4, 3, 2, 1], 6)
    np.testing.assert_allclose(shapley(g).sum(), 1.0)
    banzhaf(g)


def test_sample_types_output_is_sized(monkeypatch) -> None:
    from accord.bayes import sample_types

    _no_kernels(monkeypatch, "sample_types")
    lm = np.log(np.full((1, 3, 2), 0.5))
    with pytest.raises(ValueError, match=r"sample_types\(\): the int32 samples .* needs 48\.0 GiB"):
        sample_types(lm, 2**32 - 1, 0)


def test_vcg_huge_indices_are_sized(monkeypatch) -> None:
    from accord.auctions import vcg

    with pytest.raises(ValueError, match=r"vcg\(\): the bid and allocation tables .* needs"):
        vcg([(10**12, [0], 1.0), (0, [0], 2.0)])
    with pytest.raises(ValueError, match=r"vcg\(\): the bid and allocation tables .* needs"):
        vcg([(0, [10**12], 1.0)])
    with pytest.raises(ValueError, match=r"vcg\(\): bids\[0\]: a bundle bitmask of \d+ bits"):
        monkeypatch.setattr(_validate, "MEMORY_LIMIT", 2**20)
        vcg([(0, 1 << 2**24, 1.0)])


def test_vcg_long_bundle_mask_is_fast() -> None:
    import time

    from accord.auctions import vcg

    mask = (1 << 10**6) | 1
    t = time.perf_counter()
    out = vcg([(0, mask, 1.0), (1, 1, 2.0)])
    assert time.perf_counter() - t < 5.0
    assert out.bid_index.tolist() == [-1, 1]


def test_huge_supply_and_units_do_not_overflow() -> None:
    from accord.auctions import vcg, vcg_multi_unit

    out = vcg([(0, [0], 1.0), (1, [0], 2.0)], supply=2**63)
    assert out.allocation.sum() == 2 and out.revenue == 0.0
    ref = vcg([(0, [0], 1.0), (1, [0], 2.0)], supply=2)
    assert out.welfare == ref.welfare
    mu = vcg_multi_unit([[3.0, 1.0], [2.0, 0.5]], 2**63)
    assert mu.allocation[:, 0].tolist() == [2, 2]
    with pytest.raises(ValueError, match="demand cannot be met"):
        vcg_multi_unit([[3.0, 1.0]], 2**63, reverse=True)


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda L: L.EpsilonGreedy(10**12, 3), r"EpsilonGreedy\(\): 2 tables of shape"),
        (lambda L: L.UCB1(10**6, 10**6), r"UCB1\(\): 2 tables of shape"),
        (lambda L: L.ThompsonSampling(10**12, 3), r"ThompsonSampling\(\): 3 tables of shape"),
        (lambda L: L.QLearning(10**9, 10, 10), r"QLearning\(\): the Q-table of shape"),
        (lambda L: L.ReplayBuffer(10**12, 4), r"ReplayBuffer\(\): a replay buffer of"),
        (lambda L: L.MLP((4, 10**6, 10**6, 3)), r"MLP\(\): a network of widths"),
        (lambda L: L.DQNAgent(4, 3, hidden=(10**6, 10**6)), r"DQNAgent\(\): a network"),
        (lambda L: L.LinearBidPredictor(n_features=10**6), r"LinearBidPredictor\(\): the"),
    ],
)
def test_learners_are_sized(make, match) -> None:
    from accord import learn

    with pytest.raises(ValueError, match=match + ".* needs .*; use "):
        make(learn)


def test_loadbalance_simulation_is_sized(monkeypatch) -> None:
    from accord.loadbalance import LoadBalanceConfig, simulate

    with pytest.raises(ValueError, match=r"LoadBalanceConfig\(\): a simulation of 10000000 "):
        simulate(n_servers=10**7)
    monkeypatch.setattr(_validate, "MEMORY_LIMIT", 2**20)
    with pytest.raises(ValueError, match=r"needs .*; use fewer servers or rounds"):
        simulate(n_servers=1000, rounds=500, seed=0)
    assert LoadBalanceConfig(n_servers=2, rounds=5).memory_bytes() < 2**20


def test_experiment_cells_are_sized_in_validate() -> None:
    from accord.coalition.simulate import NEGOTIATION
    from accord.experiments import coalition, loadbalance

    base = {
        "environment": "software-10",
        "method": coalition.RUN_METHODS[0],
        "negotiation": next(iter(NEGOTIATION)),
        "prior": "uniform",
    }
    coalition.validate(base)
    with pytest.raises(ValueError, match=r"coalition experiment: a run .* needs .*fewer samples"):
        coalition.validate({**base, "samples": 2**40})
    with pytest.raises(ValueError, match=r"coalition experiment: a run .* needs .*or stages"):
        coalition.validate({**base, "stages": 2**40})
    loadbalance.validate({"n_servers": 10})
    with pytest.raises(ValueError, match=r"loadbalance experiment: .* needs .*fewer servers"):
        loadbalance.validate({"n_servers": 10**7})


def test_lemke_howson_is_sized_and_warns(monkeypatch) -> None:
    import importlib

    lh = importlib.import_module("accord.games.lemke_howson")

    A = np.zeros((1, 2**20))
    with pytest.raises(ValueError, match=r"lemke_howson_all\(\): the Lemke-Howson .* needs "):
        lh.lemke_howson_all(A, A)

    class Kernels:
        def __getattr__(self, attr: str):
            raise _Refused(attr)

    monkeypatch.setattr(lh, "_kernels", Kernels())
    with pytest.warns(accord.SlowComputationWarning, match="1 x 1048576"):
        with pytest.raises(_Refused):
            lh.lemke_howson(A, A)
    with pytest.raises(ValueError, match=r"lemke_howson\(\): the Lemke-Howson tableaux .* needs"):
        monkeypatch.setattr(_validate, "MEMORY_LIMIT", 2**20)
        lh.lemke_howson(np.zeros((300, 300)), np.zeros((300, 300)))


def test_loadbalancer_run_sizes_its_rounds() -> None:
    from accord.loadbalance import LoadBalanceConfig
    from accord.loadbalance.simulate import LoadBalancer

    lb = LoadBalancer(LoadBalanceConfig(n_servers=3, rounds=2), seed=0)
    with pytest.raises(ValueError, match=r"LoadBalancer\.run\(\): the history .* needs "):
        lb.run(rounds=10**12)
    assert lb.round == 0
