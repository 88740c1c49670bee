"""The load-balancing simulation: bids, auctions, coalitions, reserve, learning, metrics
and the auction paths, against hand computation, the per-task Python loop and a
brute-force round."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from loadbalance_oracle import PATHS, PythonLoopBalancer, balancer, simulate_path

from accord.loadbalance import (
    MODES,
    LoadBalanceConfig,
    LoadBalancer,
    Servers,
    Tasks,
    arrival_rate,
    bid_scalar,
    bids,
    simulate,
)


def servers(capacity, sensitivity, risk, coalition, load, target=0.5) -> Servers:
    n = len(capacity)
    return Servers(
        capacity=capacity,
        sensitivity=sensitivity,
        risk_aversion=risk,
        target_load_ratio=np.full(n, target),
        coalition=coalition,
        load=load,
    )


def quiet(**kw) -> LoadBalanceConfig:
    """No noise, no processing, no learning: one round is exactly the auctions."""
    base = {"noise_std": 0.0, "processing_rate": 0.0, "mode": "static", "rounds": 1}
    base.update(kw)
    return LoadBalanceConfig(**base)


def test_bid_matches_hand_computation():
    # ratio 0.6; base 20*0.6 + 10 = 22; risk 1 + 1*(0.6-0.5) = 1.1; x 1.5 -> 36.3
    b = bids(
        np.array([60.0]),
        np.array([100.0]),
        np.array([20.0]),
        np.array([1.0]),
        np.array([0.5]),
        10.0,
        np.zeros(1),
        damping=200.0,
        max_bid=1000.0,
    )
    assert b[0] == pytest.approx(36.3)
    # under the target there is no risk adjustment: ratio 0.2 -> (4 + 10) * 1.5
    assert bid_scalar(
        20.0, 100.0, 20.0, 1.0, 0.5, 10.0, 0.0, damping=200.0, max_bid=1000.0
    ) == pytest.approx(21.0)
    # the ratio is capped at 1 (load 300 of 100) and the bid at max_bid
    assert bid_scalar(
        300.0, 100.0, 20.0, 0.0, 0.5, 10.0, 0.0, damping=200.0, max_bid=1000.0
    ) == pytest.approx(45.0)
    assert bid_scalar(
        300.0,
        100.0,
        20.0,
        0.0,
        0.5,
        10.0,
        0.0,
        damping=200.0,
        max_bid=1000.0,
        ratio_cap=float("inf"),
    ) == pytest.approx(105.0)  # (60 + 10) * 1.5
    assert (
        bid_scalar(0.0, 100.0, 1.0, 0.0, 0.5, 5000.0, 0.0, damping=200.0, max_bid=1000.0) == 1000.0
    )
    # step 4 (DQN "increase") multiplies before the noise is added
    assert bid_scalar(
        20.0, 100.0, 20.0, 1.0, 0.5, 10.0, 1.0, damping=200.0, max_bid=1000.0, adjust=1.1
    ) == pytest.approx((14.0 * 1.1 + 1.0) * 1.5)


def test_lowest_bid_wins_and_second_lowest_is_the_price():
    s = servers(
        [100.0, 100.0, 100.0], [10.0, 10.0, 10.0], [0.0, 0.0, 0.0], [0, 1, 2], [30.0, 10.0, 20.0]
    )
    lb = LoadBalancer(quiet(), servers=s, seed=0)
    rec = lb.step(Tasks.of_loads([4.0]))
    # bids (10 r + 4) * 1.5 for r = .3, .1, .2
    assert rec.winner.tolist() == [1]
    assert rec.bid[0] == pytest.approx(7.5)
    assert rec.price[0] == pytest.approx(9.0)
    assert lb.servers.load.tolist() == [30.0, 14.0, 20.0]


def test_ties_go_to_the_lowest_index_and_the_price_equals_the_tied_bid():
    s = servers([100.0] * 3, [10.0] * 3, [0.0] * 3, [0, 0, 0], [10.0, 10.0, 10.0])
    for path in PATHS:
        rec = balancer(path, quiet(), servers=s, seed=0).step(Tasks.of_loads([1.0]))
        assert rec.winner[0] == 0 and rec.price[0] == rec.bid[0]


def test_overloaded_winner_splits_with_least_loaded_partner_of_its_coalition():
    # server 0 wins (cheapest: tiny sensitivity) while at ratio 0.7 > 0.6
    s = servers(
        [100.0] * 4, [0.0, 500.0, 500.0, 500.0], [0.0] * 4, [0, 0, 0, 1], [70.0, 40.0, 30.0, 0.0]
    )
    lb = LoadBalancer(quiet(), servers=s, seed=0)
    rec = lb.step(Tasks.of_loads([10.0]))
    assert rec.winner[0] == 0 and rec.partner[0] == 2  # 2 (0.3) beats 1 (0.4); 3 is elsewhere
    assert lb.servers.load.tolist() == [75.0, 40.0, 35.0, 0.0]


def test_no_split_without_a_partner_below_the_threshold():
    s = servers([100.0] * 3, [0.0, 500.0, 500.0], [0.0] * 3, [0, 0, 1], [70.0, 55.0, 0.0])
    lb = LoadBalancer(quiet(), servers=s, seed=0)
    rec = lb.step(Tasks.of_loads([10.0]))
    assert rec.partner[0] == -1
    assert lb.servers.load.tolist() == [80.0, 55.0, 0.0]


def test_reserve_is_factor_times_mean_winning_bid_and_flags_bids_above_it():
    r = simulate(n_servers=6, rounds=40, seed=3, mode="continuous")
    log = r.log
    wins = log["bid"]
    running = 1.5 * np.cumsum(wins) / np.arange(1, len(wins) + 1)
    assert log["reserve"][0] == r.config.initial_reserve
    np.testing.assert_allclose(log["reserve"][1:], running[:-1], rtol=1e-12)
    np.testing.assert_array_equal(log["above"], wins > log["reserve"])
    ends = np.cumsum(r.tasks) - 1
    np.testing.assert_allclose(r.reserve[r.tasks > 0], running[ends[r.tasks > 0]], rtol=1e-12)


def reference_round(
    load,
    capacity,
    sens,
    risk,
    target,
    coalition,
    task_loads,
    noise,
    cfg,
    reserve,
    win_sum,
    win_count,
):
    """Brute force: recompute every bid from scratch before each auction."""
    load = list(load)
    out = []
    for k, L in enumerate(task_loads):
        b = []
        for i in range(len(load)):
            ratio = min(load[i] / capacity[i], cfg.ratio_cap)
            x = (sens[i] * ratio + L) * (1 + risk[i] * max(0.0, ratio - target[i]))
            b.append(min((x + noise[k][i]) * (1 + capacity[i] / cfg.damping), cfg.max_bid))
        order = sorted(range(len(b)), key=lambda i: (b[i], i))
        w = order[0]
        ratios = [min(load[i] / capacity[i], cfg.ratio_cap) for i in range(len(load))]
        partner = -1
        if ratios[w] > cfg.overload_threshold:
            cands = [
                i
                for i in range(len(load))
                if i != w and coalition[i] == coalition[w] and ratios[i] < cfg.partner_threshold
            ]
            if cands:
                partner = min(cands, key=lambda i: (ratios[i], i))
        if partner < 0:
            load[w] += L
        else:
            load[w] += L / 2
            load[partner] += L / 2
        above = b[w] > reserve
        win_sum += b[w]
        win_count += 1
        reserve = cfg.reserve_factor * win_sum / win_count
        out.append((w, partner, b[w], b[order[1]] if len(b) > 1 else b[w], above))
    return load, out, reserve


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 9),
    mode=st.sampled_from(["static", "continuous", "q-learning", "bandit", "ucb1", "thompson"]),
)
def test_every_auction_path_matches_a_brute_force_round(seed, n, mode):
    cap = 1.0 if seed % 2 else float("inf")
    cfg = LoadBalanceConfig(
        n_servers=n,
        rounds=15,
        mode=mode,
        n_coalitions=2,
        base_tasks_per_round=6.0,
        processing_rate=8.0,
        ledger=False,
        ratio_cap=cap,
    )
    results = {p: simulate_path(p, cfg, seed=seed) for p in PATHS}
    ref = results["python"]
    for p in ("kernel", "numpy"):
        for key in ref.log:
            np.testing.assert_array_equal(results[p].log[key], ref.log[key], err_msg=key)
        np.testing.assert_array_equal(results[p].loads, ref.loads)
        np.testing.assert_array_equal(results[p].sensitivity, ref.sensitivity)
    # one round replayed by brute force from the recorded state
    lb = PythonLoopBalancer(cfg, seed=seed)
    lb.step()
    s0 = lb.servers.copy()
    rng_state = lb._rng_noise.bit_generator.state
    tasks = Tasks.random(cfg, 1, np.random.default_rng(seed))
    noise = np.random.default_rng()
    noise.bit_generator.state = rng_state
    noise = noise.normal(0.0, cfg.noise_std, size=(len(tasks), n))
    reserve, ws, wc = lb.reserve, lb._win_sum, lb._win_count
    rec = lb.step(tasks)
    load, out, reserve_after = reference_round(
        s0.load,
        s0.capacity,
        s0.sensitivity,
        s0.risk_aversion,
        s0.target_load_ratio,
        s0.coalition,
        tasks.load,
        noise,
        cfg,
        reserve,
        ws,
        wc,
    )
    assert [o[0] for o in out] == rec.winner.tolist()
    assert [o[1] for o in out] == rec.partner.tolist()
    np.testing.assert_allclose([o[2] for o in out], rec.bid, rtol=1e-12)
    np.testing.assert_allclose([o[3] for o in out], rec.price, rtol=1e-12)
    assert [o[4] for o in out] == rec.above.tolist()
    assert lb.reserve == pytest.approx(reserve_after)
    np.testing.assert_allclose(
        np.maximum(np.array(load) - cfg.processing_rate, 0.0),
        lb.servers.load,
        rtol=1e-12,
        atol=1e-12,
    )


def test_dqn_mode_numpy_and_python_paths_agree():
    kw = {"n_servers": 4, "rounds": 60, "mode": "dqn", "dqn_batch": 16, "ratio_cap": 2.0}
    a = simulate(seed=11, auction="numpy", **kw)
    b = simulate_path("python", seed=11, **kw)
    assert a.auction == "numpy"
    for key in a.log:
        np.testing.assert_array_equal(a.log[key], b.log[key], err_msg=key)
    # the kernel path cannot interleave the network, so it runs the NumPy path
    assert simulate(n_servers=3, rounds=2, seed=1, mode="dqn").auction == "numpy"


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), mode=st.sampled_from(MODES))
def test_load_is_conserved_and_never_negative(seed, mode):
    cfg = LoadBalanceConfig(
        n_servers=5, rounds=1, mode=mode, processing_rate=6.0, dqn_batch=8, ledger=False
    )
    lb = LoadBalancer(cfg, seed=seed)
    for _ in range(12):
        pre = lb.servers.load.copy()
        rec = lb.step()
        for w, j, load in zip(rec.winner, rec.partner, rec.tasks.load, strict=True):
            if j < 0:
                pre[w] += load
            else:
                pre[w] += load / 2
                pre[j] += load / 2
        after = lb.servers.load
        assert (after >= 0).all()
        np.testing.assert_allclose(
            after, np.maximum(pre - cfg.processing_rate, 0.0), rtol=1e-12, atol=1e-9
        )


def test_metrics_follow_their_definitions():
    r = simulate(n_servers=7, rounds=50, seed=2)
    target = r.capacity * r.config.target_load_ratio
    np.testing.assert_allclose(r.fairness, r.loads.std(axis=1))
    np.testing.assert_allclose(r.welfare, -np.abs(r.loads - target).sum(axis=1))
    assert r.loads.shape == r.sensitivity.shape == (50, 7)
    assert r.tasks.sum() == len(r.log["winner"])
    assert r.splits.sum() == (r.log["partner"] >= 0).sum()
    s = r.summary()
    assert s["auctions"] == r.tasks.sum() and s["rounds_per_second"] > 0


def test_continuous_sensitivity_update():
    s = servers([100.0, 100.0], [10.0, 10.0], [0.0, 0.0], [0, 1], [90.0, 0.0])
    cfg = quiet(mode="continuous", learning_rate=0.1)
    lb = LoadBalancer(cfg, servers=s, seed=0)
    lb.step(Tasks.of_loads([]))
    # ratios 0.9 and 0: x (1 + 0.1 (0.9 - 0.5)) and x (1 - 0.05)
    np.testing.assert_allclose(lb.servers.sensitivity, [10.4, 9.5])


@pytest.mark.parametrize("mode", ["q-learning", "bandit", "ucb1", "thompson"])
def test_learning_modes_apply_one_action_per_round_within_bounds(mode):
    cfg = LoadBalanceConfig(
        n_servers=6, rounds=80, mode=mode, learning_rate=0.2, sensitivity_bounds=(1.0, 60.0)
    )
    r = simulate(cfg, seed=4)
    ratio = r.sensitivity[1:] / r.sensitivity[:-1]
    clipped = np.isclose(r.sensitivity[1:], 1.0) | np.isclose(r.sensitivity[1:], 60.0)
    ok = np.isclose(ratio, 1.2) | np.isclose(ratio, 0.8) | np.isclose(ratio, 1.0) | clipped
    assert ok.all()
    assert (r.sensitivity >= 1.0).all() and (r.sensitivity <= 60.0).all()
    assert not np.isclose(ratio, 1.0).all()  # it did act


def test_q_learning_reward_is_the_fall_of_the_deviation_one_round_later():
    cfg = LoadBalanceConfig(
        n_servers=3,
        mode="q-learning",
        epsilon=0.0,
        alpha=1.0,
        gamma=0.0,
        processing_rate=5.0,
        rounds=1,
    )
    lb = LoadBalancer(cfg, seed=9)
    lb.step()
    learner = lb._learner
    s0, a0, d0 = learner.prev_state.copy(), learner.prev_action.copy(), learner.prev_dev.copy()
    lb.step()
    ratio = lb.servers.load_ratio()
    reward = d0 - np.abs(ratio - 0.5)
    q = learner.agent.Q
    np.testing.assert_allclose(q[np.arange(3), s0, a0], reward)  # alpha 1, gamma 0


def test_arrivals_follow_the_sinusoid():
    cfg = LoadBalanceConfig(base_tasks_per_round=10.0, amplitude=4.0, period=20.0)
    assert arrival_rate(cfg, 5) == pytest.approx(14.0)
    assert arrival_rate(cfg, 15) == pytest.approx(6.0)
    assert (
        arrival_rate(LoadBalanceConfig(base_tasks_per_round=1.0, amplitude=3.0, period=4.0), 3)
        == 0.0
    )  # floored at zero
    r = simulate(cfg, rounds=2000, seed=5, ledger=False, mode="static")
    expected = arrival_rate(cfg, np.arange(2000))
    # Poisson counts: the mean over 2000 rounds is within 5 standard errors
    assert abs(r.tasks.mean() - expected.mean()) < 5 * np.sqrt(expected.mean() / 2000)
    peaks = (np.arange(2000) % 20) == 5
    assert r.tasks[peaks].mean() > r.tasks[(np.arange(2000) % 20) == 15].mean()


def test_same_seed_same_run_and_seeds_differ():
    a = simulate(rounds=30, seed=1, mode="bandit")
    b = simulate(rounds=30, seed=1, mode="bandit")
    c = simulate(rounds=30, seed=2, mode="bandit")
    np.testing.assert_array_equal(a.loads, b.loads)
    assert a.ledger.head == b.ledger.head
    assert not np.array_equal(a.loads, c.loads)
