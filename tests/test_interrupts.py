"""Ctrl-C stops long native calls promptly.

Each case runs in a child interpreter whose helper thread sends it SIGINT 0.3 s into
a kernel call that would otherwise run for minutes (or hours); the child reports how
long after the signal ``KeyboardInterrupt`` reached Python.  The kernels poll the
interrupt hook every few milliseconds, so a second is a wide margin.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

#: How long after SIGINT the call must have ended.
LATENCY_S = 1.0

_HARNESS = """
import json, os, signal, threading, time, warnings
import numpy as np
from accord import coop, games
warnings.simplefilter("ignore")
rng = np.random.default_rng(0)
{setup}
fired = []
def fire():
    time.sleep(0.3)
    fired.append(time.perf_counter())
    os.kill(os.getpid(), signal.SIGINT)
threading.Thread(target=fire, daemon=True).start()
start = time.perf_counter()
try:
    {call}
    print(json.dumps({{"outcome": "finished", "seconds": time.perf_counter() - start}}))
except KeyboardInterrupt:
    now = time.perf_counter()
    print(json.dumps({{"outcome": "interrupted", "latency": now - fired[0]}}))
"""

_BIG_RANDOM = "A = rng.random((600, 600)); B = rng.random((600, 600))"

CASES = {
    "vertex_enumeration": (
        "A = rng.random((40, 40)); B = rng.random((40, 40))",
        "list(games.vertex_enumeration(A, B))",
    ),
    "support_enumeration": (
        "A = rng.random((15, 15)); B = rng.random((15, 15))",
        "games.support_enumeration(A, B)",
    ),
    "lemke_howson_all": (_BIG_RANDOM, "games.lemke_howson_all(A, B)"),
    "lemke_howson_batch": (
        "P = rng.random((200, 2, 200, 200))",
        "games.lemke_howson_batch(P)",
    ),
    "correlated_equilibrium_batch": (
        "P = rng.random((400000, 2, 5, 5))",
        "games.correlated_equilibrium_batch(P)",
    ),
    "shapley_shubik_5000_players": (
        "w = rng.integers(1, 21, 5000); g = coop.WeightedVotingGame(w, int(w.sum()) // 2 + 1)",
        "coop.shapley(g)",
    ),
    "sampled_shapley_voting": (
        "w = rng.integers(1, 21, 50); g = coop.WeightedVotingGame(w, int(w.sum()) // 2 + 1)",
        "coop.shapley(g, samples=10**12, seed=0)",
    ),
    "sampled_shapley_dense": (
        "v = rng.random(2**16); v[0] = 0.0; g = coop.TUGame(v)",
        "coop.shapley(g, samples=10**12, seed=0)",
    ),
    "fictitious_play_small": (
        "g = games.rock_paper_scissors()",
        "games.fictitious_play(g, 2**50, record_every=2**50)",
    ),
    "fictitious_play_1000x1000": (
        "A = rng.random((1000, 1000)); B = rng.random((1000, 1000))",
        "games.fictitious_play((A, B), 2**50, record_every=2**50)",
    ),
    "regret_matching": (
        "A = rng.random((200, 200)); B = rng.random((200, 200))",
        "games.regret_matching((A, B), 2**50, seed=0, record_every=2**50)",
    ),
    "replicator_dynamics": (
        "A = rng.random((200, 200)); B = rng.random((200, 200))",
        "games.replicator_dynamics((A, B), 2**50, record_every=2**50)",
    ),
}


def _run_case(setup: str, call: str) -> dict:
    code = _HARNESS.format(setup=setup, call=call)
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("case", sorted(CASES))
def test_ctrl_c_stops_the_kernel(case):
    setup, call = CASES[case]
    report = _run_case(setup, call)
    assert report["outcome"] == "interrupted", report
    assert report["latency"] < LATENCY_S, report


def test_the_process_stays_usable_after_an_interrupt():
    """After KeyboardInterrupt the same kernel answers the next call correctly."""
    setup = (
        "A = rng.random((40, 40)); B = rng.random((40, 40)); small = games.battle_of_the_sexes()"
    )
    call = "list(games.vertex_enumeration(A, B))"
    code = _HARNESS.format(setup=setup, call=call) + (
        "print(json.dumps({'equilibria': len(list(games.vertex_enumeration(small)))}))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    first, second = (json.loads(line) for line in proc.stdout.strip().splitlines()[-2:])
    assert first["outcome"] == "interrupted", first
    assert second == {"equilibria": 3}
