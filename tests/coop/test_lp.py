"""Tests of accord.coop.lp: least core, core allocation, (pre)nucleolus."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from accord.coop.game import CoalitionalGame, TUGame
from accord.coop.lp import (
    MAX_LP_PLAYERS,
    LeastCore,
    core_allocation,
    least_core,
    nucleolus,
)

# ----------------------------------------------------------------------------- helpers


def incidence(n: int) -> np.ndarray:
    """(2**n, n) 0/1 matrix: row m is the incidence vector of mask m."""
    m = np.arange(1 << n)
    return ((m[:, None] >> np.arange(n)) & 1).astype(float)


def coalition_values(x: np.ndarray) -> np.ndarray:
    return incidence(len(x)) @ x


def max_excess(v: np.ndarray, x: np.ndarray) -> float:
    e = v - coalition_values(x)
    return float(e[1:-1].max())


def game_from(n: int, f) -> np.ndarray:
    """Table of v(S) = f(set of players) for all masks."""
    return np.array([f({i for i in range(n) if m >> i & 1}) if m else 0.0
                     for m in range(1 << n)], dtype=float)


def bankruptcy(estate: float, claims=(100.0, 200.0, 300.0)) -> np.ndarray:
    c = np.asarray(claims, dtype=float)
    inside = incidence(len(c)) @ c
    return np.maximum(0.0, estate - (c.sum() - inside))


def reference_nucleolus(v: np.ndarray, imputation: bool, tol: float = 1e-7) -> np.ndarray:
    """Deliberately simple, independent (pre)nucleolus for small n (<= 5).

    Lexicographic minimisation by a different fixing rule than the package's (no
    dual multipliers, no span test): after each ``min t`` LP, a coalition is fixed
    only when it is tight in *every* optimal solution, which is decided by one
    extra LP per tight coalition (maximise x(S) with t held at its optimum).  The
    stages go on until every coalition is fixed, so x(S) is determined for all
    S, singletons included.
    """
    n = int(v.size).bit_length() - 1
    chi = incidence(n)
    full = (1 << n) - 1
    free = list(range(1, full))
    fixed: dict[int, float] = {full: 0.0}  # mask -> fixed excess
    bounds = [(v[1 << i], None) if imputation else (None, None) for i in range(n)]
    x = None
    while free:
        a_eq = np.array([np.r_[chi[m], 0.0] for m in fixed])
        b_eq = np.array([v[m] - e for m, e in fixed.items()])
        a_ub = np.array([np.r_[-chi[m], -1.0] for m in free])
        b_ub = np.array([-v[m] for m in free])
        c = np.r_[np.zeros(n), 1.0]
        res = linprog(c, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq,
                      bounds=bounds + [(None, None)], method="highs")
        assert res.status == 0, res.message
        t = res.fun
        x = res.x[:n]
        newly = []
        for m in free:
            if v[m] - chi[m] @ x < t - tol:
                continue  # not tight at this optimum, so not tight at all of them
            # max x(S) over the optimal set (t fixed at its optimum)
            r2 = linprog(-np.r_[chi[m], 0.0], A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq,
                         bounds=bounds + [(t, t)], method="highs")
            assert r2.status == 0, r2.message
            if v[m] - (-r2.fun) >= t - tol:
                newly.append(m)
        assert newly, "some coalition must be tight in every optimal solution"
        for m in newly:
            fixed[m] = t
            free.remove(m)
    a_eq = np.array([chi[m] for m in fixed])
    b_eq = np.array([v[m] - e for m, e in fixed.items()])
    return np.linalg.lstsq(a_eq, b_eq, rcond=None)[0]


# ----------------------------------------------------------------------------- strategies


@st.composite
def small_games(draw, min_n: int = 2, max_n: int = 4, integer: bool = False):
    """Random games with a non-empty imputation set (v(N) >= sum v({i}))."""
    n = draw(st.integers(min_n, max_n))
    if integer:  # many ties: degenerate LPs
        vals = draw(st.lists(st.integers(-3, 6), min_size=1 << n, max_size=1 << n))
    else:
        # Multiples of 1e-3: values within the LP solvers' 1e-7 feasibility tolerance of
        # zero (e.g. -1.2e-7) would make the reference's exact fixing LPs infeasible.
        vals = draw(st.lists(st.integers(-5000, 10000).map(lambda k: k / 1000),
                             min_size=1 << n, max_size=1 << n))
    v = np.array(vals, dtype=float)
    v[0] = 0.0
    single = v[1 << np.arange(n)]
    v[-1] = max(v[-1], single.sum() + draw(st.integers(0, 3)))
    return v


# ----------------------------------------------------------------------------- known games


@pytest.mark.parametrize("estate, expected", [
    (100.0, [100 / 3, 100 / 3, 100 / 3]),
    (200.0, [50.0, 75.0, 75.0]),
    (300.0, [50.0, 100.0, 150.0]),
])
def test_talmud_bankruptcy(estate, expected):
    # Aumann & Maschler (1985): the Talmud's division is the nucleolus.
    v = bankruptcy(estate)
    np.testing.assert_allclose(nucleolus(v), expected, atol=1e-7)
    np.testing.assert_allclose(nucleolus(TUGame(v), imputation=False), expected, atol=1e-7)


def test_glove_game():
    # Player 0 holds a left glove, players 1 and 2 right gloves; a pair is worth 1.
    # The core is the single point (1, 0, 0) (x1 + x2 >= 1 and x1 + x3 >= 1 force
    # x2 = x3 = 0), and the nucleolus lies in the core.
    v = game_from(3, lambda s: float(0 in s and (1 in s or 2 in s)))
    np.testing.assert_allclose(nucleolus(v), [1.0, 0.0, 0.0], atol=1e-9)
    x, eps = least_core(v)
    assert eps == pytest.approx(0.0, abs=1e-9)  # e({2}) = -x2 and e({1,3}) = x2
    np.testing.assert_allclose(core_allocation(v), [1.0, 0.0, 0.0], atol=1e-9)


def test_majority_game():
    # v(S) = 1 iff |S| >= 2.  Symmetric, so the nucleolus is (1/3, 1/3, 1/3); the
    # least core is that point with eps = 1 - 2/3 (every pair is 1/3 short): the
    # core is empty.
    v = game_from(3, lambda s: float(len(s) >= 2))
    np.testing.assert_allclose(nucleolus(v), [1 / 3] * 3, atol=1e-9)
    x, eps = least_core(v)
    np.testing.assert_allclose(x, [1 / 3] * 3, atol=1e-9)
    assert eps == pytest.approx(1 / 3)
    assert core_allocation(v) is None


def test_one_productive_pair():
    # v({1,2}) = v(N) = 1, all else 0.  Hand derivation: with x3 = 1 - x1 - x2 the
    # excesses of {1,2} and {3} are x3 and -x3, so the first stage has t = 0 and
    # fixes x3 = 0; then max(-x1, -x2) with x1 + x2 = 1 gives x1 = x2 = 1/2.
    v = game_from(3, lambda s: float({0, 1} <= s))
    np.testing.assert_allclose(nucleolus(v), [0.5, 0.5, 0.0], atol=1e-9)


def test_veto_player():
    # v(S) = 1 iff S contains player 0 and another player: the core is {(1, 0, 0)}.
    v = game_from(3, lambda s: float(0 in s and len(s) >= 2))
    np.testing.assert_allclose(nucleolus(v), [1.0, 0.0, 0.0], atol=1e-9)


def test_prenucleolus_differs_from_nucleolus():
    # v({2,3}) = 3, v(N) = 1, else 0 (not superadditive).  Prenucleolus: the
    # excesses of {2,3} and {1} are 2 + x1 and -x1, balanced at x1 = -1 (t = 1),
    # then symmetry gives x2 = x3 = 1.  Nucleolus (x1 >= 0): x1 = 0, then the
    # remaining excesses -x2, -x3 (and of {1,2}, {1,3}) give x2 = x3 = 1/2.
    v = game_from(3, lambda s: 3.0 if s == {1, 2} else float(len(s) == 3))
    np.testing.assert_allclose(nucleolus(v, imputation=False), [-1.0, 1.0, 1.0], atol=1e-9)
    np.testing.assert_allclose(nucleolus(v), [0.0, 0.5, 0.5], atol=1e-9)


def test_one_and_two_players():
    np.testing.assert_allclose(nucleolus([0.0, 5.0]), [5.0])
    x, eps = least_core([0.0, 5.0])
    np.testing.assert_allclose(x, [5.0])
    assert eps == -math.inf
    np.testing.assert_allclose(core_allocation([0.0, 5.0]), [5.0])
    # Two players: the standard solution x_i = v_i + (v12 - v1 - v2) / 2.
    v = np.array([0.0, 1.0, 2.0, 7.0])
    np.testing.assert_allclose(nucleolus(v), [3.0, 4.0])
    np.testing.assert_allclose(nucleolus(v, imputation=False), [3.0, 4.0])
    x, eps = least_core(v)
    np.testing.assert_allclose(x, [3.0, 4.0])
    assert eps == pytest.approx(-2.0)
    # Prenucleolus of a two-player game with v12 < v1 + v2 (no imputation).
    np.testing.assert_allclose(nucleolus([0.0, 3.0, 3.0, 2.0], imputation=False), [1.0, 1.0])


def test_additive_and_single_imputation_games():
    v = coalition_values(np.array([1.0, -2.0, 3.0]))
    np.testing.assert_allclose(nucleolus(v), [1.0, -2.0, 3.0])
    x, eps = least_core(v)
    np.testing.assert_allclose(x, [1.0, -2.0, 3.0])
    assert eps == 0.0
    v[-1] = 2.0 - 0.0  # v(N) = sum v({i}): the imputation set is one point
    v[3] = 5.0
    np.testing.assert_allclose(nucleolus(v), [1.0, -2.0, 3.0])


def test_least_core_result_object():
    v = game_from(4, lambda s: float(len(s)) ** 2)
    res = least_core(v)
    assert isinstance(res, LeastCore)
    x, eps = res
    assert x is res.x and eps == res.eps
    assert (res.lp_rows, res.lp_cols) == (2**4 - 1, 5)
    assert 0 < res.rows_generated <= 2**4 - 2
    assert res.solve_time >= 0.0
    assert x.sum() == pytest.approx(16.0)
    assert eps < 0  # convex game: non-empty core with slack
    with pytest.raises(AttributeError):
        res.eps = 0.0  # frozen


def test_structured_game_input():
    class Majority(CoalitionalGame):
        n = 5

        def value(self, coalitions):
            c = np.asarray(coalitions, dtype=np.int64)
            size = sum((c >> i) & 1 for i in range(self.n))
            return (size >= 3).astype(float)

    np.testing.assert_allclose(nucleolus(Majority()), [0.2] * 5, atol=1e-9)


# ----------------------------------------------------------------------------- properties


@settings(max_examples=40, deadline=None)
@given(small_games())
def test_least_core_eps_is_max_excess(v):
    x, eps = least_core(v)
    assert x.sum() == pytest.approx(v[-1], abs=1e-7)
    assert max_excess(v, x) == pytest.approx(eps, abs=1e-7)
    # eps is minimal: the reference's first stage LP value
    n = v.size.bit_length() - 1
    chi = incidence(n)[1:-1]
    res = linprog(np.r_[np.zeros(n), 1.0], A_ub=-np.hstack([chi, np.ones((len(chi), 1))]),
                  b_ub=-v[1:-1], A_eq=[np.r_[np.ones(n), 0.0]], b_eq=[v[-1]],
                  bounds=(None, None), method="highs-ipm")
    assert eps == pytest.approx(res.fun, abs=1e-7)
    core = core_allocation(v)
    if eps <= -1e-6:
        assert core is not None and max_excess(v, core) <= 1e-7
    elif eps >= 1e-6:
        assert core is None


@settings(max_examples=40, deadline=None)
@given(small_games(), st.booleans())
def test_against_reference(v, imputation):
    np.testing.assert_allclose(nucleolus(v, imputation=imputation),
                               reference_nucleolus(v, imputation), atol=1e-6)


@settings(max_examples=40, deadline=None)
@given(small_games(integer=True), st.booleans())
def test_against_reference_degenerate(v, imputation):
    np.testing.assert_allclose(nucleolus(v, imputation=imputation),
                               reference_nucleolus(v, imputation), atol=1e-6)


@settings(max_examples=30, deadline=None)
@given(st.integers(2, 5), st.data())
def test_nucleolus_in_nonempty_core(n, data):
    # v(S) = x0(S) - slack(S) with slack >= 0 has x0 in its core.
    x0 = np.array(data.draw(st.lists(st.floats(-5, 5), min_size=n, max_size=n)))
    slack = np.array(data.draw(st.lists(st.sampled_from([0.0, 0.5, 1.0, 3.0]),
                                        min_size=1 << n, max_size=1 << n)))
    v = coalition_values(x0) - slack
    v[0], v[-1] = 0.0, x0.sum()
    x = nucleolus(v)
    assert max_excess(v, x) <= 1e-7
    np.testing.assert_allclose(nucleolus(v, imputation=False), x, atol=1e-7)
    assert least_core(v).eps <= 1e-9
    assert max_excess(v, core_allocation(v)) <= 1e-7


@settings(max_examples=40, deadline=None)
@given(small_games(max_n=5), st.booleans())
def test_symmetry(v, imputation):
    # Make players 0 and 1 symmetric: average v with v composed with the swap.
    n = v.size.bit_length() - 1
    m = np.arange(1 << n)
    swapped = (m & ~3) | ((m & 1) << 1) | ((m >> 1) & 1)
    v = (v + v[swapped]) / 2
    x = nucleolus(v, imputation=imputation)
    assert x[0] == pytest.approx(x[1], abs=1e-7)


@settings(max_examples=40, deadline=None)
@given(small_games(max_n=5), st.booleans(), st.floats(0.01, 100),
       st.lists(st.floats(-10, 10), min_size=5, max_size=5))
def test_covariance(v, imputation, a, b):
    # Strategic equivalence: nucleolus(a v + b) = a nucleolus(v) + b (a > 0).
    n = v.size.bit_length() - 1
    b = np.array(b[:n])
    x = nucleolus(v, imputation=imputation)
    y = nucleolus(a * v + coalition_values(b), imputation=imputation)
    np.testing.assert_allclose(y, a * x + b, atol=1e-6 * (1 + a + np.abs(b).max()))
    x2, eps2 = least_core(a * v + coalition_values(b))
    assert eps2 == pytest.approx(a * least_core(v).eps, abs=1e-6 * (1 + a))


def talmud_rule(estate: float, claims: np.ndarray) -> np.ndarray:
    """Aumann & Maschler (1985): constrained equal awards on the half-claims when
    the estate is at most half the total claim, else each claimant gets the claim
    minus constrained equal losses on the half-claims."""
    half = claims / 2

    def equal_awards(amount: float) -> np.ndarray:  # min(half, lam), sum = amount
        lo, hi = 0.0, float(half.max())
        for _ in range(200):
            lam = (lo + hi) / 2
            lo, hi = (lam, hi) if np.minimum(half, lam).sum() < amount else (lo, lam)
        return np.minimum(half, (lo + hi) / 2)

    if estate <= half.sum():
        return equal_awards(estate)
    return claims - equal_awards(claims.sum() - estate)


@pytest.mark.parametrize("seed", range(4))
def test_bankruptcy_talmud_rule_medium(seed):
    # The nucleolus of a bankruptcy game is the Talmud rule (Aumann & Maschler
    # 1985, Theorem A); an independent closed form at n = 10, with many ties.
    rng = np.random.default_rng(seed)
    claims = rng.integers(1, 100, 10).astype(float)
    estate = float(rng.uniform(0, claims.sum()))
    v = bankruptcy(estate, claims)
    np.testing.assert_allclose(nucleolus(v), talmud_rule(estate, claims), atol=1e-7)


def test_nucleolus_medium_random_game():
    # n = 10: the largest excess at the prenucleolus equals the least-core eps, and
    # the nucleolus is efficient and individually rational.
    rng = np.random.default_rng(7)
    n = 10
    size = incidence(n).sum(axis=1)
    v = rng.random(1 << n) * size**1.5
    v[0] = 0.0
    v[-1] = n**1.2
    x = nucleolus(v)
    assert x.sum() == pytest.approx(v[-1])
    assert np.all(x >= v[1 << np.arange(n)] - 1e-9)
    pre = nucleolus(v, imputation=False)
    assert max_excess(v, pre) == pytest.approx(least_core(v).eps, abs=1e-7)


# ----------------------------------------------------------------------------- errors


def test_too_many_players():
    with pytest.raises(ValueError, match=r"nucleolus\(\): .*2\*\*21.*shapley"):
        nucleolus(np.zeros(1 << (MAX_LP_PLAYERS + 1)))

    class Huge(CoalitionalGame):
        n = 25

        def value(self, coalitions):
            raise AssertionError("must not be evaluated")

    with pytest.raises(ValueError, match=r"least_core\(\): .*n <= 20"):
        least_core(Huge())
    with pytest.raises(ValueError, match=r"core_allocation\(\)"):
        core_allocation(Huge())


def test_empty_imputation_set():
    v = np.array([0.0, 2.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"nucleolus\(\): the imputation set is empty"):
        nucleolus(v)
    np.testing.assert_allclose(nucleolus(v, imputation=False), [1.5, 1.5])


@pytest.mark.parametrize("bad, exc", [
    ("abc", TypeError),
    (None, TypeError),
    ({1: 2}, TypeError),
    ([0.0, 1.0, 2.0], ValueError),          # length not a power of two
    (np.zeros((2, 2)), ValueError),          # not 1-D
    ([1.0, 1.0], ValueError),                # v(empty) != 0
    ([0.0, float("nan")], ValueError),
])
def test_non_game_input(bad, exc):
    for f in (nucleolus, least_core, core_allocation):
        with pytest.raises(exc, match=rf"{f.__name__}\(\)"):
            f(bad)
