"""A replica's metrics and status over HTTP, and the reader of that status.

:class:`MetricsEndpoint` answers on the replica's own event loop, so the figures are
read between two frames and never while the replica changes them:

* ``GET /metrics`` -- the Prometheus text format (``prometheus_client``);
* ``GET /status`` -- the replica's status and figures as JSON
  (:meth:`ReplicaServer.status <accord.consensus.tcp.ReplicaServer.status>`).

Each connection carries one request (HTTP/1.0 style: the answer closes it), which is
what Prometheus, ``curl`` and :func:`fetch_status` (``accord pbft status``) send.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

__all__ = ["MetricsEndpoint", "fetch_status"]

_MAX_LINE = 8192  # bytes of one request or header line
_MAX_HEADERS = 100
_READ_TIMEOUT = 5.0  # seconds a client may take to send its request
_REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed"}


class MetricsEndpoint:
    """Serves ``/metrics`` from ``registry`` and ``/status`` from ``status()`` on
    ``host:port`` (port 0: a free port, see :attr:`address` once started)."""

    def __init__(self, registry: Any, status: Callable[[], dict], host: str, port: int) -> None:
        self.registry, self.status = registry, status
        self.host, self.port = host, port
        self._server: asyncio.base_events.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self.address: tuple[str, int] | None = None

    async def start(self) -> tuple[str, int]:
        """Listen; return the bound ``(host, port)``."""
        self._server = await asyncio.start_server(
            self._handle, self.host, self.port, limit=_MAX_LINE, reuse_address=True
        )
        port = self._server.sockets[0].getsockname()[1]
        self.address = (self.host, port)
        return self.address

    async def stop(self) -> None:
        if self._server is None:
            return
        self._server.close()
        for writer in list(self._writers):
            writer.close()
        await self._server.wait_closed()
        self._server = None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            status, ctype, body = await asyncio.wait_for(self._answer(reader), _READ_TIMEOUT)
            head = (
                f"HTTP/1.1 {status} {_REASONS[status]}\r\nContent-Type: {ctype}\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
            )
            writer.write(head.encode("ascii") + body)
            await writer.drain()
        except (asyncio.TimeoutError, ConnectionError, ValueError, asyncio.IncompleteReadError):
            pass  # a client that is too slow, too long-winded or gone
        finally:
            self._writers.discard(writer)
            writer.close()

    async def _answer(self, reader: asyncio.StreamReader) -> tuple[int, str, bytes]:
        request = (await reader.readline()).decode("latin-1").split()
        for _ in range(_MAX_HEADERS):
            line = await reader.readline()
            if line in (b"\r\n", b"\n", b""):
                break
        if len(request) != 3 or not request[2].startswith("HTTP/"):
            return 400, "text/plain", b"expected GET /metrics or GET /status\n"
        method, target = request[0], request[1].split("?", 1)[0]
        if method != "GET":
            return 405, "text/plain", b"only GET: /metrics or /status\n"
        if target == "/metrics":
            from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

            body = generate_latest(self.registry)
            ctype = CONTENT_TYPE_LATEST
        elif target == "/status":
            body = (json.dumps(self.status(), sort_keys=True) + "\n").encode()
            ctype = "application/json"
        else:
            return 404, "text/plain", b"not found: try /metrics or /status\n"
        return 200, ctype, body


async def fetch_status(host: str, port: int, timeout: float = 2.0) -> dict:
    """The JSON of ``GET /status`` from a replica's metrics endpoint.

    Raises ``OSError`` (refused, unreachable), ``asyncio.TimeoutError`` after
    ``timeout`` seconds, or ``ValueError`` for an answer that is not a status.
    """

    async def get() -> bytes:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            writer.write(f"GET /status HTTP/1.0\r\nHost: {host}:{port}\r\n\r\n".encode())
            await writer.drain()
            return await reader.read()
        finally:
            writer.close()

    raw = await asyncio.wait_for(get(), timeout)
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line = head.split(b"\r\n", 1)[0].split()
    if len(status_line) < 2 or status_line[1] != b"200":
        raise ValueError(f"{host}:{port} answered {head[:80]!r}, not a replica status")
    try:
        status = json.loads(body)
    except ValueError:
        raise ValueError(f"{host}:{port} answered with a body that is not JSON") from None
    if not isinstance(status, dict):
        raise ValueError(f"{host}:{port} answered with JSON that is not a status object")
    return status
