"""Shapley values of the spare-capacity game, the auction ledger, plots and bad input of
the load-balancing simulation."""

from __future__ import annotations

import itertools
import math
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.consensus import LedgerEntry, LedgerError, verify_ledger
from accord.loadbalance import (
    LoadBalanceConfig,
    LoadBalancer,
    Servers,
    SpareCapacityGame,
    Tasks,
    coalition_shapley,
    simulate,
)
from accord.loadbalance.plots import PLOTS, plot_result


def brute_shapley(game: SpareCapacityGame) -> np.ndarray:
    n = game.n
    phi = np.zeros(n)
    for perm in itertools.permutations(range(n)):
        mask = 0
        for i in perm:
            before = game.value(np.array([mask]))[0]
            mask |= 1 << i
            phi[i] += game.value(np.array([mask]))[0] - before
    return phi / math.factorial(n)


@settings(max_examples=30, deadline=None)
@given(
    spare=st.lists(st.floats(-50, 150), min_size=1, max_size=5),
    demand=st.one_of(st.none(), st.floats(0, 300)),
)
def test_spare_capacity_shapley_matches_permutations(spare, demand):
    game = SpareCapacityGame(spare, demand)
    from accord.coop import shapley

    phi = shapley(game)
    np.testing.assert_allclose(phi, brute_shapley(game), atol=1e-9)
    assert phi.sum() == pytest.approx(game.grand_value(), abs=1e-9)  # efficiency
    if demand is None:  # additive: everyone gets their own spare capacity
        np.testing.assert_allclose(phi, spare, atol=1e-9)


def test_coalition_shapley_per_coalition_exact_and_sampled():
    cap = np.array([100.0, 80.0, 60.0, 120.0, 90.0, 70.0, 50.0])
    load = np.array([20.0, 30.0, 10.0, 100.0, 45.0, 0.0, 60.0])
    coal = np.array([0, 1, 0, 1, 1, 1, 1])
    phi = coalition_shapley(cap, load, coal)
    np.testing.assert_allclose(phi, cap - load)  # the spare-capacity game is additive
    # a five-member coalition by sampling: each permutation sees exact marginals here
    sampled = coalition_shapley(cap, load, coal, exact_limit=2, samples=64, seed=3)
    np.testing.assert_allclose(sampled, cap - load)
    capped = coalition_shapley(cap, load, coal, demand=50.0)
    for c in (0, 1):  # efficiency in every coalition: the shares add up to min(total, D)
        m = coal == c
        assert capped[m].sum() == pytest.approx(min((cap - load)[m].sum(), 50.0))


def test_simulation_records_shapley_snapshots():
    r = simulate(n_servers=6, rounds=30, seed=1, shapley_every=10)
    assert r.shapley_rounds.tolist() == [9, 19, 29]
    np.testing.assert_allclose(r.shapley[-1], r.capacity - r.loads[-1])
    np.testing.assert_allclose(r.shapley[0], r.capacity - r.loads[9])


def test_ledger_verifies_and_detects_tampering():
    r = simulate(n_servers=5, rounds=25, seed=8)
    check = r.verify_ledger()
    assert (check.entries, check.head) == (25, r.ledger.head)
    assert len(r.ledger) == 25
    rec = r.ledger[3].record
    assert rec["round"] == 3 and len(rec["auctions"]) == r.tasks[3]
    # change the log: the ledger no longer matches it
    first = int(np.flatnonzero(r.tasks)[0])
    i = int(r.tasks[:first].sum())
    forged = {**r.log, "winner": r.log["winner"].copy()}
    forged["winner"][i] = (forged["winner"][i] + 1) % 5
    with pytest.raises(LedgerError, match=f"ledger entry {first}"):
        replace(r, log=forged).verify_ledger()
    # change a ledger entry: its hash chain breaks
    entries = list(r.ledger)
    bad = entries[7].record | {"reserve": entries[7].record["reserve"] + 1}
    entries[7] = LedgerEntry(7, entries[7].prev_hash, bad, entries[7].hash)
    with pytest.raises(LedgerError, match="ledger entry 7"):
        verify_ledger(entries, head=r.ledger.head)
    no_ledger = simulate(n_servers=3, rounds=3, seed=1, ledger=False)
    with pytest.raises(ValueError, match="ledger=false"):
        no_ledger.verify_ledger()


