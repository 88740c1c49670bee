import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from accord.cli import main

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def test_shapley_example(capsys):
    assert main(["coop", "shapley", str(EXAMPLES / "eec1958.json")]) == 0
    out = capsys.readouterr().out
    assert "France" in out and "0.233333" in out and "0.15" in out
    assert "time:" in out


def test_sampled_shapley_prints_stderr(capsys, tmp_path):
    v = np.arange(16, dtype=float)
    np.save(tmp_path / "g.npy", v)
    assert main(["coop", "shapley", str(tmp_path / "g.npy"), "--samples", "2000", "--seed",
                 "3", "--method", "antithetic"]) == 0
    out = capsys.readouterr().out
    assert "stderr" in out and "2000 samples" in out


def test_banzhaf_core_nucleolus(capsys):
    f = str(EXAMPLES / "talmud200.json")
    assert main(["coop", "banzhaf", f, "--normalized"]) == 0
    assert main(["coop", "core", f, "--allocation", "50,75,75"]) == 0
    out = capsys.readouterr().out
    assert "in core     yes" in out
    assert main(["coop", "nucleolus", f]) == 0
    out = capsys.readouterr().out
    assert "50" in out and "75" in out


def test_bad_files_give_errors(capsys, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"n": 2, "values": [0, 1, 2]}))
    assert main(["coop", "shapley", str(bad)]) == 2
    assert "length 2**n" in capsys.readouterr().err
    other = tmp_path / "x.json"
    other.write_text(json.dumps({"foo": 1}))
    assert main(["coop", "shapley", str(other)]) == 2
    assert "needs either" in capsys.readouterr().err
    assert main(["coop", "shapley", str(tmp_path / "missing.json")]) == 2
    assert main(["coop", "core", str(EXAMPLES / "talmud200.json"), "--allocation", "1,2"]) == 2
    assert "length 3" in capsys.readouterr().err


def test_console_script_info():
    out = subprocess.run([sys.executable, "-m", "accord", "info"], capture_output=True, text=True,
                         check=True).stdout
    assert "openmp" in out and "cuda module" in out


@pytest.mark.parametrize("n", [2, 3])
def test_info_and_threads(n):
    import accord

    accord.set_num_threads(n)
    assert accord.info()["threads"] == n
    accord.set_num_threads(2)
    with pytest.raises(ValueError, match="set_num_threads\\(\\): n must be >= 1"):
        accord.set_num_threads(0)
