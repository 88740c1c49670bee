"""Bad input raises a clear error naming the argument, before any work starts."""

import numpy as np
import pytest

from accord.coop import TUGame, WeightedVotingGame, banzhaf, core_violation, in_core, shapley


@pytest.fixture
def game():
    v = np.arange(8, dtype=float)
    return TUGame(v)


@pytest.mark.parametrize(
    "values, match",
    [
        (np.zeros(6), "length 2\\*\\*n"),
        (np.zeros(1), "length 2\\*\\*n"),
        (np.zeros((4, 2)), "1-dimensional"),
        (np.array([1.0, 2.0]), "values\\[0\\].*must be 0"),
        (np.array([0.0, np.nan, 1.0, 2.0]), "finite; values\\[1\\]"),
        (np.array([0.0, 1.0, np.inf, 2.0]), "finite; values\\[2\\]"),
    ],
)
def test_tugame_rejects(values, match):
    with pytest.raises(ValueError, match=match):
        TUGame(values)


def test_too_many_players_says_bytes_and_alternative():
    with pytest.raises(ValueError, match="8 GiB|16 GiB") as info:
        TUGame.from_function(31, lambda m: m)
    assert "samples" in str(info.value)


def test_from_function_checks_output_shape():
    with pytest.raises(ValueError, match="one value per mask"):
        TUGame.from_function(3, lambda m: np.zeros(2))


def test_input_is_not_altered(game):
    v = np.arange(8, dtype=float)
    TUGame(v)
    shapley(v)
    np.testing.assert_array_equal(v, np.arange(8.0))


@pytest.mark.parametrize("x, match", [([1, 2], "length 3"), ([1, np.nan, 2], "finite"),
                                      ([[1, 2, 3]], "1-dimensional")])
def test_allocation_checks(game, x, match):
    with pytest.raises(ValueError, match="core_violation\\(\\): x .*" + match):
        core_violation(game, x)
    with pytest.raises(ValueError, match="in_core\\(\\): x"):
        in_core(game, x)


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        ({"samples": -5}, ValueError, "samples must be >= 1"),
        ({"samples": 0}, ValueError, "samples must be >= 1"),
        ({"samples": 2.5}, TypeError, "samples must be an integer"),
        ({"samples": 100, "method": "sobol"}, ValueError, "method must be one of"),
        ({"samples": 101, "method": "antithetic"}, ValueError, "must be even"),
        ({"samples": 5, "method": "stratified"}, ValueError, "samples >= 2\\*n"),
        ({"samples": 100, "seed": -1}, ValueError, "seed must be >= 0"),
        ({"samples": 100, "seed": 2**64}, ValueError, "seed must be < 2\\*\\*64"),
        ({"samples": 100, "device": "tpu"}, ValueError, "device must be"),
    ],
)
def test_sampling_arguments(game, kwargs, exc, match):
    with pytest.raises(exc, match="shapley\\(\\): .*" + match):
        shapley(game, **kwargs)


def test_device_cuda_without_cuda_is_clear(game):
    from accord import _backend

    if _backend.cuda_device_count() > 0:
        pytest.skip("a CUDA device is visible")
    with pytest.raises(RuntimeError, match="device='cuda'"):
        shapley(game, device="cuda")
    with pytest.raises(RuntimeError, match="device='cuda'"):
        banzhaf(game, device="cuda")


def test_sampling_one_player_game_points_to_exact():
    with pytest.raises(ValueError, match="at least 2 players"):
        shapley(TUGame([0.0, 1.0]), samples=10)


def test_voting_game_type_errors():
    with pytest.raises(TypeError, match="quota must be a number"):
        WeightedVotingGame([1, 2], "half")
    with pytest.raises(ValueError, match="at least one player"):
        WeightedVotingGame([], 1)
