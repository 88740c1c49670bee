"""The TCP wire format, without I/O: length-prefixed frames and the hello frame.

Every frame of :mod:`accord.consensus.messages` travels as a 4-byte big-endian
length followed by the frame.  :class:`FrameReader` splits a byte stream into
frames and reports a length above the limit before the body is read, so the
connection can be closed without buffering it.

A connection starts with a *hello* frame, ``b"\\xffHELLO" + JSON``, saying who
connects: ``{"role": "replica", "id": r}`` for a peer replica's outbound link, or
``{"role": "client", "ids": [...]}`` for a connection that carries the requests of
one or more clients.  (No PBFT frame starts with ``0xff``: that would announce a
payload of more than 4 GiB.)  The hello is not authenticated: a process that
claims a client id can divert (not forge) that client's replies.
"""

from __future__ import annotations

import json
from typing import NamedTuple

from ..crypto import CLIENT_BASE

__all__ = [
    "HELLO",
    "HELLO_LIMIT",
    "FrameReader",
    "Hello",
    "decode_hello",
    "encode_frame",
    "encode_hello",
    "is_hello",
    "length_prefix",
]

HELLO = b"\xffHELLO"
#: Longest hello frame accepted, in bytes.
HELLO_LIMIT = 1 << 20


def length_prefix(frame: bytes) -> bytes:
    """The 4-byte big-endian length that precedes ``frame`` on the wire."""
    return len(frame).to_bytes(4, "big")


def encode_frame(frame: bytes) -> bytes:
    """``frame`` as it travels: its length prefix, then the frame."""
    return length_prefix(frame) + frame


class FrameReader:
    """Splits a byte stream into length-prefixed frames.

    :meth:`feed` returns the frames completed by each chunk of the stream.  A frame
    still arriving is kept and the stream is not re-parsed until enough bytes for it
    are there, so a large frame costs one copy.
    """

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._buffer = bytearray()
        self._need = 0  # bytes the frame at the start of the buffer needs, when known

    def feed(self, data: bytes) -> tuple[list[bytes], int | None]:
        """The frames completed by ``data``, and the announced size of a frame above
        ``max_bytes`` (None if none): the frames before it are valid, and nothing after
        it can be read, so the connection must be closed."""
        buffer = self._buffer
        if buffer:
            buffer += data
            if len(buffer) < self._need:  # a large frame still arriving: no copy, no parse
                return [], None
            data = bytes(buffer)
            buffer.clear()
        self._need = 0
        end_of_data, pos = len(data), 0
        frames: list[bytes] = []
        max_bytes = self.max_bytes
        while end_of_data - pos >= 4:
            size = int.from_bytes(data[pos : pos + 4], "big")
            if size > max_bytes:  # reject before reading the body
                return frames, size
            end = pos + 4 + size
            if end > end_of_data:
                self._need = end - pos
                break
            frames.append(data[pos + 4 : end])
            pos = end
        if pos < end_of_data:
            buffer += data[pos:]
        return frames, None


class Hello(NamedTuple):
    """Who opened a connection: ``"replica"``, or ``"client"`` with its client ids."""

    role: str
    client_ids: list[int]


def encode_hello(info: dict) -> bytes:
    return HELLO + json.dumps(info, separators=(",", ":")).encode()


def is_hello(frame: bytes) -> bool:
    return frame[:6] == HELLO


def decode_hello(frame: bytes) -> Hello:
    """Parse a hello frame; raises ValueError, KeyError or TypeError if it is invalid."""
    if len(frame) > HELLO_LIMIT:
        raise ValueError("too long")
    info = json.loads(frame[6:])
    role = info["role"]
    if role == "client":
        ids = info["ids"]
        if type(ids) is not list or not all(type(c) is int and c >= CLIENT_BASE for c in ids):
            raise ValueError("ids must be client ids")
        return Hello(role, ids)
    if role == "replica":
        return Hello(role, [])
    raise ValueError(f"unknown role {role!r}")
