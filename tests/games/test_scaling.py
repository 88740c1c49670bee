"""The exact bimatrix solvers on badly scaled games: every returned profile is an
equilibrium (regret small relative to the payoff range), or a clear error."""

from __future__ import annotations

import importlib
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import accord.games as G

enumeration = importlib.import_module("accord.games.enumeration")
lemke_howson = importlib.import_module("accord.games.lemke_howson")

SOLVERS = {
    "support_enumeration": lambda A, B: list(G.support_enumeration(A, B)),
    "vertex_enumeration": lambda A, B: list(G.vertex_enumeration(A, B)),
    "lemke_howson": lambda A, B: [G.lemke_howson(A, B)],
    "lemke_howson_all": lambda A, B: G.lemke_howson_all(A, B),
}


def relative_regret(A, B, x, y) -> float:
    """Largest gain of a deviation, in units of the deviating player's payoff range
    (computed on payoffs scaled by a power of two, so it cannot overflow)."""
    def unit(M):
        M = np.ldexp(M, -np.frexp(np.abs(M).max() or 1.0)[1])
        return M / (np.ptp(M) or 1.0)

    An, Bn = unit(A), unit(B)
    u, v = An @ y, Bn.T @ x
    return max(u.max() - x @ u, v.max() - y @ v)


def keys(eqs):
    return sorted((tuple(np.round(x, 9)), tuple(np.round(y, 9))) for x, y in eqs)


@pytest.mark.parametrize("scale", [1e4, 1e5, 1e6, 1e8])
def test_badly_scaled_degenerate_game_returns_only_equilibria(scale):
    # Row 0 gains 1 against column 1; the -scale entry squeezes that gain to
    # 1 / scale of the range, where drifting degenerate ratios once led the vertex
    # search into an infeasible basis and a non-equilibrium ((0,1,0), (0,1,0)).
    A = np.array([[0.0, 1, 0], [0, 0, 0], [0, 0, -scale]])
    B = -A
    e = np.eye(3)
    expect = keys([(e[0], e[0]), (e[0], e[2]), (e[1], e[0]), (e[1], e[2])])
    eqs = list(G.vertex_enumeration(A, B))
    for x, y in eqs:
        assert relative_regret(A, B, x, y) <= 1e-9
    if scale <= 1e6:
        assert keys(eqs) == expect
    for x, y in G.lemke_howson_all(A, B):
        assert relative_regret(A, B, x, y) <= 1e-9


@pytest.mark.parametrize("name", list(SOLVERS))
def test_payoff_ranges_beyond_float64_keep_dominance(name):
    # The range 3.4e308 overflows float64: the map onto [1, 2] once made every
    # payoff equal, so the dominated row 0 was returned.
    big = 1.7e308
    A = np.array([[-big, -big], [big, big]])
    B = np.array([[big, -big], [big, -big]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", G.DegenerateGameWarning)
        eqs = SOLVERS[name](A, B)
    assert eqs
    for x, y in eqs:
        np.testing.assert_array_equal(x, [0.0, 1.0])
        np.testing.assert_array_equal(y, [1.0, 0.0])


@pytest.mark.parametrize("name", list(SOLVERS))
def test_subnormal_payoff_ranges_solved_exactly(name):
    # A prisoner's dilemma scaled by the least subnormal: its range once became NaN.
    A = np.array([[3.0, 0], [5, 1]]) * 5e-324
    eqs = SOLVERS[name](A, A.T.copy())
    assert len(eqs) == 1
    np.testing.assert_array_equal(eqs[0][0], [0.0, 1.0])
    np.testing.assert_array_equal(eqs[0][1], [0.0, 1.0])


class _Liar:
    """Kernels that answer a non-equilibrium (or fail numerically)."""

    def __init__(self, fail: bool = False):
        self.fail = fail

    def _answer(self, m, n):
        if self.fail:
            raise RuntimeError("vertex_enumeration: singular basis (numerical failure)")
        return np.eye(m)[:1], np.eye(n)[:1]

    def support_enumeration(self, A, B):
        return (*self._answer(*A.shape), False)

    def vertex_enumeration(self, A, B, max_bases):
        return (*self._answer(*A.shape), False)

    def lemke_howson(self, A, B, label, max_pivots):
        X, Y = self._answer(*A.shape)
        return X[0], Y[0]

    def lemke_howson_all(self, A, B, max_pivots):
        return (*self._answer(*A.shape), False)


@pytest.mark.parametrize("name", list(SOLVERS))
def test_non_equilibria_are_never_returned(name, monkeypatch):
    monkeypatch.setattr(enumeration, "_kernels", _Liar())
    monkeypatch.setattr(lemke_howson, "_kernels", _Liar())
    A = np.array([[0.0, 0], [1, 1]])  # row 1 strictly dominates row 0
    with pytest.raises(ValueError, match=rf"^{name}\(\): the game is too badly scaled to be "
                                         r"solved reliably in float64: .* regret of 1 times"):
        SOLVERS[name](A, A.copy())


@pytest.mark.parametrize("name", ["vertex_enumeration", "lemke_howson", "lemke_howson_all"])
def test_numerical_failures_are_clear_value_errors(name, monkeypatch):
    monkeypatch.setattr(enumeration, "_kernels", _Liar(fail=True))
    monkeypatch.setattr(lemke_howson, "_kernels", _Liar(fail=True))
    with pytest.raises(ValueError, match=rf"^{name}\(\): the game is too badly scaled .*"
                                         r"singular basis"):
        SOLVERS[name](np.eye(2), np.eye(2))


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), spread=st.integers(0, 12))
def test_badly_scaled_games_equilibria_or_clear_error(seed, spread):
    rng = np.random.default_rng(seed)
    m, n = rng.integers(1, 5, size=2)
    A, B = (rng.integers(-3, 4, (m, n)) * 10.0 ** rng.integers(-spread, spread + 1, (m, n))
            for _ in range(2))
    for name, solve in SOLVERS.items():
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", G.DegenerateGameWarning)
                eqs = solve(A, B)
        except ValueError as err:
            assert str(err).startswith(f"{name}(): the game is too badly scaled")
            continue
        assert eqs or name == "support_enumeration"
        for x, y in eqs:
            assert relative_regret(A, B, x, y) <= enumeration.EQUILIBRIUM_RTOL


