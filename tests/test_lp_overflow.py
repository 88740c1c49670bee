"""The LP solvers refuse payoffs and game values too large for float64 with a clear
ValueError saying to rescale, instead of a solver error or an overflow."""

from __future__ import annotations

import numpy as np
import pytest

import accord.coop as coop
import accord.games as G

HUGE = 1.7e308


@pytest.mark.parametrize("objective", ["egalitarian", "welfare"])
@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_correlated_equilibrium_refuses_huge_payoffs(objective, sign):
    P = np.full((2, 2, 2), sign * HUGE)
    with pytest.raises(ValueError, match=r"correlated_equilibrium\(\).*too large for the LP"):
        G.correlated_equilibrium(P, objective=objective)


def test_correlated_equilibrium_still_solves_large_payoffs():
    P = np.full((2, 2, 2), 1e300)
    res = G.correlated_equilibrium(P)
    assert np.isfinite(res.objective_value)


def test_minimax_refuses_huge_payoffs():
    A = np.array([[HUGE, -HUGE], [-HUGE, HUGE]])
    with pytest.raises(ValueError, match=r"minimax\(\): A has payoffs .* rescale A"):
        G.minimax(A)


def test_minimax_still_solves_large_payoffs():
    value, x, y = G.minimax(np.array([[1e300, -1e300], [-1e300, 1e300]]))
    assert value == 0.0 and np.allclose(x, 0.5) and np.allclose(y, 0.5)


@pytest.mark.parametrize("func", [coop.least_core, coop.nucleolus])
def test_coop_lp_refuses_huge_values(func):
    v = np.array([0.0, HUGE, -HUGE, HUGE, HUGE, -HUGE, HUGE, HUGE])
    with pytest.raises(ValueError, match=r"too large for the LP in float64.*rescale v"):
        func(v)


def test_nucleolus_still_solves_large_values():
    v = np.array([0.0, 1e300, -1e300, 1e300, 1e300, -1e300, 1e300, 1e300])
    assert np.isfinite(coop.nucleolus(v)).all()


@pytest.mark.parametrize(
    "tol", [np.float32(1e-6), np.float64(1e-6), np.int64(1)], ids=["f32", "f64", "i64"]
)
def test_in_core_accepts_numpy_scalars(tol):
    v = np.array([0.0, 0.0, 0.0, 1.0])
    assert coop.in_core(v, [0.5, 0.5], tol=tol)


def test_correlated_equilibrium_refuses_objective_huge_next_to_tiny_payoffs():
    P = np.full((2, 2, 2), 5e-324)
    P[0, 0, 0] = 1e-320
    with pytest.raises(ValueError, match=r"correlated_equilibrium\(\): the objective .* rescale"):
        G.correlated_equilibrium(P, objective=np.ones((2, 2)))
