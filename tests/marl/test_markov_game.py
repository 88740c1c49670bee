"""MarkovGame: validation, reward structures and stage games."""

from __future__ import annotations

import numpy as np
import pytest

import accord.games as G
from accord.marl import MarkovGame


def _random_game(rng, S=4, ks=(2, 3), n_players=None):
    n = len(ks) if n_players is None else n_players
    P = rng.random((S, *ks, S))
    P /= P.sum(axis=-1, keepdims=True)
    R = rng.normal(size=(n, S, *ks))
    return P, R


def test_construction_owns_read_only_copies():
    rng = np.random.default_rng(0)
    P, R = _random_game(rng)
    g = MarkovGame(P, R, 0.9)
    assert (g.num_states, g.num_players, g.num_actions) == (4, 2, (2, 3))
    P[0, 0, 0, 0] = 5.0
    R[0, 0, 0, 0] = np.nan
    assert np.isfinite(g.rewards).all() and g.transitions.max() <= 1.0
    with pytest.raises(ValueError):
        g.rewards[0, 0, 0, 0] = 1.0
    np.testing.assert_array_equal(g.initial, [1.0, 0.0, 0.0, 0.0])


def test_repeated_game_has_one_self_looping_state():
    g = MarkovGame.repeated(G.prisoners_dilemma(), 0.5)
    assert g.num_states == 1 and g.transitions.shape == (1, 2, 2, 1)
    np.testing.assert_array_equal(g.rewards[:, 0], G.prisoners_dilemma().payoffs)
    assert g.reward_structure == "mixed"
    assert MarkovGame.repeated(G.matching_pennies(), 0.5).reward_structure == "competitive"
    assert MarkovGame.repeated(G.climbing_game(), 0.5).reward_structure == "cooperative"


def test_reward_structures():
    rng = np.random.default_rng(1)
    P, R = _random_game(rng, ks=(2, 2, 2))
    coop = MarkovGame.cooperative(P, R[0], 0.9)
    assert coop.num_players == 3 and coop.is_cooperative()
    comp = MarkovGame.competitive(P[:, :, :, 0], R[0, :, :, :, 0], 0.9)
    assert comp.is_zero_sum() and comp.reward_structure == "competitive"
    g = MarkovGame(P, R, 0.9)
    np.testing.assert_allclose(g.mixed(1.0).rewards, g.rewards)
    np.testing.assert_allclose(g.mixed(0.0).rewards, np.broadcast_to(R.mean(0), R.shape))
    half = g.mixed(0.25).rewards
    np.testing.assert_allclose(half, 0.25 * R + 0.75 * R.mean(0))
    # the team mean is unchanged by mixing
    np.testing.assert_allclose(half.mean(0), R.mean(0))


def test_stage_payoffs_against_a_loop():
    rng = np.random.default_rng(2)
    P, R = _random_game(rng, S=3, ks=(2, 3))
    term = np.array([False, False, True])
    P[2] = 0.0  # terminal rows are not read
    g = MarkovGame(P, R, 0.8, terminal=term)
    V = rng.normal(size=(2, 3))
    Q = g.stage_payoffs(V)
    for s in range(3):
        for i in range(2):
            for a in range(2):
                for b in range(3):
                    cont = sum(
                        g.transitions[s, a, b, t] * (0 if term[t] else V[i, t]) for t in range(3)
                    )
                    assert Q[s, i, a, b] == pytest.approx(R[i, s, a, b] + 0.8 * cont)


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        ({"transitions": np.ones((2, 2, 2))}, ValueError, r"transitions\[0, 0, :\] sums to 2"),
        ({"transitions": np.full((2, 2, 3), 1 / 3)}, ValueError, "shape"),
        ({"rewards": np.zeros((2, 2, 2))}, ValueError, r"rewards must have shape"),
        ({"rewards": np.full((1, 2, 2), np.nan)}, ValueError, "rewards must be finite"),
        ({"discount": 1.0}, ValueError, r"discount must be in \[0, 1\)"),
        ({"discount": "x"}, TypeError, "discount"),
        ({"terminal": [0, 1]}, TypeError, "terminal must be a bool array"),
        ({"terminal": np.array([True, True])}, ValueError, "every state"),
        ({"terminal": np.array([True, False])}, ValueError, "initial gives probability"),
        ({"initial": [0.5, 0.6]}, ValueError, "initial must sum to 1"),
        ({"transitions": "abc"}, TypeError, "transitions"),
        ({"transitions": np.array([[[1.0, 0.0], [-0.5, 1.5]]] * 2)}, ValueError, ">= 0"),
    ],
)
def test_bad_input_is_refused_by_name(kwargs, exc, match):
    args = {
        "transitions": np.full((2, 2, 2), 0.5),
        "rewards": np.zeros((1, 2, 2)),
        "discount": 0.9,
    }
    args.update(kwargs)
    with pytest.raises(exc, match=match) as info:
        MarkovGame(args.pop("transitions"), args.pop("rewards"), args.pop("discount"), **args)
    assert str(info.value).startswith("MarkovGame(): ")
