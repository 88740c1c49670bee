"""``accord games nash``: equilibria of .nfg and .npy files, text and JSON output."""

import json

import numpy as np
import pytest

from accord.cli import main
from accord.games import DegenerateGameWarning, matching_pennies, write_nfg

SELTEN = "examples/selten1975.nfg"


def _json(capsys, argv):
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_vertex_finds_both_extreme_equilibria(capsys):
    out = _json(capsys, ["games", "nash", SELTEN, "--json"])
    assert out["players"] == ["Player 1", "Player 2"]
    eqs = sorted(tuple(e["strategies"][1]) for e in out["equilibria"])
    assert eqs == [pytest.approx((0.5, 0.5)), pytest.approx((1.0, 0.0))]
    assert all(e["payoffs"] == pytest.approx([1.0, 1.0]) for e in out["equilibria"])
    assert all(e["strategies"][0] == [1.0, 0.0, 0.0] for e in out["equilibria"])


@pytest.mark.parametrize("method", ["lemke-howson", "pure"])
def test_every_method_returns_equilibria(capsys, method):
    out = _json(capsys, ["games", "nash", SELTEN, "--method", method, "--json"])
    assert out["method"] == method and out["equilibria"]
    for e in out["equilibria"]:
        assert e["payoffs"] == pytest.approx([1.0, 1.0])


def test_support_enumeration_warns_on_a_degenerate_game(capsys):
    with pytest.warns(DegenerateGameWarning, match="use vertex_enumeration"):
        out = _json(capsys, ["games", "nash", SELTEN, "--method", "support", "--json"])
    assert out["equilibria"]


def test_correlated_equilibrium_of_matching_pennies(tmp_path, capsys):
    path = tmp_path / "mp.nfg"
    write_nfg(
        path, matching_pennies(), players=["even", "odd"], strategies=[["H", "T"], ["H", "T"]]
    )
    out = _json(capsys, ["games", "nash", str(path), "--method", "ce", "--json"])
    probs = {tuple(r["profile"]): r["p"] for r in out["distribution"]}
    assert probs == pytest.approx({(a, b): 0.25 for a in "HT" for b in "HT"})
    assert out["payoffs"] == pytest.approx([0.0, 0.0], abs=1e-9)


def test_text_output_and_npy_input(tmp_path, capsys):
    path = tmp_path / "mp.npy"
    np.save(path, matching_pennies().payoffs)
    assert main(["games", "nash", str(path)]) == 0
    text = capsys.readouterr().out
    assert "Nash equilibria (vertex) of mp.npy: 1" in text
    assert "P(1) = 0.5, P(2) = 0.5" in text


def test_three_players_need_pure_or_ce(tmp_path, capsys):
    path = tmp_path / "g3.npy"
    np.save(path, np.zeros((3, 2, 2, 2)))
    assert main(["games", "nash", str(path)]) == 2
    assert "needs a two-player game" in capsys.readouterr().err
    out = _json(capsys, ["games", "nash", str(path), "--method", "pure", "--json"])
    assert len(out["equilibria"]) == 8


def test_bad_files_are_one_line_errors(tmp_path, capsys):
    bad = tmp_path / "bad.nfg"
    bad.write_text('NFG 1 R "t" { "a" } { 2 } 1')
    assert main(["games", "nash", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("accord: error:") and "bad.nfg" in err and len(err.splitlines()) == 1
    junk = tmp_path / "junk.npy"
    junk.write_bytes(b"not numpy")
    assert main(["games", "nash", str(junk)]) == 2
    assert "not a NumPy .npy payoff array" in capsys.readouterr().err
