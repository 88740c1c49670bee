"""Checkpoints, watermarks and state transfer: the rules, without I/O.

Castro & Liskov (1999), Sec. 4.3: every ``K`` sequence numbers a replica
snapshots its state and multicasts CHECKPOINT(n, d, i) with the snapshot's
digest ``d``; ``2f + 1`` matching CHECKPOINTs from distinct replicas are the
checkpoint's proof and make it *stable*.  The stable checkpoint is the low
watermark ``h``; the log accepts sequence numbers ``h < n <= h + L``, and
everything at or below ``h`` is garbage.  A replica that lags behind, or whose
own state disagrees with a quorum, fetches the stable snapshot with its proof
(state transfer) and checks it against the proof before adopting it.

A snapshot holds the replicated :class:`~accord.consensus.statemachine.KVStore`
and each client's last timestamp and result, so that a replica that adopts it
still executes every request exactly once.
"""

from __future__ import annotations

import functools
import hashlib
import json
from typing import Any, NamedTuple

from .config import ProtocolConfig
from .messages import CHECKPOINT, STATE, Authenticator, decode, pack
from .statemachine import KVStore

_canonical = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode

#: client id -> (timestamp of its last executed request, that request's result)
ClientTable = dict[int, tuple[int, Any]]


class StableCheckpoint(NamedTuple):
    """A checkpoint and its proof: ``quorum`` signed CHECKPOINT frames (none at 0)."""

    seq: int
    digest: str
    proof: list[bytes]


def snapshot_digest(snapshot: bytes) -> str:
    """The digest a CHECKPOINT carries: SHA-256 of the snapshot, in hex."""
    return hashlib.sha256(snapshot).hexdigest()


def encode_snapshot(clients: ClientTable, state_machine: KVStore) -> bytes:
    """``len(head) (8 bytes) | head | state``: ``head`` is the client table as canonical
    JSON, ``state`` the state machine's own canonical snapshot."""
    table = {str(c): [ts, result] for c, (ts, result) in sorted(clients.items())}
    head = _canonical(table).encode()
    return len(head).to_bytes(8, "big") + head + state_machine.snapshot()


def decode_snapshot(
    snapshot: bytes, machine: type[KVStore] = KVStore
) -> tuple[ClientTable, KVStore]:
    """Inverse of :func:`encode_snapshot` (the state as a ``machine``); raises ValueError,
    KeyError, IndexError or TypeError on bytes that are not a snapshot."""
    size = int.from_bytes(snapshot[:8], "big")
    table = json.loads(snapshot[8 : 8 + size])
    state_machine = machine.from_snapshot(snapshot[8 + size :])
    clients = {int(c): (v[0], v[1]) for c, v in table.items()}
    return clients, state_machine


def genesis_snapshot() -> bytes:
    """The snapshot of the initial state: the checkpoint at sequence number 0."""
    return encode_snapshot({}, KVStore())


@functools.cache
def genesis_digest() -> str:
    """Digest of :func:`genesis_snapshot`, which every replica knows without a proof."""
    return snapshot_digest(genesis_snapshot())


def genesis_checkpoint() -> StableCheckpoint:
    return StableCheckpoint(0, genesis_digest(), [])


def is_checkpoint(seq: int, config: ProtocolConfig) -> bool:
    """Whether executing ``seq`` takes a checkpoint (every ``checkpoint_interval``)."""
    return seq % config.checkpoint_interval == 0


def outside_window(seq: int, low_watermark: int, config: ProtocolConfig) -> str | None:
    """Why a normal-case message for ``seq`` is refused: ``"stale"`` at or below the low
    watermark, ``"window"`` above the high one (``h + L``); None inside."""
    if seq <= low_watermark:
        return "stale"
    if seq > low_watermark + config.log_window:
        return "window"
    return None


def checkpoint_refused(seq: int, low_watermark: int, config: ProtocolConfig) -> str | None:
    """Why a CHECKPOINT for ``seq`` is refused: ``"stale"`` at or below the stable
    checkpoint, ``"window"`` far ahead of it or off the checkpoint grid; None if kept.
    A lagging replica keeps CHECKPOINTs up to four windows ahead, to learn that it lags."""
    if seq <= low_watermark:
        return "stale"
    if seq > low_watermark + 4 * config.log_window or not is_checkpoint(seq, config):
        return "window"
    return None


class CheckpointVotes:
    """CHECKPOINT messages received and not yet garbage: seq -> sender -> (digest, frame)."""

    def __init__(self) -> None:
        self.by_seq: dict[int, dict[int, tuple[str, bytes]]] = {}

    def add(self, seq: int, sender: int, digest: str, frame: bytes) -> str | None:
        """Record a vote; returns ``"equivocation"`` (the sender voted for another digest),
        ``"duplicate"`` (it voted already), or None once recorded."""
        votes = self.by_seq.setdefault(seq, {})
        if sender in votes:
            return "equivocation" if votes[sender][0] != digest else "duplicate"
        votes[sender] = (digest, frame)
        return None

    def proof(self, seq: int, digest: str, quorum: int) -> list[bytes] | None:
        """``quorum`` matching CHECKPOINT frames for (``seq``, ``digest``), lowest senders
        first; None while fewer arrived."""
        votes = self.by_seq.get(seq, {})
        frames = [frame for _, (d, frame) in sorted(votes.items()) if d == digest]
        return frames[:quorum] if len(frames) >= quorum else None

    def discard_through(self, seq: int) -> None:
        """Forget the votes for sequence numbers at or below ``seq``."""
        for s in [s for s in self.by_seq if s <= seq]:
            del self.by_seq[s]


def certified_digest(
    seq: int, proof: list[bytes], config: ProtocolConfig, authentic: Authenticator
) -> str | None:
    """The state digest that ``proof`` certifies for checkpoint ``seq``: ``quorum``
    authentic CHECKPOINTs for ``seq`` from distinct replicas, all with one digest;
    None if the proof is anything else.  Raises ``Malformed`` on an undecodable frame."""
    senders: set[int] = set()
    digest = None
    for frame in proof:
        msg = decode(frame, config.max_message_bytes)
        if (
            msg.type != CHECKPOINT
            or msg.body[0] != seq
            or not 0 <= msg.sender < config.n
            or (digest is not None and msg.body[1] != digest)
            or msg.sender in senders
            or not authentic(msg)
        ):
            return None
        senders.add(msg.sender)
        digest = msg.body[1]
    return digest if len(senders) >= config.quorum else None


def state_reply(
    replica_id: int,
    have: int,
    stable: StableCheckpoint,
    stable_snapshot: bytes | None,
    new_view: bytes,
) -> list | None:
    """The STATE message answering a FETCH from a replica that executed up to ``have``:
    the stable snapshot with its proof when it is newer, and the NEW-VIEW of the current
    view (``new_view``, empty if none) so that a replica that missed it can join; None
    when there is nothing to send."""
    packed_new_view = pack(new_view)
    if stable_snapshot is not None and stable.seq > have:
        proof = [pack(p) for p in stable.proof]
        return [STATE, replica_id, stable.seq, proof, pack(stable_snapshot), packed_new_view]
    if packed_new_view:
        return [STATE, replica_id, 0, [], "", packed_new_view]
    return None


def verify_transfer(
    seq: int,
    proof: list[bytes],
    snapshot: bytes,
    config: ProtocolConfig,
    authentic: Authenticator,
) -> str | None:
    """The digest of a transferred snapshot whose proof certifies it, or None."""
    digest = certified_digest(seq, proof, config, authentic)
    if digest is None or snapshot_digest(snapshot) != digest:
        return None
    return digest
