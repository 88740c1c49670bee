"""Tests of accord.games.support_enumeration and accord.games.vertex_enumeration."""

from __future__ import annotations

import inspect
import itertools
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nf_reference import assert_bimatrix_equilibrium as assert_equilibrium
from nf_reference import equilibrium_key as key

from accord.games import (
    DegenerateGameWarning,
    NormalFormGame,
    battle_of_the_sexes,
    matching_pennies,
    prisoners_dilemma,
    random_game,
    rock_paper_scissors,
    shapley_game,
    stag_hunt,
    support_enumeration,
    vertex_enumeration,
)

# ----------------------------------------------------------------------------- helpers


def as_set(pairs) -> set:
    return {key(x, y) for x, y in pairs}


def polytope_vertices(M: np.ndarray, tol=1e-9):
    """Brute-force vertices of {z >= 0, M z <= 1} (M positive, k x d) with their label
    sets: label c < d for z_c = 0 and d + r for (M z)_r = 1."""
    k, d = M.shape
    G = np.vstack([-np.eye(d), M])          # G z <= h
    h = np.concatenate([np.zeros(d), np.ones(k)])
    found = {}
    for S in itertools.combinations(range(d + k), d):
        S = list(S)
        if abs(np.linalg.det(G[S])) < 1e-12:
            continue
        z = np.linalg.solve(G[S], h[S])
        if (G @ z <= h + tol).all():
            labels = frozenset(np.flatnonzero(np.abs(G @ z - h) <= tol).tolist())
            found.setdefault(tuple(np.round(z, 9)), (z, labels))
    return list(found.values())


def brute_force_extreme(A, B):
    """All extreme equilibria: complementary vertex pairs of the best-response
    polytopes P = {x >= 0, B'^T x <= 1}, Q = {y >= 0, A' y <= 1}, with the payoffs
    shifted to be >= 1 (a different positive map than the kernel's)."""
    A, B = np.asarray(A, float), np.asarray(B, float)
    m, n = A.shape
    Ap, Bp = A - A.min() + 1.0, B - B.min() + 1.0
    P = polytope_vertices(Bp.T)  # x labels: i (x_i = 0), m + j ((B^T x)_j = 1)
    Q = polytope_vertices(Ap)    # y labels: j (y_j = 0) -> m + j, n + i ((A y)_i = 1) -> i
    allx = set(range(m + n))
    out = []
    for x, lx in P:
        if not x.any():
            continue
        for y, ly in Q:
            if not y.any():
                continue
            labels_y = {m + c if c < n else c - n for c in ly}
            if set(lx) | labels_y == allx:
                out.append((x / x.sum(), y / y.sum()))
    return out


def game_matrices(game: NormalFormGame):
    A, B = game.bimatrix()
    return np.asarray(A), np.asarray(B)


# A degenerate 3x2 game (von Stengel 2007, Sec. 3.6 style): against the top row the
# column player is indifferent between both columns, so x = (1, 0, 0) has two pure
# best responses but a support of size one.
DEGENERATE_A = np.array([[3.0, 3.0], [2.0, 5.0], [0.0, 6.0]])
DEGENERATE_B = np.array([[3.0, 3.0], [2.0, 6.0], [3.0, 1.0]])
# Its nondegenerate sibling (von Stengel 2007, Sec. 3.2): three equilibria.
VS_B = np.array([[3.0, 2.0], [2.0, 6.0], [3.0, 1.0]])


# ----------------------------------------------------------------------------- classic


@pytest.mark.parametrize("solver", [support_enumeration, vertex_enumeration])
@pytest.mark.parametrize("game, count", [
    (battle_of_the_sexes(), 3), (matching_pennies(), 1), (rock_paper_scissors(), 1),
    (prisoners_dilemma(), 1), (shapley_game(), 1), (stag_hunt(), 3)])
def test_classic_games(solver, game, count):
    A, B = game_matrices(game)
    eqs = list(solver(game))
    assert len(eqs) == count
    assert len(as_set(eqs)) == count
    for x, y in eqs:
        assert_equilibrium(A, B, x, y)
    assert as_set(eqs) == as_set(brute_force_extreme(A, B))


def test_battle_of_the_sexes_values():
    eqs = as_set(vertex_enumeration(battle_of_the_sexes()))
    want = {key(np.array([1.0, 0]), np.array([1.0, 0])),
            key(np.array([0.0, 1]), np.array([0.0, 1])),
            key(np.array([0.6, 0.4]), np.array([0.4, 0.6]))}
    assert eqs == want


