"""The PBFT rule modules on their own: plain data in, decisions out (no network)."""

from functools import partial

import pytest

from accord.consensus import checkpoints, view_change
from accord.consensus.checkpoints import CheckpointVotes, StableCheckpoint
from accord.consensus.config import ProtocolConfig
from accord.consensus.crypto import CLIENT_BASE, cluster_identities, keyrings
from accord.consensus.message_log import LogEntry
from accord.consensus.messages import (
    NULL_DIGEST,
    PREPARE,
    PREPREPARE,
    REQUEST,
    VIEWCHANGE,
    authentic,
    batch_digest,
    decode,
    pack,
    request_digest,
    seal,
    unpack,
)
from accord.consensus.simnet import SimCluster
from accord.consensus.statemachine import KVStore
from accord.consensus.storage import entry_record, read_entry_record
from accord.consensus.tcp.framing import FrameReader, decode_hello, encode_frame, encode_hello
from accord.consensus.view_change import Proposal, VerifiedViewChange

CFG = ProtocolConfig(n=4, checkpoint_interval=4, log_window=8, auth="ed25519")


def _view_change(sender, checkpoint_seq, prepared):
    checkpoint = StableCheckpoint(checkpoint_seq, "c" * 64, [])
    return VerifiedViewChange(sender, 1, checkpoint, prepared, b"")


def test_new_view_reproposes_the_highest_view_certificate_and_fills_gaps():
    a = Proposal(0, "a" * 64, ["x"])
    b = Proposal(2, "b" * 64, ["y"])
    c = Proposal(1, "d" * 64, ["z"])
    view_changes = [
        _view_change(0, 4, {5: a, 8: c}),
        _view_change(1, 4, {5: b}),
        _view_change(2, 0, {3: a}),  # below the latest stable checkpoint: ignored
    ]
    latest, proposals = view_change.new_view_proposals(view_changes)
    assert latest is view_changes[0]  # the first with the latest checkpoint (min-s = 4)
    assert proposals == [
        (5, b.digest, b.batch),  # view 2 beats view 0
        (6, NULL_DIGEST, []),
        (7, NULL_DIGEST, []),
        (8, c.digest, c.batch),
    ]
    _, none = view_change.new_view_proposals([_view_change(0, 4, {})])
    assert none == []


def test_join_a_view_change_once_f_plus_one_others_ask():
    assert view_change.view_to_join({0: 3, 1: 5}, replica_id=0, view=1, f=1) is None
    assert view_change.view_to_join({0: 3, 1: 5, 2: 4}, replica_id=0, view=1, f=1) == 4
    assert view_change.view_to_join({1: 5, 2: 1}, replica_id=0, view=1, f=1) is None


def test_new_view_chooses_the_primary_and_the_lowest_other_ids():
    received = {r: _view_change(r, 0, {}) for r in (3, 0, 2, 1)}
    chosen = view_change.choose_view_changes(received, primary=2, quorum=3)
    assert [vc.sender for vc in chosen] == [2, 0, 1]


def test_checkpoint_votes_become_a_proof_at_a_quorum():
    votes = CheckpointVotes()
    assert votes.add(4, 2, "d" * 64, b"2") is None
    assert votes.add(4, 2, "d" * 64, b"2") == "duplicate"
    assert votes.add(4, 2, "e" * 64, b"2'") == "equivocation"
    assert votes.add(4, 0, "d" * 64, b"0") is None
    assert votes.add(4, 1, "e" * 64, b"1") is None
    assert votes.proof(4, "d" * 64, quorum=3) is None
    assert votes.add(4, 3, "d" * 64, b"3") is None
    assert votes.proof(4, "d" * 64, quorum=3) == [b"0", b"2", b"3"]
    votes.add(8, 0, "d" * 64, b"0")
    votes.discard_through(4)
    assert list(votes.by_seq) == [8]


@pytest.mark.parametrize(
    "seq, refused, window",
    [
        (4, "stale", "stale"),
        (5, "window", None),
        (12, None, None),
        (13, "window", "window"),
        (36, None, "window"),
        (40, "window", "window"),
    ],
)
def test_watermarks(seq, refused, window):
    assert checkpoints.checkpoint_refused(seq, 4, CFG) == refused
    assert checkpoints.outside_window(seq, 4, CFG) == window


def test_snapshots_round_trip_and_genesis_is_the_empty_state():
    store = KVStore()
    store.execute({"op": "set", "key": "k", "value": [1, 2]})
    clients = {CLIENT_BASE + 1: (7, None), CLIENT_BASE: (3, {"a": 1})}
    snapshot = checkpoints.encode_snapshot(clients, store)
    back, restored = checkpoints.decode_snapshot(snapshot)
    assert back == clients and restored.digest() == store.digest()
    assert checkpoints.snapshot_digest(checkpoints.genesis_snapshot()) == (
        checkpoints.genesis_digest()
    )
    with pytest.raises((ValueError, KeyError, IndexError, TypeError)):
        checkpoints.decode_snapshot(b"\0" * 8 + b"{]")


