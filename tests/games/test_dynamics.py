import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nf_reference import cce_gain, ce_gain, expected_payoffs
from nf_reference import fictitious_play as fp_reference

import accord.games as G


@settings(max_examples=25, deadline=None)
@given(ks=st.lists(st.integers(1, 4), min_size=2, max_size=3).map(tuple),
       seed=st.integers(0, 2**32 - 1), alternating=st.booleans())
def test_fictitious_play_matches_textbook_loop(ks, seed, alternating):
    rng = np.random.default_rng(seed)
    P = rng.integers(-4, 5, size=(len(ks),) + ks).astype(float)  # integer: many exact ties
    init = [int(rng.integers(k)) for k in ks]
    iters = 40
    res = G.fictitious_play(P, iters, initial=init,
                            mode="alternating" if alternating else "simultaneous")
    prof, hist = fp_reference(P, iters, init, alternating)
    for a, b in zip(res.profile, prof, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-14)
    np.testing.assert_allclose(res.history, hist, atol=1e-12)


def test_fictitious_play_batch_equals_single_and_record_every():
    game = G.random_game((5, 4), batch=6, seed=2)
    res = G.fictitious_play(game, 300, record_every=7)
    assert res.history.shape == (6, 300 // 7)
    for b in range(6):
        one = G.fictitious_play(game[b], 300)
        np.testing.assert_array_equal(res.profile[0][b], one.profile[0])
        np.testing.assert_allclose(res.history[b], one.history[6::7], rtol=1e-13)


def test_fictitious_play_zero_sum_converges():
    # Robinson (1951): empirical play converges to the value in zero-sum games.
    for game in (G.matching_pennies(), G.rock_paper_scissors()):
        profile, history = G.fictitious_play(game, 20_000)
        assert history[-1] < 0.01 < history[0]
        assert G.nash_conv(game, profile) == pytest.approx(history[-1], abs=1e-12)


def test_fictitious_play_cycles_on_shapley_game():
    # Shapley (1964): fictitious play does not converge; empirical frequencies keep
    # moving and NashConv stays bounded away from zero.
    res = G.fictitious_play(G.shapley_game(), 30_000, record_every=100)
    late = res.history[len(res.history) // 2:]
    assert late.min() > 0.1
    a = G.fictitious_play(G.shapley_game(), 15_000).profile[0]
    b = res.profile[0]
    assert np.abs(a - b).max() > 0.05


def test_best_response_iteration_converges_or_reports():
    res = G.best_response_iteration(G.prisoners_dilemma(), 100)
    assert res.converged and res.converged_at == 1
    np.testing.assert_array_equal(res.profile[0], [0, 1])
    mp = G.best_response_iteration(G.matching_pennies(), 200, start=[[1, 0], [1, 0]])
    assert not mp.converged and mp.converged_at == -1
    assert mp.history.min() > 0.5  # pure best responses cycle through the four outcomes
    batch = G.NormalFormGame(np.stack([G.prisoners_dilemma().payoffs,
                                       G.matching_pennies().payoffs]))
    res = G.best_response_iteration(batch, 200, start=[[1, 0], [1, 0]])
    np.testing.assert_array_equal(res.converged, [True, False])


def test_damped_best_response_iteration_matches_direct_update():
    game = G.random_game((4, 3, 2), seed=4)
    start = [np.full(k, 1.0 / k) for k in (4, 3, 2)]
    res = G.best_response_iteration(game, 25, damping=0.3, tol=0.0)
    s = [x.copy() for x in start]
    for _ in range(25):
        acts, _ = G.best_response(game, s, tol=0)
        s = [0.7 * x + 0.3 * np.eye(len(x))[a] for x, a in zip(s, acts, strict=True)]
    for a, b in zip(res.profile, s, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-12)
    two = G.random_game(6, seed=5)
    res2 = G.best_response_iteration(two, 50, damping=0.2, tol=0.0)
    s = [np.full(6, 1 / 6), np.full(6, 1 / 6)]
    for _ in range(50):
        acts, _ = G.best_response(two, s, tol=0)
        s = [0.8 * x + 0.2 * np.eye(6)[a] for x, a in zip(s, acts, strict=True)]
    np.testing.assert_allclose(res2.history[-1], G.nash_conv(two, s), atol=1e-10)


def test_regret_matching_reaches_cce_and_reports_distance():
    game = G.chicken()
    short = G.regret_matching(game, 200)
    long = G.regret_matching(game, 20_000)
    assert long.cce_violation < short.cce_violation and long.cce_violation < 1e-3
    assert long.cce_violation == pytest.approx(cce_gain(game.payoffs, long.joint), abs=1e-12)
    assert long.joint.sum() == pytest.approx(1.0)
    plus = G.regret_matching(G.random_game((3, 3, 3), seed=1), 20_000, variant="rm+")
    assert plus.cce_violation < 5e-3


def test_conditional_regret_matching_reaches_ce():
    game = G.random_game((3, 3), batch=3, seed=7)
    res = G.regret_matching(game, 100_000, variant="conditional", seed=3, record_every=1000)
    assert res.joint.shape == (3, 3, 3)
    for b in range(3):
        gain = ce_gain(game.payoffs[b], res.joint[b])
        assert res.ce_violation[b] == pytest.approx(gain, abs=1e-12)
        assert gain < 0.01
        np.testing.assert_allclose(res.profile[0][b], res.joint[b].sum(axis=1))
    again = G.regret_matching(game, 100_000, variant="conditional", seed=3, record_every=1000)
    np.testing.assert_array_equal(res.joint, again.joint)
    other = G.regret_matching(game, 100_000, variant="conditional", seed=4, record_every=1000)
    assert not np.array_equal(res.joint, other.joint)


def test_replicator_dynamics():
    pd = G.prisoners_dilemma()
    res = G.replicator_dynamics(pd, 500, start=[[0.9, 0.1], [0.8, 0.2]])
    assert res.profile[0][1] > 0.99 and res.history[-1] < res.history[0]
    rng = np.random.default_rng(0)
    game = G.random_game((4, 3), seed=0)
    start = [rng.dirichlet(np.ones(4)), np.array([0.5, 0.0, 0.5])]
    res = G.replicator_dynamics(game, 100, start=start)
    assert res.profile[1][1] == 0.0
    for p in res.profile:
        assert p.sum() == pytest.approx(1.0, abs=1e-12)
    # one step by hand
    one = G.replicator_dynamics(game, 1, start=start, step=0.3)
    u = expected_payoffs(game.payoffs, start)
    want = start[0] * (1 + 0.3 * (u[0] - u[0] @ start[0]))
    np.testing.assert_allclose(one.profile[0], want, atol=1e-14)
    with pytest.raises(ValueError, match="step must be"):
        G.replicator_dynamics(game, 10, step=100.0)


def test_logit_fictitious_play():
    res = G.logit_fictitious_play(G.matching_pennies(), 2000)
    np.testing.assert_allclose(res.profile[0], [0.5, 0.5], atol=1e-9)
    # A logit QRE is a fixed point of the logit response; check it where smooth
    # fictitious play settles (a 2x2 game with a strict dominant strategy).
    game = G.prisoners_dilemma()
    res = G.logit_fictitious_play(game, 20_000, temperature=1.0)
    u = expected_payoffs(game.payoffs, res.profile)
    for ui, p in zip(u, res.profile, strict=True):
        q = np.exp(ui - ui.max())
        np.testing.assert_allclose(p, q / q.sum(), atol=2e-3)
    s1 = G.logit_fictitious_play(game, 500, sampled=True, seed=1)
    s2 = G.logit_fictitious_play(game, 500, sampled=True, seed=1)
    np.testing.assert_array_equal(s1.profile[0], s2.profile[0])
    assert s1.history.shape == (500,)


@pytest.mark.parametrize("call, exc, match", [
    (lambda g: G.fictitious_play(g, -1), ValueError, "iterations"),
    (lambda g: G.fictitious_play(g, 10, mode="fast"), ValueError, "mode"),
    (lambda g: G.fictitious_play(g, 10, initial=[0, 2]), ValueError, "initial"),
    (lambda g: G.fictitious_play(g, 10, initial=[0.5, 1]), TypeError, "integer"),
    (lambda g: G.fictitious_play(g, 10, record_every=0), ValueError, "record_every"),
    (lambda g: G.fictitious_play(g, 10**12), ValueError, "record_every"),
    (lambda g: G.best_response_iteration(g, 10, damping=0), ValueError, "damping"),
    (lambda g: G.regret_matching(g, 10, variant="cfr"), ValueError, "variant"),
    (lambda g: G.regret_matching(g, 10, variant="conditional", inertia=0.5), ValueError,
     "inertia"),
    (lambda g: G.logit_fictitious_play(g, 10, temperature=0), ValueError, "temperature"),
    (lambda g: G.replicator_dynamics(g, 10, start=[[1, 1], [0.5, 0.5]]), ValueError, "sum to 1"),
])
def test_bad_input(call, exc, match):
    with pytest.raises(exc, match=match):
        call(G.matching_pennies())


_NAN_KERNELS = """
import numpy as np
from accord import _backend
k = _backend.cpu_kernels("games")
for n in (2, 3):
    P = np.full((1, n) + (3,) * n, np.nan)
    s = np.full((1, 3 * n), 1 / 3)
    assert k.fictitious_play(P, 5, 0, np.zeros((1, n), np.int64), 1)[0].shape == (1, 3 * n)
    k.fictitious_play(P, 5, 1, np.zeros((1, n), np.int64), 1)
    k.best_response_iteration(P, s, 5, 0.5, 0.0, 1)
    k.replicator(P, s, 5, 0.1, 1)
    k.logit_fictitious_play(P, 5, 0.1, False, 0, 1)
    for variant in (0, 1, 2):
        k.regret_matching(P, 5, variant, 1.0, 0, 1)
print("ok")
"""


def test_kernel_action_searches_stay_in_bounds_on_nan():
    # A NaN maximum matches no entry: the scan for its first copy must stop at the
    # row's end instead of running through memory.
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", _NAN_KERNELS], capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "ok"


_PENNIES = np.array([[1.7e308, -1.7e308], [-1.7e308, 1.7e308]])


@pytest.mark.parametrize("call", [
    lambda P, it: G.replicator_dynamics(P, it),
    lambda P, it: G.fictitious_play(P, it),
    lambda P, it: G.fictitious_play(P, it, mode="alternating"),
    lambda P, it: G.regret_matching(P, it),
    lambda P, it: G.regret_matching(P, it, variant="conditional", seed=1),
    lambda P, it: G.best_response_iteration(P, it),
    lambda P, it: G.logit_fictitious_play(P, it),
])
def test_dynamics_refuse_payoffs_whose_sums_overflow(call):
    with pytest.raises(ValueError, match=r"\(\): payoffs reach max \|payoff\|.*overflows "
                                         r"float64; rescale the payoffs"):
        call(np.stack([_PENNIES, -_PENNIES]), 100)
    # Rescaled (Nash equilibria are invariant to positive affine maps) it runs.
    res = call(np.stack([_PENNIES, -_PENNIES]) / 1e300, 100)
    assert np.isfinite(res.history).all()
    assert all(np.isfinite(p).all() for p in res.profile)


@pytest.mark.parametrize("variant", ["fp", "rm"])
def test_three_player_dynamics_near_1e305_refused_not_nan(variant):
    P = np.random.default_rng(0).uniform(-1e305, 1e305, (3, 2, 2, 2))
    run = G.fictitious_play if variant == "fp" else G.regret_matching
    with pytest.raises(ValueError, match="overflows float64"):
        run(P, 10_000)
    res = run(P / 1e295, 10_000)
    assert np.isfinite(res.history).all()

