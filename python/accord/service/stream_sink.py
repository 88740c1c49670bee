"""Ledger sinks that replicate a load-balancing run's per-round ledger through the
coordination service (:class:`accord.loadbalance.LedgerSink`).

Each round's record goes to a record stream (:mod:`.streams`): the sink batches records
into signed ``stream_append`` operations (as many as fit one request), which PBFT
orders and every correct replica applies (Castro & Liskov (1999)), and at ``close()``
seals the stream, whose outcome, the stream's length and head, the replicas endorse
with their BLS keys; the quorum certificate (Boneh, Lynn & Shacham (2004)) is checked
and recorded in the service ledger.  The stream's entries chain exactly as a local
:class:`~accord.consensus.Ledger` of the same records (Haber & Stornetta (1991)), so
``append`` returns the entry's position and hash at once, and after each batch the sink
checks that the replicas reached the head it computed::

    from accord.loadbalance import simulate
    from accord.service.stream_sink import SimLedgerSink

    sink = SimLedgerSink()                      # four simulated replicas, no sockets
    r = simulate(rounds=500, seed=1, ledger=sink)
    r.verify_ledger()                           # read back, checked against the certified head
    sink.outcome, sink.certificate              # what a third party checks (verify_stream)

* :class:`SimLedgerSink` -- a simulated cluster in this process
  (:func:`~accord.service.client.sim_cluster`), for tests and laptops;
* :class:`ServiceLedgerSink` -- a running cluster over TCP (``service.toml``), through
  :class:`~accord.service.remote.SyncServiceClient`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

from ..consensus.config import ProtocolConfig
from ..consensus.ledger import (
    GENESIS_HASH,
    LedgerEntry,
    LedgerError,
    canonical_json,
    json_problem,
    strict_loads,
    verify_ledger,
)
from ..consensus.statemachine import MAX_VALUE_BYTES
from .bls import QuorumCertificate, verify_certificate
from .ops import MAX_ID_CHARS
from .signing import AgentKey
from .streams import MAX_BATCH, chain_hash, stream_entries

__all__ = ["DEFAULT_BATCH", "ServiceLedgerSink", "SimLedgerSink"]

#: Records per ``stream_append`` at most (fewer when they would not fit one request).
DEFAULT_BATCH = 64
#: Bytes of a request besides its records (operation name, stream, agent, signature).
_ENVELOPE = 1024


def _stream_name(cls: str, stream: object) -> str:
    if not isinstance(stream, str) or not 1 <= len(stream) <= MAX_ID_CHARS or "/" in stream:
        raise ValueError(
            f"{cls}(): stream must be a name of 1 to {MAX_ID_CHARS} characters without '/'; "
            f"got {stream!r}"
        )
    return stream


def _batch(cls: str, batch: object) -> int:
    if isinstance(batch, bool) or not isinstance(batch, int) or not 1 <= batch <= MAX_BATCH:
        raise ValueError(f"{cls}(): batch must be an int in 1 .. {MAX_BATCH}; got {batch!r}")
    return batch


class _StreamSink:
    """Batching, the chain the sink computes itself, the seal and the read-back; a
    subclass supplies ``_request`` (an ordered operation's result), ``_certified`` (an
    outcome with its certificate) and ``_service_entries`` (the service ledger entries
    that hold the stream)."""

    public_keys: Sequence[bytes]

    def __init__(
        self, stream: str, key: AgentKey | None, batch: int, budget: int, record: bool
    ) -> None:
        cls = type(self).__name__
        self.stream = _stream_name(cls, stream)
        if key is not None and not isinstance(key, AgentKey):
            raise TypeError(f"{cls}(): key must be an AgentKey or None; got {type(key).__name__}")
        self.key = key if key is not None else AgentKey.generate(self.stream)
        self.batch = _batch(cls, batch)
        self.budget = budget
        self.record_certificate = bool(record)
        self.length = 0  # records appended
        self.head = GENESIS_HASH  # their chain's head, as computed here
        self.stored = 0  # records the service applied
        self.batches = 0
        #: the certified seal, after close(): its outcome, certificate and ledger position
        self.outcome: dict[str, Any] | None = None
        self.certificate: QuorumCertificate | None = None
        self.seal_ledger: dict[str, Any] | None = None
        self._pending: list[Any] = []
        self._pending_bytes = 0
        self._registered = False
        self._closed = False

    # ---------------------------------------------------------------- the protocol
    def append(self, record: Any) -> dict[str, Any]:
        """Queue ``record`` (a JSON value) as the stream's next entry; its position and
        hash.  A full batch is sent first."""
        func = f"{type(self).__name__}.append()"
        if self._closed:
            raise RuntimeError(f"{func}: the stream {self.stream!r} is closed (sealed)")
        problem = json_problem(record, "record")
        if problem is not None:
            raise ValueError(f"{func}: {problem}")
        text = canonical_json(record)
        size = len(text) if text.isascii() else len(json.dumps(record, separators=(",", ":")))
        if size + 2 > self.budget:
            raise ValueError(
                f"{func}: record {self.length} takes {size} bytes as JSON; one request of the "
                f"service carries at most {self.budget} bytes of records, so make the "
                "records smaller (fewer tasks per round) or keep a local ledger (ledger=True)"
            )
        # the batch as a JSON list: its records, a comma after each but the last, brackets
        if self._pending and (
            len(self._pending) >= self.batch or self._pending_bytes + size + 2 > self.budget
        ):
            self.flush()
        self.head = chain_hash(self.length, self.head, text)
        entry = {"index": self.length, "hash": self.head.hex()}
        self.length += 1
        self._pending.append(strict_loads(text))  # a private copy
        self._pending_bytes += size + 1
        return entry

    def flush(self) -> None:
        """Send the queued records (one ``stream_append``) and check the head the
        replicas report against the one computed here."""
        if not self._pending:
            return
        if not self._registered:
            self._register()
        op = {
            "op": "stream_append",
            "stream": self.stream,
            "by": self.key.agent,
            "index": self.stored,
            "records": self._pending,
        }
        result = self._request(self.key.sign(op))
        want = self.stored + len(self._pending)
        if (
            not isinstance(result, dict)
            or result.get("length") != want
            or result.get("head") != self.head.hex()
        ):
            raise RuntimeError(
                f"{type(self).__name__}.flush(): the service reports {result!r} for stream "
                f"{self.stream!r}; expected length {want} and head {self.head.hex()}"
            )
        self._stored_batch(result)
        self.stored = want
        self.batches += 1
        self._pending, self._pending_bytes = [], 0

    def close(self) -> None:
        """Send the queued records and seal the stream: its length and head come back
        with a quorum certificate, checked against :attr:`public_keys` (and recorded in
        the service ledger unless ``record_certificate=False``).  Again: no-op."""
        if self._closed:
            return
        self.flush()
        self._closed = True
        if self.stored == 0:
            return  # nothing to certify: an empty stream does not exist in the service
        op = {"op": "stream_seal", "stream": self.stream, "by": self.key.agent}
        outcome, certificate, ledger = self._certified(self.key.sign(op))
        cls = type(self).__name__
        if outcome.get("length") != self.length or outcome.get("head") != self.head.hex():
            raise RuntimeError(
                f"{cls}.close(): the sealed stream {outcome!r} is not the one sent "
                f"(length {self.length}, head {self.head.hex()})"
            )
        if not verify_certificate(outcome, certificate, self.public_keys):
            raise RuntimeError(f"{cls}.close(): the seal's certificate does not verify")
        self.outcome, self.certificate, self.seal_ledger = outcome, certificate, ledger

    def fetch(self) -> tuple[list[LedgerEntry], bytes | None]:
        """The stream's entries as the service holds them, and the head they must end at:
        the certified one once sealed, else the one the replicas acknowledged (``f + 1``
        matching replies).  Queued records are sent first."""
        if not self._closed:
            self.flush()
        head = bytes.fromhex(self.outcome["head"]) if self.outcome is not None else self.head
        if self.stored == 0:
            return [], GENESIS_HASH
        return self._read(head), head

    # ---------------------------------------------------------------- helpers
    def _register(self) -> None:
        self._request({"op": "register", "agent": self.key.agent, "public_key": self.key.public})
        self._registered = True

    def _read(self, head: bytes) -> list[LedgerEntry]:
        return stream_entries(self._service_entries(), self.stream)

    def _stored_batch(self, result: dict[str, Any]) -> None:
        """Note where a batch landed in the service ledger (``result["ledger"]``)."""

    def _request(self, op: dict[str, Any]) -> Any:
        raise NotImplementedError

    def _certified(
        self, op: dict[str, Any]
    ) -> tuple[dict[str, Any], QuorumCertificate, dict[str, Any] | None]:
        raise NotImplementedError

    def _service_entries(self) -> list[LedgerEntry]:
        raise NotImplementedError

    def __repr__(self) -> str:
        state = "sealed" if self.outcome is not None else ("closed" if self._closed else "open")
        return (
            f"{type(self).__name__}(stream={self.stream!r}, length={self.length}, "
            f"stored={self.stored}, {state})"
        )


class SimLedgerSink(_StreamSink):
    """A ledger sink whose records a simulated cluster of ``n`` replicas
    (:func:`~accord.service.client.sim_cluster`, ``n >= 3f + 1``) replicates, all in this
    process.  ``protocol`` replaces the default :class:`~accord.consensus.ProtocolConfig`
    of ``n`` replicas; ``cluster_options`` go to the cluster (``replica_class`` for
    Byzantine replicas, ``faults`` for lossy links, ...).  ``timeout`` is the simulated
    time, in seconds, an operation may take.  :attr:`cluster` is the cluster."""

    def __init__(
        self,
        n: int = 4,
        *,
        stream: str = "loadbalance",
        batch: int = DEFAULT_BATCH,
        seed: int = 0,
        key: AgentKey | None = None,
        protocol: ProtocolConfig | None = None,
        record_certificate: bool = True,
        timeout: float = 120.0,
        **cluster_options: Any,
    ) -> None:
        from .client import replica_keys, sim_cluster

        cls = "SimLedgerSink"
        if protocol is None:
            if isinstance(n, bool) or not isinstance(n, int) or n < 1:
                raise ValueError(f"{cls}(): n must be an int >= 1 (3f + 1 tolerate f); got {n!r}")
            protocol = ProtocolConfig(n=n)
        elif not isinstance(protocol, ProtocolConfig):
            raise TypeError(f"{cls}(): protocol must be a ProtocolConfig; got {protocol!r}")
        if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**63:
            raise ValueError(f"{cls}(): seed must be an int in 0 .. 2**63 - 1; got {seed!r}")
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
            raise ValueError(f"{cls}(): timeout must be > 0 seconds; got {timeout!r}")
        budget = min(MAX_VALUE_BYTES, protocol.max_request_bytes - _ENVELOPE)
        super().__init__(stream, key, batch, budget, record_certificate)
        keys = replica_keys(protocol.n, b"stream-sink" + seed.to_bytes(8, "big"))
        self.public_keys = [k.public for k in keys]
        self.timeout = float(timeout)
        self.cluster = sim_cluster(protocol, keys, clients=1, seed=seed, **cluster_options)
        #: replicas whose replies differed from the accepted result (faulty or lagging)
        self.dissent: set[int] = set()

    def _submit(self, op: dict[str, Any]) -> Any:
        cl = self.cluster
        cl.submit(cl.client_ids[0], [op])
        if not cl.run(cl.net.now + self.timeout):
            raise RuntimeError(
                f"SimLedgerSink: {op['op']} did not complete within {self.timeout} s of "
                "simulated time (more than f faulty replicas?)"
            )
        record = cl.history[-1]
        cl.history.clear()  # the operations carry the records: keep no second copy
        self.dissent.update(record.dissent)
        result = record.result
        if isinstance(result, dict) and set(result) == {"error"}:
            raise RuntimeError(f"SimLedgerSink: the service refused {op['op']}: {result['error']}")
        return record

    def _request(self, op: dict[str, Any]) -> Any:
        return self._submit(op).result

    def _certified(
        self, op: dict[str, Any]
    ) -> tuple[dict[str, Any], QuorumCertificate, dict[str, Any] | None]:
        from .client import certificate_of

        record = self._submit(op)
        # the client counted only endorsements that passed check_endorsements
        cert = certificate_of(record.result, record.endorsements, self.public_keys, checked=True)
        if self.record_certificate:
            o = record.result["outcome"]
            self._request(
                {"op": "certify", "kind": o["kind"], "id": o["id"], "certificate": cert.to_json()}
            )
        return record.result["outcome"], cert, record.result.get("ledger")

    def _read(self, head: bytes) -> list[LedgerEntry]:
        """The stream from the first replica whose copy verifies against ``head`` (a
        faulty replica's copy does not); replica 0's when none does."""
        cl = self.cluster
        cl.net.run(cl.net.now + 10)  # the client returned at f + 1 replies: let the rest finish
        first: list[LedgerEntry] | None = None
        for r in range(cl.cfg.n):
            try:
                entries = stream_entries(cl.replica(r).state_machine.ledger, self.stream)
                verify_ledger(entries, head=head)
            except LedgerError:
                if first is None:
                    first = stream_entries(cl.replica(r).state_machine.ledger, self.stream)
                continue
            return entries
        assert first is not None
        return first

    def replica_ledgers(self) -> dict[int, bytes]:
        """Each replica's whole service ledger (:meth:`~accord.consensus.Ledger.to_bytes`)."""
        cl = self.cluster
        cl.net.run(cl.net.now + 10)
        return {r: cl.replica(r).state_machine.ledger.to_bytes() for r in range(cl.cfg.n)}


def _claim_client_id(config: Any) -> tuple[int, IO[str] | None]:
    """A client id of the service that no other process on this machine holds (an
    exclusive lock file per id), and the lock; the first id where locks are unavailable."""
    ids = config.cluster.client_ids
    try:
        import fcntl
    except ImportError:  # no POSIX locks: the caller must give distinct ids
        return ids[0], None
    tag = hashlib.sha256(str(Path(config.path).resolve()).encode()).hexdigest()[:16]
    d = Path(tempfile.gettempdir()) / f"accord-service-clients-{tag}"
    d.mkdir(exist_ok=True)
    for cid in ids:
        f = open(d / f"{cid}.lock", "w")  # noqa: SIM115 (held until the sink disconnects)
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            f.close()
            continue
        return cid, f
    raise RuntimeError(
        f"ServiceLedgerSink(): all {len(ids)} client ids of {config.path} are in use by "
        "other processes on this machine; add client identities (accord service init "
        "--clients N) or run fewer at once"
    )


class ServiceLedgerSink(_StreamSink):
    """A ledger sink whose records a running service cluster replicates over TCP.

    ``service`` is a ``service.toml`` (or its directory, or a loaded
    :class:`~accord.service.deploy.ServiceConfig`).  ``stream`` defaults to a fresh
    random name; ``key`` (the stream owner's :class:`~accord.service.signing.AgentKey`)
    to a fresh key of an agent named after the stream.  ``client_id`` defaults to one no
    other process on this machine holds (a lock file per id), so parallel runs do not
    share a PBFT client.  :meth:`disconnect` (or ``with``) ends the connection; the
    records and the certificate stay in the service.
    """

    def __init__(
        self,
        service: Any,
        *,
        stream: str | None = None,
        key: AgentKey | None = None,
        client_id: int | None = None,
        batch: int = DEFAULT_BATCH,
        connect_timeout: float = 10.0,
        record_certificate: bool = True,
    ) -> None:
        from .deploy import ServiceConfig, load_service
        from .remote import SyncServiceClient

        config = service if isinstance(service, ServiceConfig) else load_service(service)
        if stream is None:
            stream = f"loadbalance-{os.urandom(8).hex()}"
        budget = min(MAX_VALUE_BYTES, config.cluster.protocol.max_request_bytes - _ENVELOPE)
        super().__init__(stream, key, batch, budget, record_certificate)
        self.config = config
        self.public_keys = list(config.certificate_keys)
        self._lock: IO[str] | None = None
        if client_id is None:
            client_id, self._lock = _claim_client_id(config)
        elif client_id not in config.cluster.client_ids:
            raise ValueError(
                f"ServiceLedgerSink(): client_id {client_id!r} is not a client of "
                f"{config.path}; its ids are {config.cluster.client_ids}"
            )
        self.client_id = client_id
        self._ledger_index: list[int] = []  # where each batch landed in the service ledger
        try:
            self.client = SyncServiceClient(
                config,
                client_id,
                connect_timeout=connect_timeout,
                record_certificates=record_certificate,
            )
        except BaseException:
            self._release()
            raise

    def _request(self, op: dict[str, Any]) -> Any:
        return self.client.request(op)

    def _certified(
        self, op: dict[str, Any]
    ) -> tuple[dict[str, Any], QuorumCertificate, dict[str, Any] | None]:
        certified = self.client.certified(op)  # records the certificate unless told not to
        return certified.outcome, certified.certificate, certified.ledger

    def _stored_batch(self, result: dict[str, Any]) -> None:
        self._ledger_index.append(int(result["ledger"]["index"]))

    def _service_entries(self) -> list[LedgerEntry]:
        """The batches' service ledger entries (read-only ``ledger_get``: a quorum of
        matching replies, no ordering)."""
        return [
            LedgerEntry.from_dict(self.client.request({"op": "ledger_get", "index": i}))
            for i in self._ledger_index
        ]

    def _release(self) -> None:
        if self._lock is not None:
            with contextlib.suppress(OSError):
                self._lock.close()
            self._lock = None

    def disconnect(self) -> None:
        """Close the connection and free the client id (the stream stays as it is)."""
        client = getattr(self, "client", None)
        if client is not None:
            client.close()
        self._release()

    def __enter__(self) -> ServiceLedgerSink:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.disconnect()
