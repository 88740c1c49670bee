"""A PBFT replica (Castro & Liskov, OSDI'99 section 4; TOCS'02 sections 2-3).

The replica is *sans-IO*: it reacts to frames (:meth:`Replica.on_frame`) and
timers (:meth:`Replica.on_timer`) and talks to the world through a host with
``send(dest, frame)``, ``set_timer(key, delay)``, ``cancel_timer(key)`` and
``now()``.  The same code runs on the deterministic simulated network
(:mod:`accord.consensus.simnet`) and on asyncio TCP (:mod:`accord.consensus.tcp`).
Outgoing frames are held until :meth:`Replica.flush` has made the log durable,
so a replica never sends what it could forget in a crash.

Rules implemented, with the paper's names:

* normal case: PRE-PREPARE / PREPARE / COMMIT; ``prepared`` = pre-prepare plus
  ``q - 1`` matching PREPAREs from distinct backups; ``committed-local`` =
  prepared plus ``q`` matching COMMITs; execution in sequence order; REPLY;
* request batching (``batch_size``) with a bounded pipeline, read-only requests
  answered from the executed state;
* checkpoints every K, stable with ``q`` matching CHECKPOINTs, watermarks
  ``h < n <= h + L``, garbage collection, state transfer of a stable snapshot;
* view change: VIEW-CHANGE with checkpoint proof C and prepared certificates P,
  NEW-VIEW with the V and O sets (null requests for gaps) recomputed by every
  backup, view-change timers doubling on each failed view, joining a view change
  on ``f + 1`` VIEW-CHANGEs for higher views.

Every rejected frame is counted in :attr:`Replica.rejected` by reason.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from typing import Any, Protocol

from .config import ProtocolConfig
from .crypto import CLIENT_BASE, Keyring
from .messages import (
    CHECKPOINT,
    COMMIT,
    FETCH,
    MAC_TYPES,
    NEWVIEW,
    NULL_DIGEST,
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
    request_digest,
    seal,
    unpack,
)
from .statemachine import KVStore, is_read_only
from .storage import MemoryStorage

_canon = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode


class Host(Protocol):
    def send(self, dest: int, frame: bytes) -> None: ...
    def set_timer(self, key: str, delay: float) -> None: ...
    def cancel_timer(self, key: str) -> None: ...
    def now(self) -> float: ...


class Entry:
    """One sequence number of the log."""

    __slots__ = ("view", "digest", "pp", "batch", "prepares", "commits", "voted",
                 "prepared", "committed", "pcert", "my_prepare", "my_commits")

    def __init__(self) -> None:
        self.view = -1
        self.digest: str | None = None
        self.pp: Message | None = None
        self.batch: list[Message] = []
        self.prepares: dict[tuple[int, str], dict[int, bytes]] = defaultdict(dict)
        self.commits: dict[tuple[int, str], set[int]] = defaultdict(set)
        self.voted: dict[tuple[str, int, int], str] = {}  # (type, sender, view) -> digest
        self.prepared = False
        self.committed = False
        self.pcert: tuple[int, str, bytes, list[bytes]] | None = None  # view, digest, pp, prs
        self.my_prepare: bytes | None = None
        self.my_commits: list[tuple[int, bytes]] = []


class ViewChangeInfo:
    """A verified VIEW-CHANGE message."""

    __slots__ = ("sender", "view", "h", "ckpt_digest", "proof", "pcerts", "frame")

    def __init__(self, sender, view, h, ckpt_digest, proof, pcerts, frame) -> None:
        self.sender, self.view, self.h = sender, view, h
        self.ckpt_digest, self.proof = ckpt_digest, proof
        self.pcerts: dict[int, tuple[int, str, list[str]]] = pcerts  # seq -> view, d, batch
        self.frame = frame


class Replica:
    """One PBFT replica executing a :class:`~accord.consensus.statemachine.KVStore`."""

    def __init__(self, id: int, config: ProtocolConfig, keyring: Keyring, host: Host,
                 storage=None, observer=None) -> None:
        if not 0 <= id < config.n:
            raise ValueError(f"Replica: id must be in 0..{config.n - 1}; got {id}")
        if keyring.id != id:
            raise ValueError(f"Replica: keyring belongs to principal {keyring.id}, not {id}")
        self.id, self.cfg, self.keys, self.host = id, config, keyring, host
        self.storage = storage if storage is not None else MemoryStorage()
        self.observer = observer
        self.n, self.f, self.q = config.n, config.f, config.quorum
        self.rejected: Counter[str] = Counter()
        self.stats: Counter[str] = Counter()
        self._out: list[tuple[int, bytes]] = []
        self._dirty: set[int] = set()
        self._timers: set[str] = set()
        self._reset_state()
        rec = self.storage.load()
        if rec is not None:
            self._recover(rec)

    # ------------------------------------------------------------------ state
    def _reset_state(self) -> None:
        self.view = 0
        self.in_view_change = False
        self.sm = KVStore()
        self.clients: dict[int, tuple[int, Any]] = {}
        self.last_exec = 0
        self.h = 0
        genesis = self._snapshot()
        self.stable: tuple[int, str, list[bytes]] = (0, _sha(genesis), [])
        self.stable_snapshot: bytes | None = genesis
        self.snapshots: dict[int, tuple[str, bytes]] = {}
        self.cp_votes: dict[int, dict[int, tuple[str, bytes]]] = defaultdict(dict)
        self.log: dict[int, Entry] = {}
        self.pending: dict[int, Message] = {}  # client -> latest request not yet executed
        self.req_seq: dict[str, int] = {}  # request digest -> sequence number (this view)
        self.seq_next = 0
        self.vcs: dict[int, dict[int, ViewChangeInfo]] = defaultdict(dict)
        self.latest_vc: dict[int, int] = {}  # replica -> highest view it asked for
        self.new_views: dict[int, bytes] = {}
        self.vc_timeout = self.cfg.view_change_timeout
        self.fetching: tuple[int, str, list[bytes]] | None = None

    def _snapshot(self) -> bytes:
        clients = {str(c): [ts, res] for c, (ts, res) in sorted(self.clients.items())}
        head = _canon(clients).encode()
        return len(head).to_bytes(8, "big") + head + self.sm.snapshot()

    def _restore(self, snap: bytes) -> None:
        size = int.from_bytes(snap[:8], "big")
        clients = json.loads(snap[8:8 + size])
        self.sm = KVStore.from_snapshot(snap[8 + size:])
        self.clients = {int(c): (v[0], v[1]) for c, v in clients.items()}

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
            fr = seal(self.keys, mode, n, body, dest)
            self._out.append((dest, fr))
            return fr
        if mode == "hmac" and body[0] in MAC_TYPES:
            for r in range(n):
                if r != self.id:
                    self._out.append((r, seal(self.keys, mode, n, body, r)))
            return None
        fr = seal(self.keys, mode, n, body)
        self._out.extend((r, fr) for r in range(n) if r != self.id)
        return fr

    def flush(self) -> None:
        """Propose queued requests, persist, then release queued frames."""
        if self.is_primary and not self.in_view_change and self.pending:
            self._propose()
        for seq in self._dirty:
            e = self.log.get(seq)
            if e is not None and e.pp is not None:
                self.storage.put_entry(seq, self._record(e))
        self._dirty.clear()
        self.storage.commit()
        out, self._out = self._out, []
        for dest, fr in out:
            self.host.send(dest, fr)

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
        elif key == "newview" and self.in_view_change:
            self.vc_timeout *= 2
            self._start_view_change(self.view + 1)
        elif key == "vcresend" and self.in_view_change:
            mine = self.vcs.get(self.view, {}).get(self.id)
            if mine is not None:  # VIEW-CHANGEs may be lost: repeat until the view starts
                self._out.extend((r, mine.frame) for r in range(self.n) if r != self.id)
            self._set_timer("vcresend", self.cfg.client_timeout)
        elif key == "fetch" and self.fetching is not None:
            self._emit([FETCH, self.id, self.last_exec])
            self._set_timer("fetch", self.cfg.client_timeout)
        self.flush()

    def on_frame(self, data: bytes) -> None:
        """Handle one frame from the network; invalid frames are counted and dropped."""
        try:
            msg = decode(data, self.cfg.max_message_bytes)
        except Malformed as exc:
            self.rejected["oversize" if "limit" in str(exc) else "malformed"] += 1
            return
        client = msg.type == REQUEST
        if (client and msg.sender < CLIENT_BASE) or (not client and not 0 <= msg.sender < self.n) \
                or msg.type == REPLY or msg.sender == self.id:
            self.rejected["bad-sender"] += 1
            return
        if not authentic(self.keys, self.cfg.auth, self.n, msg):
            self.rejected["auth"] += 1
            return
        try:
            self._HANDLERS[msg.type](self, msg)
        except Malformed:
            self.rejected["malformed"] += 1

    def on_frames(self, frames) -> None:
        for fr in frames:
            self.on_frame(fr)
        self.flush()

    # --------------------------------------------------------------- requests
    def _on_request(self, msg: Message) -> None:
        c = msg.sender
        ts, op, ro = msg.body
        if len(msg.payload) > self.cfg.max_request_bytes:
            self.rejected["oversize"] += 1
            return
        last = self.clients.get(c)
        if last is not None and ts <= last[0]:
            if ts == last[0]:
                self._reply(c, ts, last[1], False)
                self._retransmit(request_digest(msg))  # others may still need our votes
            else:
                self.rejected["stale"] += 1
            return
        if ro:
            if not is_read_only(op):
                self.rejected["not-read-only"] += 1
                return
            self._reply(c, ts, self.sm.execute(op), True)
            return
        known = self.pending.get(c)
        if known is not None and known.body[0] > ts:
            self.rejected["stale"] += 1
            return
        retransmission = known is not None and known.payload == msg.payload
        self.pending[c] = msg
        if retransmission:
            self._retransmit(request_digest(msg))
        if not self.in_view_change:
            if not self.is_primary:
                self._out.append((self.primary(), msg.frame))
            if "request" not in self._timers:  # the primary too: it may be cut off
                self._set_timer("request", self.cfg.view_change_timeout)

    def _retransmit(self, rdigest: str) -> None:
        """Re-send our messages for a request still in progress (lost-message repair)."""
        seq = self.req_seq.get(rdigest)
        e = self.log.get(seq) if seq is not None else None
        if e is None or e.view != self.view or self.in_view_change:
            return
        if self.is_primary and e.pp is not None:
            self._out.extend((r, e.pp.frame) for r in range(self.n) if r != self.id)
        if e.my_prepare is not None:
            self._out.extend((r, e.my_prepare) for r in range(self.n) if r != self.id)
        for view, _ in e.my_commits:
            if view == self.view:
                self._emit([COMMIT, self.id, view, seq, e.digest])

    def _propose(self) -> None:
        """Primary: assign sequence numbers to pending requests, in batches."""
        cfg = self.cfg
        todo = [m for m in self.pending.values() if request_digest(m) not in self.req_seq]
        while todo and self.seq_next - self.last_exec < cfg.pipeline \
                and self.seq_next + 1 <= self.h + cfg.log_window:
            batch, todo = todo[:cfg.batch_size], todo[cfg.batch_size:]
            self.seq_next += 1
            self._preprepare(self.seq_next, batch)

    def _preprepare_body(self, seq: int, batch: list[Message]) -> tuple[list, list[str]]:
        digests = [request_digest(m) for m in batch]
        body = [PREPREPARE, self.id, self.view, seq, batch_digest(digests),
                [pack(m.frame) for m in batch]]
        return body, digests

    def _preprepare(self, seq: int, batch: list[Message]) -> None:
        """Multicast and log the PRE-PREPARE assigning ``seq`` to ``batch``."""
        body, digests = self._preprepare_body(seq, batch)
        fr = self._emit(body)
        self._log_preprepare(decode(fr, self.cfg.max_message_bytes), batch, digests)

    # ---------------------------------------------------------- normal case
    def _wrong_view(self, msg: Message, view: int) -> None:
        """Count a message of another view; one from a later view means this replica
        missed a NEW-VIEW, so ask its sender for it (rate-limited)."""
        if view < self.view:
            self.rejected["stale"] += 1
            return
        self.rejected["wrong-view"] += 1
        if view > self.view and "catchup" not in self._timers:
            self._emit([FETCH, self.id, max(self.last_exec, 0)], dest=msg.sender)
            self._set_timer("catchup", self.cfg.client_timeout)

    def _in_window(self, seq: int) -> bool:
        if seq <= self.h:
            self.rejected["stale"] += 1
            return False
        if seq > self.h + self.cfg.log_window:
            self.rejected["window"] += 1
            return False
        return True

    def _entry(self, seq: int) -> Entry:
        e = self.log.get(seq)
        if e is None:
            e = self.log[seq] = Entry()
        return e

    def _vote(self, e: Entry, kind: str, sender: int, view: int, digest: str) -> bool:
        prev = e.voted.setdefault((kind, sender, view), digest)
        if prev != digest:
            self.rejected["equivocation"] += 1
            return False
        return True

    def _parse_batch(self, hexes: list[str], check_auth: bool) -> list[Message]:
        batch = []
        for hx in hexes:
            m = decode(unpack(hx), self.cfg.max_message_bytes)
            if m.type != REQUEST or m.sender < CLIENT_BASE or m.body[2] \
                    or len(m.payload) > self.cfg.max_request_bytes:
                raise Malformed("batch holds something other than a read-write request")
            if check_auth and not authentic(self.keys, self.cfg.auth, self.n, m):
                raise Malformed("batch holds a request that fails authentication")
            batch.append(m)
        return batch

    def _on_preprepare(self, msg: Message, from_new_view: bool = False) -> None:
        view, seq, d, hexes = msg.body
        if msg.sender != self.primary(view):
            self.rejected["not-primary"] += 1
            return
        if not from_new_view and (view != self.view or self.in_view_change):
            self._wrong_view(msg, view)
            return
        if not self._in_window(seq):
            return
        e = self.log.get(seq)
        if e is not None and e.pp is not None and e.view == view:
            if e.digest != d:
                self.rejected["equivocation"] += 1
            return
        try:
            batch = self._parse_batch(hexes, check_auth=not from_new_view)
        except Malformed:
            self.rejected["bad-request"] += 1
            return
        digests = [request_digest(m) for m in batch]
        if batch_digest(digests) != d:
            self.rejected["bad-digest"] += 1
            return
        self._log_preprepare(msg, batch, digests)
        e = self.log[seq]
        if self.id != self.primary(view):
            e.my_prepare = self._emit([PREPARE, self.id, view, seq, d])
            e.prepares[(view, d)][self.id] = e.my_prepare
            e.voted[(PREPARE, self.id, view)] = d
        self._check_prepared(seq)

    def _log_preprepare(self, pp: Message, batch: list[Message], digests: list[str]) -> None:
        view, seq, d, _ = pp.body
        e = self._entry(seq)
        if e.committed and e.digest != d:
            self.stats["conflicting-commit"] += 1  # impossible with <= f faults
        if e.digest != d:
            e.committed = False
        e.view, e.digest, e.pp, e.batch = view, d, pp, batch
        e.prepared = False
        e.my_prepare = None
        for rd in digests:
            self.req_seq[rd] = seq
        self._dirty.add(seq)

    def _on_prepare(self, msg: Message) -> None:
        view, seq, d = msg.body
        if view != self.view or self.in_view_change:
            self._wrong_view(msg, view)
            return
        if msg.sender == self.primary(view):
            self.rejected["not-backup"] += 1
            return
        if not self._in_window(seq):
            return
        e = self._entry(seq)
        if self._vote(e, PREPARE, msg.sender, view, d):
            e.prepares[(view, d)][msg.sender] = msg.frame
            self._check_prepared(seq)

    def _check_prepared(self, seq: int) -> None:
        e = self.log[seq]
        if e.prepared or e.pp is None:
            return
        key = (e.view, e.digest)
        votes = e.prepares.get(key, {})
        others = [fr for s, fr in sorted(votes.items()) if s != self.primary(e.view)]
        if len(others) < self.q - 1:
            return
        e.prepared = True
        e.pcert = (e.view, e.digest, e.pp.frame, others[:self.q - 1])
        self._dirty.add(seq)
        if not any(v == e.view for v, _ in e.my_commits):
            self._emit([COMMIT, self.id, e.view, seq, e.digest])
            e.my_commits.append((e.view, b""))
            e.commits[key].add(self.id)
            e.voted[(COMMIT, self.id, e.view)] = e.digest
        self._check_committed(seq)

    def _on_commit(self, msg: Message) -> None:
        view, seq, d = msg.body
        if view != self.view or self.in_view_change:
            self._wrong_view(msg, view)
            return
        if not self._in_window(seq):
            return
        e = self._entry(seq)
        if self._vote(e, COMMIT, msg.sender, view, d):
            e.commits[(view, d)].add(msg.sender)
            self._check_committed(seq)

    def _check_committed(self, seq: int) -> None:
        e = self.log[seq]
        if e.committed or not e.prepared:
            return
        if len(e.commits.get((e.view, e.digest), ())) >= self.q:
            e.committed = True
            self._dirty.add(seq)
            if self.observer is not None:
                self.observer("commit", self, seq, e.digest)
            self._execute_ready()

    # -------------------------------------------------------------- execution
    def _execute_ready(self) -> None:
        progressed = False
        while self.last_exec >= self.h:
            seq = self.last_exec + 1
            e = self.log.get(seq)
            if e is None or not e.committed:
                break
            done = []
            for m in e.batch:
                c = m.sender
                ts, op, _ = m.body
                last = self.clients.get(c)
                p = self.pending.get(c)
                if p is not None and p.body[0] <= ts:
                    del self.pending[c]
                if last is not None and ts <= last[0]:
                    continue  # already executed: exactly once
                result = self.sm.execute(op)
                self.clients[c] = (ts, result)
                self._reply(c, ts, result, False)
                done.append((c, ts))
            self.last_exec = seq
            progressed = True
            self.stats["executed_batches"] += 1
            self.stats["executed_requests"] += len(done)
            if self.observer is not None:
                self.observer("execute", self, seq, e.digest, done)
            if seq % self.cfg.checkpoint_interval == 0:
                self._take_checkpoint(seq)
        if progressed:
            self.vc_timeout = self.cfg.view_change_timeout
            self._cancel_timer("request")
            if self.pending and not self.in_view_change:
                self._set_timer("request", self.cfg.view_change_timeout)

    def _reply(self, client: int, ts: int, result: Any, read_only: bool) -> None:
        body = [REPLY, self.id, self.view, client, ts, result, read_only]
        try:
            self._emit(body, dest=client)
        except KeyError:
            self.rejected["unknown-client"] += 1

    # ----------------------------------------------------------- checkpoints
    def _take_checkpoint(self, seq: int) -> None:
        snap = self._snapshot()
        d = _sha(snap)
        self.snapshots[seq] = (d, snap)
        fr = self._emit([CHECKPOINT, self.id, seq, d])
        self._checkpoint_vote(self.id, seq, d, fr)

    def _on_checkpoint(self, msg: Message) -> None:
        seq, d = msg.body
        if seq <= self.h:
            self.rejected["stale"] += 1
            return
        if seq > self.h + 4 * self.cfg.log_window or seq % self.cfg.checkpoint_interval:
            self.rejected["window"] += 1
            return
        self._checkpoint_vote(msg.sender, seq, d, msg.frame)

    def _checkpoint_vote(self, sender: int, seq: int, d: str, fr: bytes) -> None:
        votes = self.cp_votes[seq]
        if sender in votes:
            if votes[sender][0] != d:
                self.rejected["equivocation"] += 1
            return
        votes[sender] = (d, fr)
        proof = [f for s, (dd, f) in sorted(votes.items()) if dd == d]
        if len(proof) >= self.q and seq > self.h:
            self._make_stable(seq, d, proof[:self.q])

    def _make_stable(self, seq: int, d: str, proof: list[bytes]) -> None:
        """A checkpoint with a valid proof: advance the low watermark, collect garbage."""
        self.h = seq
        self.stable = (seq, d, proof)
        mine = self.snapshots.get(seq)
        if mine is not None and mine[0] == d:
            self.stable_snapshot = mine[1]
            self.storage.put_stable(seq, d, proof, mine[1])
        else:
            if mine is not None:
                self.stats["divergent-checkpoint"] += 1
            self.stable_snapshot = None
            if self.last_exec >= seq:
                self.last_exec = -1  # own state disagrees with the quorum: fetch it
            self._start_fetch()
        for s in [s for s in self.log if s <= seq]:
            del self.log[s]
        for s in [s for s in self.cp_votes if s <= seq]:
            del self.cp_votes[s]
        for s in [s for s in self.snapshots if s <= seq]:
            del self.snapshots[s]
        self.req_seq = {rd: s for rd, s in self.req_seq.items() if s > seq}
        self._dirty = {s for s in self._dirty if s > seq}
        if self.seq_next < seq:
            self.seq_next = seq
        if self.observer is not None:
            self.observer("stable", self, seq, d)

    def _start_fetch(self) -> None:
        if self.fetching is None or self.fetching[0] < self.h:
            self.fetching = self.stable
            self._emit([FETCH, self.id, max(self.last_exec, 0)])
            self._set_timer("fetch", self.cfg.client_timeout)

    def _on_fetch(self, msg: Message) -> None:
        (have,) = msg.body
        nv = pack(self.new_views.get(self.view, b""))
        seq, d, proof = self.stable
        if self.stable_snapshot is not None and seq > have:
            body = [STATE, self.id, seq, [pack(p) for p in proof], pack(self.stable_snapshot), nv]
        elif nv:
            body = [STATE, self.id, 0, [], "", nv]
        else:
            return
        self._emit(body, dest=msg.sender)

    def _on_state(self, msg: Message) -> None:
        seq, proof_hex, snap_hex, nv_hex = msg.body
        if nv_hex:
            nv = decode(unpack(nv_hex), self.cfg.max_message_bytes)
            if nv.type == NEWVIEW and nv.body[0] > self.view and \
                    authentic(self.keys, self.cfg.auth, self.n, nv):
                self._on_newview(nv)
        if not snap_hex or seq <= max(self.last_exec, 0):
            return
        proof = [unpack(p) for p in proof_hex]
        d = self._checkpoint_proof_digest(seq, proof)
        snap = unpack(snap_hex)
        if d is None or _sha(snap) != d:
            self.rejected["bad-certificate"] += 1
            return
        try:
            self._restore(snap)
        except (ValueError, KeyError, IndexError, TypeError):
            self.rejected["bad-certificate"] += 1
            return
        self.stats["state_transfers"] += 1
        self.last_exec = seq
        self.snapshots[seq] = (d, snap)
        if seq > self.h or self.stable_snapshot is None:
            self._make_stable(seq, d, proof)
        if self.fetching is not None and self.fetching[0] <= seq:
            self.fetching = None
            self._cancel_timer("fetch")
        for c in [c for c, m in self.pending.items()
                  if c in self.clients and m.body[0] <= self.clients[c][0]]:
            del self.pending[c]
        self._execute_ready()

    def _checkpoint_proof_digest(self, seq: int, proof: list[bytes]) -> str | None:
        """The digest that ``proof`` (q signed CHECKPOINTs for ``seq``) certifies."""
        senders, digest = set(), None
        for fr in proof:
            m = decode(fr, self.cfg.max_message_bytes)
            if m.type != CHECKPOINT or m.body[0] != seq or not 0 <= m.sender < self.n \
                    or (digest is not None and m.body[1] != digest) or m.sender in senders \
                    or not authentic(self.keys, self.cfg.auth, self.n, m):
                return None
            senders.add(m.sender)
            digest = m.body[1]
        return digest if len(senders) >= self.q else None

    # ------------------------------------------------------------ view change
    def _start_view_change(self, view: int) -> None:
        if view <= self.view:
            return
        self.stats["view_changes_started"] += 1
        self.view, self.in_view_change = view, True
        self._cancel_timer("request")
        self._cancel_timer("newview")
        seq, d, proof = self.stable
        pset = []
        for s in sorted(self.log):
            e = self.log[s]
            if s > self.h and e.pcert is not None:
                pv, pd, ppf, prs = e.pcert
                pset.append([pack(ppf), [pack(p) for p in prs]])
        body = [VIEWCHANGE, self.id, view, seq, [pack(p) for p in proof], pset]
        fr = self._emit(body)
        info = self._check_viewchange(decode(fr, self.cfg.max_message_bytes))
        self.storage.put_view(view, True)
        if info is None:  # only a replica that corrupts its own log gets here
            self.stats["invalid-own-view-change"] += 1
            return
        self.vcs[view][self.id] = info
        self.latest_vc[self.id] = view
        self._set_timer("vcresend", self.cfg.client_timeout)
        self._view_change_progress()

    def _check_viewchange(self, msg: Message) -> ViewChangeInfo | None:
        """Verify a VIEW-CHANGE: its checkpoint proof and every prepared certificate."""
        view, h, proof_hex, pset = msg.body
        if view == 0:
            return None
        proof = [unpack(p) for p in proof_hex]
        if h == 0:
            if proof:
                return None
            ckpt = self._genesis_digest()
        else:
            ckpt = self._checkpoint_proof_digest(h, proof)
            if ckpt is None:
                return None
        pcerts: dict[int, tuple[int, str, list[str]]] = {}
        for pp_hex, prs in pset:
            pp = decode(unpack(pp_hex), self.cfg.max_message_bytes)
            if pp.type != PREPREPARE:
                return None
            pv, seq, d, batch = pp.body
            if pv >= view or not h < seq <= h + self.cfg.log_window or seq in pcerts \
                    or pp.sender != self.primary(pv) \
                    or not authentic(self.keys, self.cfg.auth, self.n, pp):
                return None
            try:
                reqs = self._parse_batch(batch, check_auth=False)
            except Malformed:
                return None
            if batch_digest([request_digest(m) for m in reqs]) != d:
                return None
            senders = set()
            for p_hex in prs:
                p = decode(unpack(p_hex), self.cfg.max_message_bytes)
                if p.type != PREPARE or p.body != [pv, seq, d] or p.sender == pp.sender \
                        or not 0 <= p.sender < self.n or p.sender in senders \
                        or not authentic(self.keys, self.cfg.auth, self.n, p):
                    return None
                senders.add(p.sender)
            if len(senders) < self.q - 1:
                return None
            pcerts[seq] = (pv, d, batch)
        return ViewChangeInfo(msg.sender, view, h, ckpt, proof, pcerts, msg.frame)

    def _genesis_digest(self) -> str:
        g = getattr(self, "_genesis", None)
        if g is None:
            sm, clients = self.sm, self.clients
            self.sm, self.clients = KVStore(), {}
            g = self._genesis = _sha(self._snapshot())
            self.sm, self.clients = sm, clients
        return g

    def _on_viewchange(self, msg: Message) -> None:
        view = msg.body[0]
        if view < self.view or (view == self.view and not self.in_view_change):
            if view <= self.view and self.view in self.new_views and self.is_primary:
                self._out.append((msg.sender, self.new_views[self.view]))  # lost NEW-VIEW
            self.rejected["stale"] += 1
            return
        if msg.sender in self.vcs.get(view, {}):
            return
        info = self._check_viewchange(msg)
        if info is None:
            self.rejected["bad-certificate"] += 1
            return
        self.vcs[view][msg.sender] = info
        self.latest_vc[msg.sender] = max(view, self.latest_vc.get(msg.sender, 0))
        higher = sorted(v for r, v in self.latest_vc.items() if r != self.id and v > self.view)
        if len(higher) >= self.f + 1:
            self._start_view_change(higher[0])  # join: f + 1 ask for a higher view
        self._view_change_progress()

    def _view_change_progress(self) -> None:
        if not self.in_view_change:
            return
        got = self.vcs.get(self.view, {})
        if len(got) >= self.q and self.id in got:
            if "newview" not in self._timers:
                self._set_timer("newview", self.vc_timeout)
            if self.is_primary and self.view not in self.new_views:
                self._send_newview(self.view)

    @staticmethod
    def _compute_o(cfg: ProtocolConfig, infos: list[ViewChangeInfo]):
        """The O set of NEW-VIEW (OSDI'99 section 4.4): for every n in (min-s, max-s],
        the batch of the highest-view prepared certificate, or the null request."""
        best = max(infos, key=lambda i: i.h)
        min_s = best.h
        max_s = max([s for i in infos for s in i.pcerts if s > min_s], default=min_s)
        out = []
        for s in range(min_s + 1, max_s + 1):
            cands = [i.pcerts[s] for i in infos if s in i.pcerts]
            if cands:
                pv, d, batch = max(cands, key=lambda c: (c[0], c[1]))
                out.append((s, d, batch))
            else:
                out.append((s, NULL_DIGEST, []))
        return best, out

    def _send_newview(self, view: int) -> None:
        got = self.vcs[view]
        chosen = [got[self.id]] + [got[r] for r in sorted(got) if r != self.id][:self.q - 1]
        best, o = self._compute_o(self.cfg, chosen)
        pps = []
        for s, d, batch in o:
            pps.append(seal(self.keys, self.cfg.auth, self.n, [PREPREPARE, self.id, view, s, d,
                                                                batch]))
        body = [NEWVIEW, self.id, view, [pack(i.frame) for i in chosen], [pack(p) for p in pps]]
        fr = self._emit(body)
        self.stats["new_views_sent"] += 1
        self._enter_view(view, best, [decode(p, self.cfg.max_message_bytes) for p in pps], fr)

    def _on_newview(self, msg: Message) -> None:
        view, v_hex, o_hex = msg.body
        if msg.sender != self.primary(view) or view < self.view or \
                (view == self.view and not self.in_view_change):
            self.rejected["stale"] += 1
            return
        infos, senders = [], set()
        for hx in v_hex:
            vc = decode(unpack(hx), self.cfg.max_message_bytes)
            if vc.type != VIEWCHANGE or vc.body[0] != view or vc.sender in senders \
                    or not 0 <= vc.sender < self.n \
                    or not authentic(self.keys, self.cfg.auth, self.n, vc):
                self.rejected["bad-certificate"] += 1
                return
            info = self._check_viewchange(vc)
            if info is None:
                self.rejected["bad-certificate"] += 1
                return
            senders.add(vc.sender)
            infos.append(info)
        if len(infos) < self.q:
            self.rejected["bad-certificate"] += 1
            return
        best, o = self._compute_o(self.cfg, infos)
        pps = [decode(unpack(hx), self.cfg.max_message_bytes) for hx in o_hex]
        if len(pps) != len(o) or any(
                p.type != PREPREPARE or p.sender != msg.sender or p.body != [view, s, d, b]
                or not authentic(self.keys, self.cfg.auth, self.n, p)
                for p, (s, d, b) in zip(pps, o, strict=True)):
            self.rejected["bad-certificate"] += 1
            return
        self._enter_view(view, best, pps, msg.frame)

    def _enter_view(self, view: int, best: ViewChangeInfo, pps: list[Message],
                    nv_frame: bytes) -> None:
        self.stats["views_entered"] += 1
        self.view, self.in_view_change = view, False
        self.new_views = {view: nv_frame}
        self.storage.put_view(view, False)
        self._cancel_timer("newview")
        self._cancel_timer("vcresend")
        for v in [v for v in self.vcs if v <= view]:
            del self.vcs[v]
        self.req_seq.clear()
        if best.h > self.h:
            self._make_stable(best.h, best.ckpt_digest, best.proof)
        for pp in pps:
            if pp.body[1] > self.h:
                self._on_preprepare(pp, from_new_view=True)
        self.seq_next = max([self.h] + [pp.body[1] for pp in pps])
        if self.pending:
            self._set_timer("request", self.cfg.view_change_timeout)
        if self.observer is not None:
            self.observer("view", self, view, None)
        self._execute_ready()

    # ------------------------------------------------------------- recovery
    def _record(self, e: Entry) -> dict:
        pcert = None
        if e.pcert is not None:
            pv, pd, ppf, prs = e.pcert
            same = ppf == e.pp.frame  # do not store the batch twice
            pcert = [pv, pd, None if same else pack(ppf), [pack(p) for p in prs]]
        return {"pp": pack(e.pp.frame), "prepared": e.prepared, "committed": e.committed,
                "pcert": pcert, "my_prepare": e.my_prepare is not None,
                "commit_views": [v for v, _ in e.my_commits]}

    def _recover(self, rec) -> None:
        """Restart from storage: stable snapshot, then replay the committed log."""
        self.stats["recoveries"] += 1
        if rec.stable is not None:
            seq, d, proof, snap = rec.stable
            self._restore(snap)
            self.h = self.last_exec = seq
            self.stable, self.stable_snapshot = (seq, d, proof), snap
        self.view, self.in_view_change = rec.view, rec.in_view_change
        for seq in sorted(rec.entries):
            r = rec.entries[seq]
            if seq <= self.h:
                continue
            pp = decode(unpack(r["pp"]), self.cfg.max_message_bytes)
            batch = self._parse_batch(pp.body[3], check_auth=False)
            self._log_preprepare(pp, batch, [request_digest(m) for m in batch])
            e = self.log[seq]
            e.prepared, e.committed = r["prepared"], r["committed"]
            if r["pcert"] is not None:
                pv, pd, ppf, prs = r["pcert"]
                e.pcert = (pv, pd, pp.frame if ppf is None else unpack(ppf),
                           [unpack(p) for p in prs])
            if r["my_prepare"]:
                e.my_prepare = seal(self.keys, self.cfg.auth, self.n,
                                    [PREPARE, self.id, e.view, seq, e.digest])
                e.voted[(PREPARE, self.id, e.view)] = e.digest
            e.my_commits = [(v, b"") for v in r["commit_views"]]
            for v in r["commit_views"]:
                e.voted[(COMMIT, self.id, v)] = e.digest
        self.seq_next = max([self.h] + list(self.log))
        self._dirty.clear()
        self._execute_ready()
        if self.in_view_change:
            v, self.view, self.in_view_change = self.view, self.view - 1, False
            self._start_view_change(v)
        self.fetching = self.stable
        self._emit([FETCH, self.id, self.last_exec])
        self._set_timer("fetch", self.cfg.client_timeout)

    # ---------------------------------------------------------------- status
    def status(self) -> dict:
        return {"id": self.id, "view": self.view, "in_view_change": self.in_view_change,
                "last_executed": self.last_exec, "low_watermark": self.h,
                "pending": len(self.pending), "rejected": dict(self.rejected),
                "stats": dict(self.stats)}

    _HANDLERS = {
        REQUEST: _on_request,
        PREPREPARE: _on_preprepare,
        PREPARE: _on_prepare,
        COMMIT: _on_commit,
        CHECKPOINT: _on_checkpoint,
        VIEWCHANGE: _on_viewchange,
        NEWVIEW: _on_newview,
        FETCH: _on_fetch,
        STATE: _on_state,
    }


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
