"""The ``loadbalance`` experiment kind: runs, the summary after ``accord run`` and the
report."""

from __future__ import annotations

import pytest

from accord.experiments import load, parse_config, report_experiment, run_experiment


def test_runner_kind_runs_and_summarises(tmp_path, capsys):
    text = """
[experiment]
kind = "loadbalance"
name = "lb"
runs = 2
seed = 5
[settings]
n_servers = 4
rounds = 30
[grid]
mode = ["continuous", "bandit"]
"""
    cfg = parse_config(text)
    s = run_experiment(cfg, tmp_path / "res", executor="serial", progress=False)
    assert s.completed == 4
    table = load(tmp_path / "res")
    assert table.num_rows == 4
    assert len(table.column("series_welfare").to_pylist()[0]) == 30
    out = report_experiment(tmp_path / "res", tmp_path / "fig")
    text_out = capsys.readouterr().out
    assert "continuous" in text_out and "bandit" in text_out and "welfare" in text_out
    assert (out / "welfare.png").is_file() and (out / "fairness.png").is_file()
    with pytest.raises(ValueError, match="unknown setting"):
        run_experiment(
            parse_config(text.replace("rounds = 30", "roundz = 30")),
            tmp_path / "bad",
            executor="serial",
            progress=False,
        )
    with pytest.raises(ValueError, match="mode must be one of"):
        run_experiment(
            parse_config(text.replace('"bandit"', '"sarsa"')),
            tmp_path / "bad2",
            executor="serial",
            progress=False,
        )
