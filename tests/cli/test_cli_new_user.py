"""Game files, number parsing, ``--version`` and help texts of the ``accord`` CLI."""

import argparse
import json
from pathlib import Path

import numpy as np
import pytest

from accord.cli import build_parser, main
from accord.coop.io import load_game

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
TALMUD = str(EXAMPLES / "talmud200.json")


def _write(tmp_path, name, data):
    f = tmp_path / name
    f.write_text(json.dumps(data))
    return f


def test_values_and_weights_together_are_refused(tmp_path):
    f = _write(tmp_path, "g.json", {"values": [0, 1, 1, 3], "weights": [1, 1], "quota": 2})
    with pytest.raises(ValueError, match=r'load_game\(\): .*g\.json has both "values" and'):
        load_game(f)


@pytest.mark.parametrize("players", ["ab", {"a": 1, "b": 2}, [1, 2], ["a", None]])
def test_players_must_be_a_list_of_names(tmp_path, players):
    f = _write(tmp_path, "g.json", {"values": [0, 1, 1, 3], "players": players})
    with pytest.raises(ValueError, match=r'load_game\(\): .*g\.json: "players" must be a list'):
        load_game(f)


def test_duplicate_player_names_are_refused(tmp_path):
    f = _write(tmp_path, "g.json", {"values": [0, 1, 1, 3], "players": ["a", "a"]})
    with pytest.raises(ValueError, match=r"\"players\" must be distinct; 'a' appears twice"):
        load_game(f)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"values": [0, "x", 1, 3]}, "values"),
        ({"values": "0 1 1 3"}, "values"),
        ({"values": [0, True, 1, 3]}, "values"),
        ({"weights": [1, "2"], "quota": 2}, "weights"),
        ({"weights": [1, 2], "quota": "2"}, "quota"),
    ],
)
def test_non_numeric_fields_name_file_and_field(tmp_path, data, field):
    f = _write(tmp_path, "g.json", data)
    with pytest.raises(ValueError, match=rf'load_game\(\): .*g\.json: "{field}" must'):
        load_game(f)


def test_non_numpy_npy_names_the_file(tmp_path):
    f = tmp_path / "bad.npy"
    f.write_text("hello")
    with pytest.raises(ValueError, match=r"load_game\(\): .*bad\.npy is not a NumPy \.npy file"):
        load_game(f)
    g = tmp_path / "obj.npy"
    np.save(g, np.array([0, "a"], dtype=object), allow_pickle=True)
    with pytest.raises(ValueError, match=r"load_game\(\): .*obj\.npy holds pickled"):
        load_game(g)
    h = tmp_path / "str.npy"
    np.save(h, np.array(["0", "1"]))
    with pytest.raises(TypeError, match=r'load_game\(\): .*str\.npy: "table": TUGame\(\)'):
        load_game(h)


def test_directory_is_named_as_such(tmp_path):
    d = tmp_path / "game.json"
    d.mkdir()
    with pytest.raises(ValueError, match=r"load_game\(\): .*game\.json is a directory"):
        load_game(d)


def test_bad_file_is_one_error_line(tmp_path, capsys):
    f = _write(tmp_path, "g.json", {"values": [0, 1, 1, 3], "players": "ab"})
    assert main(["coop", "shapley", str(f)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "g.json" in err and '"players"' in err


def test_leading_minus_allocation_parses(capsys):
    assert main(["coop", "core", TALMUD, "--allocation", "-50,175,75"]) == 0
    out = capsys.readouterr().out
    assert "allocation  -50, 175, 75" in out and "in core     no" in out


@pytest.mark.parametrize(("text", "n"), [("1e3", 1000), ("2000", 2000), ("10_000", 10000)])
def test_samples_in_scientific_notation(capsys, text, n):
    assert main(["coop", "shapley", TALMUD, "--samples", text]) == 0
    assert f"{n} samples" in capsys.readouterr().out


@pytest.mark.parametrize("text", ["1.5", "0", "-3", "abc", "inf"])
def test_bad_samples_are_a_usage_error(capsys, text):
    with pytest.raises(SystemExit) as e:
        main(["coop", "shapley", TALMUD, "--samples", text])
    assert e.value.code == 2
    assert "--samples: must be a whole number" in capsys.readouterr().err


def test_version(capsys):
    import accord

    with pytest.raises(SystemExit) as e:
        main(["--version"])
    assert e.value.code == 0
    assert capsys.readouterr().out.strip() == f"accord {accord.__version__}"


def _parsers(parser: argparse.ArgumentParser, prefix: str = "accord"):
    yield prefix, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _parsers(sub, f"{prefix} {name}")


def test_every_option_has_help():
    missing = []
    for prog, parser in _parsers(build_parser()):
        for action in parser._actions:
            if not (action.help or "").strip() or action.help == argparse.SUPPRESS:
                missing.append(f"{prog}: {action.dest}")
    assert not missing, missing


def test_core_explains_an_efficiency_failure(capsys):
    assert main(["coop", "core", TALMUD, "--allocation", "100,100,100"]) == 0
    out = capsys.readouterr().out
    assert "efficiency  fails: x(N) = 300 but v(N) = 200" in out
    assert "hands out 100 more" in out
    assert main(["coop", "core", TALMUD, "--allocation", "50,50,50"]) == 0
    out = capsys.readouterr().out
    assert "x(N) = 150 but v(N) = 200" in out and "leaves 50 of it unallocated" in out
    assert main(["coop", "core", TALMUD, "--allocation", "50,75,75"]) == 0
    assert "efficiency  holds" in capsys.readouterr().out


def test_least_core_says_its_point_is_one_of_a_set(capsys):
    assert main(["coop", "least-core", TALMUD]) == 0
    out = capsys.readouterr().out
    assert "one point of it" in out and "a set" in out and "accord coop nucleolus" in out


def test_a_path_that_cannot_be_created_is_one_line(tmp_path, capsys):
    pytest.importorskip("pyarrow")
    import accord.experiments  # noqa: F401

    cfg = EXAMPLES / "loadbalance-modes.toml"
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert main(["run", str(cfg), "--results", str(blocker / "sub"), "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("accord: error: ") and "Not a directory" in err


def test_no_integer_option_refuses_scientific_notation():
    ints = []
    for prog, parser in _parsers(build_parser()):
        for action in parser._actions:
            if action.type is int:
                ints.append(f"{prog}: {action.dest}")
    assert not ints, f"use accord.cli._args.whole for {ints}"
    args = build_parser().parse_args(["run", "c.toml", "--workers", "1e1", "--threads", "2"])
    assert (args.workers, args.threads) == (10, 2)
    args = build_parser().parse_args(["pbft", "client", "--config", "c", "--id", "1e6", "head"])
    assert args.id == 1000000


def test_sampling_draws_no_progress_when_stderr_is_not_a_terminal(capsys):
    assert main(["coop", "shapley", str(EXAMPLES / "eec1958.json"), "--samples", "2e5"]) == 0
    assert capsys.readouterr().err == ""
