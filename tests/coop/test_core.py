import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from reference import max_excess_brute, random_table

from accord.coop import TUGame, bankruptcy_game, core_violation, glove_game, in_core, shapley


@pytest.mark.parametrize("n", [1, 2, 5, 8, 9, 11])
def test_matches_brute_force(n):
    rng = np.random.default_rng(n)
    v = random_table(n, rng)
    x = rng.normal(size=n)
    value, mask = core_violation(TUGame(v), x)
    want_value, want_mask = max_excess_brute(v, n, x)
    assert value == pytest.approx(want_value, abs=1e-12)
    assert mask == want_mask


@settings(max_examples=50, deadline=None)
@given(st.integers(1, 10), st.integers(0, 2**32 - 1))
def test_random_games_and_allocations(n, seed):
    rng = np.random.default_rng(seed)
    v = np.round(random_table(n, rng), 1)  # rounding creates ties: the lowest mask must win
    v[0] = 0
    x = np.round(rng.normal(size=n), 1)
    value, mask = core_violation(v, x)
    want_value, want_mask = max_excess_brute(v, n, x)
    assert value == pytest.approx(want_value, abs=1e-9)
    members = [i for i in range(n) if mask >> i & 1]
    assert v[mask] - x[members].sum() == pytest.approx(want_value, abs=1e-9)


def test_lowest_mask_wins_ties():
    # Every coalition has excess 0 under x = 0 for the zero game.
    assert core_violation(TUGame(np.zeros(1 << 12)), np.zeros(12)) == (0.0, 1)


def test_convex_game_shapley_is_in_core():
    # Bankruptcy games are convex (Curiel, Maschler & Tijs 1987): Shapley value in the core.
    g = bankruptcy_game(300, [100, 200, 300, 150])
    assert in_core(g, shapley(g))


def test_glove_game_core():
    g = glove_game(1, 2)  # the scarce left glove takes everything
    assert in_core(g, [1.0, 0.0, 0.0])
    assert not in_core(g, [0.5, 0.25, 0.25])
    value, mask = core_violation(g, [0.5, 0.25, 0.25])
    assert value == pytest.approx(0.25)
    assert mask == 0b011


def test_in_core_needs_efficiency():
    g = glove_game(1, 2)
    assert not in_core(g, [2.0, 0.0, 0.0])  # over-allocates v(N) = 1
    assert not in_core(g, [0.9, 0.0, 0.0])  # under-allocates


def test_tol_is_checked():
    with pytest.raises(ValueError, match="in_core\\(\\): tol"):
        in_core(glove_game(1, 1), [1, 0], tol=-1)


def test_large_table_one_pass():
    rng = np.random.default_rng(5)
    n = 18
    v = rng.random(1 << n)
    v[0] = 0
    x = rng.random(n)
    value, mask = core_violation(v, x)
    masks = np.arange(1 << n)
    sums = ((masks[:, None] >> np.arange(n)) & 1) @ x
    e = v - sums
    e[0] = -np.inf
    assert value == pytest.approx(e.max(), abs=1e-12)
    assert mask == int(np.argmax(e))
