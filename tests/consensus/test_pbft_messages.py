"""Wire format, authentication and bad input: rejected, counted, never a crash."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.consensus import ProtocolConfig, SimCluster
from accord.consensus.client import Busy
from accord.consensus.messages import (
    COMMIT,
    PREPARE,
    REQUEST,
    Malformed,
    decode,
    encode_payload,
    frame,
    seal,
)


@pytest.fixture
def cluster():
    c = SimCluster(
        ProtocolConfig(n=4, max_request_bytes=1024, max_message_bytes=8192), clients=2, seed=4
    )
    yield c
    c.close()


def test_decode_rejects_malformed_frames():
    for bad in [
        b"",
        b"\x00\x00",
        frame(b"{}", b""),
        frame(b"[1,2]", b""),
        frame(b'["PR",1,0,1]', b""),
        frame(b'["XX",1,2]', b""),
        frame(b'["PR",-1,0,1,"' + b"a" * 64 + b'"]', b""),
        frame(b'["PR",true,0,1,"' + b"a" * 64 + b'"]', b""),
        b"\x00\x00\x10\x00abc",
        frame(b"[" * 3000 + b"]" * 3000, b""),
    ]:
        with pytest.raises(Malformed):
            decode(bad, 1 << 20)
    with pytest.raises(Malformed, match="limit"):
        decode(frame(b"x" * 100, b""), 50)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_replica_survives_arbitrary_bytes(data):
    c = SimCluster(ProtocolConfig(n=4), clients=1, seed=0)
    rep = c.replica(1)
    rep.on_frame(data)
    rep.on_frame(len(data).to_bytes(4, "big") + data)
    rep.flush()
    assert sum(rep.rejected.values()) == 2


def test_forged_replayed_oversize_and_out_of_window_messages_are_counted(cluster):
    c = cluster
    keys, cfg = c.keys, c.cfg
    rep = c.replica(1)
    d = "a" * 64
    # forged: replica 2's key signs a PREPARE that claims replica 3 as sender
    rep.on_frame(seal(keys[2], cfg.auth, 4, [PREPARE, 3, 0, 1, d]))
    # a MAC made for another receiver
    rep.on_frame(seal(keys[2], cfg.auth, 4, [COMMIT, 2, 0, 1, d], dest=3))
    assert rep.rejected["auth"] == 2
    # above the high watermark
    rep.on_frame(seal(keys[2], cfg.auth, 4, [PREPARE, 2, 0, cfg.log_window + 1, d]))
    assert rep.rejected["window"] == 1
    # oversize frame and oversize request
    rep.on_frame(frame(b"[" + b"1," * 5000 + b"1]", b""))
    assert rep.rejected["oversize"] == 1
    cid = c.client_ids[0]
    big = seal(
        keys[cid],
        cfg.auth,
        4,
        [REQUEST, cid, 1, {"op": "set", "key": "k", "value": "x" * 2000}, False],
    )
    rep.on_frame(big)
    assert rep.rejected["oversize"] == 2
    # a request claiming to come from a replica id
    rep.on_frame(seal(keys[2], cfg.auth, 4, [REQUEST, 2, 1, {"op": "noop"}, False]))
    assert rep.rejected["bad-sender"] == 1
    # replay: a valid old PREPARE after its sequence number became stable
    c.submit(cid, [{"op": "noop"}] * (cfg.checkpoint_interval + 2))
    old = seal(keys[2], cfg.auth, 4, [PREPARE, 2, 0, 1, d])
    assert c.run(30.0)
    before = rep.rejected["stale"]
    rep.on_frame(old)
    assert rep.rejected["stale"] == before + 1


def test_replayed_request_executes_once(cluster):
    c = cluster
    cid = c.client_ids[0]
    c.submit(cid, [{"op": "increment", "key": "n"}])
    assert c.run(10.0)
    cl = c.client(cid)
    replay = seal(
        c.keys[cid],
        c.cfg.auth,
        4,
        [REQUEST, cid, cl.timestamp, {"op": "increment", "key": "n"}, False],
    )
    for r in range(4):
        c.replica(r).on_frame(replay)
        c.replica(r).flush()
    c.net.run(c.net.now + 1.0)
    assert all(c.replica(r).state_machine.execute({"op": "get", "key": "n"}) == 1 for r in range(4))


def test_client_rejects_bad_input_before_sending(cluster):
    cl = cluster.client(cluster.client_ids[0])
    with pytest.raises(ValueError, match="validate_op"):
        cl.submit({"op": "explode"})
    with pytest.raises(ValueError, match="read_only"):
        cl.submit({"op": "set", "key": "k", "value": 1}, read_only=True)
    cl.submit({"op": "noop"})
    with pytest.raises(Busy, match="outstanding"):
        cl.submit({"op": "noop"})


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n": 0}, "n must be"),
        ({"checkpoint_interval": 0}, "checkpoint_interval"),
        ({"checkpoint_interval": 64, "log_window": 32}, "log_window"),
        ({"auth": "rsa"}, "auth must be"),
        ({"view_change_timeout": 0}, "view_change_timeout"),
        ({"batch_size": 1.5}, "batch_size"),
        ({"max_request_bytes": 10}, "max_request_bytes"),
    ],
)
def test_protocol_config_validation(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ProtocolConfig(**kwargs)


@pytest.mark.parametrize("n, f, q", [(1, 0, 1), (4, 1, 3), (5, 1, 4), (7, 2, 5), (10, 3, 7)])
def test_quorums_intersect_in_a_correct_replica(n, f, q):
    cfg = ProtocolConfig(n=n)
    assert (cfg.f, cfg.quorum) == (f, q)
    assert 2 * cfg.quorum - n >= f + 1 and cfg.quorum <= n - f


def test_payload_encoding_is_compact_json():
    assert (
        encode_payload([PREPARE, 1, 0, 2, "ab"])
        == json.dumps([PREPARE, 1, 0, 2, "ab"], separators=(",", ":")).encode()
    )
