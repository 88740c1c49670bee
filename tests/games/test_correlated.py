"""Correlated and coarse correlated equilibria: kernels against brute force, LP
solutions against an independently assembled SciPy LP, and input checks."""

from __future__ import annotations

import itertools
import threading

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

import accord.games as G
from accord import _highs
from accord._backend import cpu_kernels
from accord.games import correlated as C
from accord.games.correlated import (
    CorrelatedEquilibrium,
    cce_violation,
    ce_violation,
    coarse_correlated_equilibrium,
    correlated_equilibrium,
    incentive_matrix,
)
from accord.games.incentive_lp import IncentiveLP, polish

# ------------------------------------------------------------------- brute force


def brute_gains(u: np.ndarray, p: np.ndarray) -> list[np.ndarray]:
    """g_i[r, d] = sum_{a: a_i = r} p(a) (u_i(d, a_-i) - u_i(a)), by enumeration."""
    n, shape = u.shape[0], u.shape[1:]
    out = [np.zeros((k, k)) for k in shape]
    for a in itertools.product(*map(range, shape)):
        for i in range(n):
            for d in range(shape[i]):
                b = list(a)
                b[i] = d
                out[i][a[i], d] += p[a] * (u[i][tuple(b)] - u[i][a])
    return out


def brute_ce_violation(u, p) -> float:
    return max(float(g.max()) for g in brute_gains(u, p))


def brute_cce_violation(u, p) -> float:
    return max(0.0, max(float(g.sum(axis=0).max()) for g in brute_gains(u, p)))


def brute_matrix(u: np.ndarray, coarse: bool) -> np.ndarray:
    """Dense incentive matrix with rows (i, r, d != r) or (i, d)."""
    n, shape = u.shape[0], u.shape[1:]
    N = int(np.prod(shape))
    rows = []
    for i in range(n):
        k = shape[i]
        pairs = (
            [(None, d) for d in range(k)]
            if coarse
            else [(r, d) for r in range(k) for d in range(k) if d != r]
        )
        for r, d in pairs:
            row = np.zeros(N)
            for flat, a in enumerate(itertools.product(*map(range, shape))):
                if r is not None and a[i] != r:
                    continue
                b = list(a)
                b[i] = d
                row[flat] = u[i][tuple(b)] - u[i][a]
            rows.append(row)
    return np.array(rows).reshape(-1, N)


def reference_optimum(u: np.ndarray, objective, coarse: bool) -> float:
    """The LP optimum from a NumPy-assembled LP solved by SciPy (independent path)."""
    n = u.shape[0]
    A = brute_matrix(u, coarse)
    N = A.shape[1]
    U = u.reshape(n, N)
    if isinstance(objective, str) and objective == "egalitarian":
        c = np.r_[np.zeros(N), -1.0]
        A_ub = np.vstack(
            [np.hstack([A, np.zeros((A.shape[0], 1))]), np.hstack([-U, np.ones((n, 1))])]
        )
        b_ub = np.zeros(A_ub.shape[0])
        A_eq = np.r_[np.ones(N), 0.0][None]
        bounds = [(0, None)] * N + [(None, None)]
    else:
        w = U.sum(axis=0) if isinstance(objective, str) else np.asarray(objective).ravel()
        c, A_ub, b_ub, A_eq, bounds = -w, A, np.zeros(A.shape[0]), np.ones((1, N)), (0, None)
    res = linprog(c, A_ub=A_ub, b_ub=b_ub, A_eq=A_eq, b_eq=[1.0], bounds=bounds, method="highs")
    assert res.status == 0
    return -res.fun


def assert_equilibrium(
    res: CorrelatedEquilibrium, u: np.ndarray, coarse: bool, tol: float = 1e-9
) -> None:
    p = res.distribution
    assert p.shape == u.shape[1:]
    assert (p >= 0).all()
    assert abs(p.sum() - 1) < 1e-12
    scale = np.abs(u).max()
    brute = brute_cce_violation(u, p) if coarse else brute_ce_violation(u, p)
    assert brute <= tol * scale
    assert res.max_violation == pytest.approx(brute, abs=1e-13 * scale)
    n = u.shape[0]
    assert np.allclose(res.expected_payoffs, u.reshape(n, -1) @ p.ravel(), atol=1e-12)
    assert res.upper_bound >= res.objective_value - 1e-9 * scale