def test_von_stengel_example():
    eqs = as_set(support_enumeration(DEGENERATE_A, VS_B))
    want = {key(np.array([1.0, 0, 0]), np.array([1.0, 0])),
            key(np.array([0.0, 1 / 3, 2 / 3]), np.array([1 / 3, 2 / 3])),
            key(np.array([0.8, 0.2, 0]), np.array([2 / 3, 1 / 3]))}
    assert eqs == want
    assert as_set(vertex_enumeration(DEGENERATE_A, VS_B)) == want


def test_returns_generators_of_float64_pairs():
    for solver in (support_enumeration, vertex_enumeration):
        gen = solver(battle_of_the_sexes())
        assert inspect.isgenerator(gen)
        x, y = next(gen)
        assert isinstance(x, np.ndarray) and x.dtype == np.float64


def test_support_enumeration_order():
    eqs = list(support_enumeration(battle_of_the_sexes()))
    assert [int((x > 0).sum()) for x, _ in eqs] == [1, 1, 2]
    assert key(*eqs[0]) == key(np.array([1.0, 0]), np.array([1.0, 0]))


# ----------------------------------------------------------------------------- random


@pytest.mark.parametrize("m, n", [(1, 1), (1, 4), (4, 1), (2, 3), (3, 3), (4, 4), (5, 3)])
def test_random_games_against_brute_force(m, n):
    rng = np.random.default_rng([m, n])
    for _ in range(6):
        A, B = rng.normal(size=(m, n)), rng.normal(size=(m, n))
        ref = as_set(brute_force_extreme(A, B))
        se = list(support_enumeration(A, B))
        ve = list(vertex_enumeration(A, B))
        assert as_set(se) == ref
        assert as_set(ve) == ref
        assert len(ve) == len(ref) and len(se) == len(ref)
        assert len(ve) % 2 == 1  # a nondegenerate game has an odd number of equilibria
        for x, y in ve:
            assert_equilibrium(A, B, x, y)


def test_larger_random_games_agree():
    for n, seed in [(8, 1), (10, 2), (7, 3)]:
        game = random_game((n, n + 1 if seed == 3 else n), seed=seed)
        A, B = game_matrices(game)
        se = list(support_enumeration(A, B))
        ve = list(vertex_enumeration(A, B))
        assert as_set(se) == as_set(ve)
        assert len(ve) == len(as_set(ve))
        for x, y in ve:
            assert_equilibrium(A, B, x, y)


def test_thread_count_does_not_change_results():
    import accord

    game = random_game((9, 9), seed=5)
    before = accord._core.get_num_threads()
    try:
        accord.set_num_threads(1)
        one = [key(*e) for e in support_enumeration(game)], [key(*e) for e in
                                                               vertex_enumeration(game)]
        accord.set_num_threads(2)
        two = [key(*e) for e in support_enumeration(game)], [key(*e) for e in
                                                               vertex_enumeration(game)]
    finally:
        accord.set_num_threads(before)
    assert one == two


# ----------------------------------------------------------------------------- degenerate


def test_degenerate_game_warns_and_vertex_enumeration_is_complete():
    with pytest.warns(DegenerateGameWarning, match="degenerate"):
        se = list(support_enumeration(DEGENERATE_A, DEGENERATE_B))
    for x, y in se:
        assert_equilibrium(DEGENERATE_A, DEGENERATE_B, x, y)
    ve = list(vertex_enumeration(DEGENERATE_A, DEGENERATE_B))
    ref = as_set(brute_force_extreme(DEGENERATE_A, DEGENERATE_B))
    assert as_set(ve) == ref and len(ve) == len(ref)
    # The continuum x = (1, 0, 0), y = (p, 1 - p), p in [2/3, 1], has two extreme ends.
    top = {k for k in ref if k[:3] == (1.0, 0.0, 0.0)}
    assert top == {key(np.array([1.0, 0, 0]), np.array([1.0, 0])),
                   key(np.array([1.0, 0, 0]), np.array([2 / 3, 1 / 3]))}


@pytest.mark.parametrize("m, n", [(1, 1), (2, 3), (4, 4), (3, 5)])
def test_constant_game_every_pure_profile_once(m, n):
    A = np.zeros((m, n))
    eqs = list(vertex_enumeration(A, A))
    want = {key(np.eye(m)[i], np.eye(n)[j]) for i in range(m) for j in range(n)}
    assert len(eqs) == m * n and as_set(eqs) == want
    if m * n > 1:
        with pytest.warns(DegenerateGameWarning):
            list(support_enumeration(A, A))


