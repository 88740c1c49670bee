import json
import os
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest
from runner_toy import CONFIG, register_toy, table_without_wall, write_config

from accord.runner import (
    ExperimentInterrupted,
    ResultStore,
    RunFailed,
    load,
    load_config,
    register,
    run_experiment,
    run_key,
    run_seed,
)

register_toy()
HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The toy config run serially: the table every executor must reproduce."""
    d = tmp_path_factory.mktemp("ref")
    s = run_experiment(write_config(d), d / "res", executor="serial", progress=False)
    assert (s.total, s.skipped, s.completed, s.cells) == (24, 0, 24, 6)
    return table_without_wall(load(d / "res"))


def _logged_keys(log: Path, runs: int = 4, seed: int = 7) -> list[str]:
    by_seed = {run_seed(seed, r): r for r in range(runs)}
    if not log.exists():
        return []
    out = []
    for line in log.read_text().splitlines():
        rec = json.loads(line)
        out.append(run_key("toy", rec["params"], by_seed[rec["seed"]]))
    return out


def _one_row_per_cell(table, cfg):
    keys = [run_key("toy", {c: r[c] for c in cell}, r["run"])
            for r, cell in zip(table.to_pylist(),
                               [t.params for t in cfg.tasks()], strict=True)]
    assert keys == [t.key for t in cfg.tasks()]


def test_reference_values(reference, tmp_path):
    cfg = load_config(write_config(tmp_path))
    assert reference.num_rows == 24
    _one_row_per_cell(reference, cfg)
    rows = reference.to_pylist()
    # common random numbers: the same run draws the same numbers in every cell
    a = np.array(rows[0]["series"])            # method a, scale 1, run 0
    b = np.array(rows[8]["series"])            # method b, scale 1, run 0
    np.testing.assert_allclose(b - 1.0, a)
    assert rows[0]["total"] == pytest.approx(sum(rows[0]["series"]))


def test_process_pool_matches_serial(reference, tmp_path):
    s = run_experiment(write_config(tmp_path), tmp_path / "res", executor="process",
                       workers=2, progress=False)
    assert (s.skipped, s.completed) == (0, 24)
    assert table_without_wall(load(tmp_path / "res")).equals(reference)


def test_fake_ray_matches_serial(reference, tmp_path, monkeypatch):
    """The Ray executor's protocol (remote, wait, get) against an in-process stand-in."""
    calls = {"init": 0, "remote": 0}

    class Ref:
        def __init__(self, value):
            self.value = value

    def remote(**opts):
        assert opts == {"num_cpus": 1, "max_retries": 0}

        def wrap(fn):
            def call(*args):
                calls["remote"] += 1
                return Ref(fn(*args))
            return types.SimpleNamespace(remote=call)
        return wrap

    fake = types.SimpleNamespace(
        is_initialized=lambda: calls["init"] > 0,
        init=lambda: calls.__setitem__("init", 1),
        cluster_resources=lambda: {"CPU": 3.0},
        remote=remote,
        wait=lambda refs, num_returns: (refs[-1:], refs[:-1]),  # newest first: any order works
        get=lambda ref: ref.value,
        cancel=lambda ref, force: None)
    monkeypatch.setitem(sys.modules, "ray", fake)
    s = run_experiment(write_config(tmp_path), tmp_path / "res", executor="ray", progress=False)
    assert s.completed == 24 and calls == {"init": 1, "remote": 24}
    assert table_without_wall(load(tmp_path / "res")).equals(reference)


def test_ray_missing_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(RuntimeError, match=r"executor 'ray' needs Ray.*`pip install ray`"):
        run_experiment(write_config(tmp_path), tmp_path / "res", executor="ray")
    assert not (tmp_path / "res").exists()


def test_ctrl_c_then_resume(reference, tmp_path, monkeypatch):
    cfg_path = write_config(tmp_path)
    cfg = load_config(cfg_path)
    log = tmp_path / "calls.log"
    monkeypatch.setenv("RUNNER_TOY_LOG", str(log))
    monkeypatch.setenv("RUNNER_TOY_STOP_AFTER", "5")
    monkeypatch.setenv("RUNNER_TOY_STOP_HOW", "interrupt")
    with pytest.raises(ExperimentInterrupted, match=r"5 of 24 runs are finished .* run the "
                                                    r"same command again") as info:
        run_experiment(cfg, tmp_path / "res", executor="serial", progress=False)
    assert (info.value.summary.completed, info.value.summary.skipped) == (5, 0)
    store = ResultStore(tmp_path / "res")
    first = store.keys()
    assert first == set(_logged_keys(log)) == {t.key for t in cfg.tasks()[:5]}
    mtimes = {k: store.path(k).stat().st_mtime_ns for k in first}

    monkeypatch.delenv("RUNNER_TOY_STOP_AFTER")
    log.unlink()
    s = run_experiment(cfg, tmp_path / "res", executor="serial", progress=False)
    assert (s.skipped, s.completed) == (5, 19)
    second = _logged_keys(log)
    assert len(second) == len(set(second)) == 19 and not set(second) & first
    assert {k: store.path(k).stat().st_mtime_ns for k in first} == mtimes
    assert table_without_wall(load(tmp_path / "res")).equals(reference)
    # nothing left to do
    s = run_experiment(cfg, tmp_path / "res", executor="serial", progress=False)
    assert (s.skipped, s.completed) == (24, 0)


