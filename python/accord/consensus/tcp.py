"""asyncio TCP transport for the PBFT replica and client.

Wire format: every frame of :mod:`accord.consensus.messages` travels as a 4-byte
big-endian length followed by the frame.  A length above ``max_message_bytes`` is
rejected before the body is read: the connection is closed and counted.

A connection starts with a *hello* frame, ``b"\\xffHELLO" + JSON``, saying who
connects: ``{"role": "replica", "id": r}`` for a peer replica's outbound link, or
``{"role": "client", "ids": [...]}`` for a connection that carries the requests of
one or more clients.  (No PBFT frame starts with ``0xff``: that would announce a
payload of more than 4 GiB.)  Replies to a client go back over the connection on
which it said hello; replies to a client that is not connected are dropped, as are
frames to a peer replica whose link is down (PBFT recovers lost messages by
retransmission; links reconnect with back-off).  The hello is not authenticated:
a process that claims a client id can divert (not forge) that client's replies.

:class:`ReplicaServer` runs one :class:`~accord.consensus.replica.Replica`.  Frames
that arrive on any connection during one event-loop iteration are handed to the
replica together and followed by a single :meth:`Replica.flush`, so that the
primary sees many requests at once (batching) and the log is persisted once per
burst.  Outgoing frames are gathered per connection and written with one
``transport.write`` per burst; a connection whose kernel and asyncio buffers hold
more than ``write_buffer_limit`` bytes loses frames instead of growing without
bound.  Exceptions raised while handling a frame are logged and counted, never
fatal.

:class:`AsyncClient` drives one or many :class:`~accord.consensus.client.Client`
ids over one connection per replica: ``await client.submit(op)`` returns the
result; with several ids, as many requests run concurrently (load generation).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from .client import Client
from .cluster_config import ClusterConfig, load_cluster
from .crypto import CLIENT_BASE
from .replica import Replica
from .storage import MemoryStorage, SQLiteStorage

__all__ = ["AsyncClient", "ReplicaServer", "HELLO", "encode_hello", "run_replica"]

log = logging.getLogger("accord.pbft.tcp")

HELLO = b"\xffHELLO"
#: Default cap on the bytes queued for one connection before frames are dropped.
WRITE_BUFFER_LIMIT = 32 << 20
_HELLO_LIMIT = 1 << 20


def encode_hello(info: dict) -> bytes:
    return HELLO + json.dumps(info, separators=(",", ":")).encode()


def _wire(frame: bytes) -> bytes:
    return len(frame).to_bytes(4, "big") + frame


class _Framed(asyncio.Protocol):
    """Splits the byte stream into length-prefixed frames."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.buf = bytearray()
        self.need = 0  # bytes the frame at the start of buf needs, when known
        self.transport: asyncio.Transport | None = None
        self.closed: asyncio.Future = asyncio.get_running_loop().create_future()

    def connection_made(self, transport) -> None:
        self.transport = transport

    def connection_lost(self, exc) -> None:
        self.transport = None
        if not self.closed.done():
            self.closed.set_result(None)

    def data_received(self, data: bytes) -> None:
        buf = self.buf
        if buf:
            buf += data
            if len(buf) < self.need:  # a large frame still arriving: no copy, no parse
                return
            data = bytes(buf)
            buf.clear()
        self.need = 0
        n, pos, frames = len(data), 0, []
        max_bytes = self.max_bytes
        while n - pos >= 4:
            size = int.from_bytes(data[pos:pos + 4], "big")
            if size > max_bytes:  # reject before reading the body
                if frames:
                    self.frames(frames)  # those before the bad prefix are fine
                self.oversize(size)
                if self.transport is not None:
                    self.transport.abort()
                return
            end = pos + 4 + size
            if end > n:
                self.need = end - pos
                break
            frames.append(data[pos + 4:end])
            pos = end
        if pos < n:
            self.buf += data[pos:]
        if frames:
            self.frames(frames)

    def frames(self, frames: list[bytes]) -> None:  # pragma: no cover - overridden
        pass

    def oversize(self, size: int) -> None:
        pass

    def close(self) -> None:
        if self.transport is not None:
            self.transport.abort()


