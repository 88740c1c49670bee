"""A deterministic in-process network for PBFT tests and simulation.

Discrete-event simulation in virtual time: every link delay, drop, duplicate and
reordering is drawn from one seeded generator, so a seed replays a run exactly.
Partitions, crashes and restarts are scheduled events.  Several nodes may share
one address (Twins: Bano et al. (2021)): a frame sent to that address reaches
each of them that the partition lets through.

:class:`SimCluster` wires replicas and clients together and records what the
invariant checkers need: per-replica executions and commits, stable checkpoints,
and every client operation with its invocation and completion times.
"""

from __future__ import annotations

import heapq
import random
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .client import Client
from .config import ProtocolConfig
from .crypto import CLIENT_BASE, cluster_identities, keyrings
from .replica import Endorser, Replica
from .statemachine import KVStore
from .storage import MemoryStorage, SQLiteStorage


@dataclass
class LinkFaults:
    """Random link behaviour; ``jitter`` is the mean of an exponential extra delay."""

    delay: float = 0.0005
    jitter: float = 0.0005
    drop: float = 0.0
    duplicate: float = 0.0

    def __post_init__(self) -> None:
        for name in ("drop", "duplicate"):
            p = getattr(self, name)
            if not 0.0 <= p < 1.0:
                raise ValueError(f"LinkFaults: {name} must be a probability in [0, 1); got {p}")
        if self.delay < 0 or self.jitter < 0:
            raise ValueError("LinkFaults: delay and jitter must be >= 0")


class _Node:
    def __init__(self, name: str, addr: int, make: Callable[[Any], Any]) -> None:
        self.name, self.addr, self.make = name, addr, make
        self.obj: Any = None
        self.alive = False
        self.timers: dict[str, int] = {}
        self.outbound: Callable[[int, bytes], Iterable[tuple[int, bytes]]] | None = None


class _NodeHost:
    def __init__(self, net: Network, node: _Node) -> None:
        self.net, self.node = net, node

    def send(self, dest: int, frame: bytes) -> None:
        self.net._send(self.node, dest, frame)

    def set_timer(self, key: str, delay: float) -> None:
        token = self.net._next()
        self.node.timers[key] = token
        self.net._at(self.net.now + delay, ("timer", self.node, key, token))

    def cancel_timer(self, key: str) -> None:
        self.node.timers.pop(key, None)

    def now(self) -> float:
        return self.net.now


class Network:
    """The event loop: frames, timers and scheduled actions in virtual time."""

    def __init__(self, seed: int = 0, faults: LinkFaults | None = None) -> None:
        self.rng = random.Random(seed)
        self.faults = faults or LinkFaults()
        self.now = 0.0
        self._heap: list = []
        self._counter = 0
        self.nodes: dict[str, _Node] = {}
        self._partitions: list[tuple[float, float, list[set[str]]]] = []
        self.delivered = 0
        self.dropped = 0

    def _next(self) -> int:
        self._counter += 1
        return self._counter

    def _at(self, t: float, event) -> None:
        heapq.heappush(self._heap, (t, self._next(), event))

    def add(self, name: str, addr: int, make: Callable[[Any], Any]) -> _Node:
        """Add a node; ``make(host)`` builds its replica or client (again on restart)."""
        if name in self.nodes:
            raise ValueError(f"Network.add(): node {name!r} exists")
        node = self.nodes[name] = _Node(name, addr, make)
        self._start(node)
        return node

    def _start(self, node: _Node) -> None:
        node.timers.clear()
        node.obj = node.make(_NodeHost(self, node))
        node.alive = True
        if hasattr(node.obj, "flush"):
            node.obj.flush()

    def crash(self, name: str) -> None:
        node = self.nodes[name]
        node.alive = False
        node.timers.clear()

    def restart(self, name: str) -> None:
        self._start(self.nodes[name])

    def schedule(self, t: float, action: Callable[[], None]) -> None:
        self._at(t, ("call", action))

    def partition(self, groups: list[Iterable[str]], start: float, end: float) -> None:
        """Between ``start`` and ``end`` only nodes in a common group communicate;
        nodes named in no group (clients, usually) reach everyone."""
        self._partitions.append((start, end, [set(g) for g in groups]))

    def _blocked(self, a: str, b: str) -> bool:
        for start, end, groups in self._partitions:
            if start <= self.now < end:
                groups_a = {i for i, g in enumerate(groups) if a in g}
                groups_b = {i for i, g in enumerate(groups) if b in g}
                if groups_a and groups_b and not groups_a & groups_b:
                    return True
        return False

    def _send(self, src: _Node, dest: int, frame: bytes) -> None:
        if not src.alive:
            return
        out = [(dest, frame)] if src.outbound is None else src.outbound(dest, frame)
        faults, rng = self.faults, self.rng
        for addr, sent in out:
            for node in self.nodes.values():
                if node.addr != addr or node is src or self._blocked(src.name, node.name):
                    continue
                copies = 1 + (rng.random() < faults.duplicate)
                for _ in range(copies):
                    if rng.random() < faults.drop:
                        self.dropped += 1
                        continue
                    jitter = rng.expovariate(1 / faults.jitter) if faults.jitter else 0
                    self._at(self.now + faults.delay + jitter, ("frame", node, sent))

    def step(self) -> bool:
        if not self._heap:
            return False
        t, _, event = heapq.heappop(self._heap)
        self.now = max(self.now, t)
        kind = event[0]
        if kind == "frame":
            node, frame = event[1], event[2]
            if node.alive:
                self.delivered += 1
                node.obj.on_frame(frame)
                if hasattr(node.obj, "flush"):
                    node.obj.flush()
        elif kind == "timer":
            node, key, token = event[1], event[2], event[3]
            if node.alive and node.timers.get(key) == token:
                del node.timers[key]
                node.obj.on_timer(key)
        else:
            event[1]()
        return True

    def run(self, until: float, stop: Callable[[], bool] | None = None) -> None:
        """Process events up to virtual time ``until`` or until ``stop()`` is true."""
        while self._heap and self._heap[0][0] <= until:
            self.step()
            if stop is not None and stop():
                return
        self.now = max(self.now, until)


