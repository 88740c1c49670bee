"""The deterministic replicated state machine that the PBFT service executes.

The service is a small key-value store (``set``, ``increment`` and friends) together
with an auctioneer's ledger that logs every event for transparency: :class:`KVStore` is
a key-value map plus a hash-chained :class:`~accord.consensus.ledger.Ledger`.

Castro & Liskov (1999), Sec. 4, require the service to be a *deterministic* state
machine: every non-faulty replica that starts from the same state and executes the same
sequence of operations must produce the same results and the same state, and replicas
compare states through *digests* in checkpoints (Sec. 4.3) and state transfer.
Hence:

* :meth:`KVStore.execute` never raises on an operation that came from the network: a
  malformed operation, or one that cannot apply to the current state, returns the
  deterministic result ``{"error": "<message>"}`` and leaves the state unchanged;
* :meth:`KVStore.snapshot` is canonical JSON (sorted keys), so equal states give equal
  bytes whatever order the keys were inserted in, and :meth:`KVStore.digest` is its
  SHA-256 (cached until the next mutation);
* values are JSON values (see :func:`~accord.consensus.ledger.json_problem`) compared by
  their canonical JSON, so ``1``, ``1.0`` and ``True`` are three different values;
* size guards (:data:`MAX_KEY_CHARS`, :data:`MAX_VALUE_BYTES`) stop a Byzantine client
  from blowing the state up with a single operation.

Operations (``op["op"]``), with their results:

==================  ==========================================  ===========================
op                  fields                                      result
==================  ==========================================  ===========================
``noop``            --                                          ``None``
``set``             ``key``, ``value``                          previous value or ``None``
``get``             ``key``                                     value or ``None``
``increment``       ``key``, ``amount`` (int/float, default 1)  the new value
``compare_and_set`` ``key``, ``expected``, ``new``              ``{"swapped", "value"}``
``append``          ``record``                                  ``{"index", "hash"}``
``ledger_head``     --                                          ``{"length", "hash"}``
``ledger_get``      ``index``                                   the entry (hex hashes)
==================  ==========================================  ===========================

A key holding ``None`` is the same as an absent key: ``set`` (or ``compare_and_set``)
with the value ``None`` deletes the key, ``get`` of an absent key returns ``None`` and
``compare_and_set`` with ``expected: None`` succeeds exactly when the key is absent.
A stored value that is itself a dict ``{"error": ...}`` looks like an error result when
``get`` returns it; clients that need such values should wrap them.
"""

from __future__ import annotations

import hashlib
import math
from typing import Any

from .ledger import (
    MAX_INT_BITS,
    JSONValue,
    Ledger,
    LedgerError,
    canonical_json,
    json_problem,
    strict_loads,
)

__all__ = [
    "MAX_KEY_CHARS",
    "MAX_VALUE_BYTES",
    "OPS",
    "READ_ONLY_OPS",
    "SNAPSHOT_FORMAT",
    "KVStore",
    "is_read_only",
    "validate_op",
]

#: Longest key accepted, in characters.
MAX_KEY_CHARS = 1024
#: Largest value, ``expected`` value or ledger record accepted: its canonical JSON in UTF-8.
MAX_VALUE_BYTES = 64 * 1024
#: The ``"format"`` tag of :meth:`KVStore.snapshot`.
SNAPSHOT_FORMAT = "accord-kvstore-v1"

#: Fields of each operation: (required, optional) besides ``"op"``.
_FIELDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "noop": ((), ()),
    "set": (("key", "value"), ()),
    "get": (("key",), ()),
    "increment": (("key",), ("amount",)),
    "compare_and_set": (("key", "expected", "new"), ()),
    "append": (("record",), ()),
    "ledger_head": ((), ()),
    "ledger_get": (("index",), ()),
}
#: Every operation name.
OPS: frozenset[str] = frozenset(_FIELDS)
#: Operations that never change the state (PBFT's read-only optimisation:
#: Castro & Liskov (1999), Sec. 5.1).
READ_ONLY_OPS: frozenset[str] = frozenset({"get", "ledger_head", "ledger_get"})
_OP_LIST = ", ".join(sorted(OPS))


class _OpError(Exception):
    """A malformed operation, or one that cannot apply to the current state."""


def _short(key: str, limit: int = 64) -> str:
    r = repr(key)
    return r if len(r) <= limit else r[: limit - 4] + "...'"


