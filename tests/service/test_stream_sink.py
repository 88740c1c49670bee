"""The load balancer's ledger replicated through the service: record streams in the state
machine, the simulated-cluster and TCP sinks, Byzantine replicas, offline verification of
a certified stream, and the loadbalance experiment's ``ledger = "replicated"``."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("coincurve", reason="the 'service' extra is not installed")
pytest.importorskip("chia_rs", reason="the 'service' extra is not installed")

from accord.consensus import (  # noqa: E402
    Ledger,
    LedgerError,
    ProtocolConfig,
    Replica,
    verify_ledger,
)
from accord.consensus.faults import EquivocatingPrimary, Silent  # noqa: E402
from accord.consensus.ledger import canonical_json  # noqa: E402
from accord.consensus.statemachine import MAX_VALUE_BYTES  # noqa: E402
from accord.experiments import load, parse_config, run_experiment  # noqa: E402
from accord.experiments.loadbalance import validate  # noqa: E402
from accord.loadbalance import LedgerSink, simulate  # noqa: E402
from accord.service.bls import QuorumCertificate  # noqa: E402
from accord.service.client import replica_keys  # noqa: E402
from accord.service.deploy import generate_service, load_service  # noqa: E402
from accord.service.machine import ServiceStore  # noqa: E402
from accord.service.signing import AgentKey  # noqa: E402
from accord.service.stream_sink import ServiceLedgerSink, SimLedgerSink  # noqa: E402
from accord.service.streams import stream_entries, verify_stream  # noqa: E402

OWNER = AgentKey.generate("owner", b"streams")
OTHER = AgentKey.generate("other", b"streams")
LB = {"n_servers": 5, "rounds": 60, "seed": 11}
PROTOCOL = ProtocolConfig(n=4, checkpoint_interval=4, log_window=8, batch_size=8)


def _store():
    s = ServiceStore()
    for k in (OWNER, OTHER):
        assert "error" not in s.execute(
            {"op": "register", "agent": k.agent, "public_key": k.public}
        )
    return s


def _append(s, records, index, key=OWNER, stream="s"):
    op = {"op": "stream_append", "stream": stream, "by": key.agent, "index": index}
    return s.execute(key.sign({**op, "records": records}))


# ------------------------------------------------------------------ the operations


def test_stream_append_chains_like_a_local_ledger_and_refuses_what_it_must():
    s = _store()
    records = [{"round": i, "x": [i, 0.5 * i]} for i in range(5)]
    local = Ledger()
    for r in records:
        local.append(r)
    assert _append(s, records[:2], 0)["length"] == 2
    out = _append(s, records[2:], 2)
    assert (out["length"], out["head"]) == (5, local.head.hex()) and "ledger" in out
    entries = stream_entries(s.ledger, "s")
    assert [e.hash for e in entries] == [e.hash for e in local]
    # the batch's ledger record is stored with the canonical JSON the replicas hash
    assert Ledger.from_bytes(s.ledger.to_bytes()).head == s.ledger.head
    assert [e.record for e in entries] == records
    # a replayed batch, a gap, another agent, a forged signature, a bad batch
    assert "must be the stream's length 5" in _append(s, records[:1], 3)["error"]
    assert "must be the stream's length 5" in _append(s, records[:1], 0)["error"]
    assert "belongs to 'owner'" in _append(s, records[:1], 5, key=OTHER)["error"]
    forged = {**OWNER.sign({"op": "stream_append", "stream": "s", "by": "owner", "index": 5})}
    forged["records"] = [{"x": 1}]
    assert "signature is not 'owner'" in s.execute(forged)["error"]
    assert "1 to 4096" in _append(s, [], 5)["error"]
    big = [{"pad": "x" * 40_000}, {"pad": "y" * 40_000}]
    assert f"at most {MAX_VALUE_BYTES}" in _append(s, big, 5)["error"]
    assert "missing field 'by'" in s.execute({"op": "stream_append", "stream": "s"})["error"]
    assert len(stream_entries(s.ledger, "s")) == 5  # nothing refused reached the ledger
    seal = OWNER.sign({"op": "stream_seal", "stream": "s", "by": "owner"})
    outcome = s.execute(seal)["outcome"]
    assert outcome == {
        "kind": "stream",
        "id": "s",
        "by": "owner",
        "length": 5,
        "head": local.head.hex(),
    }
    assert "is sealed" in _append(s, records[:1], 5)["error"]
    assert "is sealed" in s.execute(seal)["error"]
    unknown = OWNER.sign({"op": "stream_seal", "stream": "nope", "by": "owner"})
    assert "no stream 'nope'" in s.execute(unknown)["error"]


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=6),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=8,
)


@settings(max_examples=40, deadline=None)
@given(records=st.lists(JSON, min_size=1, max_size=10), cuts=st.lists(st.integers(1, 4)))
def test_any_records_in_any_batches_chain_like_a_local_ledger(records, cuts):
    s, local, i = _store(), Ledger(), 0
    for r in records:
        local.append(r)
    for k in [*cuts, len(records)]:
        if i < len(records):
            assert "error" not in _append(s, records[i : i + k], i)
            i += k
    entries = stream_entries(Ledger.from_bytes(s.ledger.to_bytes()), "s")  # re-hashed
    assert verify_ledger(entries, head=local.head).entries == len(records)
    assert [e.record for e in entries] == [e.record for e in local]


# ------------------------------------------------------------------ the simulated cluster


def _local():
    return simulate(**LB)


def test_the_replicated_ledger_equals_the_local_one_and_verifies_offline():
    local = _local()
    sink = SimLedgerSink(batch=16)
    assert isinstance(sink, LedgerSink)
    r = simulate(**LB, ledger=sink)
    assert r.ledger is None and sink.batches == 4 and sink.outcome is not None
    check = r.verify_ledger()  # read back from a replica, against the certified head
    assert (check.entries, check.head, check.trusted_head) == (60, local.ledger.head, True)
    entries, head = sink.fetch()
    assert [e.record for e in entries] == [e.record for e in local.ledger]  # round by round
    assert [e.hash for e in entries] == [e.hash for e in local.ledger]
    assert head == local.ledger.head
    ledgers = sink.replica_ledgers()
    assert len(set(ledgers.values())) == 1  # every replica holds the same bytes
    # a third party: one replica's ledger bytes, the seal, its certificate, the keys
    service_ledger = Ledger.from_bytes(ledgers[3])
    cert = QuorumCertificate.from_json(sink.certificate.to_json())
    check = verify_stream(service_ledger, sink.outcome, cert, sink.public_keys)
    assert (check.entries, check.head) == (60, local.ledger.head)
    certified = [e.record for e in service_ledger if "certificate" in e.record]
    assert certified == [{"certificate": cert.to_json(), "kind": "stream", "id": "loadbalance"}]
    others = [k.public for k in replica_keys(4, b"someone else")]
    with pytest.raises(ValueError, match="certificate does not verify"):
        verify_stream(service_ledger, sink.outcome, cert, others)
    sink.close()  # again: nothing happens
    with pytest.raises(RuntimeError, match="closed"):
        sink.append({"round": 60})


def _forge(service_ledger: Ledger, stream_index: int) -> Ledger:
    """The service ledger with one stream record changed, its own chain rebuilt (a
    forger who rewrites a replica's copy consistently)."""
    forged, seen = Ledger(), 0
    for e in service_ledger:
        rec = e.record
        if isinstance(rec, dict) and "records" in rec and seen <= stream_index:
            k = stream_index - seen
            if k < len(rec["records"]):
                records = list(rec["records"])
                records[k] = {**records[k], "reserve": 0.0}
                rec = {**rec, "records": records}
            seen += len(e.record["records"])
        forged.append(rec)
    return forged


def test_a_tampered_record_fails_verification():
    sink = SimLedgerSink(batch=16)
    r = simulate(**LB, ledger=sink)
    service_ledger = sink.cluster.replica(0).state_machine.ledger
    forged = _forge(service_ledger, 21)
    assert forged.verify().entries == len(service_ledger)  # the service chain itself holds
    with pytest.raises(LedgerError, match="ledger entry 21: hash does not match"):
        verify_stream(forged, sink.outcome, sink.certificate, sink.public_keys)
    # one replica's copy is forged: the read-back skips it; all forged: it fails
    cl = sink.cluster
    cl.replica(0).state_machine._ledger = forged
    assert r.verify_ledger().entries == 60
    for i in range(4):
        cl.replica(i).state_machine._ledger = forged
    with pytest.raises(LedgerError, match="ledger entry 21"):
        r.verify_ledger()
    # and the log against the ledger
    log = {**r.log, "bid": r.log["bid"].copy()}
    log["bid"][-1] += 1.0
    cl.replica(0).state_machine._ledger = service_ledger
    with pytest.raises(LedgerError, match="ledger entry 59: the entry does not match"):
        replace(r, log=log).verify_ledger()


class _ForgingStore(ServiceStore):
    """Appends a changed first record of every batch (and so reports another head)."""

    __slots__ = ()

    def _service(self, op, spec):
        if op.get("op") == "stream_append" and isinstance(op.get("records"), list):
            first = {**op["records"][0], "reserve": -1.0}
            op = {**op, "records": [first, *op["records"][1:]]}
            spec = replace(spec, signer=None)
        return super()._service(op, spec)


class _ForgingReplica(Replica):
    def __init__(self, *args, **kwargs):
        machine = kwargs["machine"]
        kwargs["machine"] = type("Forging", (_ForgingStore, machine), {"__slots__": ()})
        super().__init__(*args, **kwargs)


@pytest.mark.parametrize(
    ("bad", "cls"),
    [(2, _ForgingReplica), (0, EquivocatingPrimary), (1, Silent)],
    ids=["forging-state-machine", "equivocating-primary", "silent"],
)
def test_a_byzantine_replica_leaves_the_same_records(bad, cls):
    local = _local()
    sink = SimLedgerSink(batch=16, seed=bad, replica_class={bad: cls}, protocol=PROTOCOL)
    r = simulate(**LB, ledger=sink)
    check = r.verify_ledger()
    assert (check.entries, check.head, check.trusted_head) == (60, local.ledger.head, True)
    entries, _ = sink.fetch()
    assert [e.record for e in entries] == [e.record for e in local.ledger]
    # a correct replica the faulty one left behind catches up at the next stable
    # checkpoint (state transfer), which needs traffic: two checkpoint intervals of it
    cl = sink.cluster
    cl.submit(cl.client_ids[0], [{"op": "noop"}] * (2 * PROTOCOL.checkpoint_interval + 1))
    assert cl.run(cl.net.now + 120)
    ledgers = sink.replica_ledgers()
    correct = {ledgers[i] for i in range(4) if i != bad}
    assert len(correct) == 1
    if cls is _ForgingReplica:
        assert bad in sink.dissent  # its replies (another head) were outvoted


def test_sink_arguments_are_checked_before_any_request():
    with pytest.raises(ValueError, match="stream must be a name of 1 to 128 characters"):
        SimLedgerSink(stream="a/b")
    with pytest.raises(ValueError, match="batch must be an int in 1 .. 4096"):
        SimLedgerSink(batch=0)
    with pytest.raises(ValueError, match="n must be an int >= 1"):
        SimLedgerSink(n=0)
    with pytest.raises(TypeError, match="key must be an AgentKey"):
        SimLedgerSink(key="k")
    sink = SimLedgerSink()
    with pytest.raises(ValueError, match="record 0 takes .* bytes as JSON; one request"):
        sink.append({"pad": "x" * MAX_VALUE_BYTES})
    with pytest.raises(ValueError, match=r"record\['1'\] is a set"):
        sink.append({"1": {1}})
    sink.close()  # nothing appended: nothing to seal
    assert sink.outcome is None and sink.fetch() == ([], bytes(32))


def test_batches_fill_to_the_request_size():
    sink = SimLedgerSink(batch=4096)
    size = len(canonical_json({"pad": "x" * 1000}))
    for _ in range(150):
        sink.append({"pad": "x" * 1000})
    sink.close()
    per_request = sink.budget // (size + 1)
    assert sink.batches == -(-150 // per_request) and sink.outcome["length"] == 150


# ------------------------------------------------------------------ the experiment flag

EXPERIMENT = """
[experiment]
kind = "loadbalance"
name = "lb-ledger"
runs = 1
seed = 7
[settings]
n_servers = 4
rounds = 25
ledger_batch = 8
[grid]
ledger = ["local", "replicated"]
"""


def test_the_experiment_replicates_the_ledger_when_asked(tmp_path):
    s = run_experiment(
        parse_config(EXPERIMENT), tmp_path / "res", executor="serial", progress=False
    )
    assert s.completed == 2
    rows = load(tmp_path / "res").to_pylist()
    by = {row["ledger"]: row for row in rows}
    assert by["replicated"]["ledger_entries"] == 25 and by["local"]["ledger_head"] is None
    assert by["replicated"]["welfare"] == by["local"]["welfare"]
    assert by["replicated"]["rounds_per_second"] > 0


def test_the_example_config_runs(tmp_path):
    path = Path(__file__).resolve().parents[2] / "examples" / "loadbalance-ledger.toml"
    text = path.read_text().replace("rounds = 2000", "rounds = 20").replace("runs = 3", "runs = 1")
    s = run_experiment(parse_config(text), tmp_path / "res", executor="serial", progress=False)
    rows = load(tmp_path / "res").to_pylist()
    assert s.completed == 2 and {row["ledger"] for row in rows} == {"local", "replicated"}


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"ledger": "replicate"}, "ledger must be true, false, 'local', 'none' or 'replicated'"),
        ({"ledger": True, "ledger_batch": -1}, "ledger_batch must be an integer"),
        ({"ledger": "replicated", "ledger_batch": True}, "ledger_batch must be an integer"),
        ({"ledger": "replicated", "ledger_batch": 0}, r"ledger_batch must be an integer in 1"),
        ({"ledger": "replicated", "ledger_replicas": 0}, "ledger_replicas must be an integer"),
        (
            {"ledger": "replicated", "ledger_replicas": 4, "ledger_service": "svc"},
            "ledger_replicas is for the simulated cluster",
        ),
        ({"ledger": "replicated", "ledger_service": "/nonexistent/svc"}, "ledger_service"),
        ({"ledger": "replicated", "ledger_service": 3}, "must be the path of a service.toml"),
        ({"ledger": 2}, "ledger must be true or false"),
    ],
)
def test_bad_experiment_ledger_settings_fail_before_any_run(params, match):
    with pytest.raises(ValueError, match=match):
        validate({"n_servers": 3, "rounds": 5, **params})


