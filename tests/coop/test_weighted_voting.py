import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.coop import TUGame, WeightedVotingGame, banzhaf, shapley


def dense(g: WeightedVotingGame) -> TUGame:
    return TUGame(g.value(np.arange(1 << g.n)))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 12), min_size=1, max_size=12), st.floats(0.05, 1.0))
def test_dp_matches_dense_exact(weights, frac):
    total = sum(weights)
    if total == 0:
        return
    quota = max(1, int(np.ceil(frac * total)))
    g = WeightedVotingGame(weights, quota)
    d = dense(g)
    np.testing.assert_allclose(shapley(g), shapley(d), atol=1e-12)
    np.testing.assert_allclose(banzhaf(g), banzhaf(d), atol=1e-12)


@pytest.mark.parametrize("n", [13, 16])
def test_dp_matches_dense_exact_n16(n):
    rng = np.random.default_rng(n)
    w = rng.integers(1, 30, size=n)
    g = WeightedVotingGame(w, int(0.6 * w.sum()))
    d = dense(g)
    np.testing.assert_allclose(shapley(g), shapley(d), atol=1e-12)
    np.testing.assert_allclose(banzhaf(g), banzhaf(d), atol=1e-12)


def test_fractional_quota_rounds_up_for_integer_weights():
    g = WeightedVotingGame([3, 2, 2], 4.5)
    np.testing.assert_allclose(shapley(g), shapley(dense(g)), atol=1e-12)


def test_eec_1958_shapley_shubik():
    g = WeightedVotingGame([4, 4, 4, 2, 2, 1], 12)
    np.testing.assert_allclose(shapley(g), [7 / 30, 7 / 30, 7 / 30, 3 / 20, 3 / 20, 0], atol=1e-12)


def test_thousand_players():
    rng = np.random.default_rng(0)
    w = rng.integers(1, 11, size=1000)
    g = WeightedVotingGame(w, w.sum() // 2 + 1)
    phi = shapley(g)
    assert phi.sum() == pytest.approx(1.0, abs=1e-9)  # efficiency: v(N) = 1
    # Equal weights, equal power; more weight, no less power.
    for a in np.unique(w):
        assert np.ptp(phi[w == a]) < 1e-12
    order = np.argsort(w, kind="stable")
    assert np.all(np.diff(phi[order]) >= -1e-12)
    # Many small players: power is roughly proportional to weight (Penrose limit).
    np.testing.assert_allclose(phi, w / w.sum(), rtol=0.05)
    beta = banzhaf(g)
    assert np.all(beta > 0)
    np.testing.assert_allclose(beta / beta.sum(), w / w.sum(), rtol=0.05)


def test_dictator_and_dummy():
    g = WeightedVotingGame([10, 1, 1, 1], 10)
    np.testing.assert_allclose(shapley(g), [1, 0, 0, 0])
    np.testing.assert_allclose(banzhaf(g), [1, 0, 0, 0])


def test_value_on_masks_and_rows():
    g = WeightedVotingGame([3, 2, 2], 4)
    np.testing.assert_array_equal(g.value(np.arange(8)), [0, 0, 0, 1, 0, 1, 1, 1])
    rows = np.array([[True, True, False], [False, True, True]])
    np.testing.assert_array_equal(g.value(rows), [1, 1])


def test_errors():
    with pytest.raises(ValueError, match="weights must be >= 0"):
        WeightedVotingGame([1, -1], 1)
    with pytest.raises(ValueError, match="quota must satisfy"):
        WeightedVotingGame([1, 1], 3)
    with pytest.raises(ValueError, match="quota must satisfy"):
        WeightedVotingGame([1, 1], 0)
    with pytest.raises(ValueError, match="finite"):
        WeightedVotingGame([1, np.nan], 1)
    g = WeightedVotingGame([1.5, 2.0, 1.0], 2)
    with pytest.raises(ValueError, match="integer weights"):
        shapley(g)
    est = shapley(g, samples=1000, seed=0)  # sampling works with real weights
    assert est.values.sum() == pytest.approx(1.0)
    huge = WeightedVotingGame(np.full(3000, 10**6), 1.5 * 10**9)
    with pytest.raises(ValueError, match="GiB"):
        shapley(huge)