def _key(opname: str, k: object) -> str:
    if not isinstance(k, str):
        raise _OpError(f"{opname}: field 'key' must be a string; got {type(k).__name__}")
    if len(k) > MAX_KEY_CHARS:
        raise _OpError(
            f"{opname}: field 'key' has {len(k)} characters; keys may have at "
            f"most {MAX_KEY_CHARS}, so use a shorter key"
        )
    problem = json_problem(k, "'key'")
    if problem is not None:
        raise _OpError(f"{opname}: field {problem}")
    return k


def _value(opname: str, field: str, v: object) -> tuple[JSONValue, str | None]:
    """A validated, private copy of a JSON value and its canonical JSON (``None`` for
    ``None``, which means "absent")."""
    if v is None:
        return None, None
    problem = json_problem(v, repr(field))
    if problem is not None:
        raise _OpError(f"{opname}: field {problem}")
    text = canonical_json(v)
    size = len(text.encode("utf-8"))
    if size > MAX_VALUE_BYTES:
        raise _OpError(
            f"{opname}: field '{field}' takes {size} bytes as canonical JSON; at "
            f"most {MAX_VALUE_BYTES} are allowed, so store smaller pieces"
        )
    return strict_loads(text), text


def _number(opname: str, field: str, v: object) -> int | float:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise _OpError(
            f"{opname}: field '{field}' must be an int or a float; got {type(v).__name__}"
        )
    if isinstance(v, float) and not math.isfinite(v):
        raise _OpError(f"{opname}: field '{field}' must be finite; got {v!r}")
    if isinstance(v, int) and abs(v).bit_length() > MAX_INT_BITS:
        raise _OpError(f"{opname}: field '{field}' is an integer wider than {MAX_INT_BITS} bits")
    return float(v) if isinstance(v, float) else int(v)


def _parse(op: object) -> tuple[dict[str, Any], dict[str, str | None]]:
    """The normalised operation and the canonical JSON of its JSON-valued fields.

    Raises :class:`_OpError` with a message that names the field and the fix.
    """
    if not isinstance(op, dict):
        raise _OpError(
            f"an operation must be a dict (a JSON object) with an 'op' field; "
            f"got {type(op).__name__}"
        )
    if "op" not in op:
        raise _OpError(f"an operation needs the field 'op', one of: {_OP_LIST}")
    name = op["op"]
    if not isinstance(name, str) or name not in OPS:
        shown = _short(name) if isinstance(name, str) else type(name).__name__
        raise _OpError(f"unknown op {shown}; 'op' must be one of: {_OP_LIST}")
    required, optional = _FIELDS[name]
    for f in required:
        if f not in op:
            raise _OpError(
                f"{name}: missing field {f!r} (op {name!r} takes {', '.join(required + optional)})"
            )
    extra = [f for f in op if f != "op" and f not in required and f not in optional]
    if extra:
        shown = ", ".join(
            sorted(_short(f) if isinstance(f, str) else type(f).__name__ for f in extra)
        )
        takes = ", ".join(repr(f) for f in required + optional) or "no other fields"
        raise _OpError(f"{name}: unexpected field(s) {shown}; op {name!r} takes {takes}")
    out: dict[str, Any] = {"op": name}
    enc: dict[str, str | None] = {}
    if "key" in required:
        out["key"] = _key(name, op["key"])
    for f in ("value", "expected", "new", "record"):
        if f in required:
            v, text = _value(name, f, op[f])
            if f == "record" and text is None:
                text = "null"
            out[f], enc[f] = v, text
    if name == "increment":
        out["amount"] = _number(name, "amount", op.get("amount", 1))
    if name == "ledger_get":
        i = op["index"]
        if isinstance(i, bool) or not isinstance(i, int) or not 0 <= i < 2**63:
            if isinstance(i, bool) or not isinstance(i, int):
                shown = type(i).__name__
            else:
                shown = repr(i) if abs(i) < 2**63 else "an integer that large"
            raise _OpError(
                f"ledger_get: field 'index' must be an int in 0 .. 2**63 - 1; got {shown}"
            )
        out["index"] = int(i)
    return out, enc


def validate_op(op: object) -> dict[str, Any]:
    """Check an operation before submitting it and return its normalised form.

    The normal form is a new dict holding private copies of the JSON values and, for
    ``increment``, the default ``amount`` of 1.  Raises ``ValueError`` whose message names
    the offending field and says how to fix it; :meth:`KVStore.execute` turns the same
    problems into ``{"error": message}`` results.
    """
    try:
        out, _ = _parse(op)
    except _OpError as exc:
        raise ValueError(f"validate_op(): {exc}") from None
    return out


