"""The runner as a new user meets it: error messages, changed configs, incomplete
results, progress output, dict configs and kinds registered in a script."""

import io
import os
import subprocess
import sys
import textwrap

import pytest
from runner_toy import CONFIG, register_toy, write_config

from accord.cli import main
from accord.runner import load, run_experiment
from accord.runner.config import config_from_dict, parse_config

register_toy()


def _run(cfg, res, **kw):
    kw.setdefault("executor", "serial")
    kw.setdefault("progress", False)
    return run_experiment(cfg, res, **kw)


def test_no_doubled_parentheses_in_errors(tmp_path):
    cfg = write_config(tmp_path)
    for kw in ({"executor": "nope"}, {"workers": 0}, {"threads": 0}):
        with pytest.raises(ValueError) as e:
            run_experiment(cfg, tmp_path / "r", **kw)
        assert str(e.value).startswith("run_experiment(): ") and "()()" not in str(e.value)


def test_settings_typo_is_a_settings_problem(tmp_path):
    cfg = write_config(tmp_path, CONFIG.replace("stages = 6", "stagse = 6"))
    with pytest.raises(ValueError) as e:
        _run(cfg, tmp_path / "r")
    msg = str(e.value)
    assert "toy.toml: [settings] stagse is invalid (checked in [grid] cell" in msg
    assert "unknown parameter(s) ['stagse']" in msg
    # a bad [grid] value stays a [grid] problem, a bad [[extra]] value an [[extra]] one
    cfg = write_config(tmp_path, CONFIG.replace('"b"]', '"bogus"]'))
    with pytest.raises(ValueError, match=r"toy\.toml: \[grid\] cell \{.*method='bogus'"):
        _run(cfg, tmp_path / "r")
    cfg = write_config(tmp_path, CONFIG.replace('method = "c"', 'method = "z"'))
    with pytest.raises(ValueError, match=r"toy\.toml: \[\[extra\]\] #1 cell \{.*method='z'"):
        _run(cfg, tmp_path / "r")


def test_changed_config_into_existing_results_is_refused(tmp_path):
    res = tmp_path / "res"
    one = CONFIG.replace("runs = 4", "runs = 1")
    _run(write_config(tmp_path, one), res)
    stored = (res / "experiment.toml").read_text()
    changed = write_config(tmp_path, one.replace("stages = 6", "stages = 7"), "c.toml")
    with pytest.raises(ValueError) as e:
        _run(changed, res)
    msg = str(e.value)
    assert "holds results of another configuration: [settings] stages is 6 in the stored " in msg
    assert "but 7 in" in msg and "Pass another results directory (--results)" in msg
    assert f"accord run {res / 'experiment.toml'} --results {res}" in msg
    assert (res / "experiment.toml").read_text() == stored  # not overwritten
    fewer = write_config(tmp_path, one.replace(', "b"]', "]"), "d.toml")
    with pytest.raises(ValueError, match=r"\[grid\] method is \['a', 'b'\] in the stored config"):
        _run(fewer, res)
    no_extra = write_config(tmp_path, one.split("[[extra]]")[0], "f.toml")
    with pytest.raises(ValueError, match=r"its cell \{.*'note': 'x'\} is not a cell of .*f\.toml"):
        _run(no_extra, res)
    # more runs, more cells, or only comments and the name changed: the store grows
    more = CONFIG.replace('["a", "b"]', '["a", "b", "c"]').replace("toy-test", "other")
    s = _run(write_config(tmp_path, more + "# a comment\n", "e.toml"), res)
    assert s.skipped == 6 and s.total == 8 * 4  # 2 new [grid] cells
    assert load(res).num_rows == 32
    with pytest.raises(ValueError, match=r"runs = 4 in the stored config but 1 in"):
        _run(write_config(tmp_path, one, "g.toml"), res)