def _accord(args, env):
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import runner_toy; "
            "runner_toy.register_toy(); from accord.cli import main; "
            "sys.exit(main(sys.argv[2:]))")
    return subprocess.run([sys.executable, "-c", code, str(HERE), *args], env=env,
                          capture_output=True, text=True, timeout=120)


def test_killed_then_resumed_in_subprocess(reference, tmp_path):
    """`accord run` dies mid-run (os._exit, like kill -9); the re-run completes the store."""
    cfg_path = write_config(tmp_path)
    cfg = load_config(cfg_path)
    res = tmp_path / "res"
    log = tmp_path / "calls.log"
    env = {**os.environ, "RUNNER_TOY_LOG": str(log), "RUNNER_TOY_STOP_AFTER": "7",
           "RUNNER_TOY_STOP_HOW": "exit"}
    p = _accord(["run", str(cfg_path), "--results", str(res), "--executor", "serial"], env)
    assert p.returncode == 3, p.stderr
    store = ResultStore(res)
    first = store.keys()
    assert first == set(_logged_keys(log)) and len(first) == 7
    mtimes = {k: store.path(k).stat().st_mtime_ns for k in first}
    half = store.runs_dir / f"{cfg.tasks()[10].key}.parquet.4242.tmp"
    half.write_bytes(b"PAR1 truncated")  # as if killed while writing

    log.unlink()
    del env["RUNNER_TOY_STOP_AFTER"]
    p = _accord(["run", str(cfg_path), "--results", str(res), "--workers", "2",
                 "--no-progress"], env)
    assert p.returncode == 0, p.stderr
    assert "24 runs (6 cells x 4)" in p.stdout and "7 already there, 17 run now" in p.stdout
    assert f"accord report {res}" in p.stdout
    assert not half.exists()
    second = _logged_keys(log)
    assert len(second) == len(set(second)) == 17 and not set(second) & first
    assert {k: store.path(k).stat().st_mtime_ns for k in first} == mtimes
    table = load(res)
    _one_row_per_cell(table, cfg)
    assert table_without_wall(table).equals(reference)


def test_worker_death_and_run_errors(reference, tmp_path, monkeypatch):
    cfg = load_config(write_config(tmp_path))
    log = tmp_path / "calls.log"
    monkeypatch.setenv("RUNNER_TOY_LOG", str(log))
    monkeypatch.setenv("RUNNER_TOY_STOP_AFTER", "3")
    monkeypatch.setenv("RUNNER_TOY_STOP_HOW", "exit")
    with pytest.raises(RunFailed, match=r"a run failed: a worker process ended abruptly .* "
                                        r"finished runs are kept in .* resume"):
        run_experiment(cfg, tmp_path / "res", executor="process", workers=2, progress=False)
    store = ResultStore(tmp_path / "res")
    done = store.keys()
    assert done <= set(_logged_keys(log)) and len(done) <= 3

    monkeypatch.setenv("RUNNER_TOY_STOP_HOW", "error")
    with pytest.raises(RunFailed, match=r"run \d \(seed \d+\) of cell \{stages=6, .*\} failed: "
                                        r"RuntimeError: toy failure") as info:
        run_experiment(cfg, tmp_path / "res", executor="serial", progress=False)
    assert isinstance(info.value.__cause__, RuntimeError)
    monkeypatch.delenv("RUNNER_TOY_STOP_AFTER")
    s = run_experiment(cfg, tmp_path / "res", executor="serial", progress=False)
    assert s.skipped == len(store.keys()) - s.completed
    assert table_without_wall(load(tmp_path / "res")).equals(reference)


def test_bad_return_value_fails_with_context(tmp_path):
    register("toy-bad", run="runner_toy:bad_shape")
    cfg = load_config(write_config(tmp_path, CONFIG.replace('"toy"', '"toy-bad"')))
    with pytest.raises(ValueError, match=r"ResultStore.write\(\) \(kind 'toy-bad', run 0, "
                                         r"params .*\): value 'm' has shape \(2, 2\)"):
        run_experiment(cfg, tmp_path / "res", executor="serial", progress=False)
    assert ResultStore(tmp_path / "res").keys() == set()
