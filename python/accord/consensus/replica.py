"""A PBFT replica (Castro & Liskov (1999), Sec. 4; Castro & Liskov (2002)).

The replica is *sans-IO*: it reacts to frames (:meth:`Replica.on_frame`) and
timers (:meth:`Replica.on_timer`) and talks to the world through a host with
``send(dest, frame)``, ``set_timer(key, delay)``, ``cancel_timer(key)`` and
``now()``.  The same code runs on the deterministic simulated network
(:mod:`accord.consensus.simnet`) and on asyncio TCP (:mod:`accord.consensus.tcp`).
Outgoing frames are held until :meth:`Replica.flush` has made the log durable,
so a replica never sends what it could forget in a crash.

This module is the driver: it keeps the state, the timers and the outbox, and
asks pure rule modules what to do:

* :mod:`~accord.consensus.message_log` -- log entries, votes, ``prepared`` (the
  pre-prepare plus ``q - 1`` matching PREPAREs from distinct backups) and
  ``committed-local`` (prepared plus ``q`` matching COMMITs);
* :mod:`~accord.consensus.checkpoints` -- checkpoints every K, stable with ``q``
  matching CHECKPOINTs, watermarks ``h < n <= h + L``, snapshots and state
  transfer of a stable snapshot with its proof;
* :mod:`~accord.consensus.view_change` -- VIEW-CHANGE with checkpoint proof C and
  prepared certificates P, NEW-VIEW with the V and O sets (null requests for gaps)
  recomputed by every backup, joining a view change on ``f + 1`` VIEW-CHANGEs for
  higher views;
* :mod:`~accord.consensus.storage` -- the durable log and its records.

The driver itself runs the normal case (PRE-PREPARE / PREPARE / COMMIT, execution
in sequence order, REPLY), request batching (``batch_size``) with a bounded
pipeline, read-only requests answered from the executed state (Castro & Liskov
(1999), Sec. 5.1), view-change timers that double on each failed view, and catch-up
between checkpoints: a replica that sees ``f + 1`` COMMITs for a sequence number it
has not executed, and makes no progress for a client timeout, sends FETCH, and its
peers retransmit the pre-prepares, prepares and commits it lacks (Castro & Liskov
(2002), Sec. 5.2) besides any newer stable checkpoint.

Every rejected frame is counted in :attr:`Replica.rejected` by reason.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from . import checkpoints, view_change
from .checkpoints import CheckpointVotes, ClientTable, StableCheckpoint
from .config import ProtocolConfig
from .crypto import CLIENT_BASE, Keyring
from .message_log import LogEntry
from .messages import (
    CHECKPOINT,
    COMMIT,
    FETCH,
    MAC_TYPES,
    NEWVIEW,
    PREPARE,
    PREPREPARE,
    REPLY,
    REQUEST,
    STATE,
    VIEWCHANGE,
    Malformed,
    Message,
    authentic,
    batch_digest,
    decode,
    pack,
    parse_batch,
    request_digest,
    seal,
    unpack,
)
from .statemachine import KVStore, is_read_only
from .storage import (
    MemoryStorage,
    Recovered,
    Storage,
    StorageCorruption,
    entry_record,
    read_entry_record,
)
from .view_change import VerifiedViewChange

#: ``observer(event, replica, seq, digest[, done])`` sees "commit", "execute", "stable"
#: and "view" events (the simulator's invariant checkers use it).
Observer = Callable[..., None]
#: ``endorse(result)``: the replica's signature over an executed result, sent with its
#: REPLY (``None``: nothing to endorse), from which clients build certificates.
Endorser = Callable[[Any], "str | None"]


class Host(Protocol):
    def send(self, dest: int, frame: bytes) -> None: ...
    def set_timer(self, key: str, delay: float) -> None: ...
    def cancel_timer(self, key: str) -> None: ...
    def now(self) -> float: ...


class Replica:
    """One PBFT replica executing a :class:`~accord.consensus.statemachine.KVStore`."""

    def __init__(
        self,
        id: int,
        config: ProtocolConfig,
        keyring: Keyring,
        host: Host,
        storage: Storage | None = None,
        observer: Observer | None = None,
        machine: type[KVStore] = KVStore,
        endorse: Endorser | None = None,
    ) -> None:
        """``machine`` is the replicated state machine's class: :class:`KVStore` or a
        subclass with more operations, whose empty state has the same snapshot (the
        genesis checkpoint)."""
        if not 0 <= id < config.n:
            raise ValueError(f"Replica: id must be in 0..{config.n - 1}; got {id}")
        if keyring.id != id:
            raise ValueError(f"Replica: keyring belongs to principal {keyring.id}, not {id}")
        self.id, self.cfg, self.keys, self.host = id, config, keyring, host
        self.storage: Storage = storage if storage is not None else MemoryStorage()
        self.observer = observer
        self.machine, self.endorse = machine, endorse
        self.n, self.f, self.quorum = config.n, config.f, config.quorum
        self.rejected: Counter[str] = Counter()
        self.stats: Counter[str] = Counter()
        self._outgoing: list[tuple[int, bytes]] = []
        self._unsaved: set[int] = set()  # sequence numbers whose log entry changed
        self._timers: set[str] = set()
        self._reset_state()
        recovered = self.storage.load()
        if recovered is not None:
            self._recover(recovered)

    # ------------------------------------------------------------------ state
    def _reset_state(self) -> None:
        self.view = 0
        self.in_view_change = False
        self.state_machine = self.machine()
        self.clients: ClientTable = {}
        self.last_executed = 0
        self.low_watermark = 0
        self.stable_checkpoint: StableCheckpoint = checkpoints.genesis_checkpoint()
        self.stable_snapshot: bytes | None = checkpoints.genesis_snapshot()
        self.snapshots: dict[int, tuple[str, bytes]] = {}  # seq -> own (digest, snapshot)
        self.checkpoint_votes = CheckpointVotes()
        self.log: dict[int, LogEntry] = {}
        self.pending: dict[int, Message] = {}  # client -> latest request not yet executed
        self.request_seqs: dict[str, int] = {}  # request digest -> sequence number (this view)
        self.last_assigned = 0  # primary: the last sequence number it assigned
        self.view_changes: dict[int, dict[int, VerifiedViewChange]] = defaultdict(dict)
        self.requested_views: dict[int, int] = {}  # replica -> highest view it asked for
        self.new_views: dict[int, bytes] = {}
        self.view_change_timeout = self.cfg.view_change_timeout
        self.fetching: StableCheckpoint | None = None
        self._gap_mark = 0  # last_executed when the catch-up timer was armed
        self._retransmitted: dict[int, float] = {}  # replica -> when we last retransmitted

    def _authentic(self, msg: Message) -> bool:
        return authentic(self.keys, self.cfg.auth, self.n, msg)

    def _snapshot(self) -> bytes:
        return checkpoints.encode_snapshot(self.clients, self.state_machine)

    def _restore(self, snapshot: bytes) -> None:
        self.clients, self.state_machine = checkpoints.decode_snapshot(snapshot, self.machine)

    def primary(self, view: int | None = None) -> int:
        return self.cfg.primary(self.view if view is None else view)

    @property
    def is_primary(self) -> bool:
        return self.primary() == self.id

    # ------------------------------------------------------------- transport
    def _emit(self, body: list, dest: int | None = None) -> bytes | None:
        """Authenticate ``body`` and queue it for ``dest`` or every other replica."""
        mode, n = self.cfg.auth, self.n
        if dest is not None:
            frame = seal(self.keys, mode, n, body, dest)
            self._outgoing.append((dest, frame))
            return frame
        if mode == "hmac" and body[0] in MAC_TYPES:
            for r in range(n):
                if r != self.id:
                    self._outgoing.append((r, seal(self.keys, mode, n, body, r)))
            return None
        frame = seal(self.keys, mode, n, body)
        self._outgoing.extend((r, frame) for r in range(n) if r != self.id)
        return frame

    def _emit_signed(self, body: list) -> bytes:
        """Multicast a signed message (one frame serves every receiver); return the frame."""
        frame = self._emit(body)
        assert frame is not None, f"{body[0]} messages are signed"
        return frame

    def _multicast_frame(self, frame: bytes) -> None:
        """Queue an already sealed frame for every other replica."""
        self._outgoing.extend((r, frame) for r in range(self.n) if r != self.id)

    def flush(self) -> None:
        """Propose queued requests, persist, then release queued frames."""
        if self.is_primary and not self.in_view_change and self.pending:
            self._propose()
        for seq in self._unsaved:
            entry = self.log.get(seq)
            if entry is not None and entry.pre_prepare is not None:
                self.storage.put_entry(seq, entry_record(entry))
        self._unsaved.clear()
        self.storage.commit()
        outgoing, self._outgoing = self._outgoing, []
        for dest, frame in outgoing:
            self.host.send(dest, frame)

    def _set_timer(self, key: str, delay: float) -> None:
        self._timers.add(key)
        self.host.set_timer(key, delay)

    def _cancel_timer(self, key: str) -> None:
        if key in self._timers:
            self._timers.discard(key)
            self.host.cancel_timer(key)

    def on_timer(self, key: str) -> None:
        self._timers.discard(key)
        if key == "request" and not self.in_view_change:
            self.stats["request_timeouts"] += 1
            self._start_view_change(self.view + 1)
        elif key == "new-view" and self.in_view_change:
            self.view_change_timeout *= 2
            self._start_view_change(self.view + 1)
        elif key == "view-change-resend" and self.in_view_change:
            mine = self.view_changes.get(self.view, {}).get(self.id)
            if mine is not None:  # VIEW-CHANGEs may be lost: repeat until the view starts
                self._multicast_frame(mine.frame)
            self._set_timer("view-change-resend", self.cfg.client_timeout)
        elif key == "fetch" and self.fetching is not None:
            self._emit([FETCH, self.id, self.last_executed])
            self._set_timer("fetch", self.cfg.client_timeout)
        elif key == "catch-up" and self._lagging():
            if self.last_executed == self._gap_mark and not self.in_view_change:
                # no progress for a whole period: ask the peers to retransmit
                self.stats["catch_up_requests"] += 1
                self._emit([FETCH, self.id, max(self.last_executed, 0)])
            self._gap_mark = self.last_executed
            self._set_timer("catch-up", self.cfg.client_timeout)
        self.flush()

    def on_frame(self, data: bytes) -> None:
        """Handle one frame from the network; invalid frames are counted and dropped."""
        try:
            msg = decode(data, self.cfg.max_message_bytes)
        except Malformed as exc:
            self.rejected["oversize" if "limit" in str(exc) else "malformed"] += 1
            return
        from_client = msg.type == REQUEST
        if (
            (from_client and msg.sender < CLIENT_BASE)
            or (not from_client and not 0 <= msg.sender < self.n)
            or msg.type == REPLY
            or msg.sender == self.id
        ):
            self.rejected["bad-sender"] += 1
            return
        if not self._authentic(msg):
            self.rejected["auth"] += 1
            return
        try:
            self._HANDLERS[msg.type](self, msg)
        except Malformed:
            self.rejected["malformed"] += 1

    def on_frames(self, frames: Iterable[bytes]) -> None:
        for frame in frames:
            self.on_frame(frame)
        self.flush()

    # --------------------------------------------------------------- requests
    def _on_request(self, msg: Message) -> None:
        client = msg.sender
        timestamp, op, read_only = msg.body
        if len(msg.payload) > self.cfg.max_request_bytes:
            self.rejected["oversize"] += 1
            return
        last = self.clients.get(client)
        if last is not None and timestamp <= last[0]:
            if timestamp == last[0]:
                self._reply(client, timestamp, last[1], False)
                self._retransmit(request_digest(msg))  # others may still need our votes
            else:
                self.rejected["stale"] += 1
            return
        if read_only:
            if not is_read_only(op):
                self.rejected["not-read-only"] += 1
                return
            self._reply(client, timestamp, self.state_machine.execute(op), True)
            return
        known = self.pending.get(client)
        if known is not None and known.body[0] > timestamp:
            self.rejected["stale"] += 1
            return
        retransmission = known is not None and known.payload == msg.payload
        self.pending[client] = msg
        if retransmission:
            self._retransmit(request_digest(msg))
        if not self.in_view_change:
            if not self.is_primary:
                self._outgoing.append((self.primary(), msg.frame))
            if "request" not in self._timers:  # the primary too: it may be cut off
                self._set_timer("request", self.cfg.view_change_timeout)

    def _retransmit(self, digest: str) -> None:
        """Re-send our messages for a request still in progress (lost-message repair)."""
        seq = self.request_seqs.get(digest)
        entry = self.log.get(seq) if seq is not None else None
        if entry is None or entry.view != self.view or self.in_view_change:
            return
        if self.is_primary and entry.pre_prepare is not None:
            self._multicast_frame(entry.pre_prepare.frame)
        if entry.my_prepare is not None:
            self._multicast_frame(entry.my_prepare)
        for view in entry.commit_views:
            if view == self.view:
                self._emit([COMMIT, self.id, view, seq, entry.digest])

    def _propose(self) -> None:
        """Primary: assign sequence numbers to pending requests, in batches."""
        cfg = self.cfg
        todo = [m for m in self.pending.values() if request_digest(m) not in self.request_seqs]
        while (
            todo
            and self.last_assigned - self.last_executed < cfg.pipeline
            and self.last_assigned + 1 <= self.low_watermark + cfg.log_window
        ):
            batch, todo = todo[: cfg.batch_size], todo[cfg.batch_size :]
            self.last_assigned += 1
            self._send_pre_prepare(self.last_assigned, batch)

    def _pre_prepare_body(self, seq: int, batch: list[Message]) -> tuple[list, list[str]]:
        digests = [request_digest(m) for m in batch]
        body = [
            PREPREPARE,
            self.id,
            self.view,
            seq,
            batch_digest(digests),
            [pack(m.frame) for m in batch],
        ]
        return body, digests

    def _send_pre_prepare(self, seq: int, batch: list[Message]) -> None:
        """Multicast and log the PRE-PREPARE assigning ``seq`` to ``batch``."""
        body, digests = self._pre_prepare_body(seq, batch)
        frame = self._emit_signed(body)
        self._log_pre_prepare(decode(frame, self.cfg.max_message_bytes), batch, digests)

    # ---------------------------------------------------------- normal case
    def _wrong_view(self, msg: Message, view: int) -> None:
        """Count a message of another view; one from a later view means this replica
        missed a NEW-VIEW, so ask its sender for it (rate-limited)."""
        if view < self.view:
            self.rejected["stale"] += 1
            return
        self.rejected["wrong-view"] += 1
        if view > self.view and "catch-up" not in self._timers:
            self._emit([FETCH, self.id, max(self.last_executed, 0)], dest=msg.sender)
            self._set_timer("catch-up", self.cfg.client_timeout)

    def _in_window(self, seq: int) -> bool:
        refused = checkpoints.outside_window(seq, self.low_watermark, self.cfg)
        if refused is not None:
            self.rejected[refused] += 1
            return False
        return True

    def _entry(self, seq: int) -> LogEntry:
        entry = self.log.get(seq)
        if entry is None:
            entry = self.log[seq] = LogEntry()
        return entry

    def _vote(self, entry: LogEntry, kind: str, sender: int, view: int, digest: str) -> bool:
        if not entry.vote(kind, sender, view, digest):
            self.rejected["equivocation"] += 1
            return False
        return True

    def _parse_batch(self, packed: list[str], check_auth: bool) -> list[Message]:
        cfg = self.cfg
        checker = self._authentic if check_auth else None
        return parse_batch(packed, cfg.max_message_bytes, cfg.max_request_bytes, checker)

    def _on_pre_prepare(self, msg: Message, from_new_view: bool = False) -> None:
        view, seq, digest, packed = msg.body
        if msg.sender != self.primary(view):
            self.rejected["not-primary"] += 1
            return
        if not from_new_view and (view != self.view or self.in_view_change):
            self._wrong_view(msg, view)
            return
        if not self._in_window(seq):
            return
        entry = self.log.get(seq)
        if entry is not None and entry.pre_prepare is not None and entry.view == view:
            if entry.digest != digest:
                self.rejected["equivocation"] += 1
            return
        try:
            batch = self._parse_batch(packed, check_auth=not from_new_view)
        except Malformed:
            self.rejected["bad-request"] += 1
            return
        digests = [request_digest(m) for m in batch]
        if batch_digest(digests) != digest:
            self.rejected["bad-digest"] += 1
            return
        self._log_pre_prepare(msg, batch, digests)
        entry = self.log[seq]
        if self.id != self.primary(view):
            entry.my_prepare = self._emit_signed([PREPARE, self.id, view, seq, digest])
            entry.prepares[(view, digest)][self.id] = entry.my_prepare
            entry.voted[(PREPARE, self.id, view)] = digest
        self._check_prepared(seq)

    def _log_pre_prepare(
        self, pre_prepare: Message, batch: list[Message], digests: list[str]
    ) -> None:
        view, seq, digest, _ = pre_prepare.body
        entry = self._entry(seq)
        if entry.committed and entry.digest != digest:
            self.stats["conflicting-commit"] += 1  # impossible with <= f faults
        if entry.digest != digest:
            entry.committed = False
        entry.view, entry.digest, entry.pre_prepare, entry.batch = view, digest, pre_prepare, batch
        entry.prepared = False
        entry.my_prepare = None
        for request in digests:
            self.request_seqs[request] = seq
        self._unsaved.add(seq)

    def _on_prepare(self, msg: Message) -> None:
        view, seq, digest = msg.body
        if view != self.view or self.in_view_change:
            self._wrong_view(msg, view)
            return
        if msg.sender == self.primary(view):
            self.rejected["not-backup"] += 1
            return
        if not self._in_window(seq):
            return
        entry = self._entry(seq)
        if self._vote(entry, PREPARE, msg.sender, view, digest):
            entry.prepares[(view, digest)][msg.sender] = msg.frame
            self._check_prepared(seq)

    def _check_prepared(self, seq: int) -> None:
        entry = self.log[seq]
        if entry.prepared or entry.pre_prepare is None:
            return
        certificate = entry.prepared_certificate_for(self.primary(entry.view), self.quorum)
        if certificate is None:
            return
        entry.prepared = True
        entry.prepared_certificate = certificate
        self._unsaved.add(seq)
        view, digest = certificate.view, certificate.digest
        if view not in entry.commit_views:
            self._emit([COMMIT, self.id, view, seq, digest])
            entry.commit_views.append(view)
            entry.commits[(view, digest)].add(self.id)
            entry.voted[(COMMIT, self.id, view)] = digest
        self._check_committed(seq)

    def _on_commit(self, msg: Message) -> None:
        view, seq, digest = msg.body
        if view != self.view or self.in_view_change:
            self._wrong_view(msg, view)
            return
        if not self._in_window(seq):
            return
        entry = self._entry(seq)
        if self._vote(entry, COMMIT, msg.sender, view, digest):
            entry.commits[(view, digest)].add(msg.sender)
            self._check_committed(seq)
            if seq > self.last_executed and "catch-up" not in self._timers:
                self._gap_mark = self.last_executed
                self._set_timer("catch-up", self.cfg.client_timeout)

    def _lagging(self) -> bool:
        """Whether f + 1 replicas (so at least one correct one) committed a sequence
        number this replica has not executed."""
        return any(
            seq > self.last_executed and len(senders) > self.f
            for seq, entry in self.log.items()
            for senders in entry.commits.values()
        )

    def _check_committed(self, seq: int) -> None:
        entry = self.log[seq]
        if entry.committed or not entry.committed_local(self.quorum):
            return
        entry.committed = True
        self._unsaved.add(seq)
        if self.observer is not None:
            self.observer("commit", self, seq, entry.digest)
        self._execute_ready()

    # -------------------------------------------------------------- execution
    def _execute_ready(self) -> None:
        progressed = False
        while self.last_executed >= self.low_watermark:
            seq = self.last_executed + 1
            entry = self.log.get(seq)
            if entry is None or not entry.committed:
                break
            done = []
            for request in entry.batch:
                client = request.sender
                timestamp, op, _ = request.body
                last = self.clients.get(client)
                pending = self.pending.get(client)
                if pending is not None and pending.body[0] <= timestamp:
                    del self.pending[client]
                if last is not None and timestamp <= last[0]:
                    continue  # already executed: exactly once
                result = self.state_machine.execute(op)
                self.clients[client] = (timestamp, result)
                self._reply(client, timestamp, result, False)
                done.append((client, timestamp))
            self.last_executed = seq
            progressed = True
            self.stats["executed_batches"] += 1
            self.stats["executed_requests"] += len(done)
            if self.observer is not None:
                self.observer("execute", self, seq, entry.digest, done)
            if checkpoints.is_checkpoint(seq, self.cfg):
                self._take_checkpoint(seq)
        if progressed:
            self.view_change_timeout = self.cfg.view_change_timeout
            self._cancel_timer("request")
            if self.pending and not self.in_view_change:
                self._set_timer("request", self.cfg.view_change_timeout)

    def _reply(self, client: int, timestamp: int, result: Any, read_only: bool) -> None:
        endorsement = None if self.endorse is None or read_only else self.endorse(result)
        body = [REPLY, self.id, self.view, client, timestamp, result, read_only, endorsement]
        try:
            self._emit(body, dest=client)
        except KeyError:
            self.rejected["unknown-client"] += 1

    # ----------------------------------------------------------- checkpoints
    def _take_checkpoint(self, seq: int) -> None:
        snapshot = self._snapshot()
        digest = checkpoints.snapshot_digest(snapshot)
        self.snapshots[seq] = (digest, snapshot)
        frame = self._emit_signed([CHECKPOINT, self.id, seq, digest])
        self._checkpoint_vote(self.id, seq, digest, frame)

    def _on_checkpoint(self, msg: Message) -> None:
        seq, digest = msg.body
        refused = checkpoints.checkpoint_refused(seq, self.low_watermark, self.cfg)
        if refused is not None:
            self.rejected[refused] += 1
            return
        self._checkpoint_vote(msg.sender, seq, digest, msg.frame)

    def _checkpoint_vote(self, sender: int, seq: int, digest: str, frame: bytes) -> None:
        refused = self.checkpoint_votes.add(seq, sender, digest, frame)
        if refused is not None:
            if refused == "equivocation":
                self.rejected["equivocation"] += 1
            return
        proof = self.checkpoint_votes.proof(seq, digest, self.quorum)
        if proof is not None and seq > self.low_watermark:
            self._make_stable(seq, digest, proof)

    def _make_stable(self, seq: int, digest: str, proof: list[bytes]) -> None:
        """A checkpoint with a valid proof: advance the low watermark, collect garbage."""
        self.low_watermark = seq
        self.stable_checkpoint = StableCheckpoint(seq, digest, proof)
        mine = self.snapshots.get(seq)
        if mine is not None and mine[0] == digest:
            self.stable_snapshot = mine[1]
            self.storage.put_stable(seq, digest, proof, mine[1])
        else:
            if mine is not None:
                self.stats["divergent-checkpoint"] += 1
            self.stable_snapshot = None
            if self.last_executed >= seq:
                self.last_executed = -1  # own state disagrees with the quorum: fetch it
            self._start_fetch()
        for s in [s for s in self.log if s <= seq]:
            del self.log[s]
        self.checkpoint_votes.discard_through(seq)
        for s in [s for s in self.snapshots if s <= seq]:
            del self.snapshots[s]
        self.request_seqs = {d: s for d, s in self.request_seqs.items() if s > seq}
        self._unsaved = {s for s in self._unsaved if s > seq}
        if self.last_assigned < seq:
            self.last_assigned = seq
        if self.observer is not None:
            self.observer("stable", self, seq, digest)

    # --------------------------------------------------------- state transfer
    def _start_fetch(self) -> None:
        if self.fetching is None or self.fetching.seq < self.low_watermark:
            self.fetching = self.stable_checkpoint
            self._emit([FETCH, self.id, max(self.last_executed, 0)])
            self._set_timer("fetch", self.cfg.client_timeout)

    def _on_fetch(self, msg: Message) -> None:
        (have,) = msg.body
        body = checkpoints.state_reply(
            self.id,
            have,
            self.stable_checkpoint,
            self.stable_snapshot,
            self.new_views.get(self.view, b""),
        )
        if body is not None:
            self._emit(body, dest=msg.sender)
        self._retransmit_log(msg.sender, have)

    def _retransmit_log(self, dest: int, have: int) -> None:
        """Resend to ``dest`` what it needs to commit the sequence numbers after
        ``have`` that this replica prepared in the current view: the primary's
        PRE-PREPARE (signed, so any replica may forward it), this replica's PREPARE and
        its COMMIT (Castro & Liskov (2002), Sec. 5.2: lost messages are retransmitted).
        At most once per client timeout per replica, and only within the log window,
        so a faulty replica's FETCHes cannot multiply traffic without bound."""
        now = self.host.now()
        if now - self._retransmitted.get(dest, -math.inf) < self.cfg.client_timeout / 2:
            return
        self._retransmitted[dest] = now
        for seq in sorted(s for s in self.log if s > have):
            entry = self.log[seq]
            if not entry.prepared or entry.view != self.view or entry.pre_prepare is None:
                continue
            self.stats["retransmitted"] += 1
            self._outgoing.append((dest, entry.pre_prepare.frame))
            if entry.my_prepare is not None:
                self._outgoing.append((dest, entry.my_prepare))
            if self.view in entry.commit_views:
                self._emit([COMMIT, self.id, self.view, seq, entry.digest], dest=dest)

    def _on_state(self, msg: Message) -> None:
        seq, packed_proof, packed_snapshot, packed_new_view = msg.body
        if packed_new_view:
            new_view = decode(unpack(packed_new_view), self.cfg.max_message_bytes)
            if (
                new_view.type == NEWVIEW
                and new_view.body[0] > self.view
                and self._authentic(new_view)
            ):
                self._on_new_view(new_view)
        if not packed_snapshot or seq <= max(self.last_executed, 0):
            return
        proof = [unpack(p) for p in packed_proof]
        digest = checkpoints.certified_digest(seq, proof, self.cfg, self._authentic)
        snapshot = unpack(packed_snapshot)
        if digest is None or checkpoints.snapshot_digest(snapshot) != digest:
            self.rejected["bad-certificate"] += 1
            return
        try:
            self._restore(snapshot)
        except (ValueError, KeyError, IndexError, TypeError):
            self.rejected["bad-certificate"] += 1
            return
        self.stats["state_transfers"] += 1
        self.last_executed = seq
        self.snapshots[seq] = (digest, snapshot)
        if seq > self.low_watermark or self.stable_snapshot is None:
            self._make_stable(seq, digest, proof)
        if self.fetching is not None and self.fetching.seq <= seq:
            self.fetching = None
            self._cancel_timer("fetch")
        executed = [
            c
            for c, m in self.pending.items()
            if c in self.clients and m.body[0] <= self.clients[c][0]
        ]
        for client in executed:
            del self.pending[client]
        self._execute_ready()

    # ------------------------------------------------------------ view change
    def _start_view_change(self, view: int) -> None:
        if view <= self.view:
            return
        self.stats["view_changes_started"] += 1
        self.view, self.in_view_change = view, True
        self._cancel_timer("request")
        self._cancel_timer("new-view")
        body = view_change.view_change_body(
            self.id, view, self.stable_checkpoint, self.log, self.low_watermark
        )
        frame = self._emit_signed(body)
        mine = self._verify_view_change(decode(frame, self.cfg.max_message_bytes))
        self.storage.put_view(view, True)
        if mine is None:  # only a replica that corrupts its own log gets here
            self.stats["invalid-own-view-change"] += 1
            return
        self.view_changes[view][self.id] = mine
        self.requested_views[self.id] = view
        self._set_timer("view-change-resend", self.cfg.client_timeout)
        self._view_change_progress()

    def _verify_view_change(self, msg: Message) -> VerifiedViewChange | None:
        return view_change.verify_view_change(msg, self.cfg, self._authentic)

    def _on_view_change(self, msg: Message) -> None:
        view = msg.body[0]
        if view < self.view or (view == self.view and not self.in_view_change):
            if view <= self.view and self.view in self.new_views and self.is_primary:
                self._outgoing.append((msg.sender, self.new_views[self.view]))  # lost NEW-VIEW
            self.rejected["stale"] += 1
            return
        if msg.sender in self.view_changes.get(view, {}):
            return
        verified = self._verify_view_change(msg)
        if verified is None:
            self.rejected["bad-certificate"] += 1
            return
        self.view_changes[view][msg.sender] = verified
        self.requested_views[msg.sender] = max(view, self.requested_views.get(msg.sender, 0))
        join = view_change.view_to_join(self.requested_views, self.id, self.view, self.f)
        if join is not None:
            self._start_view_change(join)  # f + 1 ask for a higher view
        self._view_change_progress()

    def _view_change_progress(self) -> None:
        if not self.in_view_change:
            return
        received = self.view_changes.get(self.view, {})
        if len(received) >= self.quorum and self.id in received:
            if "new-view" not in self._timers:
                self._set_timer("new-view", self.view_change_timeout)
            if self.is_primary and self.view not in self.new_views:
                self._send_new_view(self.view)

    def _send_new_view(self, view: int) -> None:
        chosen = view_change.choose_view_changes(self.view_changes[view], self.id, self.quorum)
        latest, proposals = view_change.new_view_proposals(chosen)
        cfg = self.cfg
        pre_prepares = [
            seal(self.keys, cfg.auth, self.n, body)
            for body in view_change.new_view_pre_prepares(self.id, view, proposals)
        ]
        frame = self._emit_signed(view_change.new_view_body(self.id, view, chosen, pre_prepares))
        self.stats["new_views_sent"] += 1
        decoded = [decode(p, cfg.max_message_bytes) for p in pre_prepares]
        self._enter_view(view, latest, decoded, frame)

    def _on_new_view(self, msg: Message) -> None:
        view = msg.body[0]
        if (
            msg.sender != self.primary(view)
            or view < self.view
            or (view == self.view and not self.in_view_change)
        ):
            self.rejected["stale"] += 1
            return
        verified = view_change.verify_new_view(msg, self.cfg, self._authentic)
        if verified is None:
            self.rejected["bad-certificate"] += 1
            return
        latest, pre_prepares = verified
        self._enter_view(view, latest, pre_prepares, msg.frame)

    def _enter_view(
        self,
        view: int,
        latest: VerifiedViewChange,
        pre_prepares: list[Message],
        new_view_frame: bytes,
    ) -> None:
        self.stats["views_entered"] += 1
        self.view, self.in_view_change = view, False
        self.new_views = {view: new_view_frame}
        self.storage.put_view(view, False)
        self._cancel_timer("new-view")
        self._cancel_timer("view-change-resend")
        for v in [v for v in self.view_changes if v <= view]:
            del self.view_changes[v]
        self.request_seqs.clear()
        checkpoint = latest.checkpoint
        if checkpoint.seq > self.low_watermark:
            self._make_stable(checkpoint.seq, checkpoint.digest, checkpoint.proof)
        for pre_prepare in pre_prepares:
            if pre_prepare.body[1] > self.low_watermark:
                self._on_pre_prepare(pre_prepare, from_new_view=True)
        self.last_assigned = max([self.low_watermark] + [p.body[1] for p in pre_prepares])
        if self.pending:
            self._set_timer("request", self.cfg.view_change_timeout)
        if self.observer is not None:
            self.observer("view", self, view, None)
        self._execute_ready()

    # ------------------------------------------------------------- recovery
    def _recover(self, recovered: Recovered) -> None:
        """Restart from storage: stable snapshot, then replay the committed log."""
        self.stats["recoveries"] += 1
        if recovered.stable is not None:
            seq, digest, proof, snapshot = recovered.stable
            self._restore(snapshot)
            self.low_watermark = self.last_executed = seq
            self.stable_checkpoint = StableCheckpoint(seq, digest, proof)
            self.stable_snapshot = snapshot
        self.view, self.in_view_change = recovered.view, recovered.in_view_change
        for seq in sorted(recovered.entries):
            if seq <= self.low_watermark:
                continue
            record = read_entry_record(recovered.entries[seq])
            try:
                pre_prepare = decode(record.pre_prepare, self.cfg.max_message_bytes)
                if pre_prepare.type != PREPREPARE or pre_prepare.body[1] != seq:
                    raise ValueError("it is not the PRE-PREPARE of this sequence number")
                batch = self._parse_batch(pre_prepare.body[3], check_auth=False)
            except (ValueError, TypeError, IndexError, KeyError) as exc:
                raise StorageCorruption(
                    self.storage.source, f"the PRE-PREPARE of log entry {seq} is damaged ({exc})"
                ) from None
            self._log_pre_prepare(pre_prepare, batch, [request_digest(m) for m in batch])
            view, _, digest, _ = pre_prepare.body
            entry = self.log[seq]
            entry.prepared, entry.committed = record.prepared, record.committed
            entry.prepared_certificate = record.prepared_certificate
            if record.sent_prepare:
                body = [PREPARE, self.id, view, seq, digest]
                entry.my_prepare = seal(self.keys, self.cfg.auth, self.n, body)
                entry.voted[(PREPARE, self.id, view)] = digest
            entry.commit_views = record.commit_views
            for v in record.commit_views:
                entry.voted[(COMMIT, self.id, v)] = digest
        self.last_assigned = max([self.low_watermark] + list(self.log))
        self._unsaved.clear()
        self._execute_ready()
        if self.in_view_change:
            view, self.view, self.in_view_change = self.view, self.view - 1, False
            self._start_view_change(view)
        self.fetching = self.stable_checkpoint
        self._emit([FETCH, self.id, self.last_executed])
        self._set_timer("fetch", self.cfg.client_timeout)

    # ---------------------------------------------------------------- status
    def status(self) -> dict:
        return {
            "id": self.id,
            "view": self.view,
            "in_view_change": self.in_view_change,
            "last_executed": self.last_executed,
            "low_watermark": self.low_watermark,
            "pending": len(self.pending),
            "rejected": dict(self.rejected),
            "stats": dict(self.stats),
        }

    _HANDLERS: dict[str, Callable[[Replica, Message], None]] = {
        REQUEST: _on_request,
        PREPREPARE: _on_pre_prepare,
        PREPARE: _on_prepare,
        COMMIT: _on_commit,
        CHECKPOINT: _on_checkpoint,
        VIEWCHANGE: _on_view_change,
        NEWVIEW: _on_new_view,
        FETCH: _on_fetch,
        STATE: _on_state,
    }
