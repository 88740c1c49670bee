"""A PBFT replica served over asyncio TCP.

:class:`ReplicaServer` runs one :class:`~accord.consensus.replica.Replica`: it
listens on the replica's address of the cluster file, keeps an outbound link to
every peer replica, and is the replica's host (``send``, timers, ``now``).
Frames that arrive on any connection during one event-loop iteration are handed
to the replica together and followed by a single :meth:`Replica.flush`, so that
the primary sees many requests at once (batching) and the log is persisted once
per burst.  Replies to a client go back over the connection on which it said
hello; replies to a client that is not connected are dropped, as are frames to a
peer replica whose link is down.  Exceptions raised while handling a frame are
logged and counted, never fatal.

With a metrics port (the replica's ``metrics_port`` in the cluster file, or the
``metrics_port`` argument) the server keeps :class:`~accord.consensus.metrics.ReplicaMetrics`
and serves ``/metrics`` (Prometheus) and ``/status`` (JSON) over HTTP
(:mod:`~accord.consensus.tcp.metrics_http`); that needs the ``metrics`` extra.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..cluster_config import ClusterConfig, load_cluster
from ..crypto import CLIENT_BASE
from ..metrics import ReplicaMetrics, prometheus_registry, require_prometheus
from ..replica import Endorser, Replica
from ..statemachine import KVStore
from ..storage import MemoryStorage, SQLiteStorage, Storage
from .connection import WRITE_BUFFER_LIMIT, FramedProtocol, Link, Outbox
from .framing import decode_hello, encode_hello, is_hello
from .metrics_http import MetricsEndpoint

__all__ = ["ReplicaServer", "run_replica"]

log = logging.getLogger("accord.pbft.tcp")


class _Inbound(FramedProtocol):
    """A connection accepted by the replica: a peer's link or a client connection."""

    def __init__(self, server: ReplicaServer) -> None:
        super().__init__(server.cfg.max_message_bytes)
        self.server = server
        self.role: str | None = None
        self.client_ids: list[int] = []

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        self.server._connections.add(self)
        self.server.counters["connections"] += 1

    def connection_lost(self, exc) -> None:
        super().connection_lost(exc)
        server = self.server
        server._connections.discard(self)
        for client_id in self.client_ids:
            if server._clients.get(client_id) is self:
                del server._clients[client_id]

    def oversize(self, size: int) -> None:
        self.server.counters["oversize_closed"] += 1
        if self.server.replica is not None:
            self.server.replica.rejected["oversize"] += 1
        log.warning(
            "replica %d: closed a connection announcing a %d-byte frame (limit %d)",
            self.server.id,
            size,
            self.max_bytes,
        )

    def frames(self, frames: list[bytes]) -> None:
        if is_hello(frames[0]):
            self._hello(frames[0])
            frames = frames[1:]
        server = self.server
        server._inbox.extend(frames)
        if not server._processing_scheduled and frames:
            server._processing_scheduled = True
            server.loop.call_soon(server._process)

    def _hello(self, frame: bytes) -> None:
        server = self.server
        try:
            hello = decode_hello(frame)
            self.role = hello.role
            if hello.role == "client":
                self.client_ids = hello.client_ids
                for client_id in hello.client_ids:
                    server._clients[client_id] = self
            server.counters["hellos"] += 1
        except (ValueError, KeyError, TypeError) as exc:
            server.counters["bad_hello"] += 1
            log.warning("replica %d: bad hello (%s)", server.id, exc)


class _Outbound(FramedProtocol):
    """A replica's link to a peer: write-only (peers answer on their own links)."""

    def frames(self, frames: list[bytes]) -> None:
        pass


