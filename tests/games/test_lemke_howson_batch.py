"""Batched Lemke–Howson and batched zero-sum values against the one-game solvers."""

from __future__ import annotations

import importlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import accord.games as G
from accord.games import PathStatus

minimax_module = importlib.import_module("accord.games.minimax")


def _regret(A, B, x, y):
    u, v = A @ y, x @ B
    return max(u.max() - x @ u, v.max() - v @ y)


@pytest.mark.parametrize("shape", [(1, 1), (3, 2), (4, 4), (6, 9)])
def test_batch_equals_one_game_solver_for_every_label(shape):
    rng = np.random.default_rng(sum(shape))
    m, n = shape
    P = rng.random((40, 2, m, n))
    labels = rng.integers(0, m + n, size=40)
    r = G.lemke_howson_batch(P, initial_dropped_label=labels)
    assert r.status.dtype == np.int8 and r.solved.all()
    for g in range(40):
        x, y = G.lemke_howson(P[g, 0], P[g, 1], int(labels[g]))
        np.testing.assert_allclose(r.x[g], x, atol=1e-12)
        np.testing.assert_allclose(r.y[g], y, atol=1e-12)
        assert _regret(P[g, 0], P[g, 1], r.x[g], r.y[g]) <= 1e-12
    assert np.nanmax(r.regret) <= 1e-12


@settings(max_examples=60, deadline=None)
@given(arrays(np.int64, (5, 2, 3, 3), elements=st.integers(-2, 2)), st.integers(0, 5))
def test_degenerate_integer_games_give_equilibria(P, label):
    """Small integer payoffs are degenerate with ties everywhere; the lexicographic
    rule still ends each path at an equilibrium, the same as the one-game solver's."""
    P = P.astype(float)
    r = G.lemke_howson_batch(P, initial_dropped_label=label)
    assert r.solved.all()
    for g in range(len(P)):
        assert _regret(P[g, 0], P[g, 1], r.x[g], r.y[g]) <= 1e-9
        x, y = G.lemke_howson(P[g, 0], P[g, 1], label)
        np.testing.assert_allclose(r.x[g], x, atol=1e-12)
        np.testing.assert_allclose(r.y[g], y, atol=1e-12)


def test_a_batched_game_object_and_an_array_agree():
    game = G.random_game((3, 4), batch=10, seed=5)
    a = G.lemke_howson_batch(game)
    b = G.lemke_howson_batch(np.asarray(game.payoffs))
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_array_equal(a.y, b.y)


def test_a_batch_of_three_games_is_not_read_as_a_three_player_game():
    P = np.random.default_rng(0).random((3, 2, 2, 2))
    assert G.lemke_howson_batch(P).x.shape == (3, 2)


def test_failed_paths_are_reported_per_game_and_do_not_stop_the_others():
    rng = np.random.default_rng(7)
    P = rng.random((50, 2, 5, 5))
    r = G.lemke_howson_batch(P, max_pivots=2)
    limited = r.status == PathStatus.PIVOT_LIMIT
    assert limited.any() and r.solved.any()  # a pure equilibrium is two pivots away
    assert np.isnan(r.x[limited]).all() and np.isnan(r.y[limited]).all()
    assert np.isnan(r.regret[limited]).all()
    full = G.lemke_howson_batch(P)
    np.testing.assert_array_equal(r.x[r.solved], full.x[r.solved])


def test_minimax_batch_matches_the_lp_to_1e_12():
    rng = np.random.default_rng(11)
    for m, n in [(1, 5), (4, 4), (7, 3), (10, 12)]:
        A = rng.normal(size=(30, m, n)) * 10.0
        values, X, Y = G.minimax_batch(A)
        for g in range(30):
            v, _, _ = G.minimax(A[g])
            assert abs(values[g] - v) <= 1e-12 * max(1.0, abs(v))
        # x guarantees the value against every column, y holds every row to it.
        np.testing.assert_allclose(np.einsum("gi,gij->gj", X, A).min(axis=1), values, atol=1e-12)
        np.testing.assert_allclose(np.einsum("gij,gj->gi", A, Y).max(axis=1), values, atol=1e-12)


def test_minimax_batch_solves_failed_paths_by_the_lp(monkeypatch):
    calls = []

    def one_pivot(game, **kw):
        calls.append(1)
        return G.lemke_howson_batch(game, max_pivots=2)

    monkeypatch.setattr(minimax_module, "lemke_howson_batch", one_pivot)
    A = np.random.default_rng(3).normal(size=(20, 4, 4))
    values, X, Y = G.minimax_batch(A)
    assert calls
    for g in range(20):
        assert abs(values[g] - G.minimax(A[g])[0]) <= 1e-9
    assert np.isfinite(X).all() and np.isfinite(Y).all()


@pytest.mark.parametrize(
    "call, exc, match",
    [
        (lambda: G.lemke_howson_batch(np.zeros((2, 2))), ValueError, "lemke_howson_batch"),
        (lambda: G.lemke_howson_batch(np.zeros((4, 3, 2, 2, 2))), ValueError, r"\(G, 2, m, n\)"),
        (
            lambda: G.lemke_howson_batch(G.random_game((2, 2, 2), batch=3, seed=0)),
            ValueError,
            "two players",
        ),
        (lambda: G.lemke_howson_batch(np.ones((2, 2, 2))), ValueError, "use lemke_howson"),
        (
            lambda: G.lemke_howson_batch(G.random_game((2, 2), seed=0)),
            ValueError,
            "for one game use lemke_howson",
        ),
        (
            lambda: G.lemke_howson_batch(np.ones((3, 2, 2, 2)), initial_dropped_label=4),
            ValueError,
            r"initial_dropped_label must lie in 0\.\.3",
        ),
        (
            lambda: G.lemke_howson_batch(np.ones((3, 2, 2, 2)), initial_dropped_label=[0, 1]),
            ValueError,
            r"shape \(3,\)",
        ),
        (
            lambda: G.lemke_howson_batch(np.ones((3, 2, 2, 2)), initial_dropped_label=0.5),
            TypeError,
            "initial_dropped_label",
        ),
        (
            lambda: G.lemke_howson_batch(np.full((3, 2, 2, 2), np.nan)),
            ValueError,
            "lemke_howson_batch",
        ),
        (lambda: G.minimax_batch(np.ones((2, 2))), ValueError, r"minimax_batch\(\): A"),
        (lambda: G.minimax_batch(np.full((1, 2, 2), 1e308)), ValueError, "rescale A"),
    ],
)
def test_bad_input_is_refused_by_name(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
