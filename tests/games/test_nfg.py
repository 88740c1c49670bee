"""Gambit's .nfg format: both versions read to the same game, and writing round-trips."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.games import NormalFormGame, format_nfg, parse_nfg, read_nfg, write_nfg

# Selten (1975), Figure 2, as Gambit's documentation gives it in both versions.
PAYOFF_VERSION = """NFG 1 R "Selten (IJGT, 75), Figure 2, normal form"
{ "Player 1" "Player 2" } { 3 2 }
""

1 1 0 2 0 2 1 1 0 3 2 0
"""

OUTCOME_VERSION = """NFG 1 R "Selten (IJGT, 75), Figure 2, normal form" { "Player 1" "Player 2" }

{
{ "1" "2" "3" }
{ "1" "2" }
}

{
{ "" 1, 1 }
{ "" 0, 2 }
{ "" 0, 2 }
{ "" 1, 1 }
{ "" 0, 3 }
{ "" 2, 0 }
}
1 2 3 4 5 6
"""

# profiles in file order (first player fastest) and their payoffs
SELTEN = {
    (0, 0): (1, 1),
    (1, 0): (0, 2),
    (2, 0): (0, 2),
    (0, 1): (1, 1),
    (1, 1): (0, 3),
    (2, 1): (2, 0),
}


@pytest.mark.parametrize("text", [PAYOFF_VERSION, OUTCOME_VERSION], ids=["payoff", "outcome"])
def test_reads_the_documented_example(text):
    nfg = parse_nfg(text)
    assert nfg.title == "Selten (IJGT, 75), Figure 2, normal form"
    assert nfg.players == ("Player 1", "Player 2")
    assert nfg.strategies == (("1", "2", "3"), ("1", "2"))
    p = nfg.game.payoffs
    assert p.shape == (2, 3, 2)
    for (r, c), (u1, u2) in SELTEN.items():
        assert (p[0, r, c], p[1, r, c]) == (u1, u2)


def test_three_players_first_player_fastest():
    # payoff of each player = the profile's position in the file
    text = 'NFG 1 R "" { "a" "b" "c" } { 2 2 2 }\n' + " ".join(
        f"{k} {k} {k}" for k in range(8)
    )
    p = parse_nfg(text).game.payoffs
    for k in range(8):
        a, b, c = k & 1, (k >> 1) & 1, (k >> 2) & 1
        assert p[0, a, b, c] == p[2, a, b, c] == k


def test_null_outcome_rationals_and_escapes():
    text = r"""NFG 1 R "say \"hi\"" { "P1" "P2" } { { "x" "y" } { "z" } } "c"
    { { "o" 1/2, -3/4 } { "p" 1e2 2.5 } } 1 0"""
    nfg = parse_nfg(text)
    assert nfg.title == 'say "hi"' and nfg.comment == "c"
    assert nfg.strategies == (("x", "y"), ("z",))
    np.testing.assert_array_equal(nfg.game.payoffs[:, :, 0], [[0.5, 0.0], [-0.75, 0.0]])
    assert nfg.outcome_labels == ("o", "p")


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("EFG 2 R", "expected 'NFG'"),
        ('NFG 1 R "t" { "a" } { 2 } 1', r"payoff number 2.*ends first"),
        ('NFG 1 R "t" { "a" } { 2 } 1 2 3', "expected the end of the file"),
        ('NFG 1 R "t" { "a" } { 2 } 1 nan', "finite payoff"),
        ('NFG 1 R "t" { "a" } { 2 } 1 x', "integer, decimal or p/q"),
        ('NFG 1 R "t" { "a" } { 2 } { { "" 1 } } 1 2', "names outcome 2, but only 1"),
        ('NFG 1 R "t" { "a" } { 0 }', "at least one strategy"),
        ('NFG 1 R "t" { } { }', "at least one player"),
        ('NFG 1 R "t { "a" } { 2 } 1 2', "unterminated string|expected"),
        ('NFG 1 R "t" { "a" "b" } { 100000 100000 }', "pure profiles"),
    ],
)
def test_malformed_files_are_clear_errors(text, match):
    with pytest.raises(ValueError, match=match):
        parse_nfg(text)


def test_read_names_the_file(tmp_path):
    path = tmp_path / "bad.nfg"
    path.write_text("NFG 1 R")
    with pytest.raises(ValueError, match="bad.nfg"):
        read_nfg(path)
    with pytest.raises(ValueError, match="cannot read"):
        read_nfg(tmp_path / "missing.nfg")


payoff_games = st.integers(1, 3).flatmap(
    lambda n: st.tuples(*[st.integers(1, 3)] * n).flatmap(
        lambda ks: st.lists(
            st.one_of(
                st.integers(-(10**6), 10**6).map(float),
                st.floats(-1e300, 1e300, allow_nan=False, allow_infinity=False),
            ),
            min_size=len(ks) * int(np.prod(ks)),
            max_size=len(ks) * int(np.prod(ks)),
        ).map(lambda xs, ks=ks: np.array(xs).reshape((len(ks), *ks)))
    )
)


@settings(max_examples=60, deadline=None)
@given(payoff_games, st.sampled_from(["payoff", "outcome"]))
def test_round_trip_is_exact(payoffs, version):
    text = format_nfg(payoffs, title="g", version=version, comment='a "c"')
    back = parse_nfg(text)
    np.testing.assert_array_equal(back.game.payoffs, payoffs)
    assert back.title == "g" and back.comment == 'a "c"'


def test_write_and_read_with_labels(tmp_path):
    game = NormalFormGame(np.arange(12.0).reshape(2, 2, 3))
    path = tmp_path / "g.nfg"
    write_nfg(path, game, players=["row", "col"], strategies=[["u", "d"], ["l", "m", "r"]])
    back = read_nfg(path)
    assert back.players == ("row", "col")
    assert back.strategies == (("u", "d"), ("l", "m", "r"))
    np.testing.assert_array_equal(back.game.payoffs, game.payoffs)


def test_write_rejects_bad_options():
    game = NormalFormGame(np.zeros((2, 2, 2)))
    with pytest.raises(ValueError, match="version must be"):
        format_nfg(game, version="xml")
    with pytest.raises(ValueError, match="one label per player"):
        format_nfg(game, players=["only one"])
    with pytest.raises(ValueError, match="labels per player"):
        format_nfg(game, strategies=[["a"], ["b", "c"]])
    with pytest.raises(ValueError, match="single game"):
        format_nfg(NormalFormGame(np.zeros((3, 2, 2, 2)), batch=True))
