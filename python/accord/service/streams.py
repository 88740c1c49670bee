"""Record streams: named, append-only hash chains of JSON records kept in the service
ledger, with a certified head that a third party checks offline.

A *stream* belongs to the agent who appended to it first (``by``, a registered agent
who signs every operation on it).  Its entries chain exactly as a
:class:`~accord.consensus.Ledger` of the same records does (Haber & Stornetta (1991)):
entry ``i`` has the hash :func:`~accord.consensus.ledger.entry_hash` of ``i``, the
previous entry's hash and the record, so a stream of the same records as a local ledger
ends at the same head.

* ``stream_append`` (signed by ``by``): ``records``, a non-empty list of JSON values
  whose canonical JSON takes at most :data:`~accord.consensus.statemachine.MAX_VALUE_BYTES`
  bytes, appended from position ``index``, which must equal the stream's length (so a
  batch that was already applied, or one after a gap, is refused rather than appended
  twice).  Every replica computes the entries' hashes and appends one service ledger
  record ``{"stream", "index", "records", "hashes"}``; the result is the stream's new
  ``{"stream", "length", "head"}``.
* ``stream_seal`` (signed by ``by``): ends the stream; its outcome
  ``{"kind": "stream", "id", "by", "length", "head"}`` is endorsed by every correct
  replica, so a quorum certificate (Boneh, Lynn & Shacham (2004)) of it stands for the
  whole stream: with at most ``f`` faulty replicas among ``n >= 3f + 1``, a certified
  head is the one the correct replicas computed from PBFT's single order of operations
  (Castro & Liskov (1999)).

:func:`stream_entries` reads a stream's entries out of a service ledger and
:func:`verify_stream` checks them against a certified seal, offline.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Any

from ..consensus.ledger import (
    GENESIS_HASH,
    HASH_PREFIX,
    LedgerCheck,
    LedgerEntry,
    LedgerError,
    canonical_json,
    verify_ledger,
)
from ..consensus.statemachine import MAX_VALUE_BYTES
from . import bls
from .ops import Context, OpSpec, ServiceError, identifier

__all__ = ["MAX_BATCH", "OPS", "chain_hash", "stream_entries", "verify_stream"]

#: Most records of one ``stream_append``.
MAX_BATCH = 4096


def chain_hash(index: int, prev: bytes, record_json: str) -> bytes:
    """:func:`~accord.consensus.ledger.entry_hash` of a record given as its canonical
    JSON ``record_json`` (one encoding per record)."""
    body = f'[{index},"{prev.hex()}",{record_json}]'.encode()
    return hashlib.sha256(HASH_PREFIX + body).digest()


def _key(stream: str) -> str:
    return f"service/stream/{stream}"


def _load(ctx: Context, op: dict[str, Any]) -> tuple[str, str, dict[str, Any] | None]:
    stream, by = identifier(op, "stream"), identifier(op, "by")
    state = ctx.get(_key(stream))
    if state is not None:
        if state["by"] != by:
            raise ServiceError(f"{op['op']}: stream {stream!r} belongs to {state['by']!r}")
        if state["sealed"]:
            raise ServiceError(f"{op['op']}: stream {stream!r} is sealed")
    return stream, by, state


def _append(ctx: Context, op: dict[str, Any]) -> Any:
    stream, by, state = _load(ctx, op)
    length = 0 if state is None else state["length"]
    head = GENESIS_HASH if state is None else bytes.fromhex(state["head"])
    index, records = op["index"], op["records"]
    if isinstance(index, bool) or not isinstance(index, int) or index != length:
        raise ServiceError(
            f"stream_append: index must be the stream's length {length} (the position of "
            f"the batch's first record); got {index!r}"
        )
    if not isinstance(records, list) or not 1 <= len(records) <= MAX_BATCH:
        raise ServiceError(f"stream_append: records must be a list of 1 to {MAX_BATCH} values")
    texts = [canonical_json(r) for r in records]
    size = sum(len(t.encode()) for t in texts) + len(texts) + 1
    if size > MAX_VALUE_BYTES:
        raise ServiceError(
            f"stream_append: records take {size} bytes as canonical JSON; at most "
            f"{MAX_VALUE_BYTES} per operation, so send fewer per batch"
        )
    hashes = []
    for i, text in enumerate(texts):
        head = chain_hash(length + i, head, text)
        hashes.append(head.hex())
    length += len(records)
    ctx.put(_key(stream), {"by": by, "length": length, "head": head.hex(), "sealed": False})
    # the ledger record's canonical JSON (keys sorted) from the records' own
    text = (
        f'{{"hashes":{canonical_json(hashes)},"index":{index},'
        f'"records":[{",".join(texts)}],"stream":{canonical_json(stream)}}}'
    )
    record = {"stream": stream, "index": index, "records": records, "hashes": hashes}
    ctx.append(record, text)
    return {"stream": stream, "length": length, "head": head.hex()}


def _seal(ctx: Context, op: dict[str, Any]) -> Any:
    stream, by, state = _load(ctx, op)
    if state is None:
        raise ServiceError(f"stream_seal: no stream {stream!r}; append to it first")
    ctx.put(_key(stream), {**state, "sealed": True})
    return {
        "kind": "stream",
        "id": stream,
        "by": by,
        "length": state["length"],
        "head": state["head"],
    }


OPS: dict[str, OpSpec] = {
    "stream_append": OpSpec(
        ("stream", "by", "index", "records", "signature"), (), _append, signer="by"
    ),
    "stream_seal": OpSpec(("stream", "by", "signature"), (), _seal, signer="by", outcome=True),
}


def stream_entries(ledger: Iterable[LedgerEntry], stream: str) -> list[LedgerEntry]:
    """The entries of ``stream`` in a service ledger (its ``stream_append`` records), in
    order, with the hashes the replicas recorded; check them with
    :func:`~accord.consensus.verify_ledger` against a trusted head.

    Raises :class:`~accord.consensus.LedgerError` (index: the stream position) when a
    record of the stream is malformed or out of order.
    """
    out: list[LedgerEntry] = []
    prev = GENESIS_HASH
    for e in ledger:
        rec = e.record
        if not isinstance(rec, dict) or rec.get("stream") != stream or "records" not in rec:
            continue
        i = len(out)
        records, hashes = rec.get("records"), rec.get("hashes")
        if (
            set(rec) != {"stream", "index", "records", "hashes"}
            or rec["index"] != i
            or not isinstance(records, list)
            or not isinstance(hashes, list)
            or len(records) != len(hashes)
        ):
            raise LedgerError(i, f"service ledger entry {e.index} is not a batch of {stream!r}")
        for record, h in zip(records, hashes, strict=True):
            try:
                digest = bytes.fromhex(h)
                entry = LedgerEntry(len(out), prev, record, digest)
            except (TypeError, ValueError):
                raise LedgerError(len(out), "its hash is not 64 hex digits") from None
            out.append(entry)
            prev = digest
    return out


def verify_stream(
    ledger: Iterable[LedgerEntry] | Sequence[LedgerEntry],
    outcome: dict[str, Any],
    certificate: bls.QuorumCertificate,
    public_keys: Sequence[bytes],
) -> LedgerCheck:
    """Check, offline, that ``ledger`` (a service ledger, e.g. a replica's
    :meth:`~accord.consensus.Ledger.to_bytes` read back, or only its entries that hold the
    stream's batches) holds exactly the stream that ``outcome`` (a ``stream_seal``
    outcome) certifies with ``certificate`` under the cluster's BLS ``public_keys``: its
    hash chain, length and head.  The certified head alone vouches for the records, so
    the service ledger's own chain need not be at hand.

    Returns the stream's :class:`~accord.consensus.LedgerCheck`; raises ``ValueError``
    for a certificate that does not verify and :class:`~accord.consensus.LedgerError`
    naming the first bad entry of the stream.
    """
    if not isinstance(outcome, dict) or outcome.get("kind") != "stream":
        raise ValueError("verify_stream(): outcome must be a stream_seal outcome (kind 'stream')")
    if not bls.verify_certificate(outcome, certificate, public_keys):
        raise ValueError(
            "verify_stream(): the certificate does not verify for this outcome under "
            "public_keys (a quorum of the cluster's BLS keys must have signed it)"
        )
    entries = stream_entries(ledger, outcome["id"])
    check = verify_ledger(entries, head=bytes.fromhex(outcome["head"]))
    if check.entries != outcome["length"]:  # a head fixes the length; checked all the same
        raise LedgerError(check.entries, f"the certified stream has {outcome['length']} entries")
    return check