def random_payoffs(seed: int, shape) -> np.ndarray:
    return G.random_game(shape, seed=seed, low=-3.0, high=5.0).payoffs


shapes = st.lists(st.integers(1, 4), min_size=1, max_size=4).filter(lambda s: int(np.prod(s)) <= 96)

# ---------------------------------------------------------------- classic games


def test_chicken_max_welfare_ce():
    g = G.chicken()
    A, B = g.bimatrix()
    assert A.tolist() == [[6, 2], [7, 0]] and B.tolist() == [[6, 7], [2, 0]]
    res = correlated_equilibrium(g)
    assert isinstance(res, CorrelatedEquilibrium)
    assert np.allclose(res.distribution, [[0.5, 0.25], [0.25, 0.0]], atol=1e-12)
    assert res.objective_value == pytest.approx(10.5, abs=1e-12)
    assert res.status == "optimal" and res.gap <= 1e-9
    assert np.allclose(res.expected_payoffs, [5.25, 5.25])
    assert_equilibrium(res, g.payoffs, coarse=False)
    # beats every Nash equilibrium: pure ones give 9, the mixed one (2/3, 1/3) 28/3
    assert res.objective_value > 28 / 3


def test_chicken_egalitarian_and_payoff_array():
    g = G.chicken()
    res = correlated_equilibrium(g.payoffs, "maxmin")
    assert res.objective == "egalitarian"
    assert res.objective_value == pytest.approx(5.25, abs=1e-8)
    assert_equilibrium(res, g.payoffs, coarse=False)


def test_ce_subset_of_cce():
    for seed, shape in [(0, (3, 3)), (1, (2, 3, 2)), (2, (4, 4))]:
        u = random_payoffs(seed, shape)
        ce = correlated_equilibrium(u)
        cce = coarse_correlated_equilibrium(u)
        assert_equilibrium(ce, u, coarse=False)
        assert_equilibrium(cce, u, coarse=True)
        assert cce_violation(u, ce.distribution) <= 1e-12  # a CE is a CCE
        assert cce.objective_value >= ce.objective_value - 1e-9


def test_cce_strictly_larger_somewhere():
    # Rock-paper-scissors with a bonus of 1/2 to both players on ties: the CCE
    # welfare optimum (1, all mass on ties) exceeds the CE optimum (1/3).
    u = G.rock_paper_scissors().payoffs + np.eye(3)[None] * 0.5
    ce = correlated_equilibrium(u)
    cce = coarse_correlated_equilibrium(u)
    assert ce.objective_value == pytest.approx(reference_optimum(u, "welfare", False), abs=1e-9)
    assert cce.objective_value == pytest.approx(reference_optimum(u, "welfare", True), abs=1e-9)
    assert cce.objective_value == pytest.approx(1.0, abs=1e-9)
    assert ce.objective_value == pytest.approx(1 / 3, abs=1e-9)


@pytest.mark.parametrize(
    "game, x, y",
    [
        (G.matching_pennies(), [0.5, 0.5], [0.5, 0.5]),
        (G.rock_paper_scissors(), [1 / 3] * 3, [1 / 3] * 3),
        (G.battle_of_the_sexes(), [0.6, 0.4], [0.4, 0.6]),
        (G.battle_of_the_sexes(), [1.0, 0.0], [1.0, 0.0]),
        (G.chicken(), [2 / 3, 1 / 3], [2 / 3, 1 / 3]),
    ],
)
def test_nash_products_have_zero_violation(game, x, y):
    p = np.outer(x, y)
    assert ce_violation(game, p) <= 1e-15
    assert cce_violation(game, p) <= 1e-15


def test_non_equilibrium_violation_value():
    # chicken, all mass on (dare, dare): player 0 gains 2 by swerving
    p = np.array([[0.0, 0.0], [0.0, 1.0]])
    assert ce_violation(G.chicken(), p) == pytest.approx(2.0)
    assert cce_violation(G.chicken(), p) == pytest.approx(2.0)
    # uniform: recommended swerve, deviating to dare gains 0.25 * (7 - 6) + 0.25 * (0 - 2)
    # < 0; recommended dare, swerving gains 0.25 * (6 - 7) + 0.25 * (2 - 0) = 0.25
    assert ce_violation(G.chicken(), np.full((2, 2), 0.25)) == pytest.approx(0.25)