def test_frame_reader_and_hello_without_io():
    reader = FrameReader(max_bytes=10)
    stream = b"".join(encode_frame(f) for f in [b"ab", b"", b"0123456789"])
    got = []
    for i in range(len(stream)):
        frames, oversize = reader.feed(stream[i : i + 1])
        assert oversize is None
        got += frames
    assert got == [b"ab", b"", b"0123456789"]
    frames, oversize = reader.feed(encode_frame(b"x") + (11).to_bytes(4, "big") + b"y")
    assert frames == [b"x"] and oversize == 11
    hello = decode_hello(encode_hello({"role": "client", "ids": [CLIENT_BASE]}))
    assert hello.role == "client" and hello.client_ids == [CLIENT_BASE]
    assert decode_hello(encode_hello({"role": "replica", "id": 2})).client_ids == []
    for bad in [{"role": "client", "ids": [3]}, {"role": "king"}, {"ids": []}]:
        with pytest.raises((ValueError, KeyError, TypeError)):
            decode_hello(encode_hello(bad))


def test_log_entry_records_round_trip():
    keys = keyrings(cluster_identities(4, 1, seed=b"rules"))
    client = CLIENT_BASE
    request = decode(
        seal(keys[client], "ed25519", 4, [REQUEST, client, 1, {"op": "noop"}, False]), 1 << 20
    )
    digest = batch_digest([request_digest(request)])
    pre_prepare = decode(
        seal(keys[0], "ed25519", 4, [PREPREPARE, 0, 0, 1, digest, [pack(request.frame)]]), 1 << 20
    )
    entry = LogEntry()
    entry.view, entry.digest, entry.pre_prepare, entry.batch = 0, digest, pre_prepare, [request]
    for sender in (1, 2, 3):
        entry.prepares[(0, digest)][sender] = seal(
            keys[sender], "ed25519", 4, [PREPARE, sender, 0, 1, digest]
        )
    certificate = entry.prepared_certificate_for(primary=0, quorum=3)
    assert certificate is not None and len(certificate.prepares) == 2
    entry.prepared, entry.prepared_certificate, entry.commit_views = True, certificate, [0]
    record = entry_record(entry)
    assert record["pcert"][2] is None  # the certificate's PRE-PREPARE is stored once
    back = read_entry_record(record)
    assert back.pre_prepare == pre_prepare.frame and back.prepared_certificate == certificate
    assert (back.prepared, back.committed, back.sent_prepare, back.commit_views) == (
        True,
        False,
        False,
        [0],
    )


def test_view_change_certificates_are_checked():
    """A real VIEW-CHANGE verifies; removing a PREPARE from its certificate, or a
    certificate for a view that is not lower, makes it invalid."""
    c = SimCluster(CFG, clients=2, seed=2)
    sent = []
    original = c.net._send

    def spy(src, dest, frame):
        if frame[4:12].startswith(b'["' + VIEWCHANGE.encode()):
            sent.append(frame)
        original(src, dest, frame)

    c.net._send = spy
    for client_id in c.client_ids:
        c.submit(client_id, [{"op": "increment", "key": "n"}] * 6)
    c.net.schedule(0.004, lambda: c.net.crash("r0"))
    assert c.run(60.0)
    keyring = c.keys[3]
    check = partial(authentic, keyring, CFG.auth, CFG.n)
    messages = [decode(f, CFG.max_message_bytes) for f in sent]
    with_certificates = [m for m in messages if m.body[3]]
    assert with_certificates, "no VIEW-CHANGE carried a prepared certificate"
    for msg in messages:
        verified = view_change.verify_view_change(msg, CFG, check)
        assert verified is not None and verified.view == msg.body[0]
        assert sorted(verified.prepared) == sorted(
            decode(unpack(p[0]), 1 << 20).body[1] for p in msg.body[3]
        )
    msg = with_certificates[0]
    signer = c.keys[msg.sender]
    certificates = [list(p) for p in msg.body[3]]
    certificates[0][1] = certificates[0][1][:1]
    short = seal(
        signer,
        CFG.auth,
        4,
        [VIEWCHANGE, msg.sender, msg.body[0], msg.body[1], msg.body[2], certificates],
    )
    assert view_change.verify_view_change(decode(short, 1 << 20), CFG, check) is None
    stale = seal(signer, CFG.auth, 4, [VIEWCHANGE, msg.sender, 0, *msg.body[1:]])
    assert view_change.verify_view_change(decode(stale, 1 << 20), CFG, check) is None
    c.close()