class _Outbox:
    """Frames queued per transport, written once per event-loop iteration."""

    def __init__(self, limit: int, counters: Counter) -> None:
        self.limit, self.counters = limit, counters
        self.queued: dict[asyncio.Transport, list[bytes]] = {}
        self.scheduled = False
        self.loop = asyncio.get_running_loop()

    def put(self, transport: asyncio.Transport, frame: bytes) -> None:
        q = self.queued.get(transport)
        if q is None:
            q = self.queued[transport] = []
            if not self.scheduled:
                self.scheduled = True
                self.loop.call_soon(self.write)
        q.append(len(frame).to_bytes(4, "big"))
        q.append(frame)

    def write(self) -> None:
        self.scheduled = False
        queued, self.queued = self.queued, {}
        for tr, chunks in queued.items():
            if tr.is_closing():
                self.counters["dropped_closed"] += len(chunks) // 2
            elif tr.get_write_buffer_size() > self.limit:
                self.counters["dropped_backpressure"] += len(chunks) // 2
            else:
                tr.write(b"".join(chunks))
                self.counters["frames_out"] += len(chunks) // 2


class _Link:
    """An outbound connection kept open with reconnection and back-off."""

    def __init__(self, owner, dest: int, host: str, port: int, hello: bytes,
                 make_protocol: Callable[[], _Framed]) -> None:
        self.owner, self.dest, self.host, self.port = owner, dest, host, port
        self.hello = hello
        self.make_protocol = make_protocol
        self.proto: _Framed | None = None
        self.connected = asyncio.Event()
        self._closing: asyncio.Future | None = None
        self.task = asyncio.get_running_loop().create_task(self._run())

    @property
    def transport(self) -> asyncio.Transport | None:
        p = self.proto
        return p.transport if p is not None else None

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        delay = 0.02
        while True:
            try:
                _, proto = await loop.create_connection(self.make_protocol, self.host, self.port)
            except OSError:
                self.owner.counters["connect_failures"] += 1
                await asyncio.sleep(delay)
                delay = min(delay * 2, 1.0)
                continue
            delay = 0.02
            if proto.transport is None:  # lost already
                continue
            proto.transport.write(_wire(self.hello))
            self.proto = proto
            self.connected.set()
            self.owner.counters["links_up"] += 1
            try:
                await asyncio.shield(proto.closed)
            finally:
                self.connected.clear()
                self.proto = None
                self._closing = proto.closed
                if proto.transport is not None:
                    proto.transport.abort()
            self.owner.counters["links_lost"] += 1
            await asyncio.sleep(delay)

    async def close(self) -> None:
        self.task.cancel()
        try:
            await self.task
        except asyncio.CancelledError:
            pass
        if self._closing is not None:
            await self._closing


# ====================================================================== replica
class _Inbound(_Framed):
    def __init__(self, server: ReplicaServer) -> None:
        super().__init__(server.cfg.max_message_bytes)
        self.server = server
        self.role: str | None = None
        self.client_ids: list[int] = []

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        self.server._conns.add(self)
        self.server.counters["connections"] += 1

    def connection_lost(self, exc) -> None:
        super().connection_lost(exc)
        s = self.server
        s._conns.discard(self)
        for cid in self.client_ids:
            if s._clients.get(cid) is self:
                del s._clients[cid]

    def oversize(self, size: int) -> None:
        self.server.counters["oversize_closed"] += 1
        self.server.replica.rejected["oversize"] += 1
        log.warning("replica %d: closed a connection announcing a %d-byte frame (limit %d)",
                    self.server.id, size, self.max_bytes)

    def frames(self, frames: list[bytes]) -> None:
        if frames[0][:6] == HELLO:
            self._hello(frames[0])
            frames = frames[1:]
        s = self.server
        s._inbox.extend(frames)
        if not s._processing_scheduled and frames:
            s._processing_scheduled = True
            s.loop.call_soon(s._process)

    def _hello(self, fr: bytes) -> None:
        s = self.server
        try:
            if len(fr) > _HELLO_LIMIT:
                raise ValueError("too long")
            info = json.loads(fr[6:])
            role = info["role"]
            if role == "client":
                ids = info["ids"]
                if type(ids) is not list or not all(type(c) is int and c >= CLIENT_BASE
                                                    for c in ids):
                    raise ValueError("ids must be client ids")
                self.role, self.client_ids = role, ids
                for c in ids:
                    s._clients[c] = self
            elif role == "replica":
                self.role = role
            else:
                raise ValueError(f"unknown role {role!r}")
            s.counters["hellos"] += 1
        except (ValueError, KeyError, TypeError) as exc:
            s.counters["bad_hello"] += 1
            log.warning("replica %d: bad hello (%s)", s.id, exc)