def is_read_only(op: object) -> bool:
    """Whether ``op`` names a read-only operation (:data:`READ_ONLY_OPS`); never raises.

    A malformed operation is not read-only, so it goes through the full protocol and
    gets its error result from :meth:`KVStore.execute`.
    """
    return isinstance(op, dict) and isinstance(op.get("op"), str) and op["op"] in READ_ONLY_OPS


def _error(message: str) -> dict[str, str]:
    return {"error": message}


class KVStore:
    """A key-value map (``str`` keys, JSON values) plus an agreement :class:`Ledger`.

    Made deterministic with canonical snapshots and SHA-256 digests, as Castro & Liskov
    (1999), Sec. 4, require.  See the module docstring for the
    operations.
    """

    __slots__ = ("_data", "_digest", "_ledger", "_version")

    def __init__(self) -> None:
        #: key -> canonical JSON of the value (never ``"null"``: ``None`` means absent)
        self._data: dict[str, str] = {}
        self._ledger = Ledger()
        self._version = 0
        self._digest: tuple[int, bytes, bytes] | None = None  # (version, ledger head, digest)

    @staticmethod
    def instance_step(op: Any) -> tuple[str, str, str] | None:
        """``(mechanism, instance, phase)`` of an operation that belongs to a multi-step
        mechanism instance (phase ``"open"``, ``"step"``, ``"close"`` or ``"single"``),
        for the per-mechanism metrics (:class:`~accord.consensus.metrics.ReplicaMetrics`);
        None for the key-value store's operations.  Subclasses with mechanisms override
        it; it must not read or change the state."""
        return None

    # ----------------------------------------------------------------- reading

    @property
    def ledger(self) -> Ledger:
        """The agreement ledger.  Append to it through ``execute({"op": "append", ...})``
        so that the operation is ordered and replicated."""
        return self._ledger

    def __len__(self) -> int:
        return len(self._data)

    def to_dict(self) -> dict[str, JSONValue]:
        """A fresh copy of the key-value map."""
        return {k: strict_loads(v) for k, v in self._data.items()}

    def __repr__(self) -> str:
        return f"KVStore(keys={len(self._data)}, ledger={len(self._ledger)})"

    # ----------------------------------------------------------------- executing

    def execute(self, op: object) -> JSONValue:
        """Execute one operation and return its result (see the module docstring).

        Deterministic and total: a malformed operation, or one that cannot apply (a
        non-numeric value under ``increment``, an overflow, a ledger index out of range),
        returns ``{"error": message}`` and leaves the state unchanged.
        """
        try:
            parsed, enc = _parse(op)
            return self._apply(parsed, enc)
        except _OpError as exc:
            return _error(str(exc))

    def _apply(self, op: dict[str, Any], enc: dict[str, str | None]) -> JSONValue:
        name = op["op"]
        if name == "noop":
            return None
        if name == "get":
            text = self._data.get(op["key"])
            return None if text is None else strict_loads(text)
        if name == "set":
            prev = self._data.get(op["key"])
            self._store(op["key"], enc["value"])
            return None if prev is None else strict_loads(prev)
        if name == "increment":
            return self._increment(op["key"], op["amount"])
        if name == "compare_and_set":
            key = op["key"]
            current = self._data.get(key)
            swapped = current == enc["expected"]  # exact JSON equality
            if swapped:
                self._store(key, enc["new"])
                current = enc["new"]
            return {"swapped": swapped, "value": None if current is None else strict_loads(current)}
        if name == "append":
            entry = self._ledger.append_canonical(op["record"], enc["record"])  # type: ignore[arg-type]
            return {"index": entry.index, "hash": entry.hash.hex()}
        if name == "ledger_head":
            return {"length": len(self._ledger), "hash": self._ledger.head.hex()}
        # ledger_get
        i = op["index"]
        if i >= len(self._ledger):
            n = len(self._ledger)
            raise _OpError(
                f"ledger_get: index {i} is out of range; the ledger has {n} "
                f"entries, numbered from 0"
            )
        entry = self._ledger[i]
        d = entry.to_dict()
        d["record"] = strict_loads(self._ledger.canonical_entry(i))["record"]  # a private copy
        return d

    def _increment(self, key: str, amount: int | float) -> int | float:
        text = self._data.get(key)
        current: object = 0 if text is None else strict_loads(text)
        if isinstance(current, bool) or not isinstance(current, (int, float)):
            raise _OpError(
                f"increment: the value under key {_short(key)} is a "
                f"{type(current).__name__}, not a number; set it to a number first"
            )
        try:
            new = current + amount
        except OverflowError:
            raise _OpError("increment: the result overflows a float") from None
        if isinstance(new, float) and not math.isfinite(new):
            raise _OpError("increment: the result overflows a float")
        if isinstance(new, int) and new.bit_length() > MAX_INT_BITS:
            raise _OpError(f"increment: the result is wider than {MAX_INT_BITS} bits")
        self._store(key, canonical_json(new))
        return new

    def _store(self, key: str, text: str | None) -> None:
        if text is None:
            self._data.pop(key, None)
        else:
            self._data[key] = text
        self._version += 1

    # ----------------------------------------------------------------- snapshots

    def snapshot(self) -> bytes:
        """The state as canonical JSON in UTF-8:
        ``{"data": {key: value}, "format": "accord-kvstore-v1", "ledger": [entries]}``.

        Equal states give equal bytes, whatever order the keys were inserted in.
        """
        data = ",".join(f"{canonical_json(k)}:{self._data[k]}" for k in sorted(self._data))
        return (
            f'{{"data":{{{data}}},"format":"{SNAPSHOT_FORMAT}",'
            f'"ledger":{self._ledger.entries_json()}}}'
        ).encode()

    def digest(self) -> bytes:
        """SHA-256 of :meth:`snapshot` (32 bytes), cached until the state changes."""
        head = self._ledger.head
        cached = self._digest
        if cached is not None and cached[0] == self._version and cached[1] == head:
            return cached[2]
        d = hashlib.sha256(self.snapshot()).digest()
        self._digest = (self._version, head, d)
        return d

    @classmethod
    def from_snapshot(cls, data: bytes) -> KVStore:
        """A new store holding the state in ``data`` (see :meth:`restore`)."""
        store = cls()
        store.restore(data)
        return store

    def restore(self, data: bytes) -> None:
        """Replace the state by the one in ``data``, a :meth:`snapshot`.

        ``data`` must be exactly what :meth:`snapshot` produces (canonical JSON), so that
        ``digest()`` afterwards equals ``SHA-256(data)``; the key and value size limits
        hold and the ledger's hash chain must verify.  Raises ``ValueError`` and leaves
        the state unchanged otherwise.
        """
        func = "KVStore.restore()"
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise ValueError(f"{func}: data must be bytes; got {type(data).__name__}")
        raw = bytes(data)
        try:
            doc = strict_loads(raw.decode("utf-8"))
        except ValueError as exc:  # includes UnicodeDecodeError and JSONDecodeError
            raise ValueError(f"{func}: data is not UTF-8 JSON ({exc})") from None
        if not isinstance(doc, dict) or set(doc) != {"data", "format", "ledger"}:
            raise ValueError(
                f"{func}: expected a JSON object with the keys 'data', 'format' and 'ledger'"
            )
        if doc["format"] != SNAPSHOT_FORMAT:
            raise ValueError(
                f"{func}: format must be {SNAPSHOT_FORMAT!r}; got {_short(str(doc['format']))}"
            )
        if not isinstance(doc["data"], dict):
            raise ValueError(f"{func}: 'data' must be a JSON object")
        new_data: dict[str, str] = {}
        for k, v in doc["data"].items():
            try:
                _key("data", k)
                if v is None:
                    raise _OpError(
                        f"key {_short(k)} holds null; a snapshot never stores null "
                        f"(null means absent)"
                    )
                _, text = _value("data", "value", v)
            except _OpError as exc:
                raise ValueError(f"{func}: {exc}") from None
            new_data[k] = text  # type: ignore[assignment]
        try:
            ledger = Ledger.from_entry_dicts(func, doc["ledger"])
        except LedgerError as exc:
            raise ValueError(f"{func}: {exc}") from None
        for entry in ledger:
            size = len(canonical_json(entry.record).encode("utf-8"))
            if size > MAX_VALUE_BYTES:
                raise ValueError(
                    f"{func}: ledger entry {entry.index} has a record of {size} "
                    f"bytes; at most {MAX_VALUE_BYTES} are allowed"
                )
        fresh = KVStore()
        fresh._data, fresh._ledger = new_data, ledger
        if fresh.snapshot() != raw:
            raise ValueError(
                f"{func}: data is not in canonical form (sorted keys, no "
                f"whitespace, as KVStore.snapshot() writes it)"
            )
        self._data, self._ledger = new_data, ledger
        self._version += 1
        self._digest = None