def test_three_player_optimum_matches_reference():
    u = random_payoffs(7, (3, 2, 3))
    for objective in ("welfare", "egalitarian"):
        for coarse, f in ((False, correlated_equilibrium), (True, coarse_correlated_equilibrium)):
            res = f(u, objective)
            assert_equilibrium(res, u, coarse)
            assert res.objective_value == pytest.approx(
                reference_optimum(u, objective, coarse), abs=1e-7
            )
            assert res.status == "optimal"


def test_linear_objective_and_feasibility():
    u = random_payoffs(3, (3, 4))
    w = np.random.default_rng(0).normal(size=(3, 4))
    res = correlated_equilibrium(u, w)
    assert res.objective == "linear"
    assert_equilibrium(res, u, coarse=False)
    assert res.objective_value == pytest.approx(float((w * res.distribution).sum()))
    assert res.objective_value == pytest.approx(reference_optimum(u, w, False), abs=1e-9)
    feas = coarse_correlated_equilibrium(u, "feasibility")
    assert feas.objective == "feasibility" and feas.objective_value == 0.0
    assert_equilibrium(feas, u, coarse=True)


@pytest.mark.parametrize("method", ["simplex", "ipm", "pdlp"])
def test_methods_agree(method):
    u = random_payoffs(11, (5, 6))
    ref = reference_optimum(u, "welfare", False)
    res = correlated_equilibrium(u, method=method)
    assert_equilibrium(res, u, coarse=False)
    assert res.method.startswith(method) or res.method.startswith("simplex")
    assert res.objective_value == pytest.approx(ref, abs=1e-6)


def test_blotto_pdlp_path_is_exact():
    # a small constant-sum game with many incentive rows: welfare is constant, so the
    # LP is a feasibility problem; force the PDLP + projection path
    g = G.colonel_blotto(4, 3)
    for coarse, f in ((False, correlated_equilibrium), (True, coarse_correlated_equilibrium)):
        res = f(g, method="pdlp")
        assert_equilibrium(res, g.payoffs, coarse, tol=1e-9)
        assert res.objective_value == pytest.approx(0.0, abs=1e-12)


def test_auto_picks_pdlp_for_large_feasibility_lp(monkeypatch):
    monkeypatch.setattr(C, "PDLP_MIN_ROWS", 10)
    res = correlated_equilibrium(G.colonel_blotto(3, 3))
    assert res.method.startswith("pdlp")
    assert_equilibrium(res, G.colonel_blotto(3, 3).payoffs, coarse=False)


def test_fresh_highs_instance(monkeypatch):
    import highspy

    monkeypatch.setattr(_highs, "instance", lambda: highspy.Highs())
    res = correlated_equilibrium(G.chicken())
    assert res.objective_value == pytest.approx(10.5)


def test_trivial_games():
    one = np.array([[1.0, 3.0, 2.0]])  # one player: the best action
    res = correlated_equilibrium(one)
    assert res.distribution.tolist() == [0.0, 1.0, 0.0]
    const = np.ones((2, 2, 3))  # every distribution is a CE
    res = correlated_equilibrium(const, "feasibility")
    assert_equilibrium(res, const, coarse=False)


# ------------------------------------------------------------ kernels (hypothesis)


@settings(max_examples=40, deadline=None)
@given(shape=shapes, seed=st.integers(0, 2**31 - 1))
def test_violation_kernels_match_brute_force(shape, seed):
    rng = np.random.default_rng(seed)
    u = rng.integers(-3, 4, size=(len(shape), *shape)).astype(float)
    p = rng.random(shape) * (rng.random(shape) < 0.7)
    p = p / p.sum() if p.sum() > 0 else np.full(shape, 1.0 / np.prod(shape))
    assert ce_violation(u, p) == pytest.approx(brute_ce_violation(u, p), abs=1e-12)
    assert cce_violation(u, p) == pytest.approx(brute_cce_violation(u, p), abs=1e-12)
    gains = cpu_kernels("games").incentive_gains(u[None], p[None], False)[0]
    assert np.allclose(gains, np.concatenate([g.ravel() for g in brute_gains(u, p)]))


