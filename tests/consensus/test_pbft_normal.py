"""PBFT in the normal case: agreement, execution, batching, checkpoints, reads."""

import pytest
from pbft_checks import assert_safe

from accord.consensus.config import ProtocolConfig
from accord.consensus.messages import PREPREPARE
from accord.consensus.simnet import LinkFaults, SimCluster


def _increments(c, per_client=10, keys=("x", "y")):
    for i, cid in enumerate(c.client_ids):
        c.submit(
            cid, [{"op": "increment", "key": keys[(i + j) % len(keys)]} for j in range(per_client)]
        )


@pytest.mark.parametrize("n", [4, 7])
@pytest.mark.parametrize("auth", ["hmac", "ed25519"])
def test_all_requests_commit_and_states_agree(n, auth):
    cfg = ProtocolConfig(n=n, checkpoint_interval=8, log_window=16, batch_size=4, auth=auth)
    c = SimCluster(cfg, clients=4, seed=n)
    _increments(c)
    assert c.run(60.0)
    c.net.run(c.net.now + 1.0)
    assert_safe(c, range(n))
    states = {c.replica(r).state_machine.digest() for r in range(n)}
    assert len(states) == 1
    sm = c.replica(0).state_machine
    assert sm.execute({"op": "get", "key": "x"}) + sm.execute({"op": "get", "key": "y"}) == 40
    # every replica garbage-collected its log below the last stable checkpoint
    for r in range(n):
        rep = c.replica(r)
        assert rep.low_watermark > 0 and all(s > rep.low_watermark for s in rep.log)
        assert rep.rejected.get("auth", 0) == 0


def test_results_are_those_of_a_sequential_execution():
    cfg = ProtocolConfig(n=4, checkpoint_interval=4, log_window=8, batch_size=3)
    c = SimCluster(cfg, clients=3, seed=5)
    c.submit(
        c.client_ids[0],
        [
            {"op": "set", "key": "k", "value": 1},
            {"op": "compare_and_set", "key": "k", "expected": 1, "new": 2},
            {"op": "append", "record": {"winner": "a"}},
            {"op": "get", "key": "k"},
            {"op": "ledger_head"},
        ],
    )
    c.submit(c.client_ids[1], [{"op": "increment", "key": "n", "amount": 2}] * 5)
    assert c.run(30.0)
    res = [h.result for h in c.history if h.client == c.client_ids[0]]
    assert res[0] is None and res[1] == {"swapped": True, "value": 2}
    assert res[2]["index"] == 0 and res[3] == 2 and res[4]["length"] == 1
    assert [h.result for h in c.history if h.client == c.client_ids[1]] == [2, 4, 6, 8, 10]
    assert_safe(c, range(4))


def test_batching_puts_many_requests_in_one_preprepare():
    cfg = ProtocolConfig(n=4, batch_size=16, pipeline=1)
    c = SimCluster(cfg, clients=32, seed=3)
    sizes = []
    orig = c.net._send

    def spy(src, dest, fr):
        if fr[4:12].startswith(b'["' + PREPREPARE.encode() + b'"'):
            import json

            sizes.append(len(json.loads(fr[4 : 4 + int.from_bytes(fr[:4], "big")])[5]))
        orig(src, dest, fr)

    c.net._send = spy
    _increments(c, per_client=3)
    assert c.run(30.0)
    assert max(sizes) == 16 and c.replica(1).stats["executed_requests"] == 96
    assert c.replica(1).stats["executed_batches"] < 96 / 4


def test_read_only_requests_are_answered_without_ordering():
    cfg = ProtocolConfig(n=4)
    c = SimCluster(cfg, clients=2, seed=9)
    c.submit(c.client_ids[0], [{"op": "set", "key": "a", "value": "v"}, {"op": "get", "key": "a"}])
    assert c.run(10.0)
    assert c.history[-1].result == "v"
    assert c.replica(0).stats["executed_requests"] == 1  # the get was not ordered


def test_lossy_network_with_duplicates_stays_safe_and_live():
    cfg = ProtocolConfig(
        n=4,
        checkpoint_interval=8,
        log_window=16,
        batch_size=4,
        view_change_timeout=0.2,
        client_timeout=0.05,
    )
    c = SimCluster(cfg, clients=3, seed=11, faults=LinkFaults(drop=0.1, duplicate=0.2))
    _increments(c, per_client=15)
    assert c.run(200.0)
    assert_safe(c, range(4))


def test_watermarks_bound_the_log():
    cfg = ProtocolConfig(n=4, checkpoint_interval=4, log_window=8, batch_size=1, pipeline=64)
    c = SimCluster(cfg, clients=20, seed=2)
    _increments(c, per_client=2)
    seen = []
    c.net.run(
        5.0,
        stop=lambda: (
            seen.append(max(c.replica(0).log, default=0) - c.replica(0).low_watermark) or c.idle
        ),
    )
    assert c.idle and max(seen) <= 8
