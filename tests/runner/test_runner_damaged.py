"""Damaged result files, pandas output and killed drivers."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from runner_toy import register_toy, table_without_wall, write_config

from accord.runner import CorruptResultWarning, ResultStore, load, load_config, run_experiment

register_toy()
HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    """A finished toy store and its table (without wall times)."""
    d = tmp_path_factory.mktemp("clean")
    run_experiment(write_config(d), d / "res", executor="serial", progress=False)
    return d / "res", table_without_wall(load(d / "res"))


def _copy(src: Path, dst: Path) -> ResultStore:
    import shutil

    shutil.copytree(src, dst)
    return ResultStore(dst)


def _truncate(p: Path) -> None:
    data = p.read_bytes()
    p.write_bytes(data[: len(data) // 2])


def _garbage(p: Path) -> None:
    p.write_bytes(os.urandom(p.stat().st_size))


@pytest.mark.parametrize("damage", [_truncate, _garbage])
def test_load_skips_and_quarantines_a_damaged_file(clean, tmp_path, damage):
    store = _copy(clean[0], tmp_path / "res")
    cfg = load_config(store.config_path)
    bad = store.path(cfg.tasks()[5].key)
    damage(bad)
    with pytest.warns(CorruptResultWarning, match=bad.name) as rec:
        table = load(store.root)
    assert len(rec) == 1
    assert table.num_rows == 23
    assert not bad.exists()
    assert (store.root / "quarantine" / bad.name).is_file()
    assert cfg.tasks()[5].key not in store.keys()
    # the other rows are exactly the clean ones
    expected = clean[1].filter([i != 5 for i in range(24)])
    assert table_without_wall(table).equals(expected)
    # a second load has nothing left to complain about
    assert load(store.root).num_rows == 23


@pytest.mark.parametrize("damage", [_truncate, _garbage])
def test_resume_reruns_exactly_the_damaged_run(clean, tmp_path, damage):
    store = _copy(clean[0], tmp_path / "res")
    cfg = load_config(store.config_path)
    key = cfg.tasks()[9].key
    damage(store.path(key))
    log = tmp_path / "calls.log"
    os.environ["RUNNER_TOY_LOG"] = str(log)
    try:
        with pytest.warns(CorruptResultWarning, match=key):
            s = run_experiment(cfg, store.root, executor="serial", progress=False)
    finally:
        del os.environ["RUNNER_TOY_LOG"]
    assert (s.skipped, s.completed) == (23, 1)
    calls = [json.loads(line) for line in log.read_text().splitlines()]
    assert [(c["params"], c["seed"]) for c in calls] == [
        (cfg.tasks()[9].params, cfg.tasks()[9].seed)
    ]
    assert (store.root / "quarantine" / f"{key}.parquet").is_file()
    assert table_without_wall(load(store.root)).equals(clean[1])


def _accord(args):
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import runner_toy; "
            "runner_toy.register_toy(); from accord.cli import main; "
            "sys.exit(main(sys.argv[2:]))")
    return subprocess.run([sys.executable, "-c", code, str(HERE), *args],
                          capture_output=True, text=True, timeout=120)


def test_report_succeeds_with_a_note(clean, tmp_path):
    store = _copy(clean[0], tmp_path / "res")
    cfg = load_config(store.config_path)
    bad = store.path(cfg.tasks()[0].key)
    _garbage(bad)
    p = _accord(["report", str(store.root)])
    assert p.returncode == 0, p.stderr
    assert bad.name in p.stderr and "quarantine" in p.stderr
    assert "23 of 24 runs" in p.stderr
    assert (store.root / "report" / "toy.txt").read_text() == "23"


def test_load_as_pandas(clean):
    pd = pytest.importorskip("pandas")
    df = load(clean[0], format="pandas")
    assert isinstance(df, pd.DataFrame)
    assert list(df.columns) == load(clean[0]).column_names and len(df) == 24


def test_load_as_pandas_without_pandas_is_a_clear_error(clean, monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)  # `import pandas` raises ImportError
    with pytest.raises(ImportError, match=r"load\(\): format='pandas' needs pandas"):
        load(clean[0], format="pandas")


def test_load_format_is_checked(clean):
    with pytest.raises(ValueError, match=r"load\(\): format must be one of 'arrow', 'pandas'"):
        load(clean[0], format="polars")


_SLOW_KIND = """
import os
import pathlib
import time

def run(params, seed):
    (pathlib.Path(__file__).parent / "pids" / str(os.getpid())).touch()
    time.sleep(0.1)
    return {"x": float(params["n"])}
"""

_DRIVER = """
import sys
import time
sys.path.insert(0, sys.argv[1])
from accord.runner import register, run_experiment
register("slow", run="slowkind:run")
if __name__ == "__main__":
    cfg = {"experiment": {"kind": "slow", "name": "slow", "runs": 200, "seed": 1},
           "grid": {"n": [1, 2]}}
    run_experiment(cfg, sys.argv[2], executor="process", workers=2, progress=False)
"""


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX semaphores and SIGKILL")
def test_kill_9_of_a_process_pool_run_leaks_no_semaphores(tmp_path):
    """The resource tracker outlives a killed driver and reports semaphores it still
    has registered; the workers release the pool's semaphores before they follow the
    driver, so it has nothing to report."""
    (tmp_path / "slowkind.py").write_text(_SLOW_KIND)
    (tmp_path / "driver.py").write_text(_DRIVER)
    res = tmp_path / "res"
    (tmp_path / "pids").mkdir()
    p = subprocess.Popen([sys.executable, str(tmp_path / "driver.py"), str(tmp_path), str(res)],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        # both workers have started (a worker still starting when the driver dies may
        # find the semaphores released by its sibling), and results are being written
        while len(os.listdir(tmp_path / "pids")) < 2 or len(os.listdir(res / "runs")) < 4:
            assert p.poll() is None and time.monotonic() < deadline, p.stderr.read()
            time.sleep(0.05)
        os.kill(p.pid, signal.SIGKILL)
        # stderr ends when the driver, its workers and the resource tracker are all gone
        _, err = p.communicate(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
    assert p.returncode == -signal.SIGKILL
    assert "leaked semaphore" not in err, err
    assert err == "", err
