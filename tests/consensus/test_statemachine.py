"""Tests of the deterministic replicated state machine (accord.consensus.statemachine)."""

from __future__ import annotations

import hashlib
import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.consensus.ledger import GENESIS_HASH, canonical_json
from accord.consensus.statemachine import (
    MAX_KEY_CHARS,
    MAX_VALUE_BYTES,
    OPS,
    READ_ONLY_OPS,
    KVStore,
    is_read_only,
    validate_op,
)


def canon(v) -> str:
    return json.dumps(v, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def run(store: KVStore, *ops):
    return [store.execute(op) for op in ops]


def is_error(result) -> bool:
    return (
        isinstance(result, dict) and set(result) == {"error"} and isinstance(result["error"], str)
    )


@pytest.fixture
def store() -> KVStore:
    kv = KVStore()
    run(
        kv,
        {"op": "set", "key": "n", "value": 5},
        {"op": "set", "key": "s", "value": "text"},
        {"op": "set", "key": "b", "value": True},
        {"op": "append", "record": {"lot": 1}},
    )
    return kv


# ----------------------------------------------------------------------------- each op


def test_noop():
    kv = KVStore()
    before = kv.snapshot()
    assert kv.execute({"op": "noop"}) is None
    assert kv.snapshot() == before


def test_set_and_get():
    kv = KVStore()
    assert kv.execute({"op": "get", "key": "a"}) is None
    assert kv.execute({"op": "set", "key": "a", "value": {"x": [1, 2.5]}}) is None
    assert kv.execute({"op": "get", "key": "a"}) == {"x": [1, 2.5]}
    assert kv.execute({"op": "set", "key": "a", "value": 7}) == {"x": [1, 2.5]}
    assert kv.execute({"op": "get", "key": "a"}) == 7
    assert kv.execute({"op": "set", "key": "", "value": "empty key"}) is None
    assert kv.to_dict() == {"a": 7, "": "empty key"}
    assert len(kv) == 2


def test_set_none_deletes():
    kv = KVStore()
    kv.execute({"op": "set", "key": "a", "value": 1})
    assert kv.execute({"op": "set", "key": "a", "value": None}) == 1
    assert kv.to_dict() == {}
    assert kv.snapshot() == KVStore().snapshot()
    assert kv.execute({"op": "set", "key": "a", "value": None}) is None


def test_values_are_private_copies():
    kv = KVStore()
    value = {"list": [1]}
    kv.execute({"op": "set", "key": "a", "value": value})
    value["list"].append(2)
    got = kv.execute({"op": "get", "key": "a"})
    assert got == {"list": [1]}
    got["list"].append(3)
    assert kv.execute({"op": "get", "key": "a"}) == {"list": [1]}
    kv.to_dict()["a"]["list"].append(4)
    assert kv.execute({"op": "get", "key": "a"}) == {"list": [1]}


def test_increment():
    kv = KVStore()
    assert kv.execute({"op": "increment", "key": "c"}) == 1
    assert kv.execute({"op": "increment", "key": "c", "amount": 10}) == 11
    r = kv.execute({"op": "increment", "key": "c", "amount": -0.5})
    assert r == 10.5 and isinstance(r, float)
    assert kv.execute({"op": "increment", "key": "f", "amount": 2.0}) == 2.0
    assert isinstance(kv.execute({"op": "get", "key": "f"}), float)
    r = kv.execute({"op": "increment", "key": "i", "amount": 2**80})
    assert r == 2**80 and isinstance(r, int)
    assert kv.execute({"op": "get", "key": "c"}) == 10.5


def test_increment_errors_leave_state_unchanged(store):
    before = store.snapshot()
    assert store.execute({"op": "increment", "key": "s"}) == {
        "error": "increment: the value under key 's' is a str, not a number; "
        "set it to a number first"
    }
    assert store.execute({"op": "increment", "key": "b"}) == {
        "error": "increment: the value under key 'b' is a bool, not a number; "
        "set it to a number first"
    }
    assert store.execute({"op": "increment", "key": "n", "amount": True}) == {
        "error": "increment: field 'amount' must be an int or a float; got bool"
    }
    assert store.execute({"op": "increment", "key": "n", "amount": "1"}) == {
        "error": "increment: field 'amount' must be an int or a float; got str"
    }
    assert store.execute({"op": "increment", "key": "n", "amount": math.inf}) == {
        "error": "increment: field 'amount' must be finite; got inf"
    }
    assert store.snapshot() == before
    store.execute({"op": "set", "key": "big", "value": 1e308})
    before = store.snapshot()
    assert store.execute({"op": "increment", "key": "big", "amount": 1e308}) == {
        "error": "increment: the result overflows a float"
    }
    store.execute({"op": "set", "key": "wide", "value": 2**4096 - 1})
    before = store.snapshot()
    assert is_error(store.execute({"op": "increment", "key": "wide", "amount": 1.5}))
    assert store.execute({"op": "increment", "key": "wide", "amount": 2**4096 - 1}) == {
        "error": "increment: the result is wider than 4096 bits"
    }
    assert store.snapshot() == before


def test_compare_and_set():
    kv = KVStore()
    cas = {"op": "compare_and_set", "key": "k"}
    assert kv.execute({**cas, "expected": 1, "new": 2}) == {"swapped": False, "value": None}
    assert kv.to_dict() == {}
    assert kv.execute({**cas, "expected": None, "new": 1}) == {"swapped": True, "value": 1}
    assert kv.execute({**cas, "expected": None, "new": 9}) == {"swapped": False, "value": 1}
    # exact JSON equality: 1.0 and True are not 1
    assert kv.execute({**cas, "expected": 1.0, "new": 9}) == {"swapped": False, "value": 1}
    assert kv.execute({**cas, "expected": True, "new": 9}) == {"swapped": False, "value": 1}
    assert kv.execute({**cas, "expected": 1, "new": {"b": 1, "a": 2}}) == {
        "swapped": True,
        "value": {"a": 2, "b": 1},
    }
    # dict key order does not matter
    assert kv.execute({**cas, "expected": {"a": 2, "b": 1}, "new": [1]}) == {
        "swapped": True,
        "value": [1],
    }
    # new: None deletes
    assert kv.execute({**cas, "expected": [1], "new": None}) == {"swapped": True, "value": None}
    assert kv.to_dict() == {}


def test_append_and_ledger_ops():
    kv = KVStore()
    assert kv.execute({"op": "ledger_head"}) == {"length": 0, "hash": GENESIS_HASH.hex()}
    r0 = kv.execute({"op": "append", "record": {"event": "bid", "amount": 3}})
    r1 = kv.execute({"op": "append", "record": None})
    h0 = kv.ledger[0].hash.hex()
    h1 = kv.ledger[1].hash.hex()
    assert r0 == {"index": 0, "hash": h0}
    assert r1 == {"index": 1, "hash": h1}
    assert kv.execute({"op": "ledger_head"}) == {"length": 2, "hash": h1}
    assert kv.execute({"op": "ledger_get", "index": 0}) == {
        "index": 0,
        "prev_hash": "00" * 32,
        "record": {"amount": 3, "event": "bid"},
        "hash": h0,
    }
    assert kv.execute({"op": "ledger_get", "index": 1}) == {
        "index": 1,
        "prev_hash": h0,
        "record": None,
        "hash": h1,
    }
    got = kv.execute({"op": "ledger_get", "index": 0})
    got["record"]["amount"] = 100  # a private copy
    kv.ledger.verify()
    before = kv.snapshot()
    assert kv.execute({"op": "ledger_get", "index": 2}) == {
        "error": "ledger_get: index 2 is out of range; the ledger has 2 entries, numbered from 0"
    }
    assert kv.execute({"op": "ledger_get", "index": -1}) == {
        "error": "ledger_get: field 'index' must be an int in 0 .. 2**63 - 1; got -1"
    }
    assert kv.execute({"op": "ledger_get", "index": 1.0}) == {
        "error": "ledger_get: field 'index' must be an int in 0 .. 2**63 - 1; got float"
    }
    assert kv.execute({"op": "ledger_get", "index": False}) == {
        "error": "ledger_get: field 'index' must be an int in 0 .. 2**63 - 1; got bool"
    }
    for huge in (10**5000, -(10**5000), 2**63):
        assert kv.execute({"op": "ledger_get", "index": huge}) == {
            "error": "ledger_get: field 'index' must be an int in 0 .. 2**63 - 1; "
            "got an integer that large"
        }
    assert kv.execute({"op": "ledger_get", "index": 2**63 - 1}) == {
        "error": f"ledger_get: index {2**63 - 1} is out of range; the ledger has 2 entries, "
        "numbered from 0"
    }
    assert kv.snapshot() == before


def test_huge_integers_are_errors_not_exceptions():
    kv = KVStore()
    for op in (
        {"op": "set", "key": "a", "value": 10**5000},
        {"op": "increment", "key": "a", "amount": -(10**5000)},
        {"op": "append", "record": [10**5000]},
    ):
        assert is_error(kv.execute(op))
    assert kv.snapshot() == KVStore().snapshot()


# ----------------------------------------------------------------------------- bad ops

BAD_OPS = [
    (None, "an operation must be a dict (a JSON object) with an 'op' field; got NoneType"),
    ([], "an operation must be a dict (a JSON object) with an 'op' field; got list"),
    (
        {},
        "an operation needs the field 'op', one of: append, compare_and_set, get, increment, "
        "ledger_get, ledger_head, noop, set",
    ),
    (
        {"op": "delete"},
        "unknown op 'delete'; 'op' must be one of: append, compare_and_set, "
        "get, increment, ledger_get, ledger_head, noop, set",
    ),
    (
        {"op": 3},
        "unknown op int; 'op' must be one of: append, compare_and_set, get, "
        "increment, ledger_get, ledger_head, noop, set",
    ),
    ({"op": "set", "key": "a"}, "set: missing field 'value' (op 'set' takes key, value)"),
    ({"op": "get"}, "get: missing field 'key' (op 'get' takes key)"),
    (
        {"op": "get", "key": "a", "value": 1},
        "get: unexpected field(s) 'value'; op 'get' takes 'key'",
    ),
    ({"op": "noop", 1: 2}, "noop: unexpected field(s) int; op 'noop' takes no other fields"),
    ({"op": "set", "key": 1, "value": 1}, "set: field 'key' must be a string; got int"),
    (
        {"op": "set", "key": "x" * (MAX_KEY_CHARS + 1), "value": 1},
        "set: field 'key' has 1025 characters; keys may have at most 1024, so use a shorter key",
    ),
    (
        {"op": "set", "key": "\udfff", "value": 1},
        "set: field 'key' is a string with a lone surrogate; strings must be valid Unicode",
    ),
    (
        {"op": "set", "key": "a", "value": {1, 2}},
        "set: field 'value' is a set; use dict (str keys), list, str, int, finite float, bool "
        "or None",
    ),
    (
        {"op": "set", "key": "a", "value": [0, float("nan")]},
        "set: field 'value'[1] is nan; only finite numbers are allowed",
    ),
    (
        {"op": "set", "key": "a", "value": {"k": (1,)}},
        "set: field 'value'['k'] is a tuple; use dict (str keys), list, str, int, finite float, "
        "bool or None",
    ),
    (
        {"op": "set", "key": "a", "value": "x" * MAX_VALUE_BYTES},
        "set: field 'value' takes 65538 bytes as canonical JSON; at most 65536 are allowed, so "
        "store smaller pieces",
    ),
    (
        {"op": "compare_and_set", "key": "a", "expected": b"", "new": 1},
        "compare_and_set: field 'expected' is a bytes; use dict (str keys), list, str, int, "
        "finite float, bool or None",
    ),
    (
        {"op": "compare_and_set", "key": "a", "expected": 1},
        "compare_and_set: missing field 'new' (op 'compare_and_set' takes key, expected, new)",
    ),
    (
        {"op": "append", "record": ["é" * (MAX_VALUE_BYTES // 2)]},
        "append: field 'record' takes 65540 bytes as canonical JSON; at most 65536 are allowed, "
        "so store smaller pieces",
    ),
    (
        {"op": "append", "record": {"k": float("-inf")}},
        "append: field 'record'['k'] is -inf; only finite numbers are allowed",
    ),
    ({"op": "ledger_get"}, "ledger_get: missing field 'index' (op 'ledger_get' takes index)"),
]


@pytest.mark.parametrize(("op", "message"), BAD_OPS)
def test_bad_ops_give_exact_errors_and_change_nothing(store, op, message):
    before = store.snapshot()
    digest = store.digest()
    assert store.execute(op) == {"error": message}
    assert store.snapshot() == before
    assert store.digest() == digest
    with pytest.raises(ValueError) as info:
        validate_op(op)
    assert str(info.value) == f"validate_op(): {message}"


def test_size_limits_are_inclusive():
    kv = KVStore()
    key = "k" * MAX_KEY_CHARS
    assert kv.execute({"op": "set", "key": key, "value": 1}) is None
    value = "x" * (MAX_VALUE_BYTES - 2)  # plus two quotes
    assert kv.execute({"op": "set", "key": "v", "value": value}) is None
    assert kv.execute({"op": "append", "record": value}) == {
        "index": 0,
        "hash": kv.ledger.head.hex(),
    }
    KVStore.from_snapshot(kv.snapshot())


weird = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=3)
    | st.binary(max_size=2)
    | st.just(())
    | st.just(frozenset())
    | st.sampled_from(sorted(OPS)),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.tuples(inner)
        | st.dictionaries(
            st.sampled_from(["op", "key", "value", "amount", "index", "record", "expected", "new"])
            | st.integers(),
            inner,
            max_size=5,
        )
    ),
    max_leaves=10,
)


@settings(max_examples=300)
@given(
    op=weird
    | st.fixed_dictionaries(
        {"op": st.sampled_from(sorted(OPS))},
        optional={
            f: weird for f in ("key", "value", "amount", "index", "record", "expected", "new")
        },
    )
)
def test_execute_never_raises(op):
    kv = KVStore()
    kv.execute({"op": "set", "key": "k", "value": 1})
    before = kv.snapshot()
    result = kv.execute(op)
    json.dumps(result, allow_nan=False)  # results are JSON
    try:
        validate_op(op)
    except ValueError as exc:
        assert result == {"error": str(exc).removeprefix("validate_op(): ")}
        assert kv.snapshot() == before
    again = KVStore.from_snapshot(before)
    assert canon(again.execute(op)) == canon(result)  # deterministic
    assert again.digest() == kv.digest()


# ----------------------------------------------------------------------------- validate_op


def test_validate_op_normalises():
    assert validate_op({"op": "increment", "key": "a"}) == {
        "op": "increment",
        "key": "a",
        "amount": 1,
    }
    value = {"x": [1]}
    out = validate_op({"op": "set", "key": "a", "value": value})
    assert out == {"op": "set", "key": "a", "value": {"x": [1]}}
    assert out["value"] is not value
    assert validate_op({"op": "ledger_get", "index": 3}) == {"op": "ledger_get", "index": 3}
    assert validate_op({"op": "compare_and_set", "key": "a", "expected": None, "new": None}) == {
        "op": "compare_and_set",
        "key": "a",
        "expected": None,
        "new": None,
    }
    assert validate_op({"op": "append", "record": None}) == {"op": "append", "record": None}


def test_read_only():
    assert READ_ONLY_OPS == frozenset({"get", "ledger_head", "ledger_get"})
    assert READ_ONLY_OPS < OPS
    assert is_read_only({"op": "get", "key": "a"})
    assert is_read_only({"op": "ledger_head"})
    assert is_read_only({"op": "ledger_get", "index": 0})
    for op in (
        {"op": "set", "key": "a", "value": 1},
        {"op": "noop"},
        {"op": "append"},
        {"op": ["get"]},
        {},
        None,
        "get",
        [],
    ):
        assert not is_read_only(op)


read_only_ops = st.one_of(
    st.fixed_dictionaries({"op": st.just("get"), "key": st.sampled_from(["n", "zz"])}),
    st.just({"op": "ledger_head"}),
    st.fixed_dictionaries({"op": st.just("ledger_get"), "index": st.integers(0, 3)}),
)


@given(ops=st.lists(read_only_ops, max_size=5))
def test_read_only_ops_do_not_change_state(ops):
    kv = KVStore()
    run(kv, {"op": "set", "key": "n", "value": 1}, {"op": "append", "record": 1})
    before = kv.snapshot()
    for op in ops:
        assert is_read_only(op)
        kv.execute(op)
    assert kv.snapshot() == before


# ----------------------------------------------------------------------------- reference model

ERROR = object()


class Model:
    """A tiny dict-and-list reference for KVStore's documented semantics."""

    def __init__(self) -> None:
        self.data: dict = {}
        self.ledger: list[dict] = []

    def head(self) -> str:
        return self.ledger[-1]["hash"] if self.ledger else "00" * 32

    def _put(self, key, value) -> None:
        if value is None:
            self.data.pop(key, None)
        else:
            self.data[key] = value

    def run(self, op):
        name = op["op"]
        if name == "noop":
            return None
        if name == "get":
            return self.data.get(op["key"])
        if name == "set":
            prev = self.data.get(op["key"])
            self._put(op["key"], op["value"])
            return prev
        if name == "increment":
            cur = self.data.get(op["key"], 0)
            if type(cur) not in (int, float):
                return ERROR
            new = cur + op.get("amount", 1)
            if not math.isfinite(new):
                return ERROR
            self.data[op["key"]] = new
            return new
        if name == "compare_and_set":
            cur = self.data.get(op["key"])
            swapped = canon(cur) == canon(op["expected"])
            if swapped:
                self._put(op["key"], op["new"])
            return {"swapped": swapped, "value": self.data.get(op["key"])}
        if name == "append":
            i, prev = len(self.ledger), self.head()
            text = canon([i, prev, op["record"]])
            h = hashlib.sha256(b"accord-ledger-v1\0" + text.encode()).hexdigest()
            self.ledger.append({"index": i, "prev_hash": prev, "record": op["record"], "hash": h})
            return {"index": i, "hash": h}
        if name == "ledger_head":
            return {"length": len(self.ledger), "hash": self.head()}
        assert name == "ledger_get"
        if op["index"] >= len(self.ledger):
            return ERROR
        return self.ledger[op["index"]]


KEYS = st.sampled_from(["a", "b", "c", "é"])
values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-5, 5)
    | st.text(max_size=3)
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=2), inner, max_size=3)
    ),
    max_leaves=5,
)
numbers = st.integers(-5, 5) | st.sampled_from([0.5, -2.25, 1e308, -1e308, 0.0])