@settings(max_examples=40, deadline=None)
@given(shape=shapes, seed=st.integers(0, 2**31 - 1), coarse=st.booleans())
def test_incentive_matrix_matches_brute_force(shape, seed, coarse):
    rng = np.random.default_rng(seed)
    u = rng.integers(-2, 3, size=(len(shape), *shape)).astype(float)
    M = incentive_matrix(u, coarse=coarse)
    dense = brute_matrix(u, coarse)
    assert M.shape == dense.shape
    assert np.array_equal(M.toarray(), dense)
    assert (M.data != 0).all()  # no explicit zeros
    M.has_sorted_indices = False
    M.sort_indices()
    assert np.array_equal(M.toarray(), dense)
    p = rng.random(shape)
    p /= p.sum()
    viol = ce_violation(u, p) if not coarse else cce_violation(u, p)
    assert max(0.0, float((M @ p.ravel()).max(initial=0.0))) == pytest.approx(viol, abs=1e-12)


@settings(max_examples=15, deadline=None)
@given(shape=shapes, seed=st.integers(0, 2**31 - 1))
def test_solutions_are_equilibria(shape, seed):
    u = random_payoffs(seed, tuple(shape))
    for coarse, f in ((False, correlated_equilibrium), (True, coarse_correlated_equilibrium)):
        res = f(u)
        assert_equilibrium(res, u, coarse)
        assert res.objective_value == pytest.approx(
            reference_optimum(u, "welfare", coarse), abs=1e-8
        )


def test_batched_violations_match_single():
    game = G.random_game((3, 2, 4), batch=5, seed=4)
    rng = np.random.default_rng(1)
    p = rng.random((5, 3, 2, 4))
    p /= p.sum(axis=(1, 2, 3), keepdims=True)
    for f in (ce_violation, cce_violation):
        out = f(game, p)
        assert out.shape == (5,)
        single = [f(game[b], p[b]) for b in range(5)]
        assert isinstance(single[0], float)
        assert np.allclose(out, single, rtol=0, atol=1e-14)
        shared = f(game, p[0])  # one distribution for every game
        assert np.allclose(shared, [f(game[b], p[0]) for b in range(5)], atol=1e-14)
        many = f(game[2], p)  # one game, several distributions
        assert np.allclose(many, [f(game[2], p[b]) for b in range(5)], atol=1e-14)


def test_large_batch_parallel_path():
    game = G.random_game((6, 7), batch=2000, seed=5)
    p = np.random.default_rng(2).random((2000, 6, 7))
    p /= p.sum(axis=(1, 2), keepdims=True)
    out = ce_violation(game, p)
    assert np.allclose(
        out[[0, 999, 1999]], [brute_ce_violation(game.payoffs[b], p[b]) for b in (0, 999, 1999)]
    )


def test_large_single_game_parallel_path():
    u = random_payoffs(9, (40, 30, 20))
    p = np.random.default_rng(3).random((40, 30, 20))
    p /= p.sum()
    gains = cpu_kernels("games").incentive_gains(u[None], p[None], False)[0]
    # player 1's g(r, d) by NumPy: sum over a_0, a_2 of p(., r, .) (u(., d, .) - u(., r, .))
    g1 = np.einsum("arc,adc->rd", p, u[1]) - np.einsum("arc,arc->r", p, u[1])[:, None]
    off = 40 * 40
    assert np.allclose(gains[off : off + 900].reshape(30, 30), g1, atol=1e-12)


# ----------------------------------------------------------------------- bad input


def test_bad_distributions():
    g = G.chicken()
    with pytest.raises(ValueError, match=r"ce_violation\(\): distribution must have shape"):
        ce_violation(g, np.full(4, 0.25))
    with pytest.raises(ValueError, match="finite"):
        ce_violation(g, np.array([[np.nan, 0.5], [0.25, 0.25]]))
    with pytest.raises(ValueError, match="negative probability"):
        cce_violation(g, np.array([[-0.1, 0.6], [0.25, 0.25]]))
    with pytest.raises(ValueError, match="must sum to 1"):
        ce_violation(g, np.full((2, 2), 0.3))
    with pytest.raises(TypeError, match="numeric array"):
        ce_violation(g, "uniform")
    batch = G.random_game(2, batch=3, seed=0)
    with pytest.raises(ValueError, match="distribution must have shape"):
        ce_violation(batch, np.full((2, 2, 2), 0.25))
    with pytest.raises(ValueError, match=r"distribution 1\)"):
        p = np.full((3, 2, 2), 0.25)
        p[1, 0, 0] = 0.3
        ce_violation(batch, p)