class _Outbound(_Framed):
    """A replica's link to a peer: write-only (peers answer on their own links)."""

    def frames(self, frames: list[bytes]) -> None:
        pass


class ReplicaServer:
    """One PBFT replica listening on its port of ``cluster``.

    ``storage`` is ``"sqlite"`` (``data_dir/replica-<id>.db``), ``"memory"``, or an
    object with the storage interface.  ``listen_host`` overrides the host to bind.
    """

    def __init__(self, replica_id: int, cluster: ClusterConfig | str | Path,
                 storage: Any = "sqlite", listen_host: str | None = None,
                 write_buffer_limit: int = WRITE_BUFFER_LIMIT) -> None:
        if not isinstance(cluster, ClusterConfig):
            cluster = load_cluster(cluster)
        if not 0 <= replica_id < cluster.n:
            raise ValueError(f"ReplicaServer: replica id must be in 0..{cluster.n - 1}; "
                             f"got {replica_id}")
        self.id, self.cluster, self.cfg = replica_id, cluster, cluster.protocol
        self.storage_spec = storage
        self.listen_host = listen_host
        self.write_buffer_limit = write_buffer_limit
        self.counters: Counter[str] = Counter()
        self.replica: Replica | None = None
        self._server: asyncio.base_events.Server | None = None
        self._links: dict[int, _Link] = {}
        self._clients: dict[int, _Inbound] = {}
        self._conns: set[_Inbound] = set()
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._inbox: list[bytes] = []
        self._processing_scheduled = False
        self._stopped: asyncio.Event | None = None
        self._storage = None
        self._error_logs = 0
        self._view = (0, False)

    # ------------------------------------------------------------ host API
    def send(self, dest: int, frame: bytes) -> None:
        if dest < CLIENT_BASE:
            link = self._links.get(dest)
            tr = link.transport if link is not None else None
        else:
            conn = self._clients.get(dest)
            tr = conn.transport if conn is not None else None
        if tr is None or tr.is_closing():
            self.counters["dropped_unconnected"] += 1
            return
        self._outbox.put(tr, frame)

    def set_timer(self, key: str, delay: float) -> None:
        h = self._timers.pop(key, None)
        if h is not None:
            h.cancel()
        self._timers[key] = self.loop.call_later(delay, self._on_timer, key)

    def cancel_timer(self, key: str) -> None:
        h = self._timers.pop(key, None)
        if h is not None:
            h.cancel()

    def now(self) -> float:
        return self.loop.time()

    # ------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        self.loop = asyncio.get_running_loop()
        self._stopped = asyncio.Event()
        self._outbox = _Outbox(self.write_buffer_limit, self.counters)
        spec = self.storage_spec
        if spec == "sqlite":
            self.cluster.data_dir.mkdir(parents=True, exist_ok=True)
            self._storage = SQLiteStorage(self.cluster.db_path(self.id))
        elif spec == "memory":
            self._storage = MemoryStorage()
        elif isinstance(spec, str):
            raise ValueError(f"ReplicaServer: storage must be 'sqlite', 'memory' or a storage "
                             f"object; got {spec!r}")
        else:
            self._storage = spec
        host, port = self.cluster.address(self.id)
        try:
            keyring = self.cluster.keyring(self.id)
            self.replica = Replica(self.id, self.cfg, keyring, self, storage=self._storage)
            self._server = await self.loop.create_server(
                lambda: _Inbound(self), self.listen_host or host, port, reuse_address=True)
        except BaseException:
            for h in self._timers.values():
                h.cancel()
            self._timers.clear()
            self._storage.close()
            self._storage = None
            raise
        hello = encode_hello({"role": "replica", "id": self.id})
        limit = self.cfg.max_message_bytes
        for r in range(self.cluster.n):
            if r != self.id:
                h, p = self.cluster.address(r)
                self._links[r] = _Link(self, r, h, p, hello, lambda: _Outbound(limit))
        self._guard(self.replica.flush)
        log.info("replica %d listening on %s:%d", self.id, host, port)

    async def wait_connected(self, timeout: float = 10.0) -> None:
        """Wait until every link to a peer replica is up."""
        await asyncio.wait_for(asyncio.gather(*(lk.connected.wait()
                                                for lk in self._links.values())), timeout)

    async def serve_forever(self) -> None:
        """Run until :meth:`stop` is called (from another task or a signal handler)."""
        await self._stopped.wait()

    def request_stop(self) -> None:
        if self._stopped is not None:
            self._stopped.set()

    async def stop(self) -> None:
        """Close the listener, every connection and the storage; cancel timers."""
        self.request_stop()
        if self._server is not None:
            self._server.close()
        for h in self._timers.values():
            h.cancel()
        self._timers.clear()
        for lk in self._links.values():
            await lk.close()
        conns = list(self._conns)
        for c in conns:
            c.close()
        for c in conns:
            await c.closed
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
                log.exception("replica %d: error in %s", self.id,
                              getattr(fn, "__name__", fn))

    def _process(self) -> None:
        self._processing_scheduled = False
        frames, self._inbox = self._inbox, []
        if self.replica is None or self._storage is None:
            return
        self.counters["frames_in"] += len(frames)
        self.counters["bursts"] += 1
        on_frame = self.replica.on_frame
        for fr in frames:
            try:
                on_frame(fr)
            except Exception:
                self.counters["errors"] += 1
                if self._error_logs < 20:
                    self._error_logs += 1
                    log.exception("replica %d: error handling a %d-byte frame",
                                  self.id, len(fr))
        self._guard(self.replica.flush)
        self._note_view()

    def _on_timer(self, key: str) -> None:
        self._timers.pop(key, None)
        if self.replica is not None and self._storage is not None:
            self._guard(self.replica.on_timer, key)
            self._note_view()

    def _note_view(self) -> None:
        rep = self.replica
        now = (rep.view, rep.in_view_change)
        if now != self._view:
            self._view = now
            if now[1]:
                log.info("replica %d: view change to view %d started", self.id, now[0])
            else:
                log.info("replica %d: in view %d (primary %d)", self.id, now[0],
                         rep.primary())

    def status(self) -> dict:
        st = self.replica.status() if self.replica is not None else {}
        st["transport"] = dict(self.counters)
        return st


