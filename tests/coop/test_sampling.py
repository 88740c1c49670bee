import numpy as np
import pytest
from reference import random_table

import accord
from accord import _core
from accord.coop import CoalitionalGame, TUGame, WeightedVotingGame, shapley

METHODS = ["permutation", "antithetic", "stratified"]


class Wrapped(CoalitionalGame):
    """A game seen only through batched value() calls (the generic path)."""

    def __init__(self, game):
        self.inner = game
        self.n = game.n

    def value(self, coalitions):
        return self.inner.value(coalitions)


@pytest.fixture(scope="module")
def game6():
    return TUGame(random_table(6, np.random.default_rng(11)))


def _replicate(game, method, samples, seeds):
    return np.array([shapley(game, samples=samples, seed=s, method=method).values for s in seeds])


@pytest.mark.parametrize("method", METHODS)
def test_unbiased_and_stderr_covers(game6, method):
    exact = shapley(game6)
    seeds = range(300)
    runs = [shapley(game6, samples=600, seed=s, method=method) for s in seeds]
    est = np.array([r.values for r in runs])
    err = np.array([r.stderr for r in runs])
    # Unbiased: the mean over 300 independent runs is within 4 standard errors.
    spread = est.std(axis=0, ddof=1) / np.sqrt(len(runs))
    assert np.all(np.abs(est.mean(axis=0) - exact) <= 4 * spread + 1e-12)
    # The reported stderr matches the spread across seeds ...
    ratio = err.mean(axis=0) / est.std(axis=0, ddof=1)
    assert np.all((ratio > 0.8) & (ratio < 1.25)), ratio
    # ... and 95% intervals cover the exact value about 95% of the time.
    coverage = np.mean(np.abs(est - exact) <= 1.96 * err)
    assert 0.92 <= coverage <= 0.98, coverage


def test_stratified_variance_no_worse_than_permutation(game6):
    # Equal allocation over positions is proportional allocation: never worse in theory.
    seeds = range(200)
    plain = _replicate(game6, "permutation", 600, seeds).var(axis=0, ddof=1)
    strat = _replicate(game6, "stratified", 600, seeds).var(axis=0, ddof=1)
    assert strat.sum() <= 1.1 * plain.sum()


def test_antithetic_helps_on_supermodular_weight_games():
    # v(S) = w(S)**3: marginal contributions along an order and its reverse are
    # negatively correlated.  For w(S)**2 the pair mean is constant (zero variance).
    w = np.array([1.0, 2.0, 3.0, 0.5, 4.0, 2.5, 1.5])
    masks = np.arange(1 << w.size)
    weight = ((masks[:, None] >> np.arange(w.size)) & 1) @ w
    cubic = TUGame(weight**3)
    seeds = range(150)
    plain = _replicate(cubic, "permutation", 400, seeds).var(axis=0, ddof=1)
    anti = _replicate(cubic, "antithetic", 400, seeds).var(axis=0, ddof=1)
    assert np.all(anti <= plain)
    square = shapley(TUGame(weight**2), samples=100, seed=5, method="antithetic")
    np.testing.assert_allclose(square.values, shapley(TUGame(weight**2)), rtol=1e-9)
    assert np.all(square.stderr < 1e-6)


@pytest.mark.parametrize("method", METHODS)
def test_generic_path_draws_the_same_samples(game6, method):
    native = shapley(game6, samples=1200, seed=9, method=method)
    generic = shapley(Wrapped(game6), samples=1200, seed=9, method=method)
    np.testing.assert_allclose(generic.values, native.values, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(generic.stderr, native.stderr, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("method", METHODS)
def test_voting_sampler_matches_generic_path(method):
    g = WeightedVotingGame([5, 3, 3, 2, 2, 1, 1, 1], 10)
    native = shapley(g, samples=1600, seed=4, method=method)
    generic = shapley(Wrapped(g), samples=1600, seed=4, method=method)
    np.testing.assert_allclose(generic.values, native.values, atol=1e-12)


@pytest.mark.parametrize("method", METHODS)
def test_voting_estimates_are_close_to_exact(method):
    rng = np.random.default_rng(2)
    w = rng.integers(1, 10, size=40)
    g = WeightedVotingGame(w, w.sum() // 2 + 1)
    est = shapley(g, samples=8000, seed=1, method=method)
    exact = shapley(g)
    assert np.all(np.abs(est.values - exact) <= 5 * est.stderr + 1e-3)


def test_reproducible_across_threads_and_chunks(game6):
    a = shapley(game6, samples=20000, seed=3)
    accord.set_num_threads(1)
    try:
        b = shapley(game6, samples=20000, seed=3, progress=True)
    finally:
        accord.set_num_threads(2)
    np.testing.assert_allclose(a.values, b.values, rtol=1e-12, atol=1e-13)
    c = shapley(game6, samples=20000, seed=4)
    assert not np.allclose(a.values, c.values)


def test_permutations_are_uniform():
    perms = _core.coop.permutations(4, 123, 0, 24000)
    assert np.all(np.sort(perms, axis=1) == np.arange(4))
    codes = (perms * 4 ** np.arange(4)).sum(axis=1)
    counts = np.unique(codes, return_counts=True)[1]
    assert counts.size == 24
    # Chi-square with 23 degrees of freedom: 99.9% quantile is 49.7.
    chi2 = ((counts - 1000) ** 2 / 1000).sum()
    assert chi2 < 49.7
    again = _core.coop.permutations(4, 123, 100, 5)
    np.testing.assert_array_equal(again, perms[100:105])


def test_stratified_reports_samples_used():
    est = shapley(TUGame(random_table(5, np.random.default_rng(0))), samples=103, seed=1,
                  method="stratified")
    assert est.samples == 100


def test_sample_chunks_are_bounded_and_cover_the_range():
    """Each kernel call takes at most MAX_CHUNK samples (a launched CUDA kernel cannot
    be interrupted, so Ctrl-C is answered between calls)."""
    from accord.coop import sampling

    for total, per_unit in ((10**12, 1), (10**10, 400), (5, 1), (1 << 20, 9)):
        ranges = list(sampling._chunks(total, False, "test", per_unit))
        assert ranges[0][0] == 0
        assert all(a + c == b for (a, c), (b, _) in zip(ranges, ranges[1:], strict=False))
        assert sum(c for _, c in ranges) == total
        assert max(c for _, c in ranges) * per_unit <= max(sampling.MAX_CHUNK, per_unit)
