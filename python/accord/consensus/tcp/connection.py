"""asyncio plumbing shared by the replica server and the client: framed
connections, a per-iteration outbox, and outbound links that reconnect.

Outgoing frames are gathered per connection and written with one
``transport.write`` per event-loop iteration; a connection whose kernel and
asyncio buffers hold more than ``write_buffer_limit`` bytes loses frames instead
of growing without bound (PBFT recovers lost messages by retransmission).
Outbound links reconnect with exponential back-off.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from typing import Any

from .framing import FrameReader, encode_frame, length_prefix

__all__ = ["WRITE_BUFFER_LIMIT", "FramedProtocol", "Link", "Outbox"]

#: Default cap on the bytes queued for one connection before frames are dropped.
WRITE_BUFFER_LIMIT = 32 << 20


class FramedProtocol(asyncio.Protocol):
    """Splits the byte stream into length-prefixed frames (see :class:`FrameReader`).

    Subclasses receive the frames of each read in :meth:`frames`; a length prefix
    above ``max_bytes`` calls :meth:`oversize` and aborts the connection.
    """

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.reader = FrameReader(max_bytes)
        self.transport: asyncio.Transport | None = None
        self.closed: asyncio.Future = asyncio.get_running_loop().create_future()

    def connection_made(self, transport) -> None:
        self.transport = transport

    def connection_lost(self, exc) -> None:
        self.transport = None
        if not self.closed.done():
            self.closed.set_result(None)

    def data_received(self, data: bytes) -> None:
        frames, oversize = self.reader.feed(data)
        if oversize is not None:
            if frames:
                self.frames(frames)  # those before the bad prefix are fine
            self.oversize(oversize)
            if self.transport is not None:
                self.transport.abort()
            return
        if frames:
            self.frames(frames)

    def frames(self, frames: list[bytes]) -> None:  # pragma: no cover - overridden
        pass

    def oversize(self, size: int) -> None:
        pass

    def close(self) -> None:
        if self.transport is not None:
            self.transport.abort()


class Outbox:
    """Frames queued per transport, written once per event-loop iteration."""

    def __init__(self, limit: int, counters: Counter) -> None:
        self.limit, self.counters = limit, counters
        self.queued: dict[asyncio.Transport, list[bytes]] = {}
        self.scheduled = False
        self.loop = asyncio.get_running_loop()

    def put(self, transport: asyncio.Transport, frame: bytes) -> None:
        chunks = self.queued.get(transport)
        if chunks is None:
            chunks = self.queued[transport] = []
            if not self.scheduled:
                self.scheduled = True
                self.loop.call_soon(self.write)
        chunks.append(length_prefix(frame))
        chunks.append(frame)

    def write(self) -> None:
        self.scheduled = False
        queued, self.queued = self.queued, {}
        for transport, chunks in queued.items():
            if transport.is_closing():
                self.counters["dropped_closed"] += len(chunks) // 2
            elif transport.get_write_buffer_size() > self.limit:
                self.counters["dropped_backpressure"] += len(chunks) // 2
            else:
                transport.write(b"".join(chunks))
                self.counters["frames_out"] += len(chunks) // 2


class Link:
    """An outbound connection kept open with reconnection and back-off; it sends
    ``hello`` first on every new connection.  ``owner.counters`` counts its events."""

    def __init__(
        self,
        owner: Any,
        dest: int,
        host: str,
        port: int,
        hello: bytes,
        make_protocol: Callable[[], FramedProtocol],
    ) -> None:
        self.owner, self.dest, self.host, self.port = owner, dest, host, port
        self.hello = hello
        self.make_protocol = make_protocol
        self.protocol: FramedProtocol | None = None
        self.connected = asyncio.Event()
        self._closing: asyncio.Future | None = None
        self.task = asyncio.get_running_loop().create_task(self._run())

    @property
    def transport(self) -> asyncio.Transport | None:
        protocol = self.protocol
        return protocol.transport if protocol is not None else None

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        delay = 0.02
        while True:
            try:
                _, protocol = await loop.create_connection(self.make_protocol, self.host, self.port)
            except OSError:
                self.owner.counters["connect_failures"] += 1
                await asyncio.sleep(delay)
                delay = min(delay * 2, 1.0)
                continue
            delay = 0.02
            if protocol.transport is None:  # lost already
                continue
            protocol.transport.write(encode_frame(self.hello))
            self.protocol = protocol
            self.connected.set()
            self.owner.counters["links_up"] += 1
            try:
                await asyncio.shield(protocol.closed)
            finally:
                self.connected.clear()
                self.protocol = None
                self._closing = protocol.closed
                if protocol.transport is not None:
                    protocol.transport.abort()
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
