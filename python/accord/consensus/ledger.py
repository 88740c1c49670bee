"""An append-only, hash-chained agreement ledger.

An auctioneer logs every event of an auction in a "blockchain-style" ledger so that
bidders can audit it afterwards; this module is that ledger, a hash chain in the manner
of Haber & Stornetta (1991): each :class:`LedgerEntry` commits to its position, to the
hash of the entry before it and to its JSON record, so changing, dropping, reordering or
inserting any entry breaks the chain, and :func:`verify_ledger` names the first entry where
it breaks.
A reader who holds a trusted *head* (the hash of the last entry, e.g. taken from a PBFT
checkpoint certificate) also detects a truncated ledger.

The hash of entry ``i`` is::

    SHA-256(b"accord-ledger-v1\\0" + utf8(canonical_json([i, prev_hash.hex(), record])))

where ``canonical_json`` is ``json.dumps(..., sort_keys=True, separators=(",", ":"),
ensure_ascii=False, allow_nan=False)`` and the first entry's ``prev_hash`` is 32 zero
bytes (:data:`GENESIS_HASH`).  Records are JSON values (dict with ``str`` keys, list,
``str``, ``int``, finite ``float``, ``bool``, ``None``), so every replica and every
auditor computes the same bytes.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, overload

__all__ = [
    "GENESIS_HASH",
    "HASH_BYTES",
    "LEDGER_FORMAT",
    "Ledger",
    "LedgerCheck",
    "LedgerEntry",
    "LedgerError",
    "canonical_json",
    "entry_hash",
    "json_problem",
    "strict_loads",
    "verify_ledger",
]

#: Length of an entry hash (SHA-256).
HASH_BYTES = 32
#: ``prev_hash`` of entry 0, and the head of an empty ledger.
GENESIS_HASH = bytes(HASH_BYTES)
#: Domain-separation prefix of :func:`entry_hash`.
HASH_PREFIX = b"accord-ledger-v1\0"
#: The ``"format"`` tag of :meth:`Ledger.to_bytes`.
LEDGER_FORMAT = "accord-ledger-v1"
#: JSON values nested deeper than this are rejected (keeps encoders off the recursion limit).
MAX_JSON_DEPTH = 64
#: Integers wider than this many bits are rejected, whatever ``sys.set_int_max_str_digits``
#: says, so that every replica accepts exactly the same values.
MAX_INT_BITS = 4096

_HEX64 = re.compile(r"[0-9a-f]{64}")

JSONValue = Any  # dict[str, JSONValue] | list[JSONValue] | str | int | float | bool | None


class LedgerError(ValueError):
    """A ledger whose hash chain does not verify: ``index`` is the first bad entry."""

    def __init__(self, index: int, reason: str) -> None:
        super().__init__(f"ledger entry {index}: {reason}")
        self.index = index
        self.reason = reason

    def __reduce__(self):  # keep it picklable despite the two-argument constructor
        return (type(self), (self.index, self.reason))


# ----------------------------------------------------------------------------- JSON values


def _short(key: str, limit: int = 40) -> str:
    r = repr(key)
    return r if len(r) <= limit else r[: limit - 4] + "...'"


def json_problem(value: object, name: str = "value") -> str | None:
    """Why ``value`` is not a JSON value accepted by the ledger, or ``None`` if it is.

    Accepted: ``None``, ``bool``, ``int`` (at most :data:`MAX_INT_BITS` bits), finite
    ``float``, ``str`` (valid Unicode: no lone surrogates), ``list`` and ``dict`` with
    ``str`` keys, at most :data:`MAX_JSON_DEPTH` containers deep.  Tuples, sets, bytes and
    NumPy scalars other than ``float64`` are rejected rather than silently converted.
    The answer names the offending place, e.g. ``"record['bids'][2] is a set"``.
    """
    stack: list[tuple[object, str, int]] = [(value, name, 0)]
    while stack:
        v, path, depth = stack.pop()
        if v is None or isinstance(v, bool):
            continue
        if isinstance(v, int):
            if abs(v).bit_length() > MAX_INT_BITS:
                return f"{path} is an integer wider than {MAX_INT_BITS} bits"
            continue
        if isinstance(v, float):
            if not math.isfinite(v):
                return f"{path} is {v!r}; only finite numbers are allowed"
            continue
        if isinstance(v, str):
            try:
                v.encode("utf-8")
            except UnicodeEncodeError:
                return f"{path} is a string with a lone surrogate; strings must be valid Unicode"
            continue
        if isinstance(v, (list, dict)):
            if depth >= MAX_JSON_DEPTH:
                return f"{path} is nested more than {MAX_JSON_DEPTH} levels deep"
            if isinstance(v, list):
                stack.extend((x, f"{path}[{i}]", depth + 1) for i, x in enumerate(v))
                continue
            for k, x in v.items():
                if not isinstance(k, str):
                    return f"{path} has a key of type {type(k).__name__}; object keys must be str"
                try:
                    k.encode("utf-8")
                except UnicodeEncodeError:
                    return f"{path} has a key with a lone surrogate; strings must be valid Unicode"
                stack.append((x, f"{path}[{_short(k)}]", depth + 1))
            continue
        return (
            f"{path} is a {type(v).__name__}; use dict (str keys), list, str, int, "
            f"finite float, bool or None"
        )
    return None


def canonical_json(value: JSONValue) -> str:
    """The canonical JSON text of a value that :func:`json_problem` accepts.

    Sorted keys, no whitespace, UTF-8 characters kept as they are, no NaN/Infinity: equal
    values give equal text whatever the insertion order of their dicts.
    """
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


def strict_loads(text: str | bytes) -> JSONValue:
    """Strict ``json.loads``: NaN/Infinity and over-deep nesting raise ``ValueError``."""
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None


# ----------------------------------------------------------------------------- entries


def entry_hash(index: int, prev_hash: bytes, record: JSONValue) -> bytes:
    """SHA-256 of ``b"accord-ledger-v1\\0"`` and the canonical JSON of
    ``[index, prev_hash.hex(), record]`` (UTF-8): the ``hash`` of a ledger entry."""
    body = canonical_json([index, prev_hash.hex(), record]).encode("utf-8")
    return hashlib.sha256(HASH_PREFIX + body).digest()


@dataclass(frozen=True)
class LedgerEntry:
    """One ledger entry.  Build entries with :meth:`Ledger.append`; a hand-made entry is
    only trusted after :func:`verify_ledger`.

    ``record`` is not copied on read: treat it as read-only (a mutated record makes
    :meth:`Ledger.verify` fail, which is the point of the chain).
    """

    index: int
    prev_hash: bytes
    record: JSONValue
    hash: bytes

    def __post_init__(self) -> None:
        if isinstance(self.index, bool) or not isinstance(self.index, int) or self.index < 0:
            raise ValueError(f"LedgerEntry(): index must be an int >= 0; got {self.index!r}")
        for name in ("prev_hash", "hash"):
            h = getattr(self, name)
            if not isinstance(h, bytes) or len(h) != HASH_BYTES:
                raise ValueError(
                    f"LedgerEntry(): {name} must be {HASH_BYTES} bytes; "
                    f"got {type(h).__name__} of length {_len(h)}"
                )

    def __hash__(self) -> int:  # ``record`` may be a dict; the entry hash identifies it
        return hash((self.index, self.hash))

    def to_dict(self) -> dict[str, JSONValue]:
        """``{"index", "prev_hash", "record", "hash"}`` with hex hashes (JSON-compatible)."""
        return {
            "index": self.index,
            "prev_hash": self.prev_hash.hex(),
            "record": self.record,
            "hash": self.hash.hex(),
        }

    @classmethod
    def from_dict(cls, d: object) -> LedgerEntry:
        """Inverse of :meth:`to_dict`; checks the shape only (use :func:`verify_ledger`)."""
        if not isinstance(d, dict) or set(d) != {"index", "prev_hash", "record", "hash"}:
            raise ValueError(
                "LedgerEntry.from_dict(): expected a dict with exactly the keys "
                "'index', 'prev_hash', 'record', 'hash'"
            )
        hashes = []
        for name in ("prev_hash", "hash"):
            h = d[name]
            if not isinstance(h, str) or not _HEX64.fullmatch(h):
                raise ValueError(f"LedgerEntry.from_dict(): {name} must be 64 lowercase hex digits")
            hashes.append(bytes.fromhex(h))
        return cls(d["index"], hashes[0], d["record"], hashes[1])


def _len(x: object) -> int | str:
    try:
        return len(x)  # type: ignore[arg-type]
    except TypeError:
        return "n/a"


def _check_head(func: str, head: object) -> bytes:
    if not isinstance(head, bytes) or len(head) != HASH_BYTES:
        raise ValueError(
            f"{func}: head must be {HASH_BYTES} bytes (an entry hash); "
            f"got {type(head).__name__} of length {_len(head)}"
        )
    return head


@dataclass(frozen=True)
class LedgerCheck:
    """What :func:`verify_ledger` established: ``entries`` entries form an unbroken hash
    chain from :data:`GENESIS_HASH` to ``head``; ``trusted_head`` says whether that head
    was also checked against one given by the caller (which rules out truncation and
    forks, not only tampering)."""

    entries: int
    head: bytes
    trusted_head: bool

    def __str__(self) -> str:
        how = "matches the trusted head" if self.trusted_head else "no trusted head given"
        return f"ledger verified: {self.entries} entries, head {self.head.hex()} ({how})"


def verify_ledger(entries: Iterable[LedgerEntry], *, head: bytes | None = None) -> LedgerCheck:
    """Check the hash chain of ``entries`` (in order, starting at index 0) and return a
    :class:`LedgerCheck` (its length and head) when it holds.

    Raises :class:`LedgerError` naming the first entry that is not a :class:`LedgerEntry`,
    has the wrong index, a ``prev_hash`` other than the previous entry's hash (or
    :data:`GENESIS_HASH` for entry 0), a record that is not a JSON value, or a ``hash``
    that does not match its contents (a tampered record or hash).  With ``head`` (a
    trusted hash of the last entry, :data:`GENESIS_HASH` for an empty ledger) it also
    raises when the chain ends elsewhere, which catches truncation and forks; that
    error's ``index`` is the number of entries.
    """
    if head is not None:
        _check_head("verify_ledger()", head)
    prev = GENESIS_HASH
    n = 0
    for i, e in enumerate(entries):
        n = i + 1
        if not isinstance(e, LedgerEntry):
            raise LedgerError(i, f"is a {type(e).__name__}, not a LedgerEntry")
        if isinstance(e.index, bool) or not isinstance(e.index, int) or e.index != i:
            raise LedgerError(
                i,
                f"has index {e.index!r}; expected {i} (entries are missing, reordered or inserted)",
            )
        if not isinstance(e.prev_hash, bytes) or e.prev_hash != prev:
            raise LedgerError(
                i, "prev_hash does not match the hash of the previous entry (the chain is broken)"
            )
        problem = json_problem(e.record, "record")
        if problem is not None:
            raise LedgerError(i, problem)
        if not isinstance(e.hash, bytes) or e.hash != entry_hash(i, prev, e.record):
            raise LedgerError(
                i,
                "hash does not match the entry's contents (the record or "
                "the hash was tampered with)",
            )
        prev = e.hash
    if head is not None and prev != head:
        raise LedgerError(
            n,
            f"the ledger of {n} entries ends at head {prev.hex()}, not at "
            f"the trusted head {head.hex()} (truncated or forked)",
        )
    return LedgerCheck(n, prev, head is not None)


# ----------------------------------------------------------------------------- the ledger


class Ledger:
    """An append-only, hash-chained log of JSON records (Haber & Stornetta (1991)).

    ``Ledger(entries)`` adopts existing entries after :func:`verify_ledger`.
    Entries are immutable :class:`LedgerEntry` objects; ``len``, indexing (including
    slices, which return a list of entries), iteration and :meth:`entries` read them.
    """

    __slots__ = ("_encoded", "_entries")

    def __init__(self, entries: Iterable[LedgerEntry] = ()) -> None:
        entries = list(entries)
        verify_ledger(entries)
        self._entries: list[LedgerEntry] = entries
        self._encoded: list[str] = [canonical_json(e.to_dict()) for e in entries]

    # -- writing

    def append(self, record: JSONValue) -> LedgerEntry:
        """Append ``record`` (a JSON value; see :func:`json_problem`) and return its entry.

        The record is stored as a fresh copy, so later changes to the caller's object do
        not reach the ledger.  Raises ``ValueError`` naming ``record`` when it is not a
        JSON value.
        """
        problem = json_problem(record, "record")
        if problem is not None:
            raise ValueError(f"Ledger.append(): {problem}")
        text = canonical_json(record)
        return self.append_canonical(strict_loads(text), text)

    def append_canonical(self, record: JSONValue, record_json: str) -> LedgerEntry:
        """Append a record already checked by :func:`json_problem`, given with its
        canonical JSON (``record_json == canonical_json(record)``, which the caller
        guarantees: a replicated state machine encodes each operation once)."""
        i = len(self._entries)
        prev = self.head
        body = f'[{i},"{prev.hex()}",{record_json}]'.encode()
        h = hashlib.sha256(HASH_PREFIX + body).digest()
        entry = LedgerEntry(i, prev, record, h)
        self._entries.append(entry)
        self._encoded.append(
            f'{{"hash":"{h.hex()}","index":{i},"prev_hash":"{prev.hex()}","record":{record_json}}}'
        )
        return entry

    # -- reading

    @property
    def head(self) -> bytes:
        """Hash of the last entry, or :data:`GENESIS_HASH` when the ledger is empty."""
        return self._entries[-1].hash if self._entries else GENESIS_HASH

    def __len__(self) -> int:
        return len(self._entries)

    @overload
    def __getitem__(self, i: int) -> LedgerEntry: ...
    @overload
    def __getitem__(self, i: slice) -> list[LedgerEntry]: ...
    def __getitem__(self, i: int | slice) -> LedgerEntry | list[LedgerEntry]:
        return self._entries[i]

    def __iter__(self) -> Iterator[LedgerEntry]:
        return iter(tuple(self._entries))

    def entries(self) -> tuple[LedgerEntry, ...]:
        """All entries, oldest first."""
        return tuple(self._entries)

    def __repr__(self) -> str:
        return f"Ledger(length={len(self)}, head={self.head.hex()})"

    def verify(self, head: bytes | None = None) -> LedgerCheck:
        """:func:`verify_ledger` on this ledger's entries (and a trusted ``head``)."""
        return verify_ledger(self._entries, head=head)

    # -- bytes

    def to_bytes(self) -> bytes:
        """Canonical JSON ``{"entries": [entry.to_dict(), ...], "format": "accord-ledger-v1"}``
        in UTF-8: equal ledgers give equal bytes."""
        return (f'{{"entries":[{",".join(self._encoded)}],"format":"{LEDGER_FORMAT}"}}').encode()

    def canonical_entry(self, i: int) -> str:
        """The canonical JSON of entry ``i`` (as :meth:`to_bytes` writes it)."""
        return self._encoded[i]

    def entries_json(self) -> str:
        """The canonical JSON array of the entries (used by state-machine snapshots)."""
        return f"[{','.join(self._encoded)}]"

    @classmethod
    def from_entry_dicts(cls, func: str, items: object) -> Ledger:
        if not isinstance(items, list):
            raise ValueError(f"{func}: entries must be a JSON array")
        entries = []
        for i, d in enumerate(items):
            try:
                entries.append(LedgerEntry.from_dict(d))
            except ValueError as exc:
                raise LedgerError(i, str(exc)) from None
        return cls(entries)

    @classmethod
    def from_bytes(cls, data: bytes, *, head: bytes | None = None) -> Ledger:
        """Parse :meth:`to_bytes` output and verify the chain (and ``head`` if given)
        before returning.  Raises ``ValueError`` (:class:`LedgerError` for chain errors)."""
        func = "Ledger.from_bytes()"
        if head is not None:
            _check_head(func, head)
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise ValueError(f"{func}: data must be bytes; got {type(data).__name__}")
        try:
            doc = strict_loads(bytes(data).decode("utf-8"))
        except ValueError as exc:  # includes UnicodeDecodeError and JSONDecodeError
            raise ValueError(f"{func}: data is not UTF-8 JSON ({exc})") from None
        if not isinstance(doc, dict) or set(doc) != {"entries", "format"}:
            raise ValueError(f"{func}: expected a JSON object with the keys 'entries' and 'format'")
        if doc["format"] != LEDGER_FORMAT:
            raise ValueError(f"{func}: format must be {LEDGER_FORMAT!r}; got {doc['format']!r}")
        ledger = cls.from_entry_dicts(func, doc["entries"])
        if head is not None:
            ledger.verify(head)
        return ledger
