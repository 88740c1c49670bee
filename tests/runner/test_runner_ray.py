"""The ``ray`` executor against a real local Ray cluster (``ray.init(num_cpus=2)``).

One cluster serves the module; a second driver process connects to it through
``RAY_ADDRESS``, as a user's script connects to an existing cluster, and is killed
mid-experiment to check that the results directory resumes exactly.
"""

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from runner_ray_kinds import register_kinds
from runner_toy import register_toy, table_without_wall, write_config

from accord.runner import RunFailed, load, run_experiment

ray = pytest.importorskip("ray", reason="the 'cluster' extra (Ray) is not installed")

HERE = Path(__file__).resolve().parent
register_toy()
register_kinds()

SLOW = """
[experiment]
kind = "ray-slow"
name = "ray-slow"
runs = 4
seed = 7
[settings]
stages = 6
sleep = {sleep}
[grid]
method = ["a", "b"]
scale = [1.0, 2.0]
[[extra]]
method = "c"
note = ["x", "y"]
"""


@pytest.fixture(scope="module")
def cluster():
    """A local Ray cluster with 2 CPUs and one (declared) GPU; workers import the tests'
    experiment kinds through PYTHONPATH, which the cluster's processes inherit."""
    saved = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(HERE), saved) if p)
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    try:
        ctx = ray.init(
            num_cpus=2,
            num_gpus=1,
            include_dashboard=False,
            log_to_driver=False,
            configure_logging=False,
        )
        yield ctx.address_info["address"]
    finally:
        ray.shutdown()
        if saved is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = saved


def _reference(tmp_path: Path, text: str):
    d = tmp_path / "serial"
    d.mkdir()
    s = run_experiment(write_config(d, text), d / "res", executor="serial", progress=False)
    assert s.completed == 24
    return table_without_wall(load(d / "res"))


def test_results_identical_to_the_serial_executor(cluster, tmp_path):
    text = SLOW.format(sleep=0.0)
    reference = _reference(tmp_path, text)
    s = run_experiment(write_config(tmp_path, text), tmp_path / "res", executor="ray",
                       progress=False)
    assert (s.completed, s.skipped) == (24, 0)
    assert table_without_wall(load(tmp_path / "res")).equals(reference)


def test_a_failed_run_is_reported_by_its_key(cluster, tmp_path):
    from accord.runner import run_seed

    text = SLOW.replace('kind = "ray-slow"', 'kind = "ray-flaky"').replace(
        "sleep = {sleep}", f"fail_seed = {run_seed(7, 2)}"
    )
    with pytest.raises(RunFailed, match=r"run 2 \(seed \d+\) of cell \{.*method='b'.*\} failed: "
                       r"RuntimeError: flaky failure; the \d+ finished runs are kept") as info:
        run_experiment(write_config(tmp_path, text), tmp_path / "res", executor="ray",
                       progress=False)
    assert "\n" not in str(info.value) and "\x1b" not in str(info.value)


def test_gpus_per_run_is_a_ray_resource(cluster, tmp_path):
    text = """
[experiment]
kind = "ray-gpu"
name = "ray-gpu"
runs = 3
seed = 1
[grid]
x = [1, 2]
"""
    s = run_experiment(write_config(tmp_path, text), tmp_path / "res", executor="ray",
                       progress=False, gpus_per_run=0.5)
    assert s.completed == 6
    assert load(tmp_path / "res").column("gpus").to_pylist() == [1] * 6
    s = run_experiment(write_config(tmp_path, text), tmp_path / "res2", executor="ray",
                       progress=False)
    assert load(tmp_path / "res2").column("gpus").to_pylist() == [0] * 6
    with pytest.raises(ValueError, match="gpus_per_run needs executor='ray'"):
        run_experiment(write_config(tmp_path, text), tmp_path / "r3", executor="serial",
                       gpus_per_run=1)
    with pytest.raises(ValueError, match="gpus_per_run must be a positive number"):
        run_experiment(write_config(tmp_path, text), tmp_path / "r3", executor="ray",
                       gpus_per_run=-1)


DRIVER = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, {here!r})
    from runner_ray_kinds import register_kinds
    from runner_toy import register_toy
    from accord.runner import run_experiment
    register_toy(); register_kinds()
    run_experiment({config!r}, {results!r}, executor="ray", progress=False)
    """
)


def test_resume_after_the_driver_is_killed(cluster, tmp_path):
    text = SLOW.format(sleep=0.15)
    reference = _reference(tmp_path, text)
    config = write_config(tmp_path, text)
    results = tmp_path / "res"
    env = dict(os.environ, RAY_ADDRESS=cluster)
    script = DRIVER.format(here=str(HERE), config=str(config), results=str(results))
    log = tmp_path / "driver.log"
    with open(log, "wb") as err, subprocess.Popen(
        [sys.executable, "-c", script], env=env, stdout=subprocess.DEVNULL, stderr=err
    ) as proc:
        deadline = time.monotonic() + 120
        try:
            while time.monotonic() < deadline:  # wait until some, not all, runs are stored
                done = len(list(results.rglob("*.parquet"))) if results.exists() else 0
                if done >= 4 or proc.poll() is not None:
                    break
                time.sleep(0.05)
            assert proc.poll() is None, log.read_text()
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
    s = run_experiment(config, results, executor="ray", progress=False)
    assert s.skipped >= 4 and s.skipped + s.completed == 24 and s.completed > 0
    assert table_without_wall(load(results)).equals(reference)