@dataclass
class OpRecord:
    """One client operation: invocation and completion times (None: never returned),
    the replicas' endorsements of its result and those that replied otherwise."""

    client: int
    invoke: float
    complete: float | None
    op: dict
    result: Any = None
    endorsements: dict[int, str] = field(default_factory=dict)
    dissent: list[int] = field(default_factory=list)


@dataclass
class ReplicaTrace:
    """What one replica address executed and committed, across restarts."""

    executed: dict[int, str] = field(default_factory=dict)  # seq -> batch digest
    requests: dict[tuple[int, int], int] = field(default_factory=dict)  # (client, ts) -> seq
    committed: dict[int, set[str]] = field(default_factory=dict)
    stable: dict[int, str] = field(default_factory=dict)
    duplicates: list[tuple[int, int]] = field(default_factory=list)


class SimCluster:
    """``n`` replicas and ``clients`` clients on a :class:`Network`.

    ``replica_class`` maps replica ids to a :class:`Replica` subclass (Byzantine
    behaviours from :mod:`accord.consensus.faults`); ``twins`` lists replica ids that
    get a second, honest instance holding the same keys.  ``storage`` is
    ``"memory"`` (survives a simulated crash) or ``"sqlite"`` (files in ``tmpdir``).
    ``machine`` is the state machine's class, ``endorser(r)`` replica ``r``'s endorser
    and ``client_options`` further keyword arguments of every :class:`Client` (see
    :class:`Replica` and :class:`Client`).
    """

    def __init__(
        self,
        config: ProtocolConfig,
        clients: int = 1,
        seed: int = 0,
        faults: LinkFaults | None = None,
        replica_class: dict | None = None,
        twins: Iterable[int] = (),
        storage: str = "memory",
        tmpdir: str | Path | None = None,
        machine: type[KVStore] = KVStore,
        endorser: Callable[[int], Endorser | None] | None = None,
        client_options: dict[str, Any] | None = None,
    ) -> None:
        if storage not in ("memory", "sqlite"):
            raise ValueError(f"SimCluster: storage must be 'memory' or 'sqlite'; got {storage!r}")
        if clients < 1:
            raise ValueError(f"SimCluster: clients must be >= 1; got {clients}")
        self.cfg = config
        self.machine, self.endorser = machine, endorser
        self.client_options = dict(client_options or {})
        self.net = Network(seed, faults)
        self.keys = keyrings(
            cluster_identities(config.n, clients, seed=seed.to_bytes(8, "big", signed=True))
        )
        self.replica_class = dict(replica_class or {})
        self.traces: dict[int, ReplicaTrace] = {r: ReplicaTrace() for r in range(config.n)}
        self.history: list[OpRecord] = []
        self._open: dict[int, OpRecord] = {}
        self._queues: dict[int, list[dict]] = {}
        self._tmp = None
        if storage == "sqlite" and tmpdir is None:
            self._tmp = tempfile.TemporaryDirectory()
            tmpdir = self._tmp.name
        self.storages: dict[str, Any] = {}
        names = [(f"r{r}", r) for r in range(config.n)] + [(f"r{r}'", r) for r in twins]
        for name, r in names:
            if storage == "sqlite" and tmpdir is not None:  # tmpdir is set for sqlite
                self.storages[name] = SQLitePath(Path(tmpdir) / f"{name}.db")
            else:
                self.storages[name] = MemoryStorage()
            self.net.add(name, r, self._replica_factory(name, r))
        self.client_ids = [CLIENT_BASE + c for c in range(clients)]
        for client_id in self.client_ids:
            self.net.add(f"c{client_id - CLIENT_BASE}", client_id, self._client_factory(client_id))

    def _replica_factory(self, name: str, r: int):
        def make(host):
            kept = self.storages[name]
            storage = kept.open() if isinstance(kept, SQLitePath) else kept
            cls = self.replica_class.get(r, Replica)
            return cls(
                r,
                self.cfg,
                self.keys[r],
                host,
                storage=storage,
                observer=self._observe,
                machine=self.machine,
                endorse=None if self.endorser is None else self.endorser(r),
            )

        return make

    def _client_factory(self, client_id: int):
        def make(host):
            return Client(
                client_id,
                self.cfg,
                self.keys[client_id],
                host,
                on_result=self._done,
                **self.client_options,
            )

        return make

    def replica(self, r: int, twin: bool = False) -> Replica:
        return self.net.nodes[f"r{r}'" if twin else f"r{r}"].obj

    def client(self, client_id: int) -> Client:
        return self.net.nodes[f"c{client_id - CLIENT_BASE}"].obj

    def _observe(self, event: str, replica: Replica, seq: int, digest, done=None) -> None:
        trace = self.traces[replica.id]
        if event == "execute":
            trace.executed.setdefault(seq, digest)
            for key in done:
                first = trace.requests.setdefault(key, seq)
                if first != seq:
                    trace.duplicates.append(key)
        elif event == "commit":
            trace.committed.setdefault(seq, set()).add(digest)
        elif event == "stable":
            trace.stable.setdefault(seq, digest)

    # ------------------------------------------------------------ workload
    def submit(self, client_id: int, ops: Iterable[dict]) -> None:
        """Queue operations for client ``client_id``; it runs them one after another."""
        self._queues.setdefault(client_id, []).extend(ops)
        if client_id not in self._open:
            self._next_op(client_id)

    def _next_op(self, client_id: int) -> None:
        queue = self._queues.get(client_id)
        if not queue:
            return
        op = queue.pop(0)
        record = OpRecord(client_id, self.net.now, None, op)
        self._open[client_id] = record
        self.history.append(record)
        self.client(client_id).submit(op)

    def _done(self, client_id: int, timestamp: int, result: Any) -> None:
        record = self._open.pop(client_id)
        record.complete, record.result = self.net.now, result
        client = self.client(client_id)
        record.endorsements, record.dissent = dict(client.endorsements), list(client.dissent)
        self._next_op(client_id)

    @property
    def idle(self) -> bool:
        return not self._open and not any(self._queues.values())

    def run(self, until: float) -> bool:
        """Run until every queued operation completed or ``until``; True if all did."""
        self.net.run(until, stop=lambda: self.idle)
        return self.idle

    def close(self) -> None:
        for node in self.net.nodes.values():
            storage = getattr(node.obj, "storage", None)
            if isinstance(storage, SQLiteStorage):
                storage.close()
        if self._tmp is not None:
            self._tmp.cleanup()


@dataclass
class SQLitePath:
    """A replica's SQLite file; each (re)start opens a fresh connection to it."""

    path: Path
    _conn: SQLiteStorage | None = None

    def open(self) -> SQLiteStorage:
        if self._conn is not None:
            self._conn.close()  # the crashed incarnation's handle: uncommitted work is lost
        self._conn = SQLiteStorage(self.path)
        return self._conn