# ------------------------------------------------------------------ over TCP


def test_the_tcp_sink_replicates_and_certifies(tmp_path):
    service = load_service(
        generate_service(tmp_path / "svc", n=4, clients=4, base_port=0, view_change_timeout=2.0)
    )
    from accord.service.remote import service_server

    loop = asyncio.new_event_loop()
    started = threading.Event()
    servers: list = []

    async def start():
        for r in range(service.n):
            s = service_server(r, service, storage="memory")
            await s.start()
            servers.append(s)
        for s in servers:
            await s.wait_connected(20.0)

    async def stop():
        for s in servers:
            await s.stop()

    def serve():
        asyncio.set_event_loop(loop)
        loop.run_until_complete(start())
        started.set()
        loop.run_forever()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    assert started.wait(20.0)
    try:
        local = simulate(n_servers=4, rounds=30, seed=2)
        with ServiceLedgerSink(service, batch=8) as sink, ServiceLedgerSink(service) as other:
            assert sink.client_id != other.client_id  # each holds its own client id
            r = simulate(n_servers=4, rounds=30, seed=2, ledger=sink)
            check = r.verify_ledger()
            assert (check.entries, check.head) == (30, local.ledger.head)
            assert sink.batches == 4 and sink.outcome["head"] == local.ledger.head.hex()
            batches = sink._service_entries()  # the batches as a third party reads them
            offline = verify_stream(
                batches, sink.outcome, sink.certificate, service.certificate_keys
            )
            assert len(batches) == 4 and offline.entries == 30
            stored = sink.client.outcome("stream", sink.stream)  # the recorded certificate
            assert stored.outcome == sink.outcome
        with pytest.raises(ValueError, match="client_id 5 is not a client"):
            ServiceLedgerSink(service, client_id=5)
    finally:
        asyncio.run_coroutine_threadsafe(stop(), loop).result(20.0)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(20.0)
        loop.close()