async def run_replica(replica_id: int, cluster: ClusterConfig | str | Path,
                      storage: Any = "sqlite", on_ready: Callable[[ReplicaServer], None]
                      | None = None, install_signals: bool = True) -> dict:
    """Serve until SIGINT/SIGTERM; returns the replica's final status."""
    import signal

    server = ReplicaServer(replica_id, cluster, storage=storage)
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

        ru = resource.getrusage(resource.RUSAGE_SELF)
        status["cpu_s"] = round(ru.ru_utime + ru.ru_stime, 3)
    except ImportError:  # pragma: no cover - not POSIX
        pass
    return status


# ====================================================================== client
def _reply_key(frame: bytes) -> tuple[int, int] | None:
    """(client, ts) of a REPLY frame without decoding it: ``["RP",s,v,client,ts,...``."""
    head = frame[4:96].split(b",", 5)
    if len(head) < 6 or head[0] != b'["RP"':
        return None
    try:
        return int(head[3]), int(head[4])
    except ValueError:
        return None


class _ClientConn(_Framed):
    def __init__(self, pool: AsyncClient) -> None:
        super().__init__(pool.cfg.max_message_bytes)
        self.pool = pool

    def frames(self, frames: list[bytes]) -> None:
        self.pool._on_frames(frames)

    def oversize(self, size: int) -> None:
        self.pool.counters["oversize_closed"] += 1


