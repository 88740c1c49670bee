"""Tests of accord.games.lemke_howson and lemke_howson_all."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nf_reference import assert_bimatrix_equilibrium as assert_equilibrium
from nf_reference import equilibrium_key as key

from accord.games import (
    NormalFormGame,
    battle_of_the_sexes,
    chicken,
    climbing_game,
    colonel_blotto,
    lemke_howson,
    lemke_howson_all,
    matching_pennies,
    penalty_game,
    prisoners_dilemma,
    random_game,
    rock_paper_scissors,
    shapley_game,
    stag_hunt,
    vertex_enumeration,
)

# ----------------------------------------------------------------------------- helpers


CLASSIC = [battle_of_the_sexes(), chicken(), climbing_game(), matching_pennies(),
           penalty_game(), prisoners_dilemma(), rock_paper_scissors(), shapley_game(),
           stag_hunt(), colonel_blotto(4, 3)]


# ----------------------------------------------------------------------------- known games


@pytest.mark.parametrize("game", CLASSIC, ids=repr)
def test_classic_games_every_label(game):
    A, B = (np.asarray(M) for M in game.bimatrix())
    m, n = A.shape
    extreme = {key(x, y) for x, y in vertex_enumeration(A, B)}
    for label in range(m + n):
        x, y = lemke_howson(game, initial_dropped_label=label)
        assert_equilibrium(A, B, x, y)
        assert key(x, y) in extreme  # the path ends at a vertex pair


def test_battle_of_the_sexes_labels():
    A, B = battle_of_the_sexes().bimatrix()
    got = [key(*lemke_howson(A, B, k)) for k in range(4)]
    top = key(np.array([1.0, 0]), np.array([1.0, 0]))
    bottom = key(np.array([0.0, 1]), np.array([0.0, 1]))
    assert got == [top, bottom, top, bottom]
    # The mixed equilibrium has index -1 and is not reached from (0, 0).
    assert {key(x, y) for x, y in lemke_howson_all(A, B)} == {top, bottom}


def test_von_stengel_example_paths():
    # von Stengel (2007), Sec. 3.2/3.5: equilibria (1,0,0),(1,0); (0,1/3,2/3),(1/3,2/3);
    # (4/5,1/5,0),(2/3,1/3).  Dropping label 1 (row 2) leads to the first one.
    A = np.array([[3.0, 3.0], [2.0, 5.0], [0.0, 6.0]])
    B = np.array([[3.0, 2.0], [2.0, 6.0], [3.0, 1.0]])
    x, y = lemke_howson(A, B, 1)
    assert_equilibrium(A, B, x, y)
    eqs = {key(np.array([1.0, 0, 0]), np.array([1.0, 0])),
           key(np.array([0.0, 1 / 3, 2 / 3]), np.array([1 / 3, 2 / 3])),
           key(np.array([0.8, 0.2, 0]), np.array([2 / 3, 1 / 3]))}
    reached = {key(*lemke_howson(A, B, k)) for k in range(5)}
    assert reached <= eqs
    assert len(reached) == 2  # the two equilibria of index +1


def test_matching_pennies_unique():
    x, y = lemke_howson(matching_pennies())
    np.testing.assert_allclose(x, [0.5, 0.5], atol=1e-14)
    np.testing.assert_allclose(y, [0.5, 0.5], atol=1e-14)


def test_one_action_each():
    x, y = lemke_howson(np.array([[1.0]]), np.array([[2.0]]), 1)
    assert x.tolist() == [1.0] and y.tolist() == [1.0]
    x, y = lemke_howson(np.array([[1.0, 3.0, 2.0]]), np.array([[0.0, 1.0, 5.0]]))
    assert x.tolist() == [1.0] and y.tolist() == [0.0, 0.0, 1.0]


# ----------------------------------------------------------------------------- termination


def test_termination_uniform_random_games():
    rng = np.random.default_rng(2024)
    for _ in range(1000):
        m, n = rng.integers(1, 8, size=2)
        A, B = rng.random((m, n)), rng.random((m, n))
        for label in range(m + n):
            assert_equilibrium(A, B, *lemke_howson(A, B, label))


def test_termination_integer_degenerate_games():
    rng = np.random.default_rng(99)
    for t in range(1500):
        m, n = rng.integers(1, 7, size=2)
        hi = 2 if t % 2 else 4  # many ties: highly degenerate
        A = rng.integers(0, hi, size=(m, n)).astype(float)
        B = rng.integers(0, hi, size=(m, n)).astype(float)
        for label in range(m + n):
            assert_equilibrium(A, B, *lemke_howson(A, B, label))


def test_degenerate_results_are_extreme_equilibria():
    rng = np.random.default_rng(5)
    for _ in range(60):
        m, n = rng.integers(2, 6, size=2)
        A = rng.integers(0, 3, size=(m, n)).astype(float)
        B = rng.integers(0, 3, size=(m, n)).astype(float)
        extreme = {key(x, y) for x, y in vertex_enumeration(A, B)}
        for label in range(m + n):
            assert key(*lemke_howson(A, B, label)) in extreme
        found = [key(x, y) for x, y in lemke_howson_all(A, B)]
        assert len(found) == len(set(found)) and set(found) <= extreme


def test_constant_and_zero_games():
    for m, n in [(1, 1), (3, 2), (4, 5)]:
        Z = np.zeros((m, n))
        for label in range(m + n):
            assert_equilibrium(Z, Z, *lemke_howson(Z, Z, label))


def test_larger_random_games():
    for n in (20, 40):
        A, B = (np.asarray(M) for M in random_game((n, n), seed=n).bimatrix())
        for label in (0, n // 2, n, 2 * n - 1):
            assert_equilibrium(A, B, *lemke_howson(A, B, label))
        # Integer payoffs in 0..2: many ties.
        rng = np.random.default_rng(n)
        A = rng.integers(0, 3, size=(n, n)).astype(float)
        B = rng.integers(0, 3, size=(n, n)).astype(float)
        for label in range(0, 2 * n, 7):
            assert_equilibrium(A, B, *lemke_howson(A, B, label))


def test_lemke_howson_all_is_subset_of_vertex_enumeration():
    for seed in range(20):
        A, B = (np.asarray(M) for M in random_game((5, 6), seed=seed).bimatrix())
        extreme = {key(x, y) for x, y in vertex_enumeration(A, B)}
        found = lemke_howson_all(A, B)
        keys = [key(x, y) for x, y in found]
        assert 1 <= len(keys) == len(set(keys))
        assert set(keys) <= extreme
        assert set(keys) == {key(*lemke_howson(A, B, k)) for k in range(11)}


@settings(max_examples=80, deadline=None)
@given(st.integers(1, 5), st.integers(1, 5), st.data())
def test_property_every_label_gives_extreme_equilibrium(m, n, data):
    vals = st.integers(-3, 3) | st.floats(-10, 10, allow_nan=False, allow_infinity=False)
    A = np.array(data.draw(st.lists(vals, min_size=m * n, max_size=m * n)), float)
    B = np.array(data.draw(st.lists(vals, min_size=m * n, max_size=m * n)), float)
    A, B = A.reshape(m, n), B.reshape(m, n)
    label = data.draw(st.integers(0, m + n - 1))
    x, y = lemke_howson(A, B, label)
    assert_equilibrium(A, B, x, y, tol=1e-8)


def test_accepts_games_lists_and_other_dtypes():
    g = battle_of_the_sexes()
    A, B = g.bimatrix()
    want = key(*lemke_howson(A, B, 1))
    assert key(*lemke_howson(g, initial_dropped_label=1)) == want
    assert key(*lemke_howson(A.tolist(), B.tolist(), 1)) == want
    assert key(*lemke_howson(A.astype(np.int64), B.astype(np.float32), np.int64(1))) == want
    assert key(*lemke_howson(np.asfortranarray(A), B[:, :], 1)) == want
    assert key(*lemke_howson(NormalFormGame(g.payoffs.astype(np.float32)), None, 1)) == want


# ----------------------------------------------------------------------------- input


def test_bad_labels():
    A = np.ones((2, 3))
    for bad in (-1, 5, 100):
        with pytest.raises(ValueError, match=r"lemke_howson\(\): initial_dropped_label must "
                           r"be an integer in 0..4 .*got " + str(bad)):
            lemke_howson(A, A, bad)
    with pytest.raises(TypeError, match="initial_dropped_label must be an integer"):
        lemke_howson(A, A, 1.0)
    with pytest.raises(TypeError, match="initial_dropped_label must be an integer"):
        lemke_howson(A, A, True)
    with pytest.raises(TypeError, match="initial_dropped_label must be an integer"):
        lemke_howson(A, A, "all")


def test_bad_matrices():
    ok = np.ones((2, 2))
    with pytest.raises(ValueError, match=r"lemke_howson\(\): A and B must have the same "
                       "shape"):
        lemke_howson(ok, np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"lemke_howson\(\): A must be finite; entry "
                       r"\(0, 1\) is nan"):
        lemke_howson(np.array([[0.0, np.nan], [1.0, 1.0]]), ok)
    with pytest.raises(ValueError, match=r"B must be finite; entry \(1, 1\) is inf"):
        lemke_howson(ok, np.array([[0.0, 1.0], [1.0, np.inf]]))
    with pytest.raises(ValueError, match="2-D"):
        lemke_howson(np.ones(2), np.ones(2))
    with pytest.raises(ValueError, match="at least one"):
        lemke_howson(np.ones((2, 0)), np.ones((2, 0)))
    with pytest.raises(ValueError, match="finite"):
        lemke_howson([[1, float("nan")]], [[1, 2]])
    with pytest.raises(TypeError, match="B .* is missing"):
        lemke_howson(ok)
    with pytest.raises(TypeError, match="numeric"):
        lemke_howson(ok, [["x", "y"], ["z", "w"]])
    with pytest.raises(TypeError, match="real"):
        lemke_howson(ok, ok + 1j)
    with pytest.raises(ValueError, match="single two-player game"):
        lemke_howson(NormalFormGame(np.zeros((3, 2, 2, 2))))
    with pytest.raises(TypeError, match="max_pivots must be an integer"):
        lemke_howson(ok, ok, max_pivots=2.5)
    with pytest.raises(ValueError, match="max_pivots must be >= 1"):
        lemke_howson_all(ok, ok, max_pivots=0)


def test_max_pivots_guard():
    A, B = (np.asarray(M) for M in random_game((8, 8), seed=3).bimatrix())
    with pytest.raises(RuntimeError, match="raise max_pivots"):
        lemke_howson(A, B, 0, max_pivots=1)
    assert_equilibrium(A, B, *lemke_howson(A, B, 0, max_pivots=10_000))
