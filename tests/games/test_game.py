import numpy as np
import pytest

import accord.games as G


def test_single_and_batch_inference():
    g = G.NormalFormGame(np.zeros((3, 2, 2, 2)))
    assert (g.num_players, g.num_actions, g.batch_size) == (3, (2, 2, 2), None)
    b = G.NormalFormGame(np.zeros((5, 2, 3, 4)))
    assert (b.num_players, b.num_actions, b.batch_size) == (2, (3, 4), 5)
    assert G.NormalFormGame(np.zeros((2, 2, 2))).batch_size is None
    forced = G.NormalFormGame(np.zeros((2, 1, 2)), batch=True)
    assert (forced.batch_size, forced.num_players, forced.num_actions) == (2, 1, (2,))
    assert G.NormalFormGame(np.zeros((3, 2, 2, 2)), batch=False).num_players == 3


def test_dtype_and_no_mutation():
    p = np.arange(8.0).reshape(2, 2, 2)
    g = G.NormalFormGame(p)
    assert g.dtype == np.float64 and p.flags.writeable
    assert G.NormalFormGame(p.astype(np.float32)).dtype == np.float32
    assert G.NormalFormGame(p.astype(int)).dtype == np.float64


@pytest.mark.parametrize("payoffs, match", [
    (np.zeros((3, 2, 2)), "player axis"),
    (np.zeros(4), "shape"),
    (np.zeros((2, 0, 2)), "at least one action"),
    (np.array([[[1.0, np.inf], [0, 0]], [[0, 0], [0, 0]]]), "finite"),
])
def test_bad_payoffs(payoffs, match):
    with pytest.raises(ValueError, match=match):
        G.NormalFormGame(payoffs, batch=False)


def test_bad_types():
    with pytest.raises(TypeError, match="numeric"):
        G.NormalFormGame(np.array([["a", "b"], ["c", "d"]]))
    with pytest.raises(TypeError, match="batch"):
        G.NormalFormGame(np.zeros((2, 2, 2)), batch="yes")


def test_indexing_and_bimatrix():
    b = G.random_game(3, batch=4, seed=0)
    assert b[2].batch_size is None and b[1:3].batch_size == 2 and len(b) == 4
    A, B = b.bimatrix()
    assert A.shape == (4, 3, 3)
    with pytest.raises(TypeError):
        len(b[0])
    with pytest.raises(ValueError, match="two-player"):
        G.random_game((2, 2, 2)).bimatrix()


def test_classic_games():
    assert G.matching_pennies().is_zero_sum() and G.rock_paper_scissors().is_zero_sum()
    assert not G.chicken().is_zero_sum()
    pd = G.prisoners_dilemma()
    assert G.nash_conv(pd, [[0, 1], [0, 1]]) == 0.0  # mutual defection
    assert G.nash_conv(G.shapley_game(), [np.full(3, 1 / 3)] * 2) == pytest.approx(0.0)
    bos = G.battle_of_the_sexes()
    assert G.nash_conv(bos, [[0.6, 0.4], [0.4, 0.6]]) == pytest.approx(0.0, abs=1e-15)
    climb = G.climbing_game()
    assert climb.payoffs[0, 0, 0] == 11 and np.array_equal(climb.payoffs[0], climb.payoffs[1])
    assert G.penalty_game(-5).payoffs[0, 0, 2] == -5
    sh = G.stag_hunt()
    assert G.nash_conv(sh, [[1, 0], [1, 0]]) == 0.0 and G.nash_conv(sh, [[0, 1], [0, 1]]) == 0.0
    with pytest.raises(ValueError):
        G.prisoners_dilemma(temptation=1)


def test_colonel_blotto():
    g = G.colonel_blotto(10, 3)
    assert g.num_actions == (66, 66) and g.is_zero_sum()
    alloc = G.blotto_allocations(10, 3)
    assert alloc.shape == (66, 3) and (alloc.sum(axis=1) == 10).all()
    assert len({tuple(r) for r in alloc}) == 66
    # (4, 3, 3) beats (3, 3, 4)? fields: 4>3 win, 3=3 tie, 3<4 loss -> tie overall
    i = next(j for j, r in enumerate(alloc) if tuple(r) == (4, 3, 3))
    k = next(j for j, r in enumerate(alloc) if tuple(r) == (3, 3, 4))
    assert g.payoffs[0, i, k] == 0
    assert G.colonel_blotto(4, 2, payoff="fields").payoffs[0].max() == 0  # equal budgets
    f = G.colonel_blotto(4, 2, coins_b=1, payoff="fields")
    assert f.num_actions == (5, 2) and f.payoffs[0].max() == 2 and f.payoffs[0].min() == 0


def test_random_games():
    g = G.random_game((2, 3, 4), batch=7, seed=1)
    assert g.payoffs.shape == (7, 3, 2, 3, 4)
    assert np.array_equal(g.payoffs, G.random_game((2, 3, 4), batch=7, seed=1).payoffs)
    common = G.covariant_game((3, 3), 1.0, batch=20, seed=2)
    np.testing.assert_allclose(common.payoffs[:, 0], common.payoffs[:, 1])
    zs = G.covariant_game((3, 3), -1.0, batch=20, seed=2)
    assert zs.is_zero_sum(tol=1e-9).all()
    big = G.covariant_game((40, 40, 40), -0.3, seed=3).payoffs.reshape(3, -1)
    c = np.corrcoef(big)
    assert c[0, 1] == pytest.approx(-0.3, abs=0.02) and c[1, 2] == pytest.approx(-0.3, abs=0.02)
    assert big.std(axis=1) == pytest.approx(1.0, abs=0.02)
    with pytest.raises(ValueError, match="rho must lie"):
        G.covariant_game((2, 2, 2), -0.8)


def test_pure_nash_equilibria_against_brute_force():
    import itertools

    from nf_reference import nash_conv

    assert G.pure_nash_equilibria(G.prisoners_dilemma()) == [(1, 1)]
    assert G.pure_nash_equilibria(G.battle_of_the_sexes()) == [(0, 0), (1, 1)]
    assert G.pure_nash_equilibria(G.matching_pennies()) == []
    batch = G.NormalFormGame(np.random.default_rng(3).integers(0, 3, size=(20, 3, 2, 3, 2))
                             .astype(float))
    found = G.pure_nash_equilibria(batch)
    for b in range(20):
        P = batch.payoffs[b]
        want = []
        for prof in itertools.product(*(range(k) for k in P.shape[1:])):
            pure = [np.eye(k)[a] for k, a in zip(P.shape[1:], prof, strict=True)]
            if nash_conv(P, pure) <= 0:
                want.append(prof)
        assert found[b] == want


def test_payoff_bounds_are_the_extremes_and_computed_once():
    rng = np.random.default_rng(3)
    P = rng.normal(size=(4, 2, 3, 5))
    game = G.NormalFormGame(P)
    assert game.payoff_bounds() == (P.min(), P.max())
    assert game.payoff_bounds() is game.payoff_bounds()  # cached: the payoffs are read-only
    assert G.NormalFormGame(P[1]).payoff_bounds() == (P[1].min(), P[1].max())
    assert game[2].payoff_bounds() == (P[2].min(), P[2].max())  # a sub-game has its own
