import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from reference import random_table, shapley_by_permutations

from accord.coop import (
    TUGame,
    airport_game,
    bankruptcy_game,
    glove_game,
    semivalue,
    shapley,
    shapley_weights,
    unanimity_game,
)

tables = st.integers(min_value=1, max_value=7).flatmap(
    lambda n: st.lists(
        st.floats(-100, 100, allow_nan=False), min_size=2**n - 1, max_size=2**n - 1
    ).map(lambda xs: np.array([0.0, *xs]))
)


@pytest.mark.parametrize("n", [1, 2, 3, 5, 8])
def test_exact_matches_all_permutations(n):
    v = random_table(n, np.random.default_rng(n))
    np.testing.assert_allclose(shapley(TUGame(v)), shapley_by_permutations(v, n), atol=1e-11)


@pytest.mark.parametrize("n", [9, 12, 14])
def test_larger_tables_match_the_weighted_formula(n):
    # Above the block size the kernel splits masks into (high, low) parts.
    v = random_table(n, np.random.default_rng(100 + n))
    p = shapley_weights(n)
    masks = np.arange(1 << n)
    sizes = np.array([bin(m).count("1") for m in masks])
    want = np.empty(n)
    for i in range(n):
        s = masks[(masks >> i & 1) == 0]
        want[i] = np.dot(p[sizes[s]], v[s | 1 << i] - v[s])
    np.testing.assert_allclose(shapley(TUGame(v)), want, atol=1e-10)


@settings(max_examples=60, deadline=None)
@given(tables)
def test_efficiency(v):
    assert shapley(TUGame(v)).sum() == pytest.approx(v[-1], abs=1e-9)


@settings(max_examples=40, deadline=None)
@given(tables, tables)
def test_linearity(v, w):
    if v.size != w.size:
        w = np.resize(w, v.size)
        w[0] = 0.0
    a, b = 1.7, -0.4
    lhs = shapley(TUGame(a * v + b * w))
    rhs = a * shapley(TUGame(v)) + b * shapley(TUGame(w))
    np.testing.assert_allclose(lhs, rhs, atol=1e-8)


@settings(max_examples=40, deadline=None)
@given(st.integers(2, 7), st.data())
def test_symmetry_and_null_player(n, data):
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    # v depends on the coalition only through |S| and player 0's membership,
    # except that the last player is null (adds nothing anywhere).
    f = rng.normal(size=(n + 1, 2))
    masks = np.arange(1 << n)
    core = masks & ((1 << (n - 1)) - 1)
    sizes = np.array([bin(m).count("1") for m in core])
    v = f[sizes, core & 1]
    v = v - v[0]
    phi = shapley(TUGame(v))
    assert phi[n - 1] == pytest.approx(0.0, abs=1e-10)
    if n >= 3:
        np.testing.assert_allclose(phi[1:n - 1], phi[1], atol=1e-10)


def test_glove_game_closed_form():
    # One left glove, two right gloves: the scarce side takes 2/3 (Shapley & Shubik 1969).
    np.testing.assert_allclose(shapley(glove_game(1, 2)), [2 / 3, 1 / 6, 1 / 6], atol=1e-12)
    # Balanced market: everyone gets 1/2.
    np.testing.assert_allclose(shapley(glove_game(3, 3)), np.full(6, 0.5), atol=1e-12)


def test_airport_game_sequential_equal_sharing():
    costs = np.array([3.0, 1.0, 7.0, 4.0, 4.0])
    order = np.argsort(costs, kind="stable")
    c = costs[order]
    n = c.size
    # Littlechild & Owen (1973): each segment's cost is split among the players that use it.
    increments = np.diff(np.concatenate([[0.0], c])) / (n - np.arange(n))
    want = np.empty(n)
    want[order] = np.cumsum(increments)
    np.testing.assert_allclose(shapley(airport_game(costs)), want, atol=1e-12)


@pytest.mark.parametrize("carrier", [[0], [1, 3], [0, 2, 4, 5]])
def test_unanimity_game(carrier):
    phi = shapley(unanimity_game(6, carrier))
    want = np.zeros(6)
    want[carrier] = 1 / len(carrier)
    np.testing.assert_allclose(phi, want, atol=1e-12)


def test_talmud_shapley_known_values():
    # Estate 200, claims 100/200/300: Shapley value (100/3, 250/3, 250/3).
    phi = shapley(bankruptcy_game(200, [100, 200, 300]))
    np.testing.assert_allclose(phi, [100 / 3, 250 / 3, 250 / 3], atol=1e-9)


def test_from_function_is_vectorised_and_equal():
    calls = []

    def f(masks):
        calls.append(masks.size)
        return np.sqrt(masks.astype(float))

    g = TUGame.from_function(12, f, batch_size=1000)
    assert len(calls) == 5
    np.testing.assert_array_equal(g.values, np.sqrt(np.arange(4096.0)))


def test_semivalue_with_shapley_weights_is_shapley():
    v = random_table(6, np.random.default_rng(3))
    np.testing.assert_allclose(semivalue(v, shapley_weights(6)), shapley(v), atol=1e-12)


def test_thread_count_does_not_change_the_result():
    import accord

    v = random_table(20, np.random.default_rng(7))  # large enough for a thread team
    accord.set_num_threads(1)
    try:
        one = shapley(TUGame(v))
    finally:
        accord.set_num_threads(2)
    np.testing.assert_allclose(shapley(TUGame(v)), one, rtol=1e-12, atol=1e-12)
