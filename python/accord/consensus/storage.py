"""Durable replica state: view, protocol log and the last stable checkpoint.

A replica that recovers must neither forget what it sent (or it could
equivocate) nor lose what it executed (Castro & Liskov (2002), proactive
recovery).  A replica writes its log entries and view before it releases the
messages that depend on them, and keeps the snapshot of its last stable
checkpoint; on restart it restores that snapshot, replays the committed entries
after it, and fetches anything newer from the others (state transfer).

:func:`entry_record` and :func:`read_entry_record` convert a log entry to and
from the JSON record that the storages keep; the record's keys are its on-disk
format (``"pp"`` is the PRE-PREPARE, ``"pcert"`` the prepared certificate), kept
so that existing databases still load.

Everything read back is checked before a replica uses it (:func:`check_recovered`):
a snapshot whose SHA-256 differs from its recorded digest, a negative view, a
record without its fields or a file that is not a database is refused with a
:class:`StorageCorruption` that names the file and the damage, never restored
and served.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from .checkpoints import decode_snapshot, snapshot_digest
from .message_log import LogEntry, PreparedCertificate
from .messages import pack, unpack

#: The fields of a stored log-entry record (their names are the on-disk format).
ENTRY_FIELDS = ("pp", "prepared", "committed", "pcert", "my_prepare", "commit_views")


class StorageCorruption(ValueError):
    """A replica's durable state is damaged; the message names the storage and what is
    wrong. The replica refuses to restart from it: move the file aside to start empty
    and catch up from the others by state transfer."""

    def __init__(self, source: str, problem: str) -> None:
        super().__init__(
            f"{source}: {problem}; the replica refuses to restart from damaged storage "
            "(move the file aside to start empty and catch up by state transfer)"
        )
        self.source = source
        self.problem = problem


class Storage(Protocol):
    """What a replica needs from its storage (:class:`MemoryStorage`, :class:`SQLiteStorage`)."""

    source: str  #: what the storage is, for messages (the file's path)

    def load(self) -> Recovered | None: ...
    def put_view(self, view: int, in_view_change: bool) -> None: ...
    def put_entry(self, seq: int, record: dict) -> None: ...
    def put_stable(self, seq: int, digest: str, proof: list[bytes], snapshot: bytes) -> None: ...
    def commit(self) -> None: ...
    def close(self) -> None: ...


@dataclass
class Recovered:
    """What a replica reads back on restart."""

    view: int = 0
    in_view_change: bool = False
    stable: tuple[int, str, list[bytes], bytes] | None = None  # seq, digest, proof, snapshot
    entries: dict[int, dict] = field(default_factory=dict)


@dataclass
class RecoveredEntry:
    """A log entry as read back from its record (raw frames)."""

    pre_prepare: bytes
    prepared: bool
    committed: bool
    prepared_certificate: PreparedCertificate | None
    sent_prepare: bool  #: this replica had sent a PREPARE for it
    commit_views: list[int]  #: views in which this replica had sent a COMMIT


def _is_int(x: object) -> bool:
    return type(x) is int


def check_recovered(recovered: Recovered, source: str) -> Recovered:
    """``recovered`` when every part of it is well-formed; otherwise
    :class:`StorageCorruption` naming ``source`` and the first problem found."""
    if not _is_int(recovered.view) or recovered.view < 0:
        raise StorageCorruption(
            source, f"the stored view {recovered.view!r} is not a non-negative integer"
        )
    if type(recovered.in_view_change) is not bool:
        raise StorageCorruption(
            source, f"the stored view-change flag {recovered.in_view_change!r} is not a boolean"
        )
    if recovered.stable is not None:
        seq, digest, proof, snapshot = recovered.stable
        if not _is_int(seq) or seq < 0:
            raise StorageCorruption(
                source, f"the stable checkpoint's sequence number {seq!r} is not >= 0"
            )
        actual = snapshot_digest(snapshot)
        if actual != digest:
            raise StorageCorruption(
                source,
                f"the snapshot of the stable checkpoint at sequence {seq} has SHA-256 "
                f"{actual}, not its recorded digest {digest!r}",
            )
        if not isinstance(proof, list) or not all(isinstance(p, bytes) for p in proof):
            raise StorageCorruption(
                source, f"the proof of the stable checkpoint at sequence {seq} is not frames"
            )
        try:
            decode_snapshot(snapshot)
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise StorageCorruption(
                source, f"the snapshot at sequence {seq} does not decode ({exc})"
            ) from None
    for seq, record in recovered.entries.items():
        if not _is_int(seq) or seq <= 0:
            raise StorageCorruption(source, f"a log entry has sequence number {seq!r}")
        if not isinstance(record, dict):
            raise StorageCorruption(source, f"log entry {seq} is not a record")
        missing = [k for k in ENTRY_FIELDS if k not in record]
        if missing:
            raise StorageCorruption(source, f"log entry {seq} lacks the field(s) {missing}")
        flags = ("prepared", "committed", "my_prepare")
        if not all(type(record[k]) is bool for k in flags) or not isinstance(
            record["commit_views"], list
        ):
            raise StorageCorruption(source, f"log entry {seq} has fields of the wrong type")
        try:
            read_entry_record(record)
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise StorageCorruption(source, f"log entry {seq} does not decode ({exc})") from None
    return recovered


def entry_record(entry: LogEntry) -> dict:
    """The record stored for a log entry that holds a PRE-PREPARE.  The prepared
    certificate's PRE-PREPARE is left out when it is the entry's own (stored once)."""
    assert entry.pre_prepare is not None
    certificate = None
    if entry.prepared_certificate is not None:
        view, digest, pre_prepare, prepares = entry.prepared_certificate
        same = pre_prepare == entry.pre_prepare.frame
        certificate = [
            view,
            digest,
            None if same else pack(pre_prepare),
            [pack(p) for p in prepares],
        ]
    return {
        "pp": pack(entry.pre_prepare.frame),
        "prepared": entry.prepared,
        "committed": entry.committed,
        "pcert": certificate,
        "my_prepare": entry.my_prepare is not None,
        "commit_views": list(entry.commit_views),
    }


def read_entry_record(record: dict) -> RecoveredEntry:
    """Inverse of :func:`entry_record`."""
    pre_prepare = unpack(record["pp"])
    certificate = None
    if record["pcert"] is not None:
        view, digest, packed, prepares = record["pcert"]
        certificate = PreparedCertificate(
            view,
            digest,
            pre_prepare if packed is None else unpack(packed),
            [unpack(p) for p in prepares],
        )
    return RecoveredEntry(
        pre_prepare,
        record["prepared"],
        record["committed"],
        certificate,
        record["my_prepare"],
        list(record["commit_views"]),
    )


class MemoryStorage:
    """Storage that survives a simulated crash (the object outlives the replica)."""

    source = "memory storage"

    def __init__(self) -> None:
        self._data = Recovered()
        self.commits = 0

    def load(self) -> Recovered | None:
        d = self._data
        if d.stable is None and not d.entries and d.view == 0:
            return None
        return check_recovered(
            Recovered(d.view, d.in_view_change, d.stable, dict(d.entries)), self.source
        )

    def put_view(self, view: int, in_view_change: bool) -> None:
        self._data.view, self._data.in_view_change = view, in_view_change

    def put_entry(self, seq: int, record: dict) -> None:
        self._data.entries[seq] = record

    def put_stable(self, seq: int, digest: str, proof: list[bytes], snapshot: bytes) -> None:
        self._data.stable = (seq, digest, list(proof), snapshot)
        self._data.entries = {s: r for s, r in self._data.entries.items() if s > seq}

    def commit(self) -> None:
        self.commits += 1

    def close(self) -> None:
        pass


class SQLiteStorage:
    """SQLite in WAL mode; one transaction per :meth:`commit`."""

    def __init__(self, path: str | Path, synchronous: str = "NORMAL") -> None:
        if synchronous not in ("OFF", "NORMAL", "FULL"):
            raise ValueError(
                f"SQLiteStorage: synchronous must be OFF, NORMAL or FULL; got {synchronous!r}"
            )
        self.path = str(path)
        self.source = f"replica storage {self.path!r}"
        self._db = sqlite3.connect(self.path, isolation_level=None)
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(f"PRAGMA synchronous={synchronous}")
            self._db.executescript(
                "CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);"
                "CREATE TABLE IF NOT EXISTS entries (seq INTEGER PRIMARY KEY, rec TEXT NOT NULL);"
                "CREATE TABLE IF NOT EXISTS stable (id INTEGER PRIMARY KEY CHECK (id = 0),"
                " seq INTEGER, digest TEXT, proof TEXT, snapshot BLOB);"
            )
        except sqlite3.DatabaseError as exc:
            self._db.close()
            raise StorageCorruption(self.source, f"not a usable SQLite database ({exc})") from None
        self._in_tx = False
        self.commits = 0

    def _begin(self) -> None:
        if not self._in_tx:
            self._db.execute("BEGIN")
            self._in_tx = True

    def load(self) -> Recovered | None:
        try:
            rec = self._read()
        except sqlite3.DatabaseError as exc:
            raise StorageCorruption(self.source, f"the database is damaged ({exc})") from None
        except (ValueError, TypeError, IndexError) as exc:
            raise StorageCorruption(self.source, f"a stored value does not parse ({exc})") from None
        if rec.stable is None and not rec.entries and rec.view == 0:
            return None
        return check_recovered(rec, self.source)

    def _read(self) -> Recovered:
        rec = Recovered()
        row = self._db.execute("SELECT v FROM meta WHERE k = 'view'").fetchone()
        if row is not None:
            rec.view, rec.in_view_change = json.loads(row[0])
        row = self._db.execute("SELECT seq, digest, proof, snapshot FROM stable").fetchone()
        if row is not None:
            rec.stable = (
                int(row[0]),
                row[1],
                [bytes.fromhex(p) for p in json.loads(row[2])],
                bytes(row[3]),
            )
        for seq, text in self._db.execute("SELECT seq, rec FROM entries"):
            rec.entries[int(seq)] = json.loads(text)
        return rec

    def put_view(self, view: int, in_view_change: bool) -> None:
        self._begin()
        self._db.execute(
            "INSERT OR REPLACE INTO meta VALUES ('view', ?)", (json.dumps([view, in_view_change]),)
        )

    def put_entry(self, seq: int, record: dict) -> None:
        self._begin()
        self._db.execute(
            "INSERT OR REPLACE INTO entries VALUES (?, ?)",
            (seq, json.dumps(record, separators=(",", ":"))),
        )

    def put_stable(self, seq: int, digest: str, proof: list[bytes], snapshot: bytes) -> None:
        self._begin()
        self._db.execute(
            "INSERT OR REPLACE INTO stable VALUES (0, ?, ?, ?, ?)",
            (seq, digest, json.dumps([p.hex() for p in proof]), snapshot),
        )
        self._db.execute("DELETE FROM entries WHERE seq <= ?", (seq,))

    def commit(self) -> None:
        if self._in_tx:
            self._db.execute("COMMIT")
            self._in_tx = False
            self.commits += 1

    def close(self) -> None:
        if self._in_tx:
            self._db.execute("ROLLBACK")
            self._in_tx = False
        self._db.close()
