"""asyncio TCP transport for the PBFT replica and client.

* :mod:`~accord.consensus.tcp.framing` -- the wire format without I/O:
  length-prefixed frames, their size limit, and the hello frame that opens a
  connection;
* :mod:`~accord.consensus.tcp.connection` -- framed asyncio connections, the
  per-iteration outbox with its write-buffer limit, outbound links that reconnect;
* :mod:`~accord.consensus.tcp.server` -- :class:`ReplicaServer`, one replica on its
  port (``accord pbft serve``), and :func:`run_replica`;
* :mod:`~accord.consensus.tcp.client` -- :class:`AsyncClient`, many client ids over
  one connection per replica (``accord pbft client``, the TCP benchmarks).
"""

from .client import AsyncClient, Completed
from .connection import WRITE_BUFFER_LIMIT
from .framing import HELLO, encode_hello
from .server import ReplicaServer, run_replica

__all__ = [
    "HELLO",
    "WRITE_BUFFER_LIMIT",
    "AsyncClient",
    "Completed",
    "ReplicaServer",
    "encode_hello",
    "run_replica",
]