good_ops = st.one_of(
    st.just({"op": "noop"}),
    st.fixed_dictionaries({"op": st.just("get"), "key": KEYS}),
    st.fixed_dictionaries({"op": st.just("set"), "key": KEYS, "value": values | numbers}),
    st.fixed_dictionaries({"op": st.just("increment"), "key": KEYS}, optional={"amount": numbers}),
    st.fixed_dictionaries(
        {
            "op": st.just("compare_and_set"),
            "key": KEYS,
            "expected": values | numbers,
            "new": values | numbers,
        }
    ),
    st.fixed_dictionaries({"op": st.just("append"), "record": values}),
    st.just({"op": "ledger_head"}),
    st.fixed_dictionaries({"op": st.just("ledger_get"), "index": st.integers(0, 4)}),
)
bad_ops = st.one_of(
    st.fixed_dictionaries({"op": st.just("set"), "key": KEYS}),
    st.fixed_dictionaries({"op": st.just("get"), "key": st.integers()}),
    st.fixed_dictionaries(
        {
            "op": st.just("increment"),
            "key": KEYS,
            "amount": values.filter(lambda v: type(v) not in (int, float)),
        }
    ),
    st.fixed_dictionaries({"op": st.sampled_from(["del", "GET", ""])}),
    st.fixed_dictionaries({"op": st.just("append"), "record": st.just({"x": float("nan")})}),
    st.fixed_dictionaries({"op": st.just("noop"), "extra": values}),
)
tagged_ops = good_ops.map(lambda op: (op, False)) | bad_ops.map(lambda op: (op, True))


