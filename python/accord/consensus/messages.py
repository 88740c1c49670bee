"""Wire format of the PBFT messages (Castro & Liskov (1999), Sec. 4).

A *frame* is ``len(payload) (4 bytes, big endian) | payload | auth``.  The payload
is a compact JSON array ``[type, sender, ...fields]``; ``auth`` is a signature, a
MAC, or an authenticator (see :mod:`accord.consensus.crypto`).  Frames nested in
other messages (requests in a PRE-PREPARE, certificates in a VIEW-CHANGE) are
kept whole, base64-encoded, so that anyone can re-check their authentication.

Decoding never trusts the input: every field is type-checked and a frame that
does not parse raises :class:`Malformed`, which replicas count and drop.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass

from .crypto import CLIENT_BASE, MAC_BYTES, SIG_BYTES

REQUEST, PREPREPARE, PREPARE, COMMIT, REPLY = "REQ", "PP", "PR", "CM", "RP"
CHECKPOINT, VIEWCHANGE, NEWVIEW, FETCH, STATE = "CP", "VC", "NV", "FE", "ST"

#: Messages authenticated with MACs in ``hmac`` mode; all others are signed.
MAC_TYPES = frozenset({REQUEST, REPLY, COMMIT, FETCH})
MAX_INT = 1 << 62
NULL_DIGEST = hashlib.sha256(b"accord-batch\0").hexdigest()

_dumps = json.JSONEncoder(separators=(",", ":"), allow_nan=False, ensure_ascii=True).encode


class Malformed(ValueError):
    """A frame that cannot be a valid message (bad length, JSON, or field types)."""


@dataclass(slots=True, eq=False)
class Message:
    """A decoded frame: its type, claimed sender, fields and the raw parts."""

    type: str
    sender: int
    body: list
    payload: bytes
    auth: bytes
    frame: bytes
    digest: str | None = None  #: D(m) of a request, computed once

    def __getitem__(self, i: int):
        return self.body[i]


#: Checks a decoded message's signature, MAC or authenticator for one receiver.
Authenticator = Callable[[Message], bool]


def encode_payload(body: list) -> bytes:
    return _dumps(body).encode()


def frame(payload: bytes, auth: bytes) -> bytes:
    return len(payload).to_bytes(4, "big") + payload + auth


def _int(v) -> bool:
    return type(v) is int and 0 <= v < MAX_INT


def _hexes(v) -> bool:
    return type(v) is list and all(type(x) is str for x in v)


def _digest(v) -> bool:
    return type(v) is str and len(v) == 64


def _prepared_set(p) -> bool:
    return type(p) is list and all(
        type(e) is list and len(e) == 2 and type(e[0]) is str and _hexes(e[1]) for e in p
    )


# type -> (number of fields after [type, sender], validator of those fields)
_SCHEMA = {
    REQUEST: (3, lambda b: _int(b[0]) and type(b[1]) is dict and type(b[2]) is bool),
    PREPREPARE: (4, lambda b: _int(b[0]) and _int(b[1]) and _digest(b[2]) and _hexes(b[3])),
    PREPARE: (3, lambda b: _int(b[0]) and _int(b[1]) and _digest(b[2])),
    COMMIT: (3, lambda b: _int(b[0]) and _int(b[1]) and _digest(b[2])),
    # view, client, timestamp, result, read_only, endorsement (str or None)
    REPLY: (
        6,
        lambda b: (
            _int(b[0])
            and _int(b[1])
            and _int(b[2])
            and type(b[4]) is bool
            and (b[5] is None or type(b[5]) is str)
        ),
    ),
    CHECKPOINT: (2, lambda b: _int(b[0]) and _digest(b[1])),
    VIEWCHANGE: (4, lambda b: _int(b[0]) and _int(b[1]) and _hexes(b[2]) and _prepared_set(b[3])),
    NEWVIEW: (3, lambda b: _int(b[0]) and _hexes(b[1]) and _hexes(b[2])),
    FETCH: (1, lambda b: _int(b[0])),
    STATE: (4, lambda b: _int(b[0]) and _hexes(b[1]) and type(b[2]) is str and type(b[3]) is str),
}


def decode(data: bytes, max_bytes: int) -> Message:
    """Parse and type-check one frame; raise :class:`Malformed` on anything odd."""
    if type(data) is not bytes:
        raise Malformed("frame is not bytes")
    if len(data) > max_bytes:
        raise Malformed(f"frame of {len(data)} bytes exceeds the {max_bytes}-byte limit")
    if len(data) < 4:
        raise Malformed("frame shorter than its length prefix")
    size = int.from_bytes(data[:4], "big")
    if size > len(data) - 4:
        raise Malformed("payload length exceeds the frame")
    payload = data[4 : 4 + size]
    try:
        body = json.loads(payload)
    except (ValueError, RecursionError) as exc:
        raise Malformed(f"payload is not JSON: {exc}") from None
    if type(body) is not list or len(body) < 2 or type(body[0]) is not str:
        raise Malformed("payload is not [type, sender, ...]")
    schema = _SCHEMA.get(body[0])
    if schema is None:
        raise Malformed(f"unknown message type {body[0]!r}")
    count, ok = schema
    fields_ = body[2:]
    if not _int(body[1]) or len(fields_) != count or not ok(fields_):
        raise Malformed(f"bad fields for a {body[0]} message")
    return Message(body[0], body[1], fields_, payload, data[4 + size :], data)


def pack(data: bytes) -> str:
    """A nested frame as base64 text (a third larger; hex would double it at every
    level of nesting: request in PRE-PREPARE in VIEW-CHANGE in NEW-VIEW)."""
    return base64.b64encode(data).decode("ascii")


def unpack(s: str) -> bytes:
    try:
        return base64.b64decode(s, validate=True)
    except (ValueError, TypeError):
        raise Malformed("nested frame is not base64") from None


def parse_batch(
    packed: list[str],
    max_message_bytes: int,
    max_request_bytes: int,
    authentic: Authenticator | None = None,
) -> list[Message]:
    """Decode the requests of a PRE-PREPARE; with ``authentic``, check each one.

    Raises :class:`Malformed` unless every frame is a read-write client request
    within ``max_request_bytes`` (read-only requests are never ordered).
    """
    batch = []
    for text in packed:
        msg = decode(unpack(text), max_message_bytes)
        if (
            msg.type != REQUEST
            or msg.sender < CLIENT_BASE
            or msg.body[2]
            or len(msg.payload) > max_request_bytes
        ):
            raise Malformed("batch holds something other than a read-write request")
        if authentic is not None and not authentic(msg):
            raise Malformed("batch holds a request that fails authentication")
        batch.append(msg)
    return batch


def request_digest(msg: Message) -> str:
    """D(m) of a client request: SHA-256 of its payload (not of its authenticator)."""
    d = msg.digest
    if d is None:
        d = msg.digest = hashlib.sha256(msg.payload).hexdigest()
    return d


def batch_digest(request_digests: list[str]) -> str:
    """Digest of a batch of requests; the empty batch is the null request."""
    h = hashlib.sha256(b"accord-batch\0")
    for d in request_digests:
        h.update(bytes.fromhex(d))
    return h.hexdigest()


def auth_size(mtype: str, mode: str, n: int) -> int:
    """Expected length of the auth field for a message type."""
    if mode == "ed25519" or mtype not in MAC_TYPES:
        return SIG_BYTES
    return MAC_BYTES * n if mtype == REQUEST else MAC_BYTES


def seal(keyring, mode: str, n: int, body: list, dest: int | None = None) -> bytes:
    """Encode and authenticate a message for ``dest`` (``None``: any receiver)."""
    payload = encode_payload(body)
    mtype = body[0]
    if mode == "ed25519" or mtype not in MAC_TYPES:
        return frame(payload, keyring.sign(payload))
    if mtype == REQUEST:
        return frame(payload, keyring.authenticator(n, payload))
    if dest is None:
        raise ValueError(f"a {mtype} message is MAC-authenticated and needs a destination")
    return frame(payload, keyring.mac(dest, payload))


def authentic(keyring, mode: str, n: int, msg: Message) -> bool:
    """Check a decoded message's signature, MAC or authenticator slot for this keyring."""
    if len(msg.auth) != auth_size(msg.type, mode, n):
        return False
    if mode == "ed25519" or msg.type not in MAC_TYPES:
        return keyring.verify(msg.sender, msg.payload, msg.auth)
    if msg.type == REQUEST:
        me = keyring.id
        if not 0 <= me < n:
            return False
        return keyring.check_mac(
            msg.sender, msg.payload, msg.auth[MAC_BYTES * me : MAC_BYTES * (me + 1)]
        )
    return keyring.check_mac(msg.sender, msg.payload, msg.auth)