def test_duplicate_rows_and_columns():
    A = np.array([[1.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 2.0, 2.0]])
    B = np.array([[2.0, 0.0, 0.0], [2.0, 0.0, 0.0], [0.0, 1.0, 1.0]])
    ve = list(vertex_enumeration(A, B))
    ref = brute_force_extreme(A, B)
    assert as_set(ve) == as_set(ref) and len(ve) == len(as_set(ref))
    for x, y in ve:
        assert_equilibrium(A, B, x, y)


def test_random_integer_degenerate_games_against_brute_force():
    rng = np.random.default_rng(7)
    for _ in range(40):
        m, n = rng.integers(1, 5, size=2)
        A = rng.integers(0, 3, size=(m, n)).astype(float)
        B = rng.integers(0, 3, size=(m, n)).astype(float)
        ve = list(vertex_enumeration(A, B))
        ref = as_set(brute_force_extreme(A, B))
        assert as_set(ve) == ref
        assert len(ve) == len(ref), "an extreme equilibrium was yielded twice"
        for x, y in ve:
            assert_equilibrium(A, B, x, y)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DegenerateGameWarning)
            for x, y in support_enumeration(A, B):
                assert_equilibrium(A, B, x, y)
                assert key(x, y) in ref


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 4), st.integers(1, 4), st.data())
def test_property_vertex_enumeration_is_brute_force(m, n, data):
    vals = st.integers(-2, 2)
    A = np.array(data.draw(st.lists(vals, min_size=m * n, max_size=m * n)), float)
    B = np.array(data.draw(st.lists(vals, min_size=m * n, max_size=m * n)), float)
    A, B = A.reshape(m, n), B.reshape(m, n)
    ve = list(vertex_enumeration(A, B))
    ref = as_set(brute_force_extreme(A, B))
    assert len(ve) >= 1
    assert as_set(ve) == ref and len(ve) == len(ref)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 5), st.integers(1, 5), st.integers(0, 2**32 - 1))
def test_property_nondegenerate_support_equals_vertex(m, n, seed):
    rng = np.random.default_rng(seed)
    A, B = rng.random((m, n)), rng.random((m, n))
    assert as_set(support_enumeration(A, B)) == as_set(vertex_enumeration(A, B))


def test_invariant_under_positive_affine_maps():
    rng = np.random.default_rng(11)
    A, B = rng.random((5, 4)), rng.random((5, 4))
    base = as_set(vertex_enumeration(A, B))
    assert as_set(vertex_enumeration(1e6 * A - 3e5, 1e-4 * B + 7)) == base


# ----------------------------------------------------------------------------- input


@pytest.mark.parametrize("solver", [support_enumeration, vertex_enumeration])
def test_bad_input(solver):
    name = solver.__name__
    with pytest.raises(ValueError, match=rf"{name}\(\): A and B must have the same shape"):
        solver(np.ones((2, 2)), np.ones((2, 3)))
    with pytest.raises(ValueError, match="B must be finite; entry \\(1, 0\\) is nan"):
        solver(np.ones((2, 2)), np.array([[1.0, 2.0], [np.nan, 1.0]]))
    with pytest.raises(ValueError, match="A must be finite"):
        solver(np.array([[np.inf]]), np.ones((1, 1)))
    with pytest.raises(ValueError, match="2-D payoff matrix"):
        solver(np.ones(3), np.ones(3))
    with pytest.raises(ValueError, match="at least one row and one column"):
        solver(np.ones((0, 2)), np.ones((0, 2)))
    with pytest.raises(TypeError, match="B .* is missing"):
        solver(np.ones((2, 2)))
    with pytest.raises(TypeError, match="numeric"):
        solver([["a", "b"]], [["c", "d"]])
    with pytest.raises(TypeError, match="either a two-player NormalFormGame"):
        solver(battle_of_the_sexes(), np.ones((2, 2)))
    with pytest.raises(ValueError, match="single two-player game"):
        solver(NormalFormGame(np.zeros((3, 2, 2, 2))))


def test_limits():
    with pytest.raises(ValueError, match="support pairs"):
        support_enumeration(np.ones((6, 6)), np.ones((6, 6)), max_pairs=100)
    with pytest.raises(ValueError, match="m \\+ n <= 128"):
        vertex_enumeration(np.ones((100, 29)), np.ones((100, 29)))
    with pytest.raises(RuntimeError, match="max_bases"):
        vertex_enumeration(*game_matrices(random_game((6, 6), seed=1)), max_bases=5)
    with pytest.raises(TypeError, match="max_bases must be an integer"):
        vertex_enumeration(np.ones((2, 2)), np.ones((2, 2)), max_bases=1.5)