def test_bad_solver_arguments(monkeypatch):
    g = G.chicken()
    with pytest.raises(ValueError, match="objective must be one of"):
        correlated_equilibrium(g, "utilitarian")
    with pytest.raises(ValueError, match=r"joint action shape \(2, 2\)"):
        correlated_equilibrium(g, np.ones(4))
    with pytest.raises(ValueError, match="finite"):
        coarse_correlated_equilibrium(g, np.array([[1.0, np.inf], [0.0, 0.0]]))
    with pytest.raises(ValueError, match="method must be one of"):
        correlated_equilibrium(g, method="ellipsoid")
    with pytest.raises(ValueError, match="tol"):
        correlated_equilibrium(g, tol=0.5)
    with pytest.raises(ValueError, match="one at a time"):
        correlated_equilibrium(G.random_game(2, batch=3, seed=0))
    with pytest.raises(TypeError, match="NormalFormGame"):
        correlated_equilibrium(42)
    monkeypatch.setattr(C, "MAX_LP_NONZEROS", 1000)
    with pytest.raises(ValueError, match=r"3,000 variables.*regret_matching"):
        coarse_correlated_equilibrium(G.random_game((10, 15, 20), seed=0))


def test_polish_projects_perturbed_points():
    # an approximate CE (the exact chicken optimum plus noise) is projected onto its
    # face: support {(s,s), (s,d), (d,s)}, all four incentive rows active
    u = G.chicken().payoffs / 7.0
    M = incentive_matrix(u)
    x = np.array([0.5, 0.25, 0.25, 0.0]) + np.array([3e-8, -2e-8, 1e-8, 0.0])
    raw = float((M @ (x / x.sum())).max())
    assert raw > 1e-9
    y, viol, projected = polish(M, x, 1e-13)
    assert projected and viol <= 1e-15 and (y >= 0).all()
    assert ce_violation(u, y.reshape(2, 2)) <= 1e-15
    # the simplex-basis face of a larger game: never worse than the raw vertex
    v = random_payoffs(5, (12, 12))
    v = v / np.abs(v).max()
    lp = IncentiveLP(v, v.sum(axis=0).ravel(), False)
    Mv = lp.M
    xv, _, _, _, face = lp.solve("test", "simplex")
    raw = float(np.max(Mv @ (np.maximum(xv, 0) / np.maximum(xv, 0).sum())))
    y, viol, _ = polish(Mv, xv, 0.0, face)
    assert viol <= max(raw, 0.0) and viol <= 1e-12


def test_lp_matrix_kernel_drops_redundant_rows():
    # the kernel's LP matrix: the incentive rows with a positive coefficient, in order,
    # then the egalitarian rows (explicit zeros kept) and the row sum p = 1
    u = random_payoffs(7, (3, 4, 2)).copy()  # a game's payoffs are read-only
    u[0, 0] = u[0].max() + 1.0  # player 0's action 0 dominates: rows (0, 0, d) drop
    for coarse in (False, True):
        M = incentive_matrix(u, coarse=coarse).tocsr()
        keep = np.flatnonzero(M.max(axis=1).toarray().ravel() > 0)
        assert coarse or keep.size < M.shape[0]
        for egal in (False, True):
            ip, ix, d, kept = cpu_kernels("games").incentive_lp(u, coarse, egal)
            assert kept.tolist() == keep.tolist()
            A = sp.csr_matrix((d, ix, ip), shape=(ip.size - 1, 24 + egal)).toarray()
            assert np.array_equal(A[: kept.size, :24], M[keep].toarray())
            U = u.reshape(3, -1)
            if egal:
                assert np.array_equal(A[kept.size : -1], np.c_[-U, np.ones(3)])
                assert ip[-1] == ip[kept.size] + 3 * 25 + 24
            assert np.array_equal(A[-1, :24], np.ones(24))


def test_highs_instance_reused_and_reconfigured():
    # one HiGHS object per thread; switching methods resets its options, so results
    # do not depend on what ran before
    u = random_payoffs(3, (4, 5))
    a = correlated_equilibrium(u, method="simplex")
    h = _highs.instance()
    correlated_equilibrium(u, method="ipm")
    correlated_equilibrium(u, "egalitarian")
    b = correlated_equilibrium(u, method="simplex")
    assert _highs.instance() is h
    assert np.array_equal(a.distribution, b.distribution) and a.upper_bound == b.upper_bound
    out = []
    t = threading.Thread(target=lambda: out.append(_highs.instance()))
    t.start()
    t.join()
    assert out[0] is not h
