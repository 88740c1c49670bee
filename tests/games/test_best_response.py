import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nf_reference import best_responses, expected_payoffs, nash_conv

import accord.games as G

shapes = st.lists(st.integers(1, 4), min_size=1, max_size=4).map(tuple)


def random_profile(rng, ks, sparse=False):
    prof = []
    for k in ks:
        p = rng.random(k)
        if sparse:
            p[rng.random(k) < 0.5] = 0.0
            if p.sum() == 0:
                p[rng.integers(k)] = 1.0
        prof.append(p / p.sum())
    return prof


@settings(max_examples=60, deadline=None)
@given(ks=shapes, seed=st.integers(0, 2**32 - 1), integer=st.booleans(),
       sparse=st.booleans())
def test_against_enumeration(ks, seed, integer, sparse):
    rng = np.random.default_rng(seed)
    P = rng.integers(-3, 4, size=(len(ks),) + ks).astype(float) if integer else \
        rng.normal(size=(len(ks),) + ks)
    prof = random_profile(rng, ks, sparse)
    if integer:  # exact ties are common: use dyadic probabilities so both sides are exact
        prof = [np.eye(k)[rng.integers(k)] if rng.random() < 0.5 else np.full(k, 1.0 / k)
                for k in ks]
    actions, values = G.best_response(P, prof)
    ref_a, ref_v = best_responses(P, prof)
    assert [int(a) for a in actions] == ref_a
    np.testing.assert_allclose(values, ref_v, rtol=1e-12, atol=1e-12)
    u = G.expected_payoffs(P, prof)
    for a, b in zip(u, expected_payoffs(P, prof), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    assert G.nash_conv(P, prof) == pytest.approx(nash_conv(P, prof), abs=1e-11)


@settings(max_examples=20, deadline=None)
@given(ks=shapes, batch=st.integers(1, 6), seed=st.integers(0, 2**32 - 1))
def test_batched_matches_single(ks, batch, seed):
    rng = np.random.default_rng(seed)
    game = G.random_game(ks, batch=batch, seed=seed)
    prof = [np.stack([random_profile(rng, [k])[0] for _ in range(batch)]) for k in ks]
    acts, vals = G.best_response(game, prof)
    nc = G.nash_conv(game, prof)
    r = G.regrets(game, prof)
    assert nc.shape == (batch,) and r.shape == (batch, len(ks))
    for b in range(batch):
        single = [p[b] for p in prof]
        a1, v1 = G.best_response(game[b], single)
        assert [int(x[b]) for x in acts] == [int(x) for x in a1]
        assert [float(x[b]) for x in vals] == [float(x) for x in v1]
        assert nc[b] == G.nash_conv(game[b], single)
    np.testing.assert_allclose(r.sum(axis=1), nc)


def test_shared_profile_broadcasts_over_batch():
    game = G.random_game((3, 4), batch=5, seed=1)
    prof = [np.full(3, 1 / 3), np.full(4, 0.25)]
    a, _ = G.best_response(game, prof)
    a2, _ = G.best_response(game, [np.tile(p, (5, 1)) for p in prof])
    for x, y in zip(a, a2, strict=True):
        np.testing.assert_array_equal(x, y)


def test_float32_agrees_with_float64():
    game64 = G.random_game((6, 5, 4), batch=50, seed=3)
    game32 = G.NormalFormGame(game64.payoffs.astype(np.float32))
    rng = np.random.default_rng(0)
    prof = [rng.dirichlet(np.ones(k), size=50) for k in (6, 5, 4)]
    a64, v64 = G.best_response(game64, prof)
    a32, v32 = G.best_response(game32, prof)
    assert v32[0].dtype == np.float32
    for x, y in zip(v64, v32, strict=True):
        np.testing.assert_allclose(x, y, rtol=1e-5)
    agree = np.mean([np.mean(x == y) for x, y in zip(a64, a32, strict=True)])
    assert agree > 0.95


def test_ties_lowest_index_and_tolerance():
    A = np.array([[1.0, 0.0], [1.0, 0.0], [0.5, 0.0]])
    game = G.NormalFormGame.from_bimatrix(A, np.zeros_like(A))
    (a0, a1), (v0, _) = G.best_response(game, [[1, 0, 0], [1, 0]])
    assert (a0, a1, v0) == (0, 0, 1.0)
    B = A.copy()
    B[0, 0] = 1.0 - 1e-13  # within the default tolerance of action 1's payoff
    (a0, _), _ = G.best_response(G.NormalFormGame.from_bimatrix(B, B), [[1, 0, 0], [1, 0]])
    assert a0 == 0
    (a0, _), _ = G.best_response(G.NormalFormGame.from_bimatrix(B, B), [[1, 0, 0], [1, 0]],
                                 tol=0)
    assert a0 == 1


def test_known_regrets():
    mp = G.matching_pennies()
    assert G.nash_conv(mp, [[0.5, 0.5], [0.5, 0.5]]) == 0.0
    assert G.nash_conv(mp, [[1, 0], [0.5, 0.5]]) == 1.0
    pd = G.prisoners_dilemma()
    np.testing.assert_array_equal(G.regrets(pd, [[1, 0], [1, 0]]), [2.0, 2.0])
    assert G.nash_conv(pd, [[0, 1], [0, 1]]) == 0.0


@pytest.mark.parametrize("bad, match", [
    ([[0.5, 0.5]], "one strategy per player"),
    ([[0.5, 0.6], [0.5, 0.5]], "must sum to 1"),
    ([[1.5, -0.5], [0.5, 0.5]], "negative probability"),
    ([[0.5, 0.5, 0.0], [0.5, 0.5]], r"shape \(2,\)"),
    ([[np.nan, 1.0], [0.5, 0.5]], "finite"),
])
def test_bad_profiles(bad, match):
    with pytest.raises(ValueError, match=match):
        G.best_response(G.matching_pennies(), bad)


def test_bad_profile_type_and_tol():
    with pytest.raises(TypeError, match="one probability vector per player"):
        G.nash_conv(G.matching_pennies(), np.array([[0.5, 0.5], [0.5, 0.5]]))
    with pytest.raises(ValueError, match="tol must be"):
        G.best_response(G.matching_pennies(), [[1, 0], [1, 0]], tol=-1.0)