def check_against_model(kv: KVStore, model: Model, op, malformed: bool) -> None:
    before = kv.snapshot()
    result = kv.execute(op)
    expected = ERROR if malformed else model.run(op)
    if expected is ERROR:
        assert is_error(result), (op, result)
        assert kv.snapshot() == before
    else:
        assert canon(result) == canon(expected), (op, result, expected)
    snap = json.loads(kv.snapshot())
    assert canon(snap["data"]) == canon(model.data)
    assert canon(snap["ledger"]) == canon(model.ledger)


@settings(max_examples=200)
@given(ops=st.lists(tagged_ops, max_size=25))
def test_matches_reference_model(ops):
    kv, model = KVStore(), Model()
    for op, malformed in ops:
        check_against_model(kv, model, op, malformed)
    assert kv.digest() == hashlib.sha256(kv.snapshot()).digest()
    kv.ledger.verify(bytes.fromhex(model.head()))


@settings(max_examples=100)
@given(first=st.lists(tagged_ops, max_size=15), then=st.lists(tagged_ops, max_size=10))
def test_snapshot_restore_round_trip(first, then):
    kv, model = KVStore(), Model()
    for op, malformed in first:
        check_against_model(kv, model, op, malformed)
    snap = kv.snapshot()
    copy = KVStore.from_snapshot(snap)
    assert copy.snapshot() == snap
    assert copy.digest() == kv.digest() == hashlib.sha256(snap).digest()
    other = KVStore()
    other.execute({"op": "set", "key": "junk", "value": 1})
    other.restore(snap)
    assert other.digest() == kv.digest()
    for op, _ in then:
        r1, r2, r3 = kv.execute(op), copy.execute(op), other.execute(op)
        assert canon(r1) == canon(r2) == canon(r3)
        assert kv.digest() == copy.digest() == other.digest()