class _ClientHost:
    __slots__ = ("pool", "cid")

    def __init__(self, pool: AsyncClient, cid: int) -> None:
        self.pool, self.cid = pool, cid

    def send(self, dest: int, frame: bytes) -> None:
        self.pool._send(dest, frame)

    def set_timer(self, key: str, delay: float) -> None:
        self.pool._set_timer(self.cid, key, delay)

    def cancel_timer(self, key: str) -> None:
        self.pool._cancel_timer(self.cid, key)

    def now(self) -> float:
        return time.time()  # wall clock: timestamps keep growing across client restarts


class AsyncClient:
    """PBFT clients ``client_ids`` (one id or many) over one connection per replica.

    ``await submit(op)`` runs ``op`` on an idle client id (waiting for one when all are
    busy) and returns its result; up to ``len(client_ids)`` submissions run at once::

        async with AsyncClient(cluster, 1000000) as c:
            await c.submit({"op": "set", "key": "x", "value": 1})
    """

    def __init__(self, cluster: ClusterConfig | str | Path,
                 client_ids: int | Iterable[int] | None = None,
                 write_buffer_limit: int = WRITE_BUFFER_LIMIT) -> None:
        if not isinstance(cluster, ClusterConfig):
            cluster = load_cluster(cluster)
        if client_ids is None:
            if not cluster.client_ids:
                raise ValueError("AsyncClient: the cluster file lists no [[client]]; add some "
                                 "with `accord pbft init --clients K`")
            client_ids = [cluster.client_ids[0]]
        elif isinstance(client_ids, int):
            client_ids = [client_ids]
        ids = list(client_ids)
        if not ids or len(set(ids)) != len(ids):
            raise ValueError(f"AsyncClient: client_ids must be distinct and non-empty; got {ids}")
        self.cluster, self.cfg, self.ids = cluster, cluster.protocol, ids
        self.write_buffer_limit = write_buffer_limit
        self.counters: Counter[str] = Counter()
        self.clients: dict[int, Client] = {}
        self._keyrings = {cid: cluster.keyring(cid) for cid in ids}  # checks keys early
        self._links: dict[int, _Link] = {}
        self._timers: dict[tuple[int, str], asyncio.TimerHandle] = {}
        self._futures: dict[int, asyncio.Future] = {}
        self._idle: deque[int] = deque()
        self._waiters: deque[asyncio.Future] = deque()
        self._started = False

    async def start(self, wait: bool = True, timeout: float = 10.0) -> None:
        """Connect to every replica; with ``wait``, until a quorum of links is up."""
        self.loop = asyncio.get_running_loop()
        self._outbox = _Outbox(self.write_buffer_limit, self.counters)
        for cid in self.ids:
            self.clients[cid] = Client(cid, self.cfg, self._keyrings[cid], _ClientHost(self, cid),
                                       on_result=self._on_result)
        self._idle.extend(self.ids)
        hello = encode_hello({"role": "client", "ids": self.ids})
        for r in range(self.cluster.n):
            h, p = self.cluster.address(r)
            self._links[r] = _Link(self, r, h, p, hello, lambda: _ClientConn(self))
        self._started = True
        if wait:
            await self.wait_connected(self.cfg.quorum, timeout)

    async def wait_connected(self, count: int | None = None, timeout: float = 10.0) -> None:
        """Wait until ``count`` replicas (default: all) are connected."""
        count = self.cluster.n if count is None else count
        deadline = time.monotonic() + timeout
        while sum(lk.connected.is_set() for lk in self._links.values()) < count:
            if time.monotonic() > deadline:
                up = [r for r, lk in self._links.items() if lk.connected.is_set()]
                raise TimeoutError(f"AsyncClient: connected to replicas {up} only after "
                                   f"{timeout} s; need {count} of {self.cluster.n}; are the "
                                   "replicas running (`accord pbft serve`)?")
            await asyncio.sleep(0.01)

    async def close(self) -> None:
        for h in self._timers.values():
            h.cancel()
        self._timers.clear()
        for lk in self._links.values():
            await lk.close()
        self._links.clear()
        for fut in list(self._futures.values()) + list(self._waiters):
            if not fut.done():
                fut.cancel()
        self._started = False

    async def __aenter__(self) -> AsyncClient:
        await self.start()
        return self

    async def __aexit__(self, *exc) -> None:
        await self.close()

    # ------------------------------------------------------------ requests
    async def _acquire(self) -> int:
        while not self._idle:
            fut = self.loop.create_future()
            self._waiters.append(fut)
            await fut
        return self._idle.popleft()

    def _release(self, cid: int) -> None:
        self._idle.append(cid)
        while self._waiters:
            w = self._waiters.popleft()
            if not w.done():
                w.set_result(None)
                break

    async def submit(self, op: dict, read_only: bool | None = None,
                     client_id: int | None = None, timeout: float | None = None) -> Any:
        """Run ``op`` and return its result.

        ``client_id`` picks the client (it must be idle); ``timeout`` (seconds) raises
        :class:`TimeoutError`, after which that client id stays busy until its
        request completes (PBFT clients retransmit until it does).
        """
        if not self._started:
            raise RuntimeError("AsyncClient.submit(): call `await start()` (or use "
                               "`async with AsyncClient(...)`) first")
        if client_id is None:
            cid = await self._acquire()
        else:
            if client_id not in self.clients:
                raise ValueError(f"AsyncClient.submit(): client {client_id} is not one of "
                                 f"this AsyncClient's ids")
            if client_id not in self._idle:
                raise RuntimeError(f"AsyncClient.submit(): client {client_id} is busy")
            self._idle.remove(client_id)
            cid = client_id
        fut = self.loop.create_future()
        try:
            self.clients[cid].submit(op, read_only)
        except BaseException:
            self._release(cid)
            raise
        self._futures[cid] = fut
        if timeout is None:
            return await fut
        return await asyncio.wait_for(asyncio.shield(fut), timeout)

    def _on_result(self, cid: int, ts: int, result: Any) -> None:
        fut = self._futures.pop(cid, None)
        if fut is not None and not fut.done():
            fut.set_result(result)
        self._release(cid)

    # ------------------------------------------------------------ host side
    def _send(self, dest: int, frame: bytes) -> None:
        link = self._links.get(dest)
        tr = link.transport if link is not None else None
        if tr is None or tr.is_closing():
            self.counters["dropped_unconnected"] += 1
            return
        self._outbox.put(tr, frame)

    def _set_timer(self, cid: int, key: str, delay: float) -> None:
        h = self._timers.pop((cid, key), None)
        if h is not None:
            h.cancel()
        self._timers[(cid, key)] = self.loop.call_later(delay, self._fire, cid, key)

    def _cancel_timer(self, cid: int, key: str) -> None:
        h = self._timers.pop((cid, key), None)
        if h is not None:
            h.cancel()

    def _fire(self, cid: int, key: str) -> None:
        self._timers.pop((cid, key), None)
        self.counters["retransmit_timeouts"] += 1
        self.clients[cid].on_timer(key)

    def _on_frames(self, frames: list[bytes]) -> None:
        clients = self.clients
        for fr in frames:
            k = _reply_key(fr)
            if k is None:
                self.counters["unroutable"] += 1
                continue
            cl = clients.get(k[0])
            cur = cl.current if cl is not None else None
            if cur is None or cur["ts"] != k[1]:
                self.counters["late_replies"] += 1  # the client would ignore it anyway
                continue
            try:
                cl.on_frame(fr)
            except Exception:
                self.counters["errors"] += 1
                log.exception("client %d: error handling a reply", k[0])

    def view(self) -> int:
        """The highest view any of this object's clients has seen in a reply."""
        return max(c.view for c in self.clients.values()) if self.clients else 0
