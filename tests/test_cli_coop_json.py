"""``accord coop ... --json``: machine-readable results equal to the Python API's."""

import json

import numpy as np
import pytest

from accord.cli import main
from accord.coop import banzhaf, core_violation, least_core, nucleolus, shapley
from accord.coop.io import load_game

EEC = "examples/eec1958.json"


def _run(capsys, *argv):
    assert main(["coop", *argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_shapley_exact_and_sampled(capsys):
    game, names = load_game(EEC)
    out = _run(capsys, "shapley", EEC)
    assert out["players"] == names and out["method"] == "exact"
    np.testing.assert_allclose(out["values"], shapley(game))
    out = _run(capsys, "shapley", EEC, "--samples", "1e3", "--seed", "4")
    est = shapley(game, samples=1000, seed=4)
    np.testing.assert_allclose(out["values"], est.values)
    np.testing.assert_allclose(out["stderr"], est.stderr)
    assert (out["samples"], out["seed"]) == (1000, 4)


def test_banzhaf_nucleolus_least_core(capsys):
    game, _ = load_game(EEC)
    np.testing.assert_allclose(
        _run(capsys, "banzhaf", EEC, "--normalized")["values"], banzhaf(game, normalized=True)
    )
    np.testing.assert_allclose(_run(capsys, "nucleolus", EEC)["values"], nucleolus(game))
    out = _run(capsys, "least-core", EEC)
    assert out["eps"] == pytest.approx(least_core(game).eps)
    assert out["core_nonempty"] is False and "nucleolus" in out["note"]


def test_core(capsys):
    game, names = load_game(EEC)
    x = [0.2, 0.2, 0.2, 0.2, 0.1, 0.1]
    out = _run(capsys, "core", EEC, "--allocation", ",".join(map(str, x)))
    excess, mask = core_violation(game, np.array(x))
    assert out["max_excess"] == pytest.approx(excess) and out["mask"] == mask
    assert out["blocking_coalition"] == [names[i] for i in range(6) if mask >> i & 1]
    assert out["efficient"] is True and out["in_core"] is False
    out = _run(capsys, "core", EEC, "--allocation", "1,1,1,1,1,1")
    assert out["efficient"] is False and out["allocated"] == 6.0 and out["grand_value"] == 1.0