class ReplicaServer:
    """One PBFT replica listening on its port of ``cluster``.

    ``storage`` is ``"sqlite"`` (``data_dir/replica-<id>.db``), ``"memory"``, or an
    object with the storage interface.  ``listen_host`` overrides the host to bind.
    ``machine`` and ``endorse`` are the :class:`~accord.consensus.replica.Replica`'s:
    the state machine's class and the endorser of replies.  ``metrics_port`` serves
    ``/metrics`` and ``/status`` over HTTP on that port (0: a free one, see
    :attr:`metrics_address`); None takes the replica's ``metrics_port`` of the cluster
    file, if it has one.
    """

    def __init__(
        self,
        replica_id: int,
        cluster: ClusterConfig | str | Path,
        storage: Any = "sqlite",
        listen_host: str | None = None,
        write_buffer_limit: int = WRITE_BUFFER_LIMIT,
        machine: type[KVStore] = KVStore,
        endorse: Endorser | None = None,
        metrics_port: int | None = None,
    ) -> None:
        if not isinstance(cluster, ClusterConfig):
            cluster = load_cluster(cluster)
        if not 0 <= replica_id < cluster.n:
            raise ValueError(
                f"ReplicaServer: replica id must be in 0..{cluster.n - 1}; got {replica_id}"
            )
        self.id, self.cluster, self.cfg = replica_id, cluster, cluster.protocol
        self.storage_spec = storage
        self.listen_host = listen_host
        self.write_buffer_limit = write_buffer_limit
        self.machine, self.endorse = machine, endorse
        if metrics_port is None:
            metrics_port = cluster.replicas[replica_id].metrics_port
        elif isinstance(metrics_port, bool) or not isinstance(metrics_port, int):
            raise TypeError(f"ReplicaServer: metrics_port must be an int; got {metrics_port!r}")
        elif not 0 <= metrics_port <= 65535:
            raise ValueError(
                f"ReplicaServer: metrics_port must be in 0..65535 (0: a free port); "
                f"got {metrics_port}"
            )
        self.metrics_port = metrics_port
        self.metrics: ReplicaMetrics | None = None
        self._metrics_endpoint: MetricsEndpoint | None = None
        self.counters: Counter[str] = Counter()
        self.replica: Replica | None = None
        self._server: asyncio.base_events.Server | None = None
        self._links: dict[int, Link] = {}
        self._clients: dict[int, _Inbound] = {}
        self._connections: set[_Inbound] = set()
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._inbox: list[bytes] = []
        self._processing_scheduled = False
        self._stopped: asyncio.Event | None = None
        self._storage: Storage | None = None
        self._error_logs = 0
        self._view = (0, False)

    # ------------------------------------------------------------ host API
    def send(self, dest: int, frame: bytes) -> None:
        if dest < CLIENT_BASE:
            link = self._links.get(dest)
            transport = link.transport if link is not None else None
        else:
            connection = self._clients.get(dest)
            transport = connection.transport if connection is not None else None
        if transport is None or transport.is_closing():
            self.counters["dropped_unconnected"] += 1
            return
        self._outbox.put(transport, frame)

    def set_timer(self, key: str, delay: float) -> None:
        handle = self._timers.pop(key, None)
        if handle is not None:
            handle.cancel()
        self._timers[key] = self.loop.call_later(delay, self._on_timer, key)

    def cancel_timer(self, key: str) -> None:
        handle = self._timers.pop(key, None)
        if handle is not None:
            handle.cancel()

    def now(self) -> float:
        return self.loop.time()

    # ------------------------------------------------------------ lifecycle
    @property
    def metrics_address(self) -> tuple[str, int] | None:
        """Where ``/metrics`` and ``/status`` are served once started (None: no metrics)."""
        endpoint = self._metrics_endpoint
        return None if endpoint is None else endpoint.address

    async def start(self) -> None:
        if self.metrics_port is not None:
            require_prometheus()
        self.loop = asyncio.get_running_loop()
        self._stopped = asyncio.Event()
        self._outbox = Outbox(self.write_buffer_limit, self.counters)
        spec = self.storage_spec
        storage: Storage
        if spec == "sqlite":
            self.cluster.data_dir.mkdir(parents=True, exist_ok=True)
            storage = SQLiteStorage(self.cluster.db_path(self.id))
        elif spec == "memory":
            storage = MemoryStorage()
        elif isinstance(spec, str):
            raise ValueError(
                f"ReplicaServer: storage must be 'sqlite', 'memory' or a storage "
                f"object; got {spec!r}"
            )
        else:
            storage = spec
        self._storage = storage
        host, port = self.cluster.address(self.id)
        metrics = None if self.metrics_port is None else ReplicaMetrics()
        try:
            keyring = self.cluster.keyring(self.id)
            self.replica = Replica(
                self.id,
                self.cfg,
                keyring,
                self,
                storage=storage if metrics is None else metrics.watch_storage(storage),
                machine=self.machine,
                endorse=self.endorse,
            )
            self._server = await self.loop.create_server(
                lambda: _Inbound(self), self.listen_host or host, port, reuse_address=True
            )
            if metrics is not None:
                await self._start_metrics(metrics, self.listen_host or host)
        except BaseException:
            for handle in self._timers.values():
                handle.cancel()
            self._timers.clear()
            if self._server is not None:
                self._server.close()
                self._server = None
            storage.close()
            self._storage = None
            raise
        hello = encode_hello({"role": "replica", "id": self.id})
        limit = self.cfg.max_message_bytes
        for r in range(self.cluster.n):
            if r != self.id:
                peer_host, peer_port = self.cluster.address(r)
                self._links[r] = Link(
                    self, r, peer_host, peer_port, hello, lambda: _Outbound(limit)
                )
        self._guard(self.replica.flush)
        log.info("replica %d listening on %s:%d", self.id, host, port)

    async def _start_metrics(self, metrics: ReplicaMetrics, host: str) -> None:
        assert self.replica is not None and self.metrics_port is not None
        metrics.attach(self.replica)
        registry = prometheus_registry(metrics, lambda: dict(self.counters))
        endpoint = MetricsEndpoint(registry, self.status, host, self.metrics_port)
        try:
            address = await endpoint.start()
        except OSError as exc:
            reason = os.strerror(exc.errno).lower() if exc.errno else str(exc)
            raise RuntimeError(
                f"replica {self.id} cannot serve metrics on {host}:{self.metrics_port}: "
                f"{reason}; stop whatever holds the port or give the replica another "
                "metrics_port (cluster.toml or --metrics-port)"
            ) from exc
        self.metrics, self._metrics_endpoint = metrics, endpoint
        log.info("replica %d serves /metrics and /status on %s:%d", self.id, *address)

    async def wait_connected(self, timeout: float = 10.0) -> None:
        """Wait until every link to a peer replica is up."""
        waits = (link.connected.wait() for link in self._links.values())
        await asyncio.wait_for(asyncio.gather(*waits), timeout)

    async def serve_forever(self) -> None:
        """Run until :meth:`stop` is called (from another task or a signal handler)."""
        if self._stopped is None:
            raise RuntimeError("ReplicaServer.serve_forever(): call `await start()` first")
        await self._stopped.wait()

    def request_stop(self) -> None:
        if self._stopped is not None:
            self._stopped.set()

    async def stop(self) -> None:
        """Close the listener, every connection and the storage; cancel timers."""
        self.request_stop()
        if self._metrics_endpoint is not None:
            await self._metrics_endpoint.stop()
        if self._server is not None:
            self._server.close()
        for handle in self._timers.values():
            handle.cancel()
        self._timers.clear()
        for link in self._links.values():
            await link.close()
        connections = list(self._connections)
        for connection in connections:
            connection.close()
        for connection in connections:
            await connection.closed
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None
        if self._storage is not None:
            self._storage.close()
            self._storage = None

    async def __aenter__(self) -> ReplicaServer:
        await self.start()
        return self

    async def __aexit__(self, *exc) -> None:
        await self.stop()

    # ------------------------------------------------------------ processing
    def _guard(self, fn, *args) -> None:
        try:
            fn(*args)
        except Exception:  # never die from bad input or a bug triggered by it
            self.counters["errors"] += 1
            if self._error_logs < 20:
                self._error_logs += 1
                log.exception("replica %d: error in %s", self.id, getattr(fn, "__name__", fn))

    def _process(self) -> None:
        self._processing_scheduled = False
        frames, self._inbox = self._inbox, []
        if self.replica is None or self._storage is None:
            return
        self.counters["frames_in"] += len(frames)
        self.counters["bursts"] += 1
        on_frame = self.replica.on_frame
        for frame in frames:
            try:
                on_frame(frame)
            except Exception:
                self.counters["errors"] += 1
                if self._error_logs < 20:
                    self._error_logs += 1
                    log.exception("replica %d: error handling a %d-byte frame", self.id, len(frame))
        self._guard(self.replica.flush)
        self._note_view()

    def _on_timer(self, key: str) -> None:
        self._timers.pop(key, None)
        if self.replica is not None and self._storage is not None:
            self._guard(self.replica.on_timer, key)
            self._note_view()

    def _note_view(self) -> None:
        replica = self.replica
        if replica is None:
            return
        now = (replica.view, replica.in_view_change)
        if now != self._view:
            self._view = now
            if now[1]:
                log.info("replica %d: view change to view %d started", self.id, now[0])
            else:
                log.info("replica %d: in view %d (primary %d)", self.id, now[0], replica.primary())

    def status(self) -> dict:
        status = self.replica.status() if self.replica is not None else {}
        status["transport"] = dict(self.counters)
        if self.metrics is not None:
            status["metrics"] = self.metrics.figures()
        return status


async def run_replica(
    replica_id: int,
    cluster: ClusterConfig | str | Path,
    storage: Any = "sqlite",
    on_ready: Callable[[ReplicaServer], None] | None = None,
    install_signals: bool = True,
    **options: Any,
) -> dict:
    """Serve until SIGINT/SIGTERM; returns the replica's final status.  ``options`` go
    to :class:`ReplicaServer` (``machine``, ``endorse``, ...)."""
    import signal

    server = ReplicaServer(replica_id, cluster, storage=storage, **options)
    await server.start()
    loop = asyncio.get_running_loop()
    if install_signals:
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(sig, server.request_stop)
            except (NotImplementedError, RuntimeError):  # pragma: no cover - not POSIX
                pass
    try:
        if on_ready is not None:
            on_ready(server)
        await server.serve_forever()
    finally:
        status = server.status()
        await server.stop()
    try:
        import resource

        usage = resource.getrusage(resource.RUSAGE_SELF)
        status["cpu_s"] = round(usage.ru_utime + usage.ru_stime, 3)
    except ImportError:  # pragma: no cover - not POSIX
        pass
    return status
