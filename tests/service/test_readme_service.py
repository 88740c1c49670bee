"""The README's command-line walk-through of the coordination service runs as written:
its shell block, with the replicas as background processes on free ports, ends with the
auction's certificate verified offline."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("coincurve", reason="the 'service' extra is not installed")
pytest.importorskip("chia_rs", reason="the 'service' extra is not installed")

README = Path(__file__).resolve().parents[2] / "README.md"
SECTION = "## Verifiable coordination: `accord.service`"
#: Seconds the whole walk-through may take (about 15 on two cores).
TIMEOUT = 300


def _walkthrough() -> str:
    """The section's shell block that starts a service."""
    text = README.read_text()
    assert SECTION in text
    section = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```bash\n(.*?)```", section, re.S)
    (block,) = [b for b in blocks if "accord service init" in b]
    return block


def _stop_group(pgid: int) -> None:
    """SIGTERM to every process of the walk-through's group, SIGKILL to any left."""
    for sig, wait in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            try:
                os.killpg(pgid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.1)


@pytest.mark.skipif(os.name != "posix", reason="the walk-through is a POSIX shell script")
def test_the_readme_walkthrough_runs_an_auction_and_verifies_it(tmp_path):
    script = _walkthrough()
    assert "--port 7000" in script
    script = script.replace("--port 7000", "--port 0")  # free ports, so tests run side by side
    # `accord` is this interpreter's, whether or not its console script is on the PATH
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "accord").write_text(f'#!/bin/sh\nexec "{sys.executable}" -m accord "$@"\n')
    (bin_dir / "accord").chmod(0o755)
    work = tmp_path / "work"
    work.mkdir()
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    log = tmp_path / "walkthrough.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            ["bash", "-e", "-c", script],
            cwd=work,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # the replicas join its process group
        )
        try:
            proc.wait(TIMEOUT)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the walk-through took over {TIMEOUT} s:\n{log.read_text()}")
        finally:
            _stop_group(proc.pid)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(5)
    printed = log.read_text()
    assert proc.returncode == 0, printed
    assert '"winner": "alice"' in printed and '"price": 9.0' in printed, printed
    assert "verified: 3 of 4 replicas" in printed, printed
    for agent in ("seller", "alice", "bob", "carol"):
        assert (work / f"{agent}.key").stat().st_mode & 0o777 == 0o600
    for agent in ("alice", "bob", "carol"):
        assert (work / f"{agent}.reveal").stat().st_mode & 0o777 == 0o600
    assert (work / "a1.json").exists()