@given(
    items=st.dictionaries(st.text(max_size=4), values.filter(lambda v: v is not None), max_size=8),
    data=st.data(),
)
def test_snapshot_independent_of_insertion_order(items, data):
    order = data.draw(st.permutations(sorted(items)), label="order")
    a, b = KVStore(), KVStore()
    for k in sorted(items):
        a.execute({"op": "set", "key": k, "value": items[k]})
    for k in order:
        b.execute({"op": "set", "key": k, "value": items[k]})
    # an overwritten or deleted key leaves no trace either
    b.execute({"op": "set", "key": "tmp", "value": 1})
    b.execute({"op": "set", "key": "tmp", "value": None})
    assert a.snapshot() == b.snapshot()
    assert a.digest() == b.digest()


# ----------------------------------------------------------------------------- snapshots


def test_snapshot_format(store):
    snap = store.snapshot()
    doc = json.loads(snap)
    assert set(doc) == {"data", "format", "ledger"}
    assert doc["format"] == "accord-kvstore-v1"
    assert doc["data"] == {"b": True, "n": 5, "s": "text"}
    assert doc["ledger"] == [store.ledger[0].to_dict()]
    assert snap == canonical_json(doc).encode("utf-8")
    assert KVStore().snapshot() == b'{"data":{},"format":"accord-kvstore-v1","ledger":[]}'


