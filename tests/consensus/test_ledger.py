"""Tests of the hash-chained agreement ledger (accord.consensus.ledger)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.consensus.ledger import (
    GENESIS_HASH,
    LEDGER_FORMAT,
    MAX_JSON_DEPTH,
    Ledger,
    LedgerCheck,
    LedgerEntry,
    LedgerError,
    canonical_json,
    entry_hash,
    json_problem,
    verify_ledger,
)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=6),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=8,
)


def reference_hash(index: int, prev: bytes, record) -> bytes:
    """The documented hash formula, written out independently."""
    text = json.dumps(
        [index, prev.hex(), record],
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    )
    return hashlib.sha256(b"accord-ledger-v1\0" + text.encode("utf-8")).digest()


def make_ledger(records) -> Ledger:
    ledger = Ledger()
    for r in records:
        ledger.append(r)
    return ledger


# ----------------------------------------------------------------------------- basics


def test_empty_ledger():
    ledger = Ledger()
    assert len(ledger) == 0
    assert ledger.head == GENESIS_HASH == bytes(32)
    assert ledger.entries() == ()
    assert list(ledger) == []
    ledger.verify()
    ledger.verify(GENESIS_HASH)
    verify_ledger([], head=GENESIS_HASH)
    with pytest.raises(LedgerError) as info:
        ledger.verify(b"\1" * 32)
    assert info.value.index == 0


def test_append_builds_the_chain():
    ledger = Ledger()
    e0 = ledger.append({"event": "open", "lot": 7})
    e1 = ledger.append(["bid", 3, 2.5, None, True])
    e2 = ledger.append("close")
    assert (e0.index, e1.index, e2.index) == (0, 1, 2)
    assert e0.prev_hash == GENESIS_HASH
    assert e1.prev_hash == e0.hash and e2.prev_hash == e1.hash
    for e in (e0, e1, e2):
        assert len(e.hash) == 32
        assert e.hash == reference_hash(e.index, e.prev_hash, e.record)
        assert e.hash == entry_hash(e.index, e.prev_hash, e.record)
    assert ledger.head == e2.hash
    assert len(ledger) == 3
    assert ledger[0] is e0 and ledger[-1] is e2
    assert ledger[1:] == [e1, e2]
    assert list(ledger) == [e0, e1, e2]
    assert ledger.entries() == (e0, e1, e2)
    assert "length=3" in repr(ledger)
    ledger.verify()
    ledger.verify(e2.hash)


def test_hash_ignores_dict_insertion_order():
    a = Ledger().append({"x": 1, "y": [1, 2]})
    b = Ledger().append({"y": [1, 2], "x": 1})
    assert a.hash == b.hash


def test_hash_distinguishes_json_types():
    hashes = {Ledger().append(r).hash for r in (1, 1.0, True, "1", [1], None)}
    assert len(hashes) == 6


def test_append_copies_the_record():
    ledger = Ledger()
    rec = {"bids": [1, 2]}
    entry = ledger.append(rec)
    rec["bids"].append(3)
    assert entry.record == {"bids": [1, 2]}
    ledger.verify()


@pytest.mark.parametrize(
    ("record", "words"),
    [
        ({1, 2}, "record is a set"),
        ({"a": (1, 2)}, "record['a'] is a tuple"),
        ([1, float("nan")], "record[1] is nan"),
        ({"x": float("inf")}, "record['x'] is inf"),
        (b"raw", "record is a bytes"),
        ({1: "one"}, "record has a key of type int"),
        ("\ud800", "lone surrogate"),
        ({"k\udc00": 1}, "lone surrogate"),
        (2**5000, "wider than 4096 bits"),
        (object(), "record is a object"),
    ],
)
def test_append_rejects_non_json(record, words):
    ledger = Ledger()
    with pytest.raises(ValueError, match="Ledger.append") as info:
        ledger.append(record)
    assert words in str(info.value)
    assert len(ledger) == 0


def test_append_rejects_deep_and_cyclic_records():
    deep: list = []  # MAX_JSON_DEPTH + 1 nested lists
    for _ in range(MAX_JSON_DEPTH):
        deep = [deep]
    with pytest.raises(ValueError, match="nested more than"):
        Ledger().append(deep)
    cyclic: list = []
    cyclic.append(cyclic)
    with pytest.raises(ValueError, match="nested more than"):
        Ledger().append(cyclic)
    ok: list = []  # MAX_JSON_DEPTH nested lists
    for _ in range(MAX_JSON_DEPTH - 1):
        ok = [ok]
    Ledger().append(ok)


def test_json_problem_accepts_json():
    assert json_problem({"a": [1, 2.5, None, True, "s", {"b": []}]}) is None
    assert json_problem(-0.0) is None
    assert json_problem(set(), "thing") == (
        "thing is a set; use dict (str keys), list, str, int, finite float, bool or None"
    )


def test_canonical_json():
    assert canonical_json({"b": 1, "a": "é"}) == '{"a":"é","b":1}'
    with pytest.raises(ValueError):
        canonical_json(float("nan"))


# ----------------------------------------------------------------------------- entries


def test_entry_checks_field_types():
    h = bytes(32)
    with pytest.raises(ValueError, match="index"):
        LedgerEntry(-1, h, None, h)
    with pytest.raises(ValueError, match="index"):
        LedgerEntry(True, h, None, h)
    with pytest.raises(ValueError, match="prev_hash must be 32 bytes"):
        LedgerEntry(0, b"short", None, h)
    with pytest.raises(ValueError, match="hash must be 32 bytes"):
        LedgerEntry(0, h, None, "00" * 32)


def test_entry_is_hashable_and_round_trips_through_dict():
    e = Ledger().append({"a": [1]})
    assert hash(e) == hash(LedgerEntry(0, e.prev_hash, {"a": [1]}, e.hash))
    assert {e} == {e}
    d = e.to_dict()
    assert d == {"index": 0, "prev_hash": "00" * 32, "record": {"a": [1]}, "hash": e.hash.hex()}
    assert LedgerEntry.from_dict(d) == e
    with pytest.raises(ValueError, match="exactly the keys"):
        LedgerEntry.from_dict({"index": 0})
    with pytest.raises(ValueError, match="lowercase hex"):
        LedgerEntry.from_dict({**d, "hash": e.hash.hex().upper()})
    with pytest.raises(ValueError, match="lowercase hex"):
        LedgerEntry.from_dict({**d, "prev_hash": "00"})


def test_ledger_error():
    err = LedgerError(3, "broken")
    assert isinstance(err, ValueError)
    assert (err.index, err.reason) == (3, "broken")
    assert str(err) == "ledger entry 3: broken"
    copy = pickle.loads(pickle.dumps(err))
    assert (copy.index, copy.reason) == (3, "broken")


# ----------------------------------------------------------------------------- tampering

KINDS = ("record", "hash", "prev_hash", "index", "record_rehashed")


def tamper(entry: LedgerEntry, kind: str, data) -> LedgerEntry:
    if kind == "record":
        return dataclasses.replace(entry, record={"tampered": entry.record})
    if kind == "record_rehashed":  # a forger who also fixes this entry's own hash
        rec = {"tampered": entry.record}
        return dataclasses.replace(
            entry, record=rec, hash=entry_hash(entry.index, entry.prev_hash, rec)
        )
    if kind in ("hash", "prev_hash"):
        h = bytearray(getattr(entry, kind))
        byte = data.draw(st.integers(0, 31), label="byte")
        bit = data.draw(st.integers(0, 7), label="bit")
        h[byte] ^= 1 << bit
        return dataclasses.replace(entry, **{kind: bytes(h)})
    assert kind == "index"
    new = data.draw(st.integers(0, 50).filter(lambda i: i != entry.index), label="index")
    return dataclasses.replace(entry, index=new)


@settings(max_examples=150)
@given(
    records=st.lists(json_values, min_size=1, max_size=6),
    kind=st.sampled_from(KINDS),
    data=st.data(),
)
def test_any_tampering_is_detected(records, kind, data):
    ledger = make_ledger(records)
    entries = list(ledger)
    pos = data.draw(st.integers(0, len(entries) - 1), label="pos")
    entries[pos] = tamper(entries[pos], kind, data)
    last = pos == len(entries) - 1
    if kind == "record_rehashed" and last:
        verify_ledger(entries)  # a consistent chain on its own ...
        with pytest.raises(LedgerError) as info:  # ... but not the trusted one
            verify_ledger(entries, head=ledger.head)
        assert info.value.index == len(entries)
        return
    with pytest.raises(LedgerError) as info:
        verify_ledger(entries)
    expected = pos + 1 if kind == "record_rehashed" else pos
    assert info.value.index == expected
    with pytest.raises(LedgerError):
        Ledger(entries)
    with pytest.raises(LedgerError):
        verify_ledger(entries, head=ledger.head)


def test_mutating_a_stored_record_is_detected():
    ledger = make_ledger([{"bid": 1}, {"bid": 2}])
    ledger[0].record["bid"] = 100  # records are not copied on read; the chain notices
    with pytest.raises(LedgerError) as info:
        ledger.verify()
    assert info.value.index == 0
    assert "tampered" in info.value.reason


@given(records=st.lists(json_values, min_size=2, max_size=6), data=st.data())
def test_dropping_or_reordering_entries_is_detected(records, data):
    entries = list(make_ledger(records))
    i = data.draw(st.integers(0, len(entries) - 2), label="i")
    dropped = entries[:i] + entries[i + 1 :]
    with pytest.raises(LedgerError) as info:
        verify_ledger(dropped)
    assert info.value.index == i
    swapped = list(entries)
    swapped[i], swapped[i + 1] = swapped[i + 1], swapped[i]
    with pytest.raises(LedgerError) as info:
        verify_ledger(swapped)
    assert info.value.index == i


@given(records=st.lists(json_values, min_size=1, max_size=6), data=st.data())
def test_truncation_is_detected_with_a_trusted_head(records, data):
    ledger = make_ledger(records)
    k = data.draw(st.integers(0, len(ledger) - 1), label="k")
    prefix = ledger[:k]
    verify_ledger(prefix)  # a prefix is a valid chain on its own
    with pytest.raises(LedgerError, match="truncated or forked") as info:
        verify_ledger(prefix, head=ledger.head)
    assert info.value.index == k
    verify_ledger(ledger.entries(), head=ledger.head)


def test_verify_ledger_rejects_foreign_items_and_bad_head():
    ledger = make_ledger([1, 2])
    with pytest.raises(LedgerError, match="not a LedgerEntry") as info:
        verify_ledger([ledger[0], ledger[1].to_dict()])
    assert info.value.index == 1
    with pytest.raises(ValueError, match="head must be 32 bytes"):
        verify_ledger(ledger, head=ledger.head.hex())
    bad = ledger[0]
    object.__setattr__(bad, "record", {1, 2})
    with pytest.raises(LedgerError, match="record is a set") as info:
        verify_ledger([bad])
    assert info.value.index == 0


# ----------------------------------------------------------------------------- bytes


@given(records=st.lists(json_values, max_size=6))
def test_bytes_round_trip(records):
    ledger = make_ledger(records)
    data = ledger.to_bytes()
    doc = json.loads(data)
    assert doc == {"entries": [e.to_dict() for e in ledger], "format": LEDGER_FORMAT}
    assert data == canonical_json(doc).encode("utf-8")
    back = Ledger.from_bytes(data, head=ledger.head)
    assert back.entries() == ledger.entries()
    assert back.head == ledger.head
    assert back.to_bytes() == data
    back.append("more")
    ledger.append("more")
    assert back.head == ledger.head


def test_from_bytes_detects_tampering_and_truncation():
    ledger = make_ledger([{"bid": 1}, {"bid": 2}, {"bid": 3}])
    doc = json.loads(ledger.to_bytes())
    doc["entries"][1]["record"]["bid"] = 20
    with pytest.raises(LedgerError) as info:
        Ledger.from_bytes(canonical_json(doc).encode())
    assert info.value.index == 1
    short = make_ledger([{"bid": 1}, {"bid": 2}])
    Ledger.from_bytes(short.to_bytes())
    with pytest.raises(LedgerError, match="truncated"):
        Ledger.from_bytes(short.to_bytes(), head=ledger.head)


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"\xff", "not UTF-8 JSON"),
        (b"{", "not UTF-8 JSON"),
        (b'{"entries":[NaN],"format":"accord-ledger-v1"}', "not UTF-8 JSON"),
        (b"[" * 100000 + b"]" * 100000, "not UTF-8 JSON"),
        (b"[]", "'entries' and 'format'"),
        (b'{"entries":[],"format":"other"}', "format must be"),
        (b'{"entries":{},"format":"accord-ledger-v1"}', "entries must be a JSON array"),
        (b'{"entries":[{"index":0}],"format":"accord-ledger-v1"}', "exactly the keys"),
    ],
)
def test_from_bytes_rejects_garbage(data, words):
    with pytest.raises(ValueError, match=words):
        Ledger.from_bytes(data)


def test_from_bytes_argument_checks():
    with pytest.raises(ValueError, match="data must be bytes"):
        Ledger.from_bytes("{}")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="head must be 32 bytes"):
        Ledger.from_bytes(Ledger().to_bytes(), head=b"x")
    assert len(Ledger.from_bytes(bytearray(Ledger().to_bytes()))) == 0


def test_verification_returns_what_it_established():
    ledger = Ledger()
    assert ledger.verify() == LedgerCheck(0, GENESIS_HASH, False)
    ledger.append({"a": 1})
    e = ledger.append([1, 2])
    check = ledger.verify(e.hash)
    assert (check.entries, check.head, check.trusted_head) == (2, e.hash, True)
    assert str(check).startswith("ledger verified: 2 entries, head ")
    assert verify_ledger(ledger.entries()) == LedgerCheck(2, e.hash, False)