def test_report_says_when_results_are_incomplete(tmp_path, capsys, monkeypatch):
    cfg = write_config(tmp_path)
    res = tmp_path / "res"
    monkeypatch.setenv("RUNNER_TOY_LOG", str(tmp_path / "log"))
    monkeypatch.setenv("RUNNER_TOY_STOP_AFTER", "5")
    monkeypatch.setenv("RUNNER_TOY_STOP_HOW", "interrupt")
    assert main(["run", str(cfg), "--results", str(res), "--executor", "serial"]) == 130
    capsys.readouterr()
    assert main(["report", str(res)]) == 0
    err = capsys.readouterr().err
    assert f"{res} is incomplete: 5 of 24 runs" in err and "--results" in err
    monkeypatch.delenv("RUNNER_TOY_STOP_AFTER")
    assert main(["run", str(cfg), "--results", str(res), "--executor", "serial"]) == 0
    capsys.readouterr()
    assert main(["report", str(res)]) == 0
    assert "incomplete" not in capsys.readouterr().err


class _Stream(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


@pytest.mark.parametrize("tty", [False, True])
def test_progress_only_on_a_terminal(tmp_path, monkeypatch, tty):
    err = _Stream(tty)
    monkeypatch.setattr(sys, "stderr", err)
    run_experiment(write_config(tmp_path), tmp_path / "r", executor="serial")
    assert ("24/24" in err.getvalue()) is tty
    if not tty:
        assert err.getvalue() == ""


def test_run_experiment_accepts_a_dict(tmp_path):
    doc = {
        "experiment": {"kind": "toy", "runs": 2, "seed": 7},
        "settings": {"stages": 3},
        "grid": {"method": ["a", "b"]},
        "extra": [{"method": "c", "note": ["x", "y"]}],
    }
    s = _run(doc, tmp_path / "r")
    assert s.total == 8 and s.completed == 8
    stored = parse_config((tmp_path / "r" / "experiment.toml").read_text())
    assert stored.cells() == config_from_dict(doc).cells()
    assert config_from_dict(doc).name == "toy"
    with pytest.raises(TypeError, match=r"run_experiment\(\): config must be an Experiment"):
        _run(42, tmp_path / "r2")
    with pytest.raises(ValueError, match=r"\[settings\] stages must be a string, number"):
        _run({**doc, "settings": {"stages": {"a": 1}}}, tmp_path / "r3")
    with pytest.raises(ValueError, match=r"unknown table 'setings'"):
        _run({**doc, "setings": {}}, tmp_path / "r4")


KIND_MODULE = """
import numpy as np


def run(params, seed):
    return {"x": float(np.random.default_rng(seed).random()) + params["shift"]}


def report(table, out_dir):
    print(f"script kind report: {table.num_rows} rows")
    (out_dir / "n.txt").write_text(str(table.num_rows))
"""


def test_a_kind_registered_in_python_can_be_reported(tmp_path, monkeypatch):
    from accord.runner import register

    mod_dir = tmp_path / "mine"
    mod_dir.mkdir()
    (mod_dir / "script_kind_mod.py").write_text(textwrap.dedent(KIND_MODULE))
    monkeypatch.syspath_prepend(str(mod_dir))
    register("script-kind", run="script_kind_mod:run", report="script_kind_mod:report")
    text = '[experiment]\nkind = "script-kind"\nruns = 3\nseed = 1\n[settings]\nshift = 1\n'
    res = tmp_path / "res"
    _run(write_config(tmp_path, text, "script.toml"), res)
    # another process, elsewhere, that has never heard of the kind or its module
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    out = subprocess.run(
        [sys.executable, "-m", "accord", "report", str(res)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert "script kind report: 3 rows" in out.stdout
    assert (res / "report" / "n.txt").read_text() == "3"


def test_report_with_an_unreadable_config_still_reports(tmp_path, capsys):
    res = tmp_path / "res"
    _run(write_config(tmp_path), res)
    (res / "experiment.toml").write_text("[experiment\n")
    assert main(["report", str(res)]) == 0
    assert "toy report: 24 rows" in capsys.readouterr().out
