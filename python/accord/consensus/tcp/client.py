"""PBFT clients over asyncio TCP.

:class:`AsyncClient` drives one or many :class:`~accord.consensus.client.Client`
ids over one connection per replica: ``await client.submit(op)`` returns the
result; with several ids, as many requests run concurrently (load generation).
Replies are routed to their client by peeking at the REPLY header
(:func:`reply_key`), so a reply for a request that is no longer outstanding is
dropped without being decoded or authenticated.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter, deque
from collections.abc import Iterable
from pathlib import Path
from typing import Any, NamedTuple

from ..client import Client
from ..cluster_config import ClusterConfig, load_cluster
from .connection import WRITE_BUFFER_LIMIT, FramedProtocol, Link, Outbox
from .framing import encode_hello

__all__ = ["AsyncClient", "Completed", "reply_key"]

log = logging.getLogger("accord.pbft.tcp")


def reply_key(frame: bytes) -> tuple[int, int] | None:
    """(client, timestamp) of a REPLY frame without decoding it:
    ``["RP",sender,view,client,timestamp,...``; None for anything else."""
    head = frame[4:96].split(b",", 5)
    if len(head) < 6 or head[0] != b'["RP"':
        return None
    try:
        return int(head[3]), int(head[4])
    except ValueError:
        return None


class Completed(NamedTuple):
    """A completed request: its result, the replicas' endorsements of it (replica ->
    endorsement), the replicas that replied otherwise, and the client id that ran it."""

    result: Any
    endorsements: dict[int, str]
    dissent: list[int]
    client_id: int


class _ReplicaConnection(FramedProtocol):
    """The connection to one replica, which carries the replies of every client id."""

    def __init__(self, pool: AsyncClient) -> None:
        super().__init__(pool.cfg.max_message_bytes)
        self.pool = pool

    def frames(self, frames: list[bytes]) -> None:
        self.pool._on_frames(frames)

    def oversize(self, size: int) -> None:
        self.pool.counters["oversize_closed"] += 1


class _ClientHost:
    """The host of one client id: the pool's connections and timers."""

    __slots__ = ("pool", "client_id")

    def __init__(self, pool: AsyncClient, client_id: int) -> None:
        self.pool, self.client_id = pool, client_id

    def send(self, dest: int, frame: bytes) -> None:
        self.pool._send(dest, frame)

    def set_timer(self, key: str, delay: float) -> None:
        self.pool._set_timer(self.client_id, key, delay)

    def cancel_timer(self, key: str) -> None:
        self.pool._cancel_timer(self.client_id, key)

    def now(self) -> float:
        return time.time()  # wall clock: timestamps keep growing across client restarts


