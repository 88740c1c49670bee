import numpy as np
import pytest
from reference import banzhaf_brute, random_table

from accord.coop import TUGame, WeightedVotingGame, banzhaf


@pytest.mark.parametrize("n", [1, 2, 4, 7, 10, 12])
def test_matches_brute_force(n):
    v = random_table(n, np.random.default_rng(40 + n))
    np.testing.assert_allclose(banzhaf(TUGame(v)), banzhaf_brute(v, n), atol=1e-11)


def test_normalized_sums_to_one():
    v = np.abs(random_table(8, np.random.default_rng(1)))
    v[0] = 0
    beta = banzhaf(TUGame(v), normalized=True)
    assert beta.sum() == pytest.approx(1.0)
    raw = banzhaf(TUGame(v))
    np.testing.assert_allclose(beta, raw / raw.sum())


def test_eec_1958_known_indices():
    # Normalised Banzhaf index of the 1958 EEC Council: 5/21, 5/21, 5/21, 3/21, 3/21, 0.
    g = WeightedVotingGame([4, 4, 4, 2, 2, 1], 12)
    np.testing.assert_allclose(banzhaf(g, normalized=True), np.array([5, 5, 5, 3, 3, 0]) / 21)


def test_normalized_undefined_for_zero_indices():
    with pytest.raises(ValueError, match="banzhaf\\(\\): normalized=True"):
        banzhaf(TUGame(np.zeros(8)), normalized=True)