def test_plots_are_written(tmp_path):
    r = simulate(n_servers=25, rounds=40, seed=1)
    paths = plot_result(r, tmp_path, prefix="run-")
    assert [p.name for p in paths] == [f"run-{k}.png" for k in PLOTS]
    for p in paths:
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and p.stat().st_size > 5000
    with pytest.raises(TypeError, match="plot_result"):
        plot_result({"loads": 1}, tmp_path)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"capacity": (-10.0, 50.0)}, r"capacity\[0\] must be > 0"),
        ({"capacity": (60.0, 50.0)}, "capacity must have low <= high"),
        ({"task_load": (-1.0, 5.0)}, r"task_load\[0\] must be >= 0"),
        ({"mode": "sarsa"}, "mode must be one of"),
        ({"n_servers": 0}, "n_servers must be >= 1"),
        ({"n_servers": 2.5}, "n_servers must be an integer"),
        ({"processing_rate": float("nan")}, "processing_rate must be finite"),
        ({"learning_rate": 1.0}, "learning_rate must be < 1"),
        ({"sla_probabilities": (0.5, 0.5, 0.5)}, "sla_probabilities must sum to 1"),
        ({"target_load_ratio": 1.5}, "target_load_ratio must be <= 1"),
    ],
)
def test_bad_config_is_rejected(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        LoadBalanceConfig(**kwargs)


def test_bad_servers_and_tasks_are_rejected():
    ok = {
        "capacity": [10.0, 20.0],
        "sensitivity": [1.0, 1.0],
        "risk_aversion": [0.0, 0.0],
        "target_load_ratio": 0.5,
        "coalition": [0, 0],
        "load": [0.0, 0.0],
    }
    Servers(**ok)
    for key, value, match in [
        ("capacity", [-1.0, 20.0], "capacity must be > 0"),
        ("capacity", [], "at least one server"),
        ("load", [0.0, -3.0], "load must be >= 0"),
        ("load", [0.0, float("nan")], "load must be finite"),
        ("sensitivity", [1.0], r"shape \(2,\)"),
        ("coalition", [0, -1], "coalition must be"),
    ]:
        with pytest.raises(ValueError, match=match):
            Servers(**{**ok, key: value})
    with pytest.raises(ValueError, match=r"Tasks.of_loads\(\): loads must be >= 0"):
        Tasks.of_loads([1.0, -2.0])
    with pytest.raises(ValueError, match=r"Tasks.of_loads\(\): loads must be finite"):
        Tasks.of_loads([np.nan])
    lb = LoadBalancer(LoadBalanceConfig(n_servers=2), seed=0)
    with pytest.raises(TypeError, match="tasks must be a Tasks"):
        lb.step([1.0, 2.0])
    with pytest.raises(ValueError, match="auction must be one of"):
        LoadBalancer(auction="gpu")
    with pytest.raises(ValueError, match="unknown setting"):
        simulate(rounds=2, sensitivty=(1.0, 2.0))


def test_a_round_without_tasks_only_processes_and_learns():
    lb = LoadBalancer(LoadBalanceConfig(n_servers=3, processing_rate=4.0), seed=0)
    lb.servers.load[:] = [10.0, 2.0, 0.0]
    rec = lb.step(Tasks.of_loads([]))
    assert len(rec.winner) == 0
    np.testing.assert_allclose(lb.servers.load, [6.0, 0.0, 0.0])
    assert lb.reserve == lb.config.initial_reserve