def test_small_rhs_ratios_tie_only_relatively():
    # Payoffs over six orders of magnitude make the pivot entries large and the rhs
    # ratios ~1e-7: an absolute tie margin of 1e-10 tied ratios 1e-6 apart
    # (relative), chose the wrong leaving row and returned a non-equilibrium.
    A = np.array([[1e1, 0, 1e-1, 2e-3], [2e1, -1e2, -1e-2, -1e2],
                  [2e1, 0, -3e-2, -2e-1], [-2, -1e2, -1e2, -1e-1]])
    B = np.array([[-2e1, -1e-2, -3e-2, -2e-2], [-1e1, -3e-3, -3e3, 1e-2],
                  [2e-1, 0, 0, -2e-1], [1e-1, -1e-2, -1e1, 0]])
    eqs = list(G.vertex_enumeration(A, B))
    assert eqs
    for x, y in eqs + G.lemke_howson_all(A, B):
        assert relative_regret(A, B, x, y) <= 1e-9


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), spread=st.integers(0, 5))
def test_games_over_ten_orders_of_magnitude_are_solved(seed, spread):
    # Payoff differences down to 1e-10 of the range are resolved: no refusal.
    rng = np.random.default_rng(seed)
    m, n = rng.integers(1, 5, size=2)
    A, B = (rng.integers(-3, 4, (m, n)) * 10.0 ** rng.integers(-spread, spread + 1, (m, n))
            for _ in range(2))
    for x, y in G.vertex_enumeration(A, B):
        assert relative_regret(A, B, x, y) <= 1e-8


def test_cycling_pivots_are_refused_quickly_as_badly_scaled():
    # Differences of 1e-5 against a range of 3.3e5 are below float64's resolution
    # on [1, 2]: the path from label 1 cycled until 10,000,000 pivots and then
    # advised raising max_pivots.  A path longer than the game's pairs of bases
    # cycles, so it is refused at that bound.
    A = np.array([[2.0, 2e-1, 2e2, -1e-5], [3e4, -3e5, -3e-5, -1e1], [0, -1e-4, 0, 3e-4]])
    B = np.array([[3e4, 0, 3.0, -3e5], [1e-5, 1e2, 0, 1e2], [-3e4, -3e-4, 1e3, 2e-5]])
    with pytest.raises(ValueError, match=r"^lemke_howson\(\): the game is too badly scaled.*"
                                         r"cycled \(more than 2,452 pivots"):
        G.lemke_howson(A, B, 1)
    with pytest.raises(ValueError, match=r"^lemke_howson_all\(\): .* cycled"):
        G.lemke_howson_all(A, B)
    # A bound the caller sets below the path bound keeps its documented RuntimeError.
    with pytest.raises(RuntimeError, match="no equilibrium after 5 pivots"):
        G.lemke_howson(A, B, 1, max_pivots=5)