def test_digest_is_cached_and_invalidated(store):
    d = store.digest()
    assert len(d) == 32 and d == hashlib.sha256(store.snapshot()).digest()
    assert store.digest() is d  # cached
    store.execute({"op": "get", "key": "n"})
    assert store.digest() is d
    store.execute({"op": "set", "key": "n", "value": 5})  # same value, still a write
    assert store.digest() == d
    store.execute({"op": "increment", "key": "n"})
    d2 = store.digest()
    assert d2 != d and d2 == hashlib.sha256(store.snapshot()).digest()
    store.execute({"op": "append", "record": "x"})
    d3 = store.digest()
    assert d3 != d2 and d3 == hashlib.sha256(store.snapshot()).digest()
    store.ledger.append("direct")  # bypassing execute still invalidates the cache
    assert store.digest() == hashlib.sha256(store.snapshot()).digest() != d3


def _doc(store: KVStore) -> dict:
    return json.loads(store.snapshot())


def _bytes(doc) -> bytes:
    return canonical_json(doc).encode("utf-8")


@pytest.mark.parametrize(
    ("mangle", "words"),
    [
        (lambda d: b"\xff\xfe", "not UTF-8 JSON"),
        (lambda d: b"{", "not UTF-8 JSON"),
        (
            lambda d: b'{"data":{"a":NaN},"format":"accord-kvstore-v1","ledger":[]}',
            "not UTF-8 JSON",
        ),
        (lambda d: b"[]", "expected a JSON object with the keys"),
        (lambda d: _bytes({**d, "extra": 1}), "expected a JSON object with the keys"),
        (lambda d: _bytes({**d, "format": "v0"}), "format must be 'accord-kvstore-v1'"),
        (lambda d: _bytes({**d, "data": []}), "'data' must be a JSON object"),
        (lambda d: _bytes({**d, "data": {"a": None}}), "holds null"),
        (lambda d: _bytes({**d, "data": {"k" * 1025: 1}}), "keys may have at most 1024"),
        (lambda d: _bytes({**d, "data": {"a": "x" * MAX_VALUE_BYTES}}), "at most 65536"),
        (lambda d: _bytes({**d, "ledger": {}}), "entries must be a JSON array"),
        (
            lambda d: _bytes({**d, "ledger": [{**d["ledger"][0], "record": {"lot": 2}}]}),
            "ledger entry 0: hash does not match",
        ),
        (
            lambda d: _bytes({**d, "ledger": [{**d["ledger"][0], "index": 1}]}),
            "ledger entry 0: has index 1",
        ),
        (lambda d: _bytes({**d, "ledger": [{"index": 0}]}), "exactly the keys"),
        (lambda d: json.dumps(d).encode(), "not in canonical form"),
        (lambda d: _bytes(d) + b" ", "not in canonical form"),
        (lambda d: _bytes(d).replace(b'"n":5', b'"n":5e0'), "not in canonical form"),
        (lambda d: _bytes(d).replace(b'"s":"text"', b'"s":"t\\u0065xt"'), "not in canonical form"),
    ],
)
def test_restore_rejects_corrupt_data(store, mangle, words):
    data = mangle(_doc(store))
    victim = KVStore()
    victim.execute({"op": "set", "key": "keep", "value": 1})
    before = victim.snapshot()
    with pytest.raises(ValueError, match="KVStore.restore") as info:
        victim.restore(data)
    assert words in str(info.value)
    assert victim.snapshot() == before
    with pytest.raises(ValueError):
        KVStore.from_snapshot(data)


def test_restore_rejects_oversized_ledger_record_and_non_bytes():
    kv = KVStore()
    kv.ledger.append("x" * MAX_VALUE_BYTES)  # only possible by bypassing execute
    with pytest.raises(ValueError, match="ledger entry 0 has a record of 65538 bytes"):
        KVStore.from_snapshot(kv.snapshot())
    with pytest.raises(ValueError, match="data must be bytes"):
        KVStore().restore("{}")  # type: ignore[arg-type]
    assert KVStore.from_snapshot(bytearray(KVStore().snapshot())).digest() == KVStore().digest()


def test_restore_keeps_later_behaviour(store):
    copy = KVStore.from_snapshot(store.snapshot())
    assert repr(copy) == repr(store) == "KVStore(keys=3, ledger=1)"
    for op in (
        {"op": "append", "record": 2},
        {"op": "increment", "key": "n"},
        {"op": "ledger_get", "index": 1},
    ):
        assert store.execute(op) == copy.execute(op)
    assert store.digest() == copy.digest()