class AsyncClient:
    """PBFT clients ``client_ids`` (one id or many) over one connection per replica.

    ``await submit(op)`` runs ``op`` on an idle client id (waiting for one when all are
    busy) and returns its result; up to ``len(client_ids)`` submissions run at once.
    ``async with`` waits at most ``connect_timeout`` seconds for a quorum of replicas::

        async with AsyncClient(cluster, 1000000) as c:
            await c.submit({"op": "set", "key": "x", "value": 1})

    ``client_options`` go to every :class:`~accord.consensus.client.Client` (an
    operation validator, endorsements to collect); ``submit(op, detail=True)`` returns
    a :class:`Completed` with the endorsements and the dissenting replicas.
    """

    def __init__(
        self,
        cluster: ClusterConfig | str | Path,
        client_ids: int | Iterable[int] | None = None,
        write_buffer_limit: int = WRITE_BUFFER_LIMIT,
        connect_timeout: float = 10.0,
        client_options: dict[str, Any] | None = None,
    ) -> None:
        if (
            isinstance(connect_timeout, bool)
            or not isinstance(connect_timeout, (int, float))
            or not 0 < connect_timeout < float("inf")
        ):
            raise ValueError(
                "AsyncClient(): connect_timeout must be a finite number of seconds > 0; "
                f"got {connect_timeout!r}"
            )
        self.connect_timeout = float(connect_timeout)
        if not isinstance(cluster, ClusterConfig):
            cluster = load_cluster(cluster)
        if client_ids is None:
            if not cluster.client_ids:
                raise ValueError(
                    "AsyncClient: the cluster file lists no [[client]]; add some "
                    "with `accord pbft init --clients K`"
                )
            client_ids = [cluster.client_ids[0]]
        elif isinstance(client_ids, int):
            client_ids = [client_ids]
        ids = list(client_ids)
        if not ids or len(set(ids)) != len(ids):
            raise ValueError(f"AsyncClient: client_ids must be distinct and non-empty; got {ids}")
        self.cluster, self.cfg, self.ids = cluster, cluster.protocol, ids
        self.write_buffer_limit = write_buffer_limit
        self.client_options = dict(client_options or {})
        self.counters: Counter[str] = Counter()
        self.clients: dict[int, Client] = {}
        self._keyrings = {c: cluster.keyring(c) for c in ids}  # checks keys early
        self._links: dict[int, Link] = {}
        self._timers: dict[tuple[int, str], asyncio.TimerHandle] = {}
        self._futures: dict[int, asyncio.Future] = {}
        self._idle: deque[int] = deque()
        self._waiters: deque[asyncio.Future] = deque()
        self._started = False

    async def start(self, wait: bool = True, timeout: float | None = None) -> None:
        """Connect to every replica; with ``wait``, until a quorum of links is up (at
        most ``timeout`` seconds, default ``connect_timeout``)."""
        self.loop = asyncio.get_running_loop()
        self._outbox = Outbox(self.write_buffer_limit, self.counters)
        for client_id in self.ids:
            self.clients[client_id] = Client(
                client_id,
                self.cfg,
                self._keyrings[client_id],
                _ClientHost(self, client_id),
                on_result=self._on_result,
                **self.client_options,
            )
        self._idle.extend(self.ids)
        hello = encode_hello({"role": "client", "ids": self.ids})
        for r in range(self.cluster.n):
            host, port = self.cluster.address(r)
            self._links[r] = Link(self, r, host, port, hello, lambda: _ReplicaConnection(self))
        self._started = True
        if wait:
            await self.wait_connected(
                self.cfg.quorum, self.connect_timeout if timeout is None else timeout
            )

    def connected_replicas(self) -> list[int]:
        """The replicas this client is connected to now."""
        return [r for r, link in self._links.items() if link.connected.is_set()]

    async def wait_connected(self, count: int | None = None, timeout: float = 10.0) -> None:
        """Wait until ``count`` replicas (default: all) are connected."""
        count = self.cluster.n if count is None else count
        deadline = time.monotonic() + timeout
        while sum(link.connected.is_set() for link in self._links.values()) < count:
            if time.monotonic() > deadline:
                up = self.connected_replicas()
                raise TimeoutError(
                    f"AsyncClient: connected to replicas {up} only after "
                    f"{timeout} s; need {count} of {self.cluster.n}; are the "
                    "replicas running (`accord pbft serve`)?"
                )
            await asyncio.sleep(0.01)

    async def close(self) -> None:
        for handle in self._timers.values():
            handle.cancel()
        self._timers.clear()
        for link in self._links.values():
            await link.close()
        self._links.clear()
        for future in list(self._futures.values()) + list(self._waiters):
            if not future.done():
                future.cancel()
        self._started = False

    async def __aenter__(self) -> AsyncClient:
        await self.start()
        return self

    async def __aexit__(self, *exc) -> None:
        await self.close()

    # ------------------------------------------------------------ requests
    async def _acquire(self) -> int:
        while not self._idle:
            waiter = self.loop.create_future()
            self._waiters.append(waiter)
            await waiter
        return self._idle.popleft()

    def _release(self, client_id: int) -> None:
        self._idle.append(client_id)
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                break

    async def submit(
        self,
        op: dict,
        read_only: bool | None = None,
        client_id: int | None = None,
        timeout: float | None = None,
        detail: bool = False,
    ) -> Any:
        """Run ``op`` and return its result (with ``detail``: a :class:`Completed`).

        ``client_id`` picks the client (it must be idle); ``timeout`` (seconds) raises
        :class:`TimeoutError`, after which that client id stays busy until its
        request completes (PBFT clients retransmit until it does).
        """
        if not self._started:
            raise RuntimeError(
                "AsyncClient.submit(): call `await start()` (or use "
                "`async with AsyncClient(...)`) first"
            )
        if client_id is None:
            client_id = await self._acquire()
        else:
            if client_id not in self.clients:
                raise ValueError(
                    f"AsyncClient.submit(): client {client_id} is not one of this AsyncClient's ids"
                )
            if client_id not in self._idle:
                raise RuntimeError(f"AsyncClient.submit(): client {client_id} is busy")
            self._idle.remove(client_id)
        future = self.loop.create_future()
        try:
            self.clients[client_id].submit(op, read_only)
        except BaseException:
            self._release(client_id)
            raise
        self._futures[client_id] = future
        if timeout is None:
            done = await future
        else:
            done = await asyncio.wait_for(asyncio.shield(future), timeout)
        return done if detail else done.result

    def _on_result(self, client_id: int, timestamp: int, result: Any) -> None:
        future = self._futures.pop(client_id, None)
        if future is not None and not future.done():
            client = self.clients[client_id]
            future.set_result(
                Completed(result, dict(client.endorsements), list(client.dissent), client_id)
            )
        self._release(client_id)

    # ------------------------------------------------------------ host side
    def _send(self, dest: int, frame: bytes) -> None:
        link = self._links.get(dest)
        transport = link.transport if link is not None else None
        if transport is None or transport.is_closing():
            self.counters["dropped_unconnected"] += 1
            return
        self._outbox.put(transport, frame)

    def _set_timer(self, client_id: int, key: str, delay: float) -> None:
        handle = self._timers.pop((client_id, key), None)
        if handle is not None:
            handle.cancel()
        self._timers[(client_id, key)] = self.loop.call_later(delay, self._fire, client_id, key)

    def _cancel_timer(self, client_id: int, key: str) -> None:
        handle = self._timers.pop((client_id, key), None)
        if handle is not None:
            handle.cancel()

    def _fire(self, client_id: int, key: str) -> None:
        self._timers.pop((client_id, key), None)
        self.counters["retransmit_timeouts"] += 1
        self.clients[client_id].on_timer(key)

    def _on_frames(self, frames: list[bytes]) -> None:
        clients = self.clients
        for frame in frames:
            key = reply_key(frame)
            if key is None:
                self.counters["unroutable"] += 1
                continue
            client = clients.get(key[0])
            if client is None or client.current is None or client.current["timestamp"] != key[1]:
                self.counters["late_replies"] += 1  # the client would ignore it anyway
                continue
            try:
                client.on_frame(frame)
            except Exception:
                self.counters["errors"] += 1
                log.exception("client %d: error handling a reply", key[0])

    def view(self) -> int:
        """The highest view any of this object's clients has seen in a reply."""
        return max(c.view for c in self.clients.values()) if self.clients else 0
